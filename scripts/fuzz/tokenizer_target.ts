/**
 * Fuzz target: tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json) of the fixture
 * tokenizers. Loads with `Tokenizer.fromPretrainedDir`, encodes single texts, a pair and a padded batch, and
 * checks: ids are in the vocabulary, offsets lie inside the text, and the per-token arrays agree in length.
 * (The tokenizer internals belong to src/tokenizers/; this target reports what it finds there.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenizerConfigError } from '../../src/tokenizers/config.js';
import { Tokenizer } from '../../src/tokenizers/index.js';
import { ModelConfigError } from '../../src/formats/errors.js';
import { classifyError } from './classify.js';
import { HUGE_NUMBERS, mutateJson, mutateText, Rng } from './mutate.js';
import type { Outcome, Target } from './types.js';

const BASES: readonly { dir: string; weight: number }[] = [
  { dir: 'tokenizers/bert-base-uncased', weight: 4 },
  { dir: 'tokenizers/all-mpnet-base-v2', weight: 3 },
  { dir: 'models/tiny-roberta', weight: 3 },
  { dir: 'tokenizers/xlnet-base-cased', weight: 2 },
  { dir: 'tokenizers/t5-base', weight: 2 },
  { dir: 'tokenizers/paraphrase-albert-small-v2', weight: 2 },
  { dir: 'models/tiny-modernbert', weight: 2 },
];
const FILES = ['tokenizer.json', 'tokenizer.json', 'tokenizer.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

const TEXTS = ['Hello, world! Héllo wörld.', 'a [MASK] b <mask> c </s> <pad>', '日本語のテキスト 123 ½ ﬁ', '', '   spaces   '];

const EXTRA: readonly unknown[] = [
  ...HUGE_NUMBERS, '(a|a)*$', '(.*)*x', '\\s+', '[', ')', 'a{1000000}', '', 'Sequence', 'BPE', 'WordPiece', 'Unigram', 'WordLevel',
  'Fixed', 'BatchLongest', 'Split', 'Replace', 'Isolated', 'Removed', 'MergedWithPrevious', 'toString', null, [], {},
  { type: 'Sequence' }, { type: 'Split', pattern: { Regex: '(a|a)*$' }, behavior: 'Isolated', invert: false },
  { strategy: { Fixed: 2 ** 31 }, pad_to_multiple_of: null }, ['a', 1], [['a', 'b']], ['a b'], 'AAAA',
];

const cache = new Map<string, Uint8Array>();
const readBase = (p: string) => {
  let b = cache.get(p);
  if (!b) cache.set(p, (b = new Uint8Array(readFileSync(p))));
  return b;
};

let work: string | undefined;

function pick(rng: Rng): string {
  let r = rng.int(BASES.reduce((a, b) => a + b.weight, 0));
  for (const b of BASES) {
    if (r < b.weight) return b.dir;
    r -= b.weight;
  }
  return BASES[0].dir;
}

export const tokenizerTarget: Target = {
  name: 'tokenizer',
  timeoutMs: 15_000,
  async prepare(fixtures, rng) {
    if (!work) {
      const w = (work = mkdtempSync(join(tmpdir(), 'stfjs-fuzz-tok-')));
      process.once('exit', () => rmSync(w, { recursive: true, force: true }));
    }
    const area = work;
    const baseDir = join(fixtures, pick(rng));
    const present = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'].filter((f) => existsSync(join(baseDir, f)));
    let file = rng.pick(FILES);
    if (!present.includes(file)) file = 'tokenizer.json';
    const text = readBase(join(baseDir, file));
    let bytes: Uint8Array;
    let what: string;
    if (rng.chance(0.7)) {
      const m = mutateJson(rng, JSON.parse(new TextDecoder().decode(text)), EXTRA);
      bytes = new TextEncoder().encode(JSON.stringify(m.doc));
      what = m.what;
    } else {
      const m = mutateText(rng, text);
      bytes = m.bytes;
      what = m.what;
    }
    what = `${baseDir.slice(fixtures.length + 1)}/${file}: ${what}`;
    const run = async (): Promise<Outcome> => {
      const dir = join(area, 'case');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const f of present) writeFileSync(join(dir, f), f === file ? bytes : readBase(join(baseDir, f)));
      let tok: Tokenizer;
      try {
        tok = await Tokenizer.fromPretrainedDir(dir);
      } catch (e) {
        return classifyError(e, [TokenizerConfigError, ModelConfigError]);
      }
      return checkTokenizer(tok);
    };
    return { what, run };
  },
};

function checkTokenizer(tok: Tokenizer): Outcome {
  const ids = new Set(tok.getVocab(true).values());
  const check = (e: { ids: number[]; offsets: [number, number][]; tokens: string[]; attentionMask: number[] }, maxLen: number, label: string): Outcome | null => {
    const n = e.ids.length;
    if (e.offsets.length !== n || e.tokens.length !== n || e.attentionMask.length !== n) {
      return { kind: 'invariant', detail: `${label}: ${n} ids, ${e.offsets.length} offsets, ${e.tokens.length} tokens` };
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isInteger(e.ids[i]) || !ids.has(e.ids[i])) return { kind: 'invariant', detail: `${label}: id ${e.ids[i]} (token ${JSON.stringify(e.tokens[i])}) is not in the vocabulary` };
      const [s, t] = e.offsets[i];
      if (!(Number.isInteger(s) && Number.isInteger(t) && s >= 0 && s <= t && t <= maxLen)) {
        return { kind: 'invariant', detail: `${label}: offsets [${s}, ${t}] outside the text of length ${maxLen}` };
      }
    }
    return null;
  };
  try {
    for (const t of TEXTS) {
      const bad = check(tok.encode(t), t.length, `encode(${JSON.stringify(t)})`);
      if (bad) return bad;
    }
    const bad = check(tok.encode(TEXTS[0], TEXTS[1]), Math.max(TEXTS[0].length, TEXTS[1].length), 'encode(pair)');
    if (bad) return bad;
    const batch = tok.encodeBatch(TEXTS.slice(0, 3));
    for (const [i, e] of batch.entries()) {
      // Padding adds the pad id, which must be in the vocabulary too.
      const b = check(e, TEXTS[i].length, `encodeBatch[${i}]`);
      if (b) return b;
    }
  } catch (e) {
    // Failing at encode time what loading accepted is a finding even with a named error.
    const o = classifyError(e, [TokenizerConfigError]);
    return o.kind === 'rejected' ? { kind: 'invariant', detail: `loaded, then encode threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}` } : o;
  }
  return { kind: 'accepted' };
}

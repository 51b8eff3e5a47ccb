/**
 * Untrusted tokenizer.json files: seeded mutations of the real fixture tokenizers (wrong JSON types in every
 * component, vocab / merges entries of the wrong shape, broken precompiled_charsmap, absurd lengths,
 * dangerous regexes, prototype keys). Every outcome must be a TokenizerConfigError at load, or a tokenizer
 * whose encodings keep the invariants: ids name tokens of the vocabulary, offsets lie inside the text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prng } from './helpers/corpus.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { Tokenizer, TokenizerConfigError } from '../src/tokenizers/index.js';
import { MAX_SEQUENCE_LENGTH } from '../src/tokenizers/truncation_padding.js';
import { WordCache, WORD_CACHE_MAX_BYTES, WORD_CACHE_MAX_KEY } from '../src/tokenizers/word_cache.js';
import { graphemes } from '../src/tokenizers/normalizers/precompiled.js';

type J = unknown;
const NAMES = ['bert-base-uncased', 'all-mpnet-base-v2', 'paraphrase-albert-small-v2', 't5-base', 'xlnet-base-cased', 'roberta-base-bpe'];
const COMPONENTS = ['normalizer', 'pre_tokenizer', 'model', 'post_processor', 'decoder', 'added_tokens', 'padding', 'truncation'];
const TEXTS = ['Hello, world! naïve café 東京 🙂', '<mask> [MASK] <s> x</s>', '  spaced   out\ttext\n', 'a'.repeat(300), ''];

const texts = new Map<string, string>();
function load(name: string): Record<string, J> {
  let t = texts.get(name);
  if (t === undefined) texts.set(name, (t = readFileSync(fixture('tokenizers', name, 'tokenizer.json'), 'utf8')));
  return JSON.parse(t);
}

/** Paths (key lists) of every value under `root`, skipping into big vocab / merges arrays and objects except a few entries. */
function paths(v: J, prefix: (string | number)[], out: (string | number)[][], r: () => number): void {
  out.push(prefix);
  if (Array.isArray(v)) {
    const idx = v.length > 20 ? [0, 1, Math.floor(r() * v.length), v.length - 1] : v.map((_, i) => i);
    for (const i of idx) paths(v[i], [...prefix, i], out, r);
  } else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const pick = keys.length > 20 ? [keys[0], keys[Math.floor(r() * keys.length)], keys[keys.length - 1]] : keys;
    for (const k of pick) paths((v as Record<string, J>)[k], [...prefix, k], out, r);
  }
}

const REPLACEMENTS: J[] = [null, true, 0, -1, 1.5, 2 ** 31, 1e300, '', 'x', 'toString', 'constructor', [], [1, 2], {}, { a: 1 }, [['a', 'b']], ['a b'], '__proto__'];

function setAt(root: J, path: (string | number)[], value: J | undefined): void {
  let o = root as Record<string | number, J>;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]] as Record<string | number, J>;
  const k = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(k as number, 1);
    else delete o[k];
  } else o[k] = value;
}

/** One seeded mutation of `json` (in place); returns a description. */
function mutate(json: Record<string, J>, r: () => number): string {
  const comp = COMPONENTS[Math.floor(r() * COMPONENTS.length)];
  if (json[comp] === undefined || r() < 0.05) {
    const v = REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)];
    json[comp] = v;
    return `${comp} = ${JSON.stringify(v)}`;
  }
  const all: (string | number)[][] = [];
  paths(json[comp], [comp], all, r);
  const p = all[Math.floor(r() * all.length)];
  const x = r();
  if (x < 0.1 && p.length > 1) {
    setAt(json, p, undefined);
    return `delete ${p.join('.')}`;
  }
  const v = REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)];
  setAt(json, p, v);
  return `${p.join('.')} = ${JSON.stringify(v)}`;
}

/** Checks the invariants of an accepted tokenizer on the sample texts. */
function checkEncodings(tok: Tokenizer, what: string): void {
  for (const text of TEXTS) {
    let e;
    try {
      e = tok.encode(text, text.length % 2 ? text : null);
    } catch (err) {
      // Errors an encode may legitimately raise on some inputs (as HF): a template without a pair form,
      // truncation that cannot be met. Anything else is a finding.
      const m = (err as Error).message;
      if (/only .* sequence|too short to remove|special tokens to add|stride/.test(m)) continue;
      throw new Error(`${what}: encode(${JSON.stringify(text.slice(0, 20))}) threw ${(err as Error).name}: ${m}`);
    }
    for (const id of e.ids) assert.ok(Number.isInteger(id) && id >= 0 && tok.idToToken(id) !== undefined, `${what}: id ${id} is not in the vocabulary`);
    for (const [s, t] of e.offsets) {
      assert.ok(Number.isInteger(s) && Number.isInteger(t) && s >= 0 && s <= t && t <= text.length, `${what}: offsets [${s}, ${t}] outside a text of ${text.length}`);
    }
  }
}

describe('untrusted tokenizer.json', function () {
  this.timeout(120_000);
  before(function () {
    requireFixtures(this, ...NAMES.map((n) => ['tokenizers', n, 'tokenizer.json']));
  });

  it('seeded mutations of every component: a TokenizerConfigError at load, or encodings with ids in the vocabulary and offsets in the text', function () {
    const r = prng(16);
    const counts = { rejected: 0, accepted: 0 };
    const t0 = performance.now();
    for (let k = 0; k < 600 && performance.now() - t0 < 20_000; k++) {
      const name = NAMES[k % NAMES.length];
      const json = load(name);
      const what = `${name}: ${mutate(json, r)}${r() < 0.3 ? `; ${mutate(json, r)}` : ''}`;
      let tok: Tokenizer;
      try {
        tok = Tokenizer.fromJSON(json);
      } catch (err) {
        assert.ok(err instanceof TokenizerConfigError, `${what}: load threw ${(err as Error).name}: ${(err as Error).message}`);
        counts.rejected++;
        continue;
      }
      counts.accepted++;
      checkEncodings(tok, what);
    }
    assert.ok(counts.rejected >= 20 && counts.accepted >= 5, JSON.stringify(counts));
  });

  it('refuses each component of the wrong JSON type, naming it', function () {
    for (const comp of COMPONENTS) {
      for (const v of [1, 'x', true, comp === 'added_tokens' ? {} : []]) {
        const json = load('bert-base-uncased');
        json[comp] = v;
        assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && e.message.includes(comp), `${comp} = ${JSON.stringify(v)}`);
      }
    }
  });

  it('refuses vocab and merges entries of the wrong shape, naming the entry', function () {
    const cases: Array<[string, (j: Record<string, J>) => void, RegExp]> = [
      ['bert-base-uncased', (j) => ((j.model as any).vocab['[UNK]'] = 'one'), /model\.vocab/],
      ['bert-base-uncased', (j) => ((j.model as any).vocab = [['a', 1]]), /model\.vocab/],
      ['t5-base', (j) => ((j.model as any).vocab[5] = ['a']), /model\.vocab\[5\]/],
      ['t5-base', (j) => ((j.model as any).vocab[5] = 'a'), /model\.vocab\[5\]/],
      ['roberta-base-bpe', (j) => ((j.model as any).merges[3] = 7), /model.*merges\[3\]/],
      ['roberta-base-bpe', (j) => ((j.model as any).merges[3] = 'a b c'), /model.*merges\[3\]/],
      ['roberta-base-bpe', (j) => ((j.model as any).vocab['Ġthe'] = -4), /model.*vocab/],
    ];
    for (const [name, f, re] of cases) {
      const json = load(name);
      f(json);
      assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && re.test(e.message), `${name} ${f}`);
    }
  });

  it('refuses an invalid precompiled_charsmap', function () {
    for (const bad of ['!!!not base64', 'AAAA', Buffer.from(new Uint8Array([255, 255, 255, 127, 1, 2, 3, 4])).toString('base64'), 42]) {
      const json = load('t5-base');
      (json.normalizer as any).precompiled_charsmap = bad;
      assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && /normalizer/.test(e.message), String(bad));
    }
  });

  it('refuses ids the pipeline would emit outside the vocabulary: post-processor special tokens, pad id, unknown token', function () {
    const a = load('bert-base-uncased');
    (a.post_processor as any).special_tokens['[CLS]'].ids = [999_999];
    assert.throws(() => Tokenizer.fromJSON(a), /post_processor adds the id 999999/);
    const b = load('bert-base-uncased');
    (b.padding as any).pad_id = 40_000;
    assert.throws(() => Tokenizer.fromJSON(b), /padding\.pad_id/);
    const c = load('bert-base-uncased');
    (c.model as any).unk_token = '[NOPE]';
    assert.throws(() => Tokenizer.fromJSON(c), /model\.unk_token/);
    const d = load('roberta-base-bpe');
    (d.post_processor as any).cls = ['<s>', 70_000];
    assert.throws(() => Tokenizer.fromJSON(d), (e: Error) => e instanceof TokenizerConfigError && /post_processor/.test(e.message));
    // an id that is not an integer (a fuzzer find: [[101]] compared as 101 against the vocabulary size)
    const e = load('bert-base-uncased');
    (e.post_processor as any).special_tokens['[CLS]'].ids = [[101]];
    assert.throws(() => Tokenizer.fromJSON(e), (err: Error) => err instanceof TokenizerConfigError && /special_tokens\["\[CLS\]"\]\.ids\[0\] must be a non-negative integer token id/.test(err.message));
  });

  it('a Unigram model without unk_id (and without byte_fallback) is refused at load, naming model.unk_id', function () {
    for (const unk of [undefined, null]) {
      const a = load('t5-base');
      if (unk === undefined) delete (a.model as any).unk_id;
      else (a.model as any).unk_id = unk;
      assert.throws(() => Tokenizer.fromJSON(a), (err: Error) => err instanceof TokenizerConfigError && /model\.unk_id must be a token id/.test(err.message));
    }
  });

  it(`refuses absurd lengths (over ${MAX_SEQUENCE_LENGTH}) in padding and truncation instead of allocating them`, function () {
    const set: Array<[string, (j: Record<string, any>) => void]> = [
      ['padding.pad_to_multiple_of', (j) => (j.padding.pad_to_multiple_of = 2 ** 31)],
      ['padding.strategy.Fixed', (j) => (j.padding.strategy = { Fixed: 2 ** 31 })],
      ['truncation.max_length', (j) => (j.truncation.max_length = 1e9)],
    ];
    for (const [path, f] of set) {
      const json = load('bert-base-uncased');
      f(json);
      assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && e.message.includes(path), path);
    }
    const tok = Tokenizer.fromJSON(load('bert-base-uncased'));
    assert.throws(() => tok.encode('hi', null, { padding: { strategy: 'max_length', maxLength: 2 ** 31 } }), /maxLength/);
    assert.throws(() => tok.setPadding({ padToMultipleOf: 2 ** 31 }), /padToMultipleOf/);
    // Up to the limit it works (and pads as asked).
    const ok = load('bert-base-uncased') as Record<string, any>;
    ok.padding.pad_to_multiple_of = 64;
    assert.equal(Tokenizer.fromJSON(ok).encode('hi').ids.length, 64);
  });

  it('refuses at load a truncation that cannot hold the special tokens or whose stride does not fit (fuzz seed 505 #2240), naming the key, what was expected and what was got', function () {
    // BERT adds 2 special tokens to one sequence and 3 to a pair: a max_length of 2 used to load, then throw a
    // RangeError at the first pair encode. HF's with_truncation refuses the stride case; the rest panics at encode.
    const cases: Array<[string, (t: Record<string, any>) => void, RegExp]> = [
      ['truncation.max_length', (t) => (t.max_length = 2), /truncation\.max_length: max length 2 must be at least 3 \(the special tokens the post-processor adds to a pair\)/],
      ['truncation.max_length', (t) => (t.max_length = 1), /max length 1 must be at least 3/],
      ['truncation.stride', (t) => ((t.max_length = 10), (t.stride = 8)), /truncation\.stride: stride 8 must be smaller than the effective max length 8 \(= 10 - 2 special tokens\)/],
      ['truncation.stride', (t) => ((t.max_length = 10), (t.stride = 3)), /truncation\.stride: stride 3 must be smaller than 3, the length LongestFirst cuts/],
    ];
    for (const [path, f, re] of cases) {
      const json = load('bert-base-uncased') as Record<string, any>;
      f(json.truncation);
      assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && (e as TokenizerConfigError).path === path && re.test(e.message), `${path}: ${JSON.stringify(json.truncation)}`);
    }
    // At the limits it loads, and every single and pair encode keeps to the length (overflow windows too, except
    // where a pair has no room left for text: HF then moves each whole sequence into one overflowing encoding).
    for (const [maxLength, stride] of [[3, 0], [10, 2], [512, 0]]) {
      const json = load('bert-base-uncased') as Record<string, any>;
      Object.assign(json.truncation, { max_length: maxLength, stride });
      const tok = Tokenizer.fromJSON(json);
      const long = 'one two three four five six seven eight nine ten eleven twelve';
      for (const e of [tok.encode(long), tok.encode(long, long), tok.encode('', ''), tok.encode('hi')]) {
        assert.ok(e.ids.length <= maxLength, `${maxLength}/${stride}: ${e.ids.length} tokens`);
        if (maxLength > 3) for (const o of e.overflowing) assert.ok(o.ids.length <= maxLength);
      }
    }
    // A stride equal to the effective length fails in setTruncation too (a TokenizerConfigError, not a RangeError).
    const tok = Tokenizer.fromJSON(load('bert-base-uncased'));
    assert.throws(() => tok.setTruncation({ maxLength: 10, stride: 8 }), (e: Error) => e instanceof TokenizerConfigError && /setTruncation\(options\)\.stride/.test(e.message));
    assert.throws(() => tok.setTruncation({ maxLength: 2 }), (e: Error) => e instanceof TokenizerConfigError && /setTruncation\(options\)\.maxLength: max length 2 must be at least 3/.test(e.message));
  });

  it('refuses components nested without bound (a 100,000-deep Sequence) with a named error, not a stack overflow', function () {
    let norm: Record<string, unknown> = { type: 'Lowercase' };
    for (let i = 0; i < 100_000; i++) norm = { type: 'Sequence', normalizers: [norm] };
    const json = load('bert-base-uncased');
    json.normalizer = norm;
    assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && /normalizer is nested deeper than 64/.test(e.message));
    // 30 levels load and run.
    let ok: Record<string, unknown> = { type: 'Lowercase' };
    for (let i = 0; i < 30; i++) ok = { type: 'Sequence', normalizers: [ok] };
    const json2 = load('bert-base-uncased');
    json2.normalizer = ok;
    assert.deepEqual(Tokenizer.fromJSON(json2).encode('HeLLo').tokens, ['[CLS]', 'hello', '[SEP]']);
  });

  it('refuses prototype keys where a table is looked up (truncation strategy "constructor")', function () {
    const json = load('bert-base-uncased');
    (json.truncation as any).strategy = 'constructor';
    assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && /truncation\.strategy/.test(e.message));
  });

  it('refuses regexes that backtrack without bound, naming the pattern and the component; the real patterns load', function () {
    const bad = ['(a|a)*$', '(a+)+b', '(\\w+\\s?)*$', 'a{1000000}', '(a)\\1', '(?=a*b)', '(?>a+)', '(.*a){20}'];
    for (const re of bad) {
      const json = load('bert-base-uncased');
      json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: re }, behavior: 'Isolated', invert: false }] };
      assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && e.message.includes('pre_tokenizer.pretokenizers[0].pattern.Regex') && e.message.includes(JSON.stringify(re).slice(1, 8)), re);
      const json2 = load('bert-base-uncased');
      json2.normalizer = { type: 'Replace', pattern: { Regex: re }, content: 'x' };
      assert.throws(() => Tokenizer.fromJSON(json2), (e: Error) => e instanceof TokenizerConfigError && e.message.includes('normalizer.pattern.Regex'), re);
    }
    // Each refused pattern really is slow in the JS engine: (a|a)*$ on 26 characters takes exponential steps.
    const t0 = performance.now();
    /(a|a)*$/.test('a'.repeat(20) + '!');
    assert.ok(performance.now() - t0 > 1, 'the engine backtracks on (a|a)*$');
  });

  it('bounds the word caches by bytes: long words are not cached, and the total stays under 4 MiB', function () {
    const tok = Tokenizer.fromJSON(load('bert-base-uncased'));
    const wp = tok.model as unknown as { cache: WordCache<unknown> };
    const r = prng(3);
    for (let i = 0; i < 3000; i++) {
      let w = '';
      const len = 50 + Math.floor(r() * 250);
      for (let k = 0; k < len; k++) w += String.fromCharCode(97 + Math.floor(r() * 26));
      tok.encode(w, null, { truncation: null });
      assert.ok(wp.cache.bytes <= WORD_CACHE_MAX_BYTES);
    }
    const long = 'x'.repeat(20_000);
    const before = wp.cache.size;
    tok.encode(`${long}a`, null, { truncation: null });
    assert.equal(wp.cache.get(`${long}a`), undefined, 'a 20,000-character word is not cached');
    assert.ok(wp.cache.size <= before + 1);
    const t5 = Tokenizer.fromJSON(load('t5-base'));
    const ug = t5.model as unknown as { cache: WordCache<unknown> };
    for (let i = 0; i < 200; i++) t5.encode(`${i}${'y'.repeat(WORD_CACHE_MAX_KEY + i)}`, null, { truncation: null });
    assert.equal(ug.cache.size, 0, 'Unigram words longer than the key limit are not cached');
    const c = new WordCache<string>((v) => 2 * v.length);
    for (let i = 0; i < 100_000; i++) c.set(`k${i}`, 'v'.repeat(200));
    assert.ok(c.bytes <= WORD_CACHE_MAX_BYTES && c.size < 10_000);
  });

  it('segments graphemes in windows with the clusters of one Intl.Segmenter call (ZWJ emoji, flags, Hangul, Indic, long mark runs)', function () {
    const seg = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const r = prng(7);
    const atoms = ['a', ' ', 'é', 'e\u0301', '👨‍👩‍👧‍👦', '🇫🇷', '🇫', '\u1100\u1161\u11a8', 'क्ष', 'ক্‍ষ', '\u0301', '\u200d', '🙂', '\r\n', '東', '𝒳'];
    for (let k = 0; k < 30; k++) {
      let s = '';
      while (s.length < 2000) s += atoms[Math.floor(r() * atoms.length)];
      const one = [...seg.segment(s)].map((x) => x.segment);
      const ours = graphemes(s);
      assert.equal(ours.join(''), s);
      // Ours is split again only before the code points Rust does not count as extending (none here).
      assert.deepEqual(ours, one);
    }
    // A cluster longer than a window (a letter with 1,000 combining marks) comes out as single characters up to its end.
    const long = `b${'\u0301'.repeat(1000)}c d`;
    const g = graphemes(long);
    assert.equal(g.join(''), long);
    assert.deepEqual(g.slice(-3), ['c', ' ', 'd']);
  });
});

/**
 * Qwen3's byte-level BPE tokenizer.json against HF tokenizers (Rust, via @anush008/tokenizers), live: its
 * pre-tokenizer regex has an Oniguruma scoped ignore-case group `(?i:'s|'t|'re|'ve|'m|'ll|'d)` that Node 20's
 * RegExp rejects ("Invalid group"); src/tokenizers/config.ts translates it. Checked: ids, tokens, type ids and
 * offsets on the seeded 20,000-string corpus (+ case-variant contractions), pairs, with the file's own
 * Qwen3-Embedding EOS post-processor (tiny-qwen3) and with Qwen3's original ByteLevel post-processor; the
 * tokenizer_test_vector of QwenLM/Qwen3-Embedding#122 with left padding.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tk from '@anush008/tokenizers';
import { onigToJs } from '../src/tokenizers/config.js';
import { Tokenizer, type Encoding } from '../src/tokenizers/index.js';
import { corpus, corpusPairs } from './helpers/corpus.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { diffPlain, fromOurs, fromRust } from './helpers/rust_oracle.js';

type RustTokenizer = InstanceType<typeof tk.Tokenizer>;

const MODEL_DIR = ['models', 'tiny-qwen3'];
const FILE = [...MODEL_DIR, 'tokenizer.json'];
/** Texts aimed at the ignore-case group: every contraction in every case, U+017F LONG S, U+212A KELVIN SIGN. */
const CONTRACTIONS = ["it's IT'S It'S", "don't DON'T", "we're WE'RE We'Re", "I've I'VE", "I'm I'M", "we'll WE'LL We'lL", "I'd I'D", "it'ſ 'ſ 'K 'k 'ﬅ 'ß", "'S's's'T'RE'vE'Ll'D"];
const TEXTS = [...CONTRACTIONS, ...corpus(20000)];
const PAIRS = corpusPairs(1500);

function firstMismatch(ours: Encoding[], rust: Awaited<ReturnType<RustTokenizer['encodeBatch']>>, inputs: Array<string | [string, string]>): string | null {
  assert.equal(ours.length, rust.length);
  for (let i = 0; i < ours.length; i++) {
    const inp = inputs[i];
    const d = diffPlain(fromOurs(ours[i]), fromRust(rust[i], typeof inp === 'string' ? [inp] : inp));
    if (d) return `input #${i} ${JSON.stringify(inp)}\n${d}`;
  }
  return null;
}

function rustFresh(path: string): RustTokenizer {
  const r = tk.Tokenizer.fromFile(path);
  r.disableTruncation();
  r.disablePadding();
  return r;
}

describe('Qwen3 tokenizer (Oniguruma (?i:...) pre-tokenizer regex) vs Rust', function () {
  this.timeout(600000);
  let tmp: string;
  const variants: Array<{ name: string; path: () => string }> = [
    { name: "tiny-qwen3's tokenizer.json (Qwen3-Embedding EOS TemplateProcessing)", path: () => fixture(...FILE) },
    { name: "Qwen3's original ByteLevel post-processor", path: () => join(tmp, 'tokenizer.json') },
  ];

  before(function () {
    if (!requireFixtures(this as unknown as Mocha.Context, FILE)) return;
    tmp = mkdtempSync(join(tmpdir(), 'qwen3-tok-'));
    const json = JSON.parse(readFileSync(fixture(...FILE), 'utf8'));
    json.post_processor = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
    writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(json));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('translates the scoped ignore-case group into case-fold classes (Node 20 rejects (?i:...))', function () {
    assert.equal(onigToJs("(?i:'s|'ll)|x"), "(?:'[Ssſ]|'[Ll][Ll])|x");
    assert.equal(onigToJs('(?i:k)'), '(?:[Kk\u212a])');
    assert.equal(onigToJs('a(?i)b(c)d'), 'a[Bb]([Cc])d'.replace('d', '[Dd]'));
    assert.equal(onigToJs('(?i:x(?-i:y)z){2}'), '(?:[Xx](?:y)[Zz]){2}');
    assert.equal(onigToJs("(?i:'1\\n)"), "(?:'1\\n)");
    assert.throws(() => onigToJs('(?i:[a-z])'), /a character class inside a case-insensitive/);
    assert.throws(() => onigToJs('(?i:\\p{Lu})'), /\\p inside a case-insensitive/);
  });

  for (const v of variants) {
    describe(v.name, function () {
      let ours: Tokenizer;
      let rust: RustTokenizer;
      before(async function () {
        if (!requireFixtures(this as unknown as Mocha.Context, FILE)) return;
        ours = await Tokenizer.fromFile(v.path());
        rust = rustFresh(v.path());
      });

      it('matches on the 20,000-string corpus + contractions, with special tokens', async function () {
        if (!requireFixtures(this, FILE)) return;
        const m = firstMismatch(ours.encodeBatch(TEXTS, { truncation: null, padding: null }), await rust.encodeBatch(TEXTS, { addSpecialTokens: true }), TEXTS);
        assert.equal(m, null, m ?? '');
      });

      it('matches on the corpus without special tokens', async function () {
        if (!requireFixtures(this, FILE)) return;
        const sub = TEXTS.slice(0, 5000);
        const m = firstMismatch(ours.encodeBatch(sub, { addSpecialTokens: false, truncation: null, padding: null }), await rust.encodeBatch(sub, { addSpecialTokens: false }), sub);
        assert.equal(m, null, m ?? '');
      });

      it('matches on 1,500 pairs', async function () {
        if (!requireFixtures(this, FILE)) return;
        const theirs = [];
        for (let i = 0; i < PAIRS.length; i += 200) theirs.push(...(await Promise.all(PAIRS.slice(i, i + 200).map(([a, b]) => rust.encode(a, b, { addSpecialTokens: true })))));
        const m = firstMismatch(ours.encodeBatch(PAIRS, { truncation: null, padding: null }), theirs, PAIRS);
        assert.equal(m, null, m ?? '');
      });

      it('decodes like Rust', async function () {
        if (!requireFixtures(this, FILE)) return;
        const ids = ours.encodeBatch(TEXTS.slice(0, 3000), { truncation: null, padding: null }).map((e) => e.ids);
        for (const skip of [false, true]) {
          const theirs = await rust.decodeBatch(ids, skip);
          for (let i = 0; i < ids.length; i++) assert.equal(ours.decode(ids[i], { skipSpecialTokens: skip }), theirs[i], `#${i} skip ${skip}`);
        }
      });
    });
  }

  it("reproduces tokenizer_test_vector: tokenizer(['test', 'test again'], padding=True) with left padding (QwenLM/Qwen3-Embedding#122)", async function () {
    if (!requireFixtures(this, FILE)) return;
    const ref = JSON.parse(readFileSync(fixture('reference', 'tiny-qwen3', 'reference.json'), 'utf8')).tokenizer_test_vector;
    const tok = await Tokenizer.fromPretrainedDir(fixture(...MODEL_DIR));
    const enc = tok.encodeBatch(['test', 'test again'], { padding: { strategy: 'batch_longest' } });
    assert.deepEqual(enc.map((e) => e.ids), [[151643, 1944, 151643], [1944, 1549, 151643]]);
    assert.deepEqual(enc.map((e) => e.ids), ref.input_ids);
    assert.deepEqual(enc.map((e) => e.attentionMask), ref.attention_mask);
  });
});

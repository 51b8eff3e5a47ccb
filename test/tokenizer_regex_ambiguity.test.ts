/**
 * The polynomial-backtracking screen (src/tokenizers/regex_ambiguity.ts) on tokenizer.json regexes: the split and
 * replace patterns of real tokenizers are accepted, and encode adversarial long inputs built from their own
 * character classes in linear time; the classic polynomial and exponential patterns are refused at load with a
 * TokenizerConfigError naming the JSON path and the reason; the analysis is bounded.
 */
import assert from 'node:assert/strict';
import { Tokenizer, TokenizerConfigError } from '../src/tokenizers/index.js';
import { onigToJs } from '../src/tokenizers/config.js';
import { atomRepresentatives, findPolynomialAmbiguity, MAX_POSITIONS } from '../src/tokenizers/regex_ambiguity.js';
import { collectGarbage, timeEncode } from './helpers/tokenizer_scaling.js';
import { cpToUtf16 } from './helpers/rust_oracle.js';

/** Split / Replace regexes of real tokenizer.json files (Oniguruma source, as the file holds it), with where each is from. */
const REAL: ReadonlyArray<{ name: string; source: string; regex: string }> = [
  {
    name: 'BLOOM (an Oniguruma nested class: `[^(\\s|[.,!?…])]` is one class, its inner class inlined)',
    source: 'bigscience/bloom tokenizer.json pre_tokenizer.pretokenizers[0]',
    regex: ' ?[^(\\s|[.,!?…。，、।۔،])]+',
  },
  {
    name: 'GPT-2 (also RoBERTa, GPT-NeoX, ModernBERT, StarCoder: the ByteLevel split)',
    source: 'openai/gpt-2 src/encoder.py; huggingface/tokenizers pre_tokenizers/byte_level.rs',
    regex: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  },
  {
    name: 'cl100k_base / Llama-3 (tokenizer.json form: tiktoken\'s possessive quantifiers written greedy)',
    source: 'meta-llama/Meta-Llama-3-8B tokenizer.json pre_tokenizer.pretokenizers[0]; Xenova/gpt-4 tokenizer.json',
    regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  },
  {
    name: 'o200k_base (GPT-4o)',
    source: 'Xenova/gpt-4o tokenizer.json pre_tokenizer.pretokenizers[0] (tiktoken openai_public.py o200k_base)',
    regex:
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  },
  {
    name: 'Qwen2 / Qwen2.5 / Qwen3',
    source: 'Qwen/Qwen3-0.6B tokenizer.json pre_tokenizer.pretokenizers[0] (the fixture tiny-qwen3 holds it)',
    regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  },
  { name: 'DeepSeek-V3 (digits)', source: 'deepseek-ai/DeepSeek-V3 tokenizer.json pre_tokenizer.pretokenizers[0]', regex: '\\p{N}{1,3}' },
  { name: 'DeepSeek-V3 (CJK runs)', source: 'deepseek-ai/DeepSeek-V3 tokenizer.json pre_tokenizer.pretokenizers[1]', regex: '[一-龥぀-ゟ゠-ヿ]+' },
  {
    name: 'DeepSeek-V3 (words, punctuation, spaces)',
    source: 'deepseek-ai/DeepSeek-V3 tokenizer.json pre_tokenizer.pretokenizers[2]',
    regex: "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  },
  {
    name: 'Mistral Tekken (Mistral-Nemo, Pixtral)',
    source: 'mistralai/Mistral-Nemo-Instruct-2407 tokenizer.json pre_tokenizer.pretokenizers[0]',
    regex:
      '[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+',
  },
  { name: 'Falcon (digit triples)', source: 'tiiuae/falcon-7b tokenizer.json pre_tokenizer.pretokenizers[3]', regex: '[0-9][0-9][0-9]' },
  { name: 'Whitespace pre-tokenizer', source: 'huggingface/tokenizers pre_tokenizers/whitespace.rs (Whitespace)', regex: '\\w+|[^\\w\\s]+' },
  { name: 'Metaspace-style space runs (Replace)', source: 'sentencepiece-converted normalizers, e.g. Replace {"Regex": " {2,}"}', regex: ' {2,}' },
  { name: 'whitespace runs (Split / Replace)', source: 'WhitespaceSplit-style Split patterns', regex: '\\s+' },
  { name: 'punctuation split', source: 'Punctuation-style Split on a Unicode class', regex: '\\p{P}' },
];
// Gemma, Phi-3 (mini), Llama-2, T5, XLM-R: no regex (String patterns and Metaspace).

/** A tokenizer whose only pre-tokenizer is a Split on `regex` (each piece of over 100 characters one [UNK], others per character, of a two-token WordPiece model). */
function splitTokenizerJson(regex: string): Record<string, unknown> {
  return {
    version: '1.0',
    model: { type: 'WordPiece', vocab: { '[UNK]': 0, a: 1 }, unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100 },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false }] },
  };
}

/** Polynomial (two loops sharing a run) and exponential (nested quantifiers, ambiguous alternation) classics. */
const REFUSED: ReadonlyArray<[regex: string, reason: RegExp]> = [
  ['\\d*\\d*\\d*x', /polynomial backtracking: the loops on \\p\{Nd\} and \\p\{Nd\}/],
  ['a*a*$', /polynomial backtracking: the loops on a and a/],
  ['\\s*\\s+$', /polynomial backtracking/],
  ['.*.*=.*', /polynomial backtracking: the loops on \. and \./],
  ['x\\d+\\d+y', /polynomial backtracking/],
  ['\\w+\\d+!', /polynomial backtracking/],
  ['[a-z]+[a-m]*;', /polynomial backtracking/],
  ['\\s+[ \\t]+(?!\\S)', /polynomial backtracking/],
  ["'\\p{L}*\\p{L}+'", /polynomial backtracking/],
  // Search restart: linear per attempt, but each start inside the run scans to its end and fails.
  ['a*b', /search restart: an attempt starting in a run of "a" follows the loop on a/],
  ['\\s*x', /search restart/],
  ['a*b|a', /search restart/],
  ['a+(?=b)', /search restart/],
  ['a*$', /search restart/],
  ['\\s*[\\r\\n]+', /search restart/], // alone (Llama-3's alternation also holds \s+, which consumes the run)
  ['\\d+\\.\\d+', /search restart/],
  ['(a|a)*$', /nested quantifiers backtrack exponentially/],
  ['(a+)+b', /nested quantifiers/],
  ['(\\w+\\s?)*$', /nested quantifiers/],
  ['(.*a){20}', /nested quantifiers/],
  ['(a)\\1', /back-reference/],
  ['a{1000000}', /repeat count/],
];

describe('polynomial backtracking screen (tokenizer.json regexes)', function () {
  this.timeout(600_000);

  for (const r of REAL) {
    it(`accepts ${r.name} (${r.source})`, function () {
      const t0 = performance.now();
      const tok = Tokenizer.fromJSON(splitTokenizerJson(r.regex));
      const ms = performance.now() - t0;
      assert.ok(tok.encode('Hello world 123 東京').ids.length > 0);
      // The analysis stays under its bounds with room to spare, and quickly (loaded machine: a loose 500 ms).
      assert.equal(findPolynomialAmbiguity(new RegExp(onigToJs(r.regex), 'u').source), null);
      assert.ok(ms < 500, `load took ${ms.toFixed(1)} ms`);
    });
  }

  for (const [regex, reason] of REFUSED) {
    it(`refuses ${JSON.stringify(regex)} at load, naming the JSON path and the reason`, function () {
      assert.throws(
        () => Tokenizer.fromJSON(splitTokenizerJson(regex)),
        (e: Error) =>
          e instanceof TokenizerConfigError &&
          e.path === 'pre_tokenizer.pretokenizers[0].pattern.Regex' &&
          e.message.includes('pre_tokenizer.pretokenizers[0].pattern.Regex') &&
          reason.test(e.message),
      );
      // The same in a normalizer's Replace.
      const json = splitTokenizerJson('\\s+');
      json.normalizer = { type: 'Replace', pattern: { Regex: regex }, content: ' ' };
      assert.throws(() => Tokenizer.fromJSON(json), (e: Error) => e instanceof TokenizerConfigError && e.message.includes('normalizer.pattern.Regex'));
    });
  }

  // Adversarial long inputs from each accepted pattern's own classes: a run of one class, and two classes
  // alternating. 256 KiB must take under 32x the time of 32 KiB (8x the text: linear ~8, quadratic ~64), the bound
  // and the timing of test/tokenizer_scaling.test.ts (loose because garbage collection on a busy machine read up
  // to x20 at these sizes for linear paths).
  const SMALL = 32 * 1024;
  const LARGE = 256 * 1024;
  for (const r of REAL) {
    it(`${r.name}: adversarial 256 KiB inputs from its own character classes encode in linear time`, function () {
      const tok = Tokenizer.fromJSON(splitTokenizerJson(r.regex));
      const reps = atomRepresentatives(new RegExp(onigToJs(r.regex), 'u').source).slice(0, 6);
      const units: string[] = [...reps];
      for (let i = 0; i < reps.length; i++) for (let j = i + 1; j < reps.length; j++) units.push(reps[i] + reps[j]);
      const fill = (u: string, n: number) => u.repeat(Math.ceil(n / u.length)).slice(0, n);
      const rows: string[] = [];
      for (const u of units) {
        const small = fill(u, SMALL);
        const large = fill(u, LARGE);
        timeEncode(tok, small);
        collectGarbage();
        let a = Infinity;
        let b = Infinity;
        let ratio = Infinity;
        for (let attempt = 0; attempt < 2 && ratio >= 32; attempt++) {
          a = Math.min(a, timeEncode(tok, small).ms, timeEncode(tok, small).ms);
          b = Math.min(b, timeEncode(tok, large).ms);
          ratio = b / Math.max(a, 20);
        }
        rows.push(`${JSON.stringify(u)}: ${a.toFixed(1)} -> ${b.toFixed(1)} ms (x${ratio.toFixed(2)})`);
        assert.ok(ratio < 32, `${r.name} ${rows[rows.length - 1]}`);
      }
      assert.ok(units.length >= 1);
    });
  }

  it('accepts look-alikes that stay linear: a loop behind a required character, a lookahead that holds inside the run', function () {
    for (const regex of ['x\\s*y', '\\s+(?!\\S)', "'\\p{L}+'", '\\p{N}+(?:\\.\\p{N}+)?', '[a-z]+[0-9]*']) {
      const t0 = performance.now();
      Tokenizer.fromJSON(splitTokenizerJson(regex));
      assert.ok(performance.now() - t0 < 500, regex);
    }
  });

  it('refuses a pattern too large to analyse, saying so', function () {
    assert.throws(
      () => Tokenizer.fromJSON(splitTokenizerJson('a{1000}b{1000}c')),
      (e: Error) => e instanceof TokenizerConfigError && new RegExp(`too large to analyse: over ${MAX_POSITIONS} character positions`).test(e.message),
    );
    // Under the cap, a long linear pattern loads.
    Tokenizer.fromJSON(splitTokenizerJson('a{600}b{600}c'));
    // Dense transition graphs and long analyses are cut short too, each in well under a second.
    for (const [regex, re] of [
      ['[a-z]?'.repeat(1500), /too large to analyse: over 100,000 transitions between character positions/],
      ['b*'.repeat(300) + 'x', /too large to analyse: over 4,000,000 steps|polynomial backtracking/],
    ] as const) {
      const t0 = performance.now();
      assert.throws(() => Tokenizer.fromJSON(splitTokenizerJson(regex)), (e: Error) => e instanceof TokenizerConfigError && re.test(e.message));
      assert.ok(performance.now() - t0 < 2000, `${regex.slice(0, 12)}…: ${(performance.now() - t0).toFixed(0)} ms`);
    }
  });
});

describe('Oniguruma nested character classes (BLOOM)', () => {
  const bloom = REAL[0]!.regex;
  const texts = ['Hello, world! How (are) you?', 'a|b|c (x) [y] ...', '東京。大阪、京都，  spaced   out\n\tend', '', '...!!!', 'मेरा नाम۔ ok،'];

  it("BLOOM's split gives the pieces HF tokenizers (Rust) gives, offsets included", async () => {
    const tk = (await import('@anush008/tokenizers')).default;
    const json = JSON.stringify(splitTokenizerJson(bloom));
    const rust = tk.Tokenizer.fromString(json);
    const ours = Tokenizer.fromJSON(JSON.parse(json));
    for (const t of texts) {
      const r = await rust.encode(t, null, { addSpecialTokens: false });
      const o = ours.encode(t, null, { addSpecialTokens: false });
      const rOffsets = r.getOffsets().map(([a, b]) => [a, b]);
      const m = cpToUtf16(t);
      assert.deepEqual(o.offsets, rOffsets.map(([a, b]) => [m[a!], m[b!]]), JSON.stringify(t));
      assert.deepEqual(o.tokens, r.getTokens(), JSON.stringify(t));
    }
  });

  it('a negated class nested in a class is refused with a named error', () => {
    assert.throws(() => Tokenizer.fromJSON(splitTokenizerJson('[a[^b]]+')), (e: Error) => e.name === 'TokenizerConfigError' && /negated class nested/.test(e.message));
  });
});

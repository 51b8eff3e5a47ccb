/**
 * Gemma 3's tokenizer.json (SentencePiece-converted BPE with byte fallback, 262,144 pieces, 6,415 added tokens,
 * Replace(" " -> "▁") normalizer, Split(" ") pre-tokenizer, "<bos> $A" template, Replace/ByteFallback/Fuse decoder)
 * against Hugging Face tokenizers (Rust, @anush008/tokenizers) run live: ids, tokens, type ids, offsets,
 * attention and special-token masks on the 20,000-string seeded corpus (with and without special tokens), pairs,
 * truncation with overflow, and decoding. Also the cost of loading the file.
 */
import assert from 'node:assert/strict';
import tk from '@anush008/tokenizers';
import { Tokenizer, type Encoding } from '../src/tokenizers/index.js';
import { corpus, corpusPairs } from './helpers/corpus.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { diffPlain, fromOurs, fromRust } from './helpers/rust_oracle.js';

type RustTokenizer = InstanceType<typeof tk.Tokenizer>;
type RustEncoding = Awaited<ReturnType<RustTokenizer['encode']>>;

const FILE = ['models', 'tiny-embeddinggemma', 'tokenizer.json'];
const TEXTS = corpus(20000);
const PAIRS = corpusPairs(1500);

function firstMismatch(ours: Encoding[], rust: RustEncoding[], inputs: Array<string | [string, string]>): string | null {
  assert.equal(ours.length, rust.length);
  for (let i = 0; i < ours.length; i++) {
    const inp = inputs[i];
    const d = diffPlain(fromOurs(ours[i]), fromRust(rust[i], typeof inp === 'string' ? [inp] : inp));
    if (d) return `input #${i} ${JSON.stringify(inp)}\n${d}`;
  }
  return null;
}

describe('Gemma 3 tokenizer.json: parity with HF tokenizers (Rust), live', function () {
  this.timeout(600000);
  let ours: Tokenizer;
  let rust: RustTokenizer;

  before(async function () {
    if (!requireFixtures(this, FILE)) return;
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const c0 = cpu();
    const t0 = performance.now();
    ours = await Tokenizer.fromFile(fixture(...FILE));
    const ourCpu = cpu() - c0;
    const ourWall = performance.now() - t0;
    const c1 = cpu();
    rust = tk.Tokenizer.fromFile(fixture(...FILE));
    const rustCpu = cpu() - c1;
    // Informational (a shared CI box makes wall times noisy): CPU time of reading + parsing + building.
    console.log(`      load: ours ${ourCpu.toFixed(0)} ms CPU (${ourWall.toFixed(0)} ms wall), Rust ${rustCpu.toFixed(0)} ms CPU`);
  });

  it('has the 262,144-piece vocabulary, <bos> first, byte fallback', function () {
    if (!requireFixtures(this, FILE)) return;
    assert.equal(ours.tokenToId('<bos>'), 2);
    assert.equal(ours.tokenToId('<0x00>'), rust.tokenToId('<0x00>'));
    assert.deepEqual(ours.encode('Hello world').ids, [2, 9259, 1902]);
    assert.deepEqual(ours.encode('我爱北京天安门').ids, [2, 237169, 238587, 32707, 237471, 237655, 238287]);
  });

  it('matches on the 20,000-string corpus with special tokens', async function () {
    if (!requireFixtures(this, FILE)) return;
    const mine = ours.encodeBatch(TEXTS, { truncation: null, padding: null });
    const theirs = await rust.encodeBatch(TEXTS, { addSpecialTokens: true });
    const m = firstMismatch(mine, theirs, TEXTS);
    assert.equal(m, null, m ?? '');
  });

  it('matches on the corpus without special tokens', async function () {
    if (!requireFixtures(this, FILE)) return;
    const sub = TEXTS.slice(0, 5000);
    const mine = ours.encodeBatch(sub, { addSpecialTokens: false, truncation: null, padding: null });
    const theirs = await rust.encodeBatch(sub, { addSpecialTokens: false });
    const m = firstMismatch(mine, theirs, sub);
    assert.equal(m, null, m ?? '');
  });

  it('matches on pairs, and on pairs truncated to 64 (longest_first, stride 8) with overflowing windows', async function () {
    if (!requireFixtures(this, FILE)) return;
    const theirs: RustEncoding[] = [];
    for (let i = 0; i < PAIRS.length; i += 200) theirs.push(...(await Promise.all(PAIRS.slice(i, i + 200).map(([a, b]) => rust.encode(a, b, { addSpecialTokens: true })))));
    const m = firstMismatch(ours.encodeBatch(PAIRS, { truncation: null, padding: null }), theirs, PAIRS);
    assert.equal(m, null, m ?? '');
    const r = tk.Tokenizer.fromFile(fixture(...FILE));
    r.setTruncation(64, { strategy: 'LongestFirst' as never, stride: 8, direction: 'right' });
    const sub = PAIRS.slice(0, 500);
    const rt: RustEncoding[] = await Promise.all(sub.map(([a, b]) => r.encode(a, b, { addSpecialTokens: true })));
    const mt = sub.map(([a, b]) => ours.encode(a, b, { truncation: { maxLength: 64, strategy: 'longest_first', stride: 8, direction: 'right' }, padding: null }));
    const m2 = firstMismatch(mt, rt, sub);
    assert.equal(m2, null, m2 ?? '');
  });

  it('decodes like Rust, with and without special tokens', async function () {
    if (!requireFixtures(this, FILE)) return;
    const sub = TEXTS.slice(0, 5000);
    const ids = ours.encodeBatch(sub, { truncation: null, padding: null }).map((e) => e.ids);
    for (const skip of [false, true]) {
      const theirs = await rust.decodeBatch(ids, skip);
      for (let i = 0; i < ids.length; i++) {
        const mine = ours.decode(ids[i], { skipSpecialTokens: skip });
        if (mine !== theirs[i]) assert.fail(`decode(skip ${skip}) of #${i} ${JSON.stringify(sub[i])}:\n  ours: ${JSON.stringify(mine)}\n  rust: ${JSON.stringify(theirs[i])}`);
      }
    }
  });
});

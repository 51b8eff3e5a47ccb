/**
 * Concurrent calls on one model: `encode` and `predict` calls started together (and interleaving at their awaits)
 * give exactly, bit for bit, what the same calls give made one at a time; many small encodes leak no tensor.
 * `npx tsx scripts/encode-leak.ts` runs 10,000 encodes and reports tensors and RSS.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder, initBackend, SentenceTransformer } from '../src/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';

const bits = (rows: Float32Array[] | number[][] | Float32Array) =>
  Array.from(rows as ArrayLike<ArrayLike<number> | number>, (r) => (typeof r === 'number' ? [r] : Array.from(new Uint32Array(Float32Array.from(r).buffer))));

const TEXTS = [
  ['a short one', 'a much longer sentence that pads the others in its batch quite a bit more', 'x'],
  ['hello world'],
  ['query: where is the station?', 'passage: the station is two streets away', 'tiny', 'another text of middling length here'],
  ['Héllo wörld, ünïcödé', '日本語のテキスト', '   spaces   '],
];

describe('concurrent calls on one model', function () {
  this.timeout(300_000);
  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    await initBackend(DEVICE);
  });

  it('concurrent encode calls (mixed batch sizes, prompts, normalization) equal the same calls made alone', async () => {
    const model = await SentenceTransformer.load(fixture('models', 'tiny-bert'));
    try {
      const calls = TEXTS.flatMap((t, i) => [
        { t, o: { batchSize: 1 + (i % 3) } },
        { t, o: { normalizeEmbeddings: true, batchSize: 2 } },
        { t, o: { prompt: 'query: ', batchSize: 64 } },
      ]);
      const alone: number[][][] = [];
      for (const c of calls) alone.push(bits((await model.encode(c.t, c.o)) as Float32Array[]));
      const before = tf.memory().numTensors;
      for (let round = 0; round < 3; round++) {
        const together = await Promise.all(calls.map((c) => model.encode(c.t, c.o)));
        together.forEach((r, i) => assert.deepEqual(bits(r as Float32Array[]), alone[i], `round ${round}, call ${i}`));
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });

  it('concurrent predict calls on a cross-encoder equal the same calls made alone', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'])) return;
    const ce = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'));
    try {
      const pairs = TEXTS.map((t) => t.map((s, j) => [s, TEXTS[(j + 1) % TEXTS.length][0]] as [string, string]));
      const alone: unknown[] = [];
      for (const p of pairs) alone.push(Array.from((await ce.predict(p, { batchSize: 2 })) as ArrayLike<number>));
      const before = tf.memory().numTensors;
      const together = await Promise.all(pairs.map((p) => ce.predict(p, { batchSize: 2 })));
      together.forEach((r, i) => assert.deepEqual(Array.from(r as ArrayLike<number>), alone[i], `call ${i}`));
      assert.equal(tf.memory().numTensors, before);
    } finally {
      ce.dispose();
    }
  });

  it('encode and predict interleaved on two models at once equal their results alone', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'])) return;
    const st = await SentenceTransformer.load(fixture('models', 'tiny-bert'));
    const ce = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'));
    try {
      const e0 = bits((await st.encode(TEXTS[2])) as Float32Array[]);
      const p0 = Array.from((await ce.predict([['a', 'b'], ['c', 'd']])) as ArrayLike<number>);
      const [e1, p1, e2] = await Promise.all([st.encode(TEXTS[2]), ce.predict([['a', 'b'], ['c', 'd']]), st.encode(TEXTS[2], { batchSize: 1 })]);
      assert.deepEqual(bits(e1 as Float32Array[]), e0);
      assert.deepEqual(bits(e2 as Float32Array[]), e0);
      assert.deepEqual(Array.from(p1 as ArrayLike<number>), p0);
    } finally {
      st.dispose();
      ce.dispose();
    }
  });

  it('1,000 small encodes (100 waves of 10 concurrent calls) leak no tensor and keep RSS flat', async () => {
    const model = await SentenceTransformer.load(fixture('models', 'tiny-bert'));
    try {
      for (let i = 0; i < 20; i++) await model.encode([`warm up ${i}`]); // caches, kernels, pools
      global.gc?.();
      const tensors = tf.memory().numTensors;
      const rss0 = process.memoryUsage().rss;
      for (let wave = 0; wave < 100; wave++) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => model.encode([`sentence ${wave} ${j}`, 'and another'])));
      }
      global.gc?.();
      const grew = (process.memoryUsage().rss - rss0) / 2 ** 20;
      assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
      // RSS is noisy (allocator, JIT); a leak of even 1 KiB per encode would show as ~1 MiB here, a tensor leak as far more.
      assert.ok(grew < 40, `RSS grew ${grew.toFixed(1)} MiB over 1,000 encodes`);
    } finally {
      model.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { l2Normalize, l2NormalizeRowF32 } from '../src/modules/normalize.js';
import { meanPoolAllAttended, pool, poolingConfigFromMode } from '../src/pooling/pooling.js';
import { initBackend } from '../src/backends/index.js';
import { absolutePositionIds, type Embeddings } from '../src/layers/embeddings.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, referenceParts } from './helpers/st_reference.js';

/**
 * The one-sequence encode (a batch of one on wasm: pooling and normalization on the read-back token rows) against
 * the per-op path it replaces (the pipeline's Pooling and Normalize modules as tf ops, then encode's truncation
 * and normalization as tf ops), bit for bit.
 */
describe('encode of one sequence on wasm (pooling and normalize on the read-back rows)', function () {
  this.timeout(300_000);

  /**
   * The bits (`.view(int32)`), so that -0 / 0 count; every NaN as one value: a NaN's sign and payload are the
   * engine's (x64's division gives a negative NaN, wasm keeps it, V8's Math.max may give either), not numbers.
   */
  const bits = (a: Float32Array): number[] => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length), (b, i) => (Number.isNaN(a[i]) ? 0x7fc00000 : b));

  /** encode([text]) the per-op way: forward through every module, then truncate and normalize as tf ops. */
  function perOp(m: SentenceTransformer, text: string, opts: { truncateDim?: number; normalizeEmbeddings?: boolean }): Float32Array {
    const batch = m.tokenize([text]);
    const f = m.forward(batch);
    const out = tf.tidy(() => {
      let e = f.sentenceEmbedding!;
      if (opts.truncateDim !== undefined) e = tf.slice(e, [0, 0], [1, opts.truncateDim]);
      if (opts.normalizeEmbeddings) e = l2Normalize(e);
      return e;
    });
    const data = out.dataSync() as Float32Array;
    tf.dispose([out, ...Object.values(f).filter((t): t is tf.Tensor => t instanceof tf.Tensor)]);
    return data;
  }

  before(async function () {
    await initBackend('wasm');
  });

  it('meanPoolAllAttended and l2NormalizeRowF32 give the tf ops\' bits on wasm (300 random [1, T, 384], T 1-40, scales 1e-3 to 1e4)', () => {
    let seed = 7;
    for (let it = 0; it < 300; it++) {
      const T = 1 + (it % 40);
      const scale = [1e-3, 1, 30, 1e4][it % 4]!;
      const x = tf.tidy(() => tf.mul(tf.randomNormal([1, T, 384], 0, 1, 'float32', seed++), scale)) as tf.Tensor3D;
      const mask = tf.ones([1, T], 'int32') as tf.Tensor2D;
      const ref = tf.tidy(() => l2Normalize(pool(x, mask, poolingConfigFromMode(384, 'mean'))));
      const row = meanPoolAllAttended(x.dataSync() as Float32Array, T, 384);
      l2NormalizeRowF32(row);
      assert.deepEqual(bits(row), bits(ref.dataSync() as Float32Array), `case ${it} (T ${T}, scale ${scale})`);
      tf.dispose([x, mask, ref]);
    }
  });

  it('l2NormalizeRowF32 of zeros, NaN and infinity rows gives what l2Normalize gives (NaN where it gives NaN)', () => {
    for (const r of [[0, 0, 0, 0], [NaN, 1, 2, 3], [Infinity, 1, 2, 3], [-0, 1e-30, 0, 0]]) {
      const row = Float32Array.from(r);
      l2NormalizeRowF32(row);
      const t = tf.tensor2d([r]);
      const ref = l2Normalize(t);
      assert.deepEqual(bits(row), bits(ref.dataSync() as Float32Array), JSON.stringify(r));
      tf.dispose([t, ref]);
    }
  });

  it('the embedding block of a batch of one (LayerNorm(e + positions) in one call) equals tf.add then LayerNorm bit for bit', async function () {
    if (!requireFixtures(this as unknown as Mocha.Context, ['models', 'minilm-l6-full'])) return;
    const m = await SentenceTransformer.load(fixture('models', 'minilm-l6-full'), { device: 'wasm' });
    try {
      const emb = (m.transformer.model as unknown as { embeddings: Embeddings }).embeddings;
      for (const text of ['a', 'how do I bake bread?', 'query: the quick brown fox '.repeat(20)]) {
        const batch = m.tokenize([text]);
        const T = batch.seqLength;
        const [got, want] = tf.tidy(() => {
          const ids = tf.tensor2d(batch.inputIds, [1, T], 'int32');
          const types = tf.tensor2d(batch.tokenTypeIds!, [1, T], 'int32');
          const pos = absolutePositionIds(T); // [1, T]
          const e = tf.add(emb.word.apply(ids), emb.tokenType!.apply(types));
          return [emb.apply(ids, pos, types), emb.norm.apply(tf.add(e, emb.position.apply(pos)))];
        });
        assert.deepEqual(bits(got.dataSync() as Float32Array), bits(want.dataSync() as Float32Array), text.slice(0, 30));
        tf.dispose([got, want]);
      }
    } finally {
      m.dispose();
    }
  });

  for (const name of ['minilm-l6-full', 'tiny-bert', 'tiny-mpnet'] as const) {
    describe(name, () => {
      let m: SentenceTransformer;
      let texts: string[];
      before(async function () {
        if (!requireFixtures(this as unknown as Mocha.Context, ...referenceParts('tiny-bert'), ['models', name])) return;
        m = await SentenceTransformer.load(fixture('models', name), { device: 'wasm' });
        texts = [...loadReference('tiny-bert').json.texts, '', 'a', 'query: how do I bake bread? '.repeat(60)];
      });
      after(() => m?.dispose());

      for (const opts of [{}, { normalizeEmbeddings: true }, { truncateDim: 16 }, { truncateDim: 16, normalizeEmbeddings: true }]) {
        it(`encode([text]) equals the per-op path bit for bit (${JSON.stringify(opts)})`, async () => {
          for (const t of texts) {
            const [got] = await m.encode([t], opts);
            assert.deepEqual(bits(got!), bits(perOp(m, t, opts)), JSON.stringify(t.slice(0, 40)));
          }
        });
      }

      it('runs no pooling, normalize or id-range op (no Sum, Sqrt, RealDiv, Max or Min kernel) and leaves numTensors flat', async () => {
        await m.encode([texts[0]!], { normalizeEmbeddings: true });
        const before = tf.memory().numTensors;
        const prof = await tf.profile(async () => {
          await m.encode([texts[0]!], { normalizeEmbeddings: true });
          return [] as tf.Tensor[];
        });
        const names = prof.kernels.map((k) => k.name);
        for (const k of ['Sum', 'Sqrt', 'RealDiv', 'Max', 'Min']) assert.ok(!names.includes(k), `${k} in ${names.join(', ')}`);
        assert.equal(tf.memory().numTensors, before);
        // the control: two texts take the batched path, whose pooling sums with tf ops
        const two = await tf.profile(async () => {
          await m.encode([texts[0]!, texts[1]!], { normalizeEmbeddings: true });
          return [] as tf.Tensor[];
        });
        assert.ok(two.kernels.some((k) => k.name === 'Sum'), two.kernels.map((k) => k.name).join(', '));
      });

      it('a batch of several texts keeps the batched path, and one-at-a-time equals it within 1e-6', async () => {
        const all = await m.encode(texts.slice(0, 8), { batchSize: 8, normalizeEmbeddings: true });
        for (let i = 0; i < 8; i++) {
          const [one] = await m.encode([texts[i]!], { normalizeEmbeddings: true });
          let d = 0;
          for (let j = 0; j < one!.length; j++) d = Math.max(d, Math.abs(one![j]! - all[i]![j]!));
          assert.ok(d <= 1e-6, `text ${i}: ${d}`);
        }
      });
    });
  }
});

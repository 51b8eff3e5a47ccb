/**
 * Runs on a bare clone (no ../shared fixtures): a random tiny sentence-transformers directory built in the test
 * (test/helpers/tiny_checkpoint.ts) goes through the real loader, tokenizer, encoder and pipeline.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { SafetensorsFile } from '../src/formats/safetensors.js';
import { removeTinyCheckpoint, tinySentenceTransformerFiles, writeTinySentenceTransformer } from './helpers/tiny_checkpoint.js';

const TEXTS = [
  'the quick brown fox',
  'a cat sat on the mat.',
  'hello world!',
  'the man is eating food and playing guitar',
  'transformers tokenize sentences',
  'sky',
  'the lazy dog jumped over the quick brown fox, and it is blue in the sun',
];

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((a, x) => a + x * x, 0));

describe('tiny random checkpoint built in the test (bare clone, wasm)', function () {
  this.timeout(120_000);
  let dir = '';
  let model: SentenceTransformer;

  before(async () => {
    dir = writeTinySentenceTransformer({ seed: 7 });
    model = await SentenceTransformer.load(dir, { device: 'wasm' });
  });
  after(() => {
    model?.dispose();
    if (dir) removeTinyCheckpoint(dir);
  });

  it('the builder is deterministic and writes HF BertModel keys in PyTorch [out, in] layout', () => {
    const a = tinySentenceTransformerFiles({ seed: 3 });
    const b = tinySentenceTransformerFiles({ seed: 3 });
    assert.deepEqual(a['model.safetensors'], b['model.safetensors']);
    const file = SafetensorsFile.parse(a['model.safetensors'] as Uint8Array, 'tiny');
    assert.deepEqual(file.info('encoder.layer.1.intermediate.dense.weight').shape, [64, 32]);
    assert.deepEqual(file.info('encoder.layer.1.output.dense.weight').shape, [32, 64]);
    assert.ok(file.has('pooler.dense.weight'));
    assert.ok(!file.has('encoder.layer.2.output.dense.weight'));
  });

  it('loads and encodes: one finite 32-dim row per text, different texts give different rows', async () => {
    assert.equal(model.getSentenceEmbeddingDimension(), 32);
    const rows = (await model.encode(TEXTS)) as Float32Array[];
    assert.equal(rows.length, TEXTS.length);
    for (const r of rows) {
      assert.ok(r instanceof Float32Array);
      assert.equal(r.length, 32);
      assert.ok(r.every(Number.isFinite));
    }
    assert.notDeepEqual(rows[0], rows[1]);
  });

  it('batched encoding equals one-text-at-a-time encoding bit for bit', async () => {
    const batched = (await model.encode(TEXTS, { batchSize: TEXTS.length })) as Float32Array[];
    const pairs = (await model.encode(TEXTS, { batchSize: 2 })) as Float32Array[];
    for (let i = 0; i < TEXTS.length; i++) {
      const [single] = (await model.encode([TEXTS[i]])) as Float32Array[];
      assert.deepEqual(batched[i], single, `text ${i} in a batch of ${TEXTS.length}`);
      assert.deepEqual(pairs[i], single, `text ${i} in batches of 2`);
    }
  });

  it('normalizeEmbeddings gives unit-norm rows in the direction of the raw ones', async () => {
    const raw = (await model.encode(TEXTS)) as Float32Array[];
    const unit = (await model.encode(TEXTS, { normalizeEmbeddings: true })) as Float32Array[];
    for (let i = 0; i < TEXTS.length; i++) {
      assert.ok(Math.abs(norm(unit[i]) - 1) < 1e-6, `row ${i}: norm ${norm(unit[i])}`);
      const n = norm(raw[i]);
      for (let j = 0; j < 32; j++) assert.ok(Math.abs(unit[i][j] - raw[i][j] / n) < 1e-6, `row ${i} [${j}]`);
    }
  });

  it('leaks no tensors: tf.memory().numTensors is the same before and after encoding (arrays and tensors out)', async () => {
    await model.encode(TEXTS); // warm-up: kernels and caches created on first use
    const before = tf.memory().numTensors;
    await model.encode(TEXTS, { batchSize: 3 });
    await model.encode(TEXTS, { normalizeEmbeddings: true, precision: 'ubinary' });
    const t = (await model.encode(TEXTS, { convertToTensor: true })) as tf.Tensor;
    assert.deepEqual(t.shape, [TEXTS.length, 32]);
    t.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('tiny random checkpoint with a Normalize module (bare clone, wasm)', function () {
  this.timeout(120_000);

  it('a modules.json ending in Normalize gives unit-norm embeddings without the option', async () => {
    const dir = writeTinySentenceTransformer({ seed: 11, normalize: true });
    const model = await SentenceTransformer.load(dir, { device: 'wasm' });
    try {
      const rows = (await model.encode(TEXTS)) as Float32Array[];
      for (const [i, r] of rows.entries()) assert.ok(Math.abs(norm(r) - 1) < 1e-6, `row ${i}: norm ${norm(r)}`);
    } finally {
      model.dispose();
      removeTinyCheckpoint(dir);
    }
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/backends/index.js';
import { parsePoolingConfig } from '../src/modules/pooling.js';
import {
  pool,
  poolingConfigFromMode,
  poolingModeString,
  poolingOutputDimension,
} from '../src/pooling/pooling.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, maxAbsDiff, referenceParts } from './helpers/st_reference.js';

const MODES = ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken', 'cls+mean+max'];

describe('Pooling (sentence-transformers Pooling module)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  describe('on tiny-bert-pooling reference token embeddings', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ...referenceParts('tiny-bert-pooling'), ['models', 'tiny-bert-pooling', 'pooling_configs']);
    });
    for (const mode of MODES) {
      it(`${mode} pooling matches Python within 1e-5`, () => {
        const ref = loadReference('tiny-bert-pooling');
        const cfg = parsePoolingConfig(
          JSON.parse(readFileSync(fixture('models', 'tiny-bert-pooling', 'pooling_configs', mode, 'config.json'), 'utf8')),
          mode,
        );
        assert.equal(poolingModeString(cfg), mode === 'cls+mean+max' ? 'cls+max+mean' : mode);
        const [B, T, H] = ref.shape('batch.last_hidden_state');
        const mask = ref.json.batch.attention_mask as number[][];
        const got = tf.tidy(() => {
          const te = tf.tensor3d(ref.flat('batch.last_hidden_state'), [B, T, H]);
          const am = tf.tensor2d(mask.flat(), [B, T], 'int32');
          return pool(te, am, cfg).arraySync();
        });
        const expected = ref.rows(`pooling.${mode}.embeddings`);
        assert.equal(got[0].length, poolingOutputDimension(cfg));
        assert.equal(got[0].length, expected[0].length);
        const d = maxAbsDiff(got, expected);
        assert.ok(d <= 1e-5, `max abs diff ${d}`);
      });
    }
  });

  it('mean pooling ignores padding', () => {
    const cfg = poolingConfigFromMode(2, 'mean');
    const out = tf.tidy(() =>
      pool(tf.tensor3d([[[1, 2], [3, 4], [100, 100]]]), tf.tensor2d([[1, 1, 0]], [1, 3], 'int32'), cfg).arraySync(),
    );
    assert.deepEqual(out, [[2, 3]]);
  });

  it('max pooling ignores padding even when padded values are larger', () => {
    const cfg = poolingConfigFromMode(2, 'max');
    const out = tf.tidy(() =>
      pool(tf.tensor3d([[[-5, 2], [-3, -4], [100, 100]]]), tf.tensor2d([[1, 1, 0]], [1, 3], 'int32'), cfg).arraySync(),
    );
    assert.deepEqual(out, [[-3, 2]]);
  });

  it('lasttoken pooling takes the last unmasked token', () => {
    const cfg = poolingConfigFromMode(1, 'lasttoken');
    const out = tf.tidy(() =>
      pool(tf.tensor3d([[[1], [2], [3]], [[4], [5], [6]]]), tf.tensor2d([[1, 1, 0], [1, 1, 1]], [2, 3], 'int32'), cfg).arraySync(),
    );
    assert.deepEqual(out, [[2], [6]]);
  });

  it('weightedmean weights position i by i+1', () => {
    const cfg = poolingConfigFromMode(1, 'weightedmean');
    const out = tf.tidy(() => pool(tf.tensor3d([[[1], [4], [9]]]), tf.tensor2d([[1, 1, 0]], [1, 3], 'int32'), cfg).arraySync());
    assert.ok(Math.abs(out[0][0] - (1 * 1 + 4 * 2) / 3) < 1e-6);
  });

  it('mean_sqrt_len_tokens divides the sum by the square root of the length', () => {
    const cfg = poolingConfigFromMode(1, 'mean_sqrt_len_tokens');
    const out = tf.tidy(() => pool(tf.tensor3d([[[2], [6], [1], [1]]]), tf.tensor2d([[1, 1, 1, 1]], [1, 4], 'int32'), cfg).arraySync());
    assert.ok(Math.abs(out[0][0] - 10 / 2) < 1e-6);
  });

  it('include_prompt false masks out the prompt tokens', () => {
    const cfg = { ...poolingConfigFromMode(1, 'mean'), includePrompt: false };
    const out = tf.tidy(() =>
      pool(tf.tensor3d([[[10], [20], [3], [5]]]), tf.tensor2d([[1, 1, 1, 1]], [1, 4], 'int32'), cfg, { promptLength: 2 }).arraySync(),
    );
    assert.deepEqual(out, [[4]]);
  });

  it('combined modes concatenate in Python order cls, max, mean', () => {
    const cfg = poolingConfigFromMode(1, 'mean+cls+max');
    assert.equal(poolingModeString(cfg), 'cls+max+mean');
    const out = tf.tidy(() => pool(tf.tensor3d([[[1], [5], [3]]]), tf.tensor2d([[1, 1, 1]], [1, 3], 'int32'), cfg).arraySync());
    assert.deepEqual(out, [[1, 5, 3]]);
  });

  it('pooling leaks no tensors', () => {
    const cfg = poolingConfigFromMode(2, 'cls+max+mean+mean_sqrt_len_tokens+weightedmean+lasttoken');
    const te = tf.tensor3d([[[1, 2], [3, 4]]]);
    const am = tf.tensor2d([[1, 0]], [1, 2], 'int32');
    const before = tf.memory().numTensors;
    pool(te, am, cfg).dispose();
    assert.equal(tf.memory().numTensors, before);
    te.dispose();
    am.dispose();
  });

  it('rejects an unknown config key and an unknown mode, naming them; no mode flag means mean (6.0.1)', () => {
    assert.throws(() => parsePoolingConfig({ word_embedding_dimension: 4, pooling_mode_foo: true }), /pooling_mode_foo/);
    assert.throws(() => poolingConfigFromMode(4, 'median'), /median/);
    assert.equal(poolingModeString(parsePoolingConfig({ word_embedding_dimension: 4 })), 'mean');
  });
});

describe('Pooling gradients on every backend (cls and lasttoken pick rows)', () => {
  // The picked rows' gradient: an independent expectation written out by hand (1 at the picked token of each row,
  // 0 elsewhere), on cpu and on wasm, whose backend has no UnsortedSegmentSum for tf.gather's own gradient.
  const B = 2;
  const T = 4;
  const H = 3;
  const mask = [
    [1, 1, 1, 0], // right padding: cls = token 0, lasttoken = token 2
    [0, 1, 1, 1], // left padding: cls = first attended token 1, lasttoken = token 3
  ];
  const picked: Record<string, number[]> = { cls: [0, 1], lasttoken: [2, 3] };
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const mode of ['cls', 'lasttoken'] as const) {
      it(`${mode} pooling's gradient is 1 at the picked token and 0 elsewhere on ${backend}`, async () => {
        await initBackend(backend);
        try {
          const before = tf.memory().numTensors;
          const x = tf.tensor3d(Array.from({ length: B * T * H }, (_, i) => Math.sin(i + 1)), [B, T, H]);
          const m = tf.tensor2d(mask, [B, T]);
          const cfg = poolingConfigFromMode(H, mode);
          const g = tf.grad((e: tf.Tensor) => tf.sum(pool(e as tf.Tensor3D, m, cfg)))(x);
          const got = g.arraySync() as number[][][];
          const want = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: H }, () => (t === picked[mode]![b] ? 1 : 0))));
          assert.deepEqual(got, want);
          tf.dispose([x, m, g]);
          assert.equal(tf.memory().numTensors, before);
        } finally {
          await tf.setBackend('cpu');
        }
      });
    }
  }
});

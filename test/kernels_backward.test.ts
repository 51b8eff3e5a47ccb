import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The stock ops' gradients (tfjs-core registers none by itself; the @tensorflow/tfjs umbrella imports these).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels, installWasmKernels } from '../src/kernels/index.js';
import { WeightMap } from '../src/weights/index.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir } from '../src/weights/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import { readConfig } from './helpers/models.js';
import { modelDir } from './helpers/reference.js';

/** The weight map's tensors (what the model computes with), by name. */
function tensorsOf(wm: WeightMap): [string, tf.Tensor][] {
  return [...(wm as unknown as { shared: { cache: Map<string, tf.Tensor> } }).shared.cache.entries()];
}

function withEnv<T>(name: string, value: string, f: () => T): T {
  const was = process.env[name];
  process.env[name] = value;
  try {
    return f();
  } finally {
    if (was === undefined) delete process.env[name];
    else process.env[name] = was;
  }
}

function kernelsOff<T>(f: () => T): T {
  disableWasmKernels();
  try {
    return f();
  } finally {
    enableWasmKernels();
  }
}

/** Largest |a - b| over all entries. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('wasm backward kernels on a whole model', () => {
  before(async function () {
    requireFixtures(this);
    assert.equal(await initBackend('wasm', { fallbackToCpu: false }), 'wasm');
    assert.equal(await installWasmKernels(), true);
  });

  it('tiny-bert: gradients of the summed mean-pooled embedding agree (backward kernels, stock backward, stock ops, cpu) within 1e-5, and repeated calls leak nothing', async () => {
    const wm = WeightMap.from(await loadCheckpointDir(modelDir('tiny-bert')));
    const model = createModel(readConfig('tiny-bert'), wm);
    // Ragged lengths (7 tokens and 4 + padding): 2 x 7 rows, not a multiple of the GEMM's four-row tiles.
    const ids = tf.tensor2d([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 2023, 2003, 102, 0, 0, 0]], [2, 7], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]], [2, 7], 'int32');
    try {
      tf.dispose(model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState); // materialise the weights
      const named = tensorsOf(wm).filter(([, t]) => t.dtype === 'float32');
      const params = named.map(([, t]) => t);
      // loss = sum over texts of the masked mean of the last hidden state (Pooling 'mean').
      const loss = (...ws: tf.Tensor[]): tf.Scalar => {
        void ws;
        const h = model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState; // [B, T, H]
        const m = tf.expandDims(tf.cast(mask, 'float32'), 2); // [B, T, 1]
        return tf.sum(tf.div(tf.sum(tf.mul(h, m), 1), tf.sum(m, 1))) as tf.Scalar;
      };
      const run = (): Float32Array[] => {
        const grads = tf.grads(loss)(params);
        const out = grads.map((g) => g.dataSync().slice() as Float32Array);
        tf.dispose(grads);
        return out;
      };
      const prof = await tf.profile(() => {
        tf.dispose(tf.grads(loss)(params));
        return [] as unknown as tf.Tensor;
      });
      const ran = new Set(prof.kernels.map((k) => k.name));
      for (const k of ['SentenceTfjsLinearGrad', 'SentenceTfjsLinearQKVGrad', 'SentenceTfjsAttentionGrad', 'SentenceTfjsGeluErfGrad', 'SentenceTfjsAddLayerNormGrad', 'SentenceTfjsScatterAddRows']) {
        assert.ok(ran.has(k), `${k} ran in the backward pass`);
      }
      const before = tf.memory().numTensors;
      const on = run();
      for (let i = 0; i < 4; i++) run();
      assert.equal(tf.memory().numTensors, before, 'numTensors flat over repeated gradient calls');
      const stockBackward = withEnv('SENTENCE_TFJS_WASM_GRAD_KERNELS', '0', run);
      const off = kernelsOff(run);
      await initBackend('cpu');
      let cpu: Float32Array[];
      try {
        cpu = run();
      } finally {
        await initBackend('wasm');
      }
      let worst = 0;
      named.forEach(([name], i) => {
        const scale = stockBackward[i].reduce((m, x) => Math.max(m, Math.abs(x)), 1e-30);
        // The key biases' gradient is zero up to rounding (softmax ignores a per-row constant): absolute 1e-6.
        const keyBias = /\.key\.bias$/.test(name);
        for (const [what, ref] of [['stock backward', stockBackward[i]], ['stock ops', off[i]], ['cpu', cpu[i]]] as const) {
          const d = maxDiff(on[i], ref);
          if (!keyBias) worst = Math.max(worst, d / scale);
          assert.ok(keyBias ? d <= 1e-6 : d <= 1e-5 * scale, `${name}: backward kernels vs ${what}: max diff ${d} (largest gradient ${scale})`);
        }
      });
      assert.ok(worst < 1e-5, `worst relative diff ${worst}`);
    } finally {
      tf.dispose([ids, mask]);
      model.dispose();
    }
  });
});

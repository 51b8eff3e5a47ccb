import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
// The stock ops' gradients (tfjs-core registers none by itself; the @tensorflow/tfjs umbrella imports these).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/backends/index.js';
import { addLayerNorm, attention, dense, denseQkv, disableWasmKernels, enableWasmKernels, gatherRows, gelu, installWasmKernels } from '../src/kernels/index.js';
import { AttentionMask } from '../src/layers/attention_mask.js';
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

describe('wasm backward kernels: training steps', () => {
  before(async () => {
    assert.equal(await initBackend('wasm', { fallbackToCpu: false }), 'wasm');
    assert.equal(await installWasmKernels(), true);
  });

  const rnd = (shape: number[], seed: number, scale = 0.5): tf.Tensor => {
    let s = seed >>> 0;
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = (s / 4294967296 - 0.5) * 2 * scale;
    }
    return tf.tensor(data, shape);
  };

  it('attention backward at T = 150 (grouped-query, causal window, padding; not a tile multiple) equals the stock backward within 1e-5', async () => {
    const [q, k, v] = [rnd([2, 150, 48], 1), rnd([2, 150, 16], 2), rnd([2, 150, 16], 3)];
    const raw = tf.tensor2d(Array.from({ length: 300 }, (_, i) => (i < 150 || i % 150 < 97 ? 1 : 0)), [2, 150], 'int32');
    const weights = rnd([2, 150, 48], 4);
    const grads = () =>
      tf.tidy(() => {
        const m = AttentionMask.additive(raw);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(attention({ q: a as tf.Tensor3D, k: b as tf.Tensor3D, v: c as tf.Tensor3D }, { numHeads: 6, numKvHeads: 2, mask: m, causal: true, window: 40 }).context, weights)),
        )([q, k, v]);
        m.dispose();
        return g;
      });
    const on = grads();
    const off = withEnv('SENTENCE_TFJS_WASM_GRAD_KERNELS', '0', grads);
    on.forEach((g, i) => {
      const ref = off[i].dataSync() as Float32Array;
      const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const d = maxDiff(g.dataSync() as Float32Array, ref);
      assert.ok(scale > 0 && d <= 1e-5 * scale, `input ${i}: max diff ${d} (largest ${scale})`);
    });
    tf.dispose([on, off, q, k, v, raw, weights]);
  });

  it('100 SGD steps of tf.variableGrads through the fused ops leak no tensor and follow the stock backward within 1e-5', async () => {
    const train = (steps: number): { losses: number[]; params: Float32Array[] } => {
      const init = [rnd([50, 16], 10), rnd([16, 16], 11), rnd([16, 16], 12), rnd([16, 16], 13), rnd([16], 14), rnd([16], 15), rnd([16], 16), rnd([16, 24], 17), rnd([24], 18), rnd([16], 19, 0.1), rnd([16], 20)];
      const vars = init.map((t, i) => {
        const v = tf.variable(i === 9 ? tf.add(t, 1) : t, true);
        t.dispose();
        return v;
      });
      const [emb, wq, wk, wv, bq, bk, bv, w1, b1, g, beta] = vars as unknown as tf.Tensor2D[];
      const ids = tf.tensor2d([[1, 5, 9, 13, 2, 0, 0], [3, 3, 8, 49, 7, 11, 4]], [2, 7], 'int32');
      const raw = tf.tensor2d([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], [2, 7], 'int32');
      const target = rnd([2, 7, 24], 21);
      const mask = AttentionMask.additive(raw);
      const loss = (): tf.Scalar =>
        tf.tidy(() => {
          const x = gatherRows(emb, ids) as tf.Tensor3D; // [2, 7, 16]
          const ctx = attention(denseQkv(x, { weight: wq, bias: bq as unknown as tf.Tensor1D }, { weight: wk, bias: bk as unknown as tf.Tensor1D }, { weight: wv, bias: bv as unknown as tf.Tensor1D }), { numHeads: 2, mask }).context;
          const h = addLayerNorm(ctx, x, g as unknown as tf.Tensor1D, beta as unknown as tf.Tensor1D, 1e-12);
          return tf.mean(tf.square(tf.sub(gelu(dense(h, w1, b1 as unknown as tf.Tensor1D)), target))) as tf.Scalar;
        });
      const losses: number[] = [];
      let before = 0;
      for (let s = 0; s < steps; s++) {
        const { value, grads } = tf.variableGrads(loss, vars);
        losses.push(value.dataSync()[0]);
        for (const v of vars) {
          const next = tf.tidy(() => tf.sub(v, tf.mul(grads[v.name], 0.5)));
          v.assign(next);
          next.dispose();
        }
        tf.dispose([value, ...Object.values(grads)]); // spread-ok: 11 gradients
        if (s === 0) before = tf.memory().numTensors; // after a first step (which may make one-time tensors)
      }
      assert.equal(tf.memory().numTensors, before, `numTensors flat over steps 2 to ${steps}`);
      const params = vars.map((v) => v.dataSync().slice() as Float32Array);
      tf.dispose([ids, raw, target, ...vars]); // spread-ok: 11 variables
      mask.dispose();
      return { losses, params };
    };
    const on = train(100);
    const stock = withEnv('SENTENCE_TFJS_WASM_GRAD_KERNELS', '0', () => train(100));
    assert.ok(on.losses[99] < 0.5 * on.losses[0], `the loss falls: ${on.losses[0]} -> ${on.losses[99]}`);
    on.losses.forEach((l, i) => assert.ok(Math.abs(l - stock.losses[i]) <= 1e-5 * stock.losses[i], `step ${i}: loss ${l} vs ${stock.losses[i]}`));
    on.params.forEach((p, i) => {
      const d = maxDiff(p, stock.params[i]);
      assert.ok(d <= 1e-5, `parameter ${i} after 100 steps: max diff ${d}`);
    });
  });
});

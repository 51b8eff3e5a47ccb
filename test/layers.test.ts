import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { gelu, geluTanh, getActivation, silu } from '../src/layers/activations.js';
import { attention } from '../src/kernels/ops.js';
import { extendedAttentionMask, FLOAT32_MIN, softmaxLastAxis } from '../src/kernels/stock.js';
import { AttentionMask } from '../src/layers/attention_mask.js';
import { LayerNorm } from '../src/layers/layer_norm.js';
import { Linear } from '../src/layers/linear.js';
import { SafetensorsFile, serializeSafetensors, WeightMap } from '../src/weights/index.js';
import { assertClose } from './helpers/reference.js';

/** Float64 LayerNorm over the last axis of rows. */
function layerNormRef(rows: number[][], w: number[], b: number[], eps: number): number[][] {
  return rows.map((r) => {
    const mean = r.reduce((a, x) => a + x, 0) / r.length;
    const variance = r.reduce((a, x) => a + (x - mean) ** 2, 0) / r.length;
    return r.map((x, i) => ((x - mean) / Math.sqrt(variance + eps)) * w[i] + b[i]);
  });
}

for (const device of ['wasm', 'cpu'] as const) {
  describe(`layers (${device})`, () => {
    before(async () => {
      assert.equal(await initBackend(device, { fallbackToCpu: false }), device);
    });
    after(async () => {
      await initBackend('wasm'); // leave the default backend for the suites that follow
    });

    it('exact GELU is x * Phi(x) (erf form), not the tanh approximation', () => {
      // Phi = the standard normal CDF: Phi(1) = 0.8413447460685429, Phi(2) = 0.9772498680518208,
      // Phi(0.5) = 0.6914624612740131, Phi(-1) = 0.15865525393145707, Phi(-3) = 0.0013498980316301035.
      const x = [1, 2, 0.5, -1, -3, 0];
      const expected = [0.8413447460685429, 2 * 0.9772498680518208, 0.5 * 0.6914624612740131, -0.15865525393145707, -3 * 0.0013498980316301035, 0];
      const y = tf.tidy(() => gelu(tf.tensor1d(x)));
      assertClose(y, expected, 1e-6, 'gelu');
      // The tanh form differs from the exact one by more than 1e-4 near x = -3: the two must not be confused.
      const t = tf.tidy(() => geluTanh(tf.tensor1d([-3])));
      assert.ok(Math.abs(t.dataSync()[0] - expected[4]) > 1e-4);
      const tanhRef = -3 * 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (-3 + 0.044715 * -27)));
      assertClose(t, [tanhRef], 1e-6, 'gelu_new');
      tf.dispose([y, t]);
    });

    it('activations are looked up by their HF names; unknown names list the supported ones', () => {
      assert.equal(getActivation('gelu'), gelu);
      assert.equal(getActivation('swish'), silu);
      assert.equal(getActivation('gelu_pytorch_tanh'), geluTanh);
      assert.throws(() => getActivation('mish'), /unsupported hidden_act "mish"; supported: gelu, gelu_new, gelu_pytorch_tanh/);
      const r = tf.tidy(() => getActivation('relu')(tf.tensor1d([-1, 2])));
      assert.deepEqual(Array.from(r.dataSync()), [0, 2]);
      r.dispose();
    });

    it('LayerNorm uses the biased variance and eps inside the square root, as torch', () => {
      const rows = [
        [1, 2, 3, 4],
        [0.001, -0.002, 0.0005, 0], // tiny variance: eps matters
        [100, 100, 100, 100], // zero variance
      ];
      const w = [1, -2, 0.5, 3];
      const b = [0, 0.1, -0.2, 1];
      for (const eps of [1e-12, 1e-5]) {
        const ln = new LayerNorm(tf.tensor1d(w), tf.tensor1d(b), eps);
        const y = tf.tidy(() => ln.apply(tf.tensor2d(rows)));
        assertClose(y, layerNormRef(rows, w, b, eps).flat(), 2e-5, `LayerNorm eps ${eps}`);
        tf.dispose([y, ln.weight, ln.bias]);
      }
    });

    it('Linear computes x @ W^T + b from a PyTorch [out, in] checkpoint on any leading shape', () => {
      const file = SafetensorsFile.parse(
        serializeSafetensors({
          'fc.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
          'fc.bias': { dtype: 'F32', shape: [2], data: new Float32Array([0.5, -1]) },
        }),
      );
      const wm = WeightMap.from(file);
      const fc = Linear.load(wm, 'fc', 3, 2);
      const y = tf.tidy(() => fc.apply(tf.tensor3d([[[1, 0, -1], [2, 1, 0]]]))); // [1, 2, 3]
      assert.deepEqual(y.arraySync(), [[[-1.5, -3], [4.5, 12]]]);
      y.dispose();
      wm.dispose();
    });

    it('the extended mask is (1 - mask) * finfo(float32).min broadcast as [B, 1, 1, T]', () => {
      const m = tf.tidy(() => extendedAttentionMask(tf.tensor2d([[1, 1, 0]], [1, 3], 'int32')));
      assert.deepEqual(m.shape, [1, 1, 1, 3]);
      const v = m.dataSync();
      assert.ok(Object.is(v[0], -0), 'a kept key adds (1 - 1) * min = -0, as in torch');
      assert.equal(v[2], Math.fround(FLOAT32_MIN));
      assert.equal(FLOAT32_MIN, -3.4028234663852886e38);
      m.dispose();
    });

    it('attention gives masked keys probability exactly 0 and each row sums to 1', () => {
      const r = tf.tidy(() => {
        const x = tf.tensor3d([[[0.1, 0.2, 0.3, 0.4], [1, -1, 0.5, 0], [0.3, 0.3, -0.2, 0.9]]]); // [1, 3, 4]
        const raw = tf.tensor2d([[1, 1, 0]], [1, 3], 'int32');
        const [additive, fill] = [AttentionMask.additive(raw), AttentionMask.fill(raw)];
        const p = { q: x, k: x, v: tf.mul(x, 2) as tf.Tensor3D };
        const { context, probs } = attention(p, { numHeads: 2, mask: additive, outputProbs: true });
        const filled = attention(p, { numHeads: 2, mask: fill, scaleQuery: true, outputProbs: true });
        additive.dispose();
        fill.dispose();
        return { probs: probs!, context, filledProbs: filled.probs! };
      });
      const p = r.probs.arraySync() as number[][][][];
      assert.deepEqual(r.context.shape, [1, 3, 4]);
      for (const head of p[0]) {
        for (const row of head) {
          assert.equal(row[2], 0, 'masked key');
          assert.ok(Math.abs(row[0] + row[1] - 1) < 1e-6, 'row sums to 1');
        }
      }
      // DistilBERT's masked_fill + scaled queries gives the same probabilities here (up to rounding).
      assertClose(r.filledProbs, r.probs, 1e-6, 'masked_fill variant');
      tf.dispose(r as unknown as tf.TensorContainer);
    });

    it('softmax of a row does not depend on how many masked keys follow it', () => {
      const real = [0.3, -1.2, 2.5, 0.01, 0.7, -0.4, 1.9, 0.2, -2.2]; // 9 keys: not a multiple of the SIMD width
      const short = tf.tidy(() => softmaxLastAxis(tf.tensor2d([real])));
      const padded = tf.tidy(() => softmaxLastAxis(tf.tensor2d([[...real, ...new Array(119).fill(FLOAT32_MIN)]])));
      const a = short.dataSync();
      const b = padded.dataSync();
      for (let i = 0; i < real.length; i++) assert.equal(b[i], a[i], `key ${i}`);
      for (let i = real.length; i < 128; i++) assert.equal(b[i], 0);
      const den = real.reduce((s, x) => s + Math.exp(x), 0);
      assertClose(a, real.map((x) => Math.exp(x) / den), 1e-7, 'softmax vs float64');
      tf.dispose([short, padded]);
    });
  });
}

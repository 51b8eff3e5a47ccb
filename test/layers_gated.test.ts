/**
 * RMSNorm (Llama/Qwen `w * x_hat` and Gemma `(1 + w) * x_hat`) and the gated feed-forward blocks (separate
 * gate/up projections, and ModernBERT's fused `Wi` split in halves) against float64 computations in the test.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { geluTanh, silu } from '../src/layers/activations.js';
import { FusedGatedFeedForward, GatedFeedForward } from '../src/layers/gated_feed_forward.js';
import { Linear } from '../src/layers/linear.js';
import { RMSNorm } from '../src/layers/rms_norm.js';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** [rows, inF] x W^T ([outF, inF], PyTorch layout) in float64. */
function linear64(x: Float32Array, rows: number, inF: number, w: Float32Array, outF: number): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outF; o++) {
    let s = 0;
    for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
    y[r * outF + o] = s;
  }
  return y;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** A Linear from a PyTorch-layout weight [out, in] (transposed here as WeightMap.linear does). */
function linearFrom(w: Float32Array, inF: number, outF: number): Linear {
  const weight = tf.tidy(() => tf.transpose(tf.tensor2d(w, [outF, inF]))) as tf.Tensor2D;
  return new Linear({ weight }, inF, outF);
}

for (const device of ['wasm', 'cpu'] as const) {
  describe(`gated layers on ${device}`, function () {
    before(async () => {
      await initBackend(device);
    });

    it('RMSNorm scales x / rms(x) by w (Qwen) or by 1 + w (Gemma), matching float64 to 1e-6', function () {
      const rows = 5;
      const h = 12;
      const x = rand(rows * h, 1);
      const w = rand(h, 2);
      for (const offset of [0, 1]) {
        const before = tf.memory().numTensors;
        const weight = tf.tensor1d(w);
        const norm = new RMSNorm(weight, 1e-6, { offset });
        const xt = tf.tensor2d(x, [rows, h]);
        const y = norm.apply(xt);
        const got = y.dataSync();
        const want = new Float64Array(rows * h);
        for (let r = 0; r < rows; r++) {
          let ms = 0;
          for (let i = 0; i < h; i++) ms += x[r * h + i] ** 2;
          const inv = 1 / Math.sqrt(ms / h + 1e-6);
          for (let i = 0; i < h; i++) want[r * h + i] = x[r * h + i] * inv * (w[i] + offset);
        }
        assert.ok(maxRelDiff(got, want) < 1e-6, `offset ${offset}: ${maxRelDiff(got, want)}`);
        tf.dispose([y, xt, weight]);
        norm.dispose();
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      }
    });

    it('RMSNorm rejects a non-positive eps, naming it', function () {
      const w = tf.ones([4]) as tf.Tensor1D;
      assert.throws(() => new RMSNorm(w, 0), /eps must be a positive number, got 0/);
      w.dispose();
    });

    it('GatedFeedForward computes down(silu(gate(x)) * up(x)) as float64 does', function () {
      const rows = 3;
      const h = 8;
      const inter = 16;
      const x = rand(rows * h, 3);
      const [wg, wu, wd] = [rand(inter * h, 4), rand(inter * h, 5), rand(h * inter, 6)];
      const before = tf.memory().numTensors;
      const ffn = new GatedFeedForward(linearFrom(wg, h, inter), linearFrom(wu, h, inter), linearFrom(wd, inter, h), silu);
      const xt = tf.tensor2d(x, [rows, h]);
      const y = ffn.apply(xt);
      const g = linear64(x, rows, h, wg, inter);
      const u = linear64(x, rows, h, wu, inter);
      const mid = new Float32Array(rows * inter);
      for (let i = 0; i < mid.length; i++) mid[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
      const want = linear64(mid, rows, inter, wd, h);
      assert.ok(maxRelDiff(y.dataSync(), want) < 1e-5, String(maxRelDiff(y.dataSync(), want)));
      tf.dispose([y, xt, ffn.gate.weight, ffn.up.weight, ffn.down.weight]);
      assert.equal(tf.memory().numTensors, before);
    });

    it('FusedGatedFeedForward splits Wi(x) into (input, gate) and computes Wo(gelu_tanh(input) * gate)', function () {
      const rows = 4;
      const h = 6;
      const inter = 10;
      const x = rand(rows * h, 7);
      const wi = rand(2 * inter * h, 8);
      const wo = rand(h * inter, 9);
      const before = tf.memory().numTensors;
      const ffn = new FusedGatedFeedForward(linearFrom(wi, h, 2 * inter), linearFrom(wo, inter, h), geluTanh);
      const xt = tf.tensor2d(x, [rows, h]);
      const y = ffn.apply(xt);
      const z = linear64(x, rows, h, wi, 2 * inter);
      const mid = new Float32Array(rows * inter);
      const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
      for (let r = 0; r < rows; r++) for (let i = 0; i < inter; i++) {
        mid[r * inter + i] = tanhGelu(z[r * 2 * inter + i]) * z[r * 2 * inter + inter + i];
      }
      const want = linear64(mid, rows, inter, wo, h);
      assert.ok(maxRelDiff(y.dataSync(), want) < 1e-5, String(maxRelDiff(y.dataSync(), want)));
      tf.dispose([y, xt, ffn.wi.weight, ffn.wo.weight]);
      assert.equal(tf.memory().numTensors, before);
      const odd = linearFrom(rand(3 * h, 10), h, 3);
      assert.throws(() => new FusedGatedFeedForward(odd, odd, geluTanh), /even number of outputs, got 3/);
      odd.weight.dispose();
    });
  });
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { attentionKernel, addLayerNormKernel, gatherRowsKernel, geluKernel, linearKernel, linearQkvKernel, disableWasmKernels, enableWasmKernels, installWasmKernels, wasmKernelsActive, wasmKernelsFlavor } from '../src/kernels/index.js';
import { KERNELS_SOURCE_SHA256 } from '../src/kernels/wasm_kernels_binary.js';
import { attentionStock, extendedAttentionMask } from '../src/kernels/stock.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import { pseudoRandom, readConfig } from './helpers/models.js';
import { assertClose, modelDir } from './helpers/reference.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** erf in float64: its Maclaurin series (|x| <= 4, error < 1e-12) or the sign beyond (1 - erf(4) < 2e-8). */
function erf64(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x) * (1 - 1.541725790028002e-8 * Math.exp(16 - x * x));
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/**
 * erfc in float64 for z >= 1 by its continued fraction, exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...)))),
 * evaluated backwards from 4000 terms (converged to float64 for z >= 1); exp(-z^2) split so z^2 is not rounded first.
 */
function erfcTail64(z: number): number {
  let f = z;
  for (let k = 4000; k >= 1; k--) f = z + k / 2 / f;
  const zh = Math.round(z * 4096) / 4096;
  return (Math.exp(-zh * zh) * Math.exp(-(z - zh) * (z + zh))) / Math.sqrt(Math.PI) / f;
}

/** The stock-op attention (what non-wasm backends run), from projections [B, T, H]. */
function compositeAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number, mask: tf.Tensor2D, bias?: tf.Tensor4D, scaleQuery = false) {
  return tf.tidy(() =>
    attentionStock(q, k, v, { numHeads: heads, numKvHeads: heads, padding: { kind: 'additive', mask: extendedAttentionMask(mask) }, causal: false, bias, scaleQuery }),
  );
}

describe('wasm SIMD kernels', () => {
  before(async function () {
    assert.equal(await initBackend('wasm', { fallbackToCpu: false }), 'wasm');
    assert.equal(await installWasmKernels(), true, 'kernels install on the wasm backend');
  });

  it('the committed wasm binary was built from the committed kernels.c (run npm run build:kernels after editing it)', () => {
    const sha = createHash('sha256').update(readFileSync(join(ROOT, 'src/kernels/wasm/kernels.c'))).digest('hex');
    assert.equal(KERNELS_SOURCE_SHA256, sha);
  });

  it('kernels are active on wasm only, and can be switched off and on', async () => {
    assert.equal(wasmKernelsActive(), true);
    disableWasmKernels();
    try {
      assert.equal(wasmKernelsActive(), false);
      const x = tf.tensor1d([1, 2]);
      assert.equal(geluKernel(x), undefined, 'disabled: the caller falls back to stock ops');
      x.dispose();
    } finally {
      enableWasmKernels();
    }
    assert.equal(wasmKernelsActive(), true);
    await initBackend('cpu');
    try {
      assert.equal(wasmKernelsActive(), false);
      const x = tf.tensor1d([1, 2]);
      assert.equal(geluKernel(x), undefined);
      x.dispose();
    } finally {
      await initBackend('wasm');
    }
  });

  it('GELU kernel is exact-erf GELU within 2e-7 relative to float64 over [-10, 10]', () => {
    const n = 4003; // not a multiple of 4: the scalar tail runs too
    const xs = Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    const x = tf.tensor1d(xs);
    const y = geluKernel(x)!;
    const got = y.dataSync();
    const x32 = x.dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const v = x32[i];
      const ref = v * 0.5 * (1 + erf64(v / Math.SQRT2));
      const err = Math.abs(got[i] - ref) / Math.max(1, Math.abs(ref));
      worst = Math.max(worst, err);
    }
    assert.ok(worst <= 2e-7, `worst relative error ${worst}`);
    tf.dispose([x, y]);
  });

  it("GELU kernel's left tail (x < -sqrt 2, where 1 + erf cancels) is within 8e-6 of float64 relative to its value", () => {
    const n = 3001;
    const xs = Array.from({ length: n }, (_, i) => -9 + (7.5 * i) / (n - 1)); // [-9, -1.5]
    const x = tf.tensor1d(xs);
    const y = geluKernel(x)!;
    const got = y.dataSync();
    const x32 = x.dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const ref = x32[i] * 0.5 * erfcTail64(-x32[i] / Math.SQRT2);
      worst = Math.max(worst, Math.abs(got[i] - ref) / Math.abs(ref));
    }
    // 5.8e-6 measured (before and after session 21): the float32 rounding of z^2 before exp(-z^2) dominates it.
    assert.ok(worst <= 8e-6, `worst relative error ${worst}`);
    tf.dispose([x, y]);
  });

  it('residual + LayerNorm kernel matches float64 (biased variance, eps inside the root), with and without a residual', () => {
    const rows = 5;
    const h = 23; // odd width: the vector body and the scalar tail
    const x = pseudoRandom(rows * h, 1, 3);
    const r = pseudoRandom(rows * h, 2, 3);
    const g = pseudoRandom(h, 3, 1);
    const b = pseudoRandom(h, 4, 1);
    const eps = 1e-5;
    const ref = (withRes: boolean) => {
      const out: number[] = [];
      for (let i = 0; i < rows; i++) {
        const v = Array.from({ length: h }, (_, j) => x[i * h + j] + (withRes ? r[i * h + j] : 0));
        const mean = v.reduce((a, c) => a + c, 0) / h;
        const variance = v.reduce((a, c) => a + (c - mean) ** 2, 0) / h;
        for (let j = 0; j < h; j++) out.push(((v[j] - mean) / Math.sqrt(variance + eps)) * g[j] + b[j]);
      }
      return out;
    };
    const [xt, rt, gt, bt] = [tf.tensor2d(x, [rows, h]), tf.tensor2d(r, [rows, h]), tf.tensor1d(g), tf.tensor1d(b)];
    const withRes = addLayerNormKernel(xt, rt, gt, bt, eps)!;
    const plain = addLayerNormKernel(xt, undefined, gt, bt, eps)!;
    assertClose(withRes, ref(true), 2e-6, 'LayerNorm(x + r)');
    assertClose(plain, ref(false), 2e-6, 'LayerNorm(x)');
    assert.throws(() => addLayerNormKernel(xt, tf.zeros([rows, h + 1]), gt, bt, eps), /addLayerNorm: residual must have x's shape \[5, 23\], got \[5, 24\]/);
    tf.dispose([xt, rt, gt, bt, withRes, plain]);
  });

  it('dense kernel is x @ W + b (float64 reference) on ragged shapes, with and without a bias', () => {
    for (const [m, k, n] of [[7, 13, 10], [1, 5, 3], [9, 32, 17], [4, 8, 8], [6, 7, 9]]) {
      const x = pseudoRandom(m * k, m + 40, 2);
      const w = pseudoRandom(k * n, k + 41, 1);
      const bias = pseudoRandom(n, n + 42, 1);
      const ref = (withBias: boolean) =>
        Array.from({ length: m * n }, (_, idx) => {
          const [i, j] = [Math.floor(idx / n), idx % n];
          let acc = withBias ? bias[j] : 0;
          for (let c = 0; c < k; c++) acc += x[i * k + c] * w[c * n + j];
          return acc;
        });
      const [xt, wt, bt] = [tf.tensor2d(x, [m, k]), tf.tensor2d(w, [k, n]), tf.tensor1d(bias)];
      const y = linearKernel(xt, wt, bt)!;
      const y0 = linearKernel(xt, wt)!;
      assert.deepEqual(y.shape, [m, n]);
      assertClose(y, ref(true), 1e-5, `[${m},${k}]x[${k},${n}] + b`);
      assertClose(y0, ref(false), 1e-5, `[${m},${k}]x[${k},${n}]`);
      tf.dispose([xt, wt, bt, y, y0]);
    }
  });

  it('dense kernel: a row gives the same bits alone and inside a batch, and a new weight is never served a stale packing', () => {
    const [m, k, n] = [11, 24, 20];
    const x = tf.tensor2d(pseudoRandom(m * k, 50), [m, k]);
    let w = tf.tensor2d(pseudoRandom(k * n, 51), [k, n]);
    const all = linearKernel(x, w)!.dataSync();
    for (const i of [0, 5, 9, 10]) {
      const row = tf.slice(x, [i, 0], [1, k]);
      const alone = linearKernel(row, w)!.dataSync();
      for (let j = 0; j < n; j++) assert.equal(alone[j], all[i * n + j], `row ${i} col ${j}`);
      row.dispose();
    }
    w.dispose();
    for (let r = 0; r < 3; r++) {
      w = tf.tensor2d(pseudoRandom(k * n, 60 + r), [k, n]);
      const want = tf.matMul(x, w);
      const got = linearKernel(x, w)!;
      assertClose(got, want, 1e-5, `weight ${r}`);
      tf.dispose([w, want, got]);
    }
    x.dispose();
  });

  it('dense kernel over several column blocks: each output is its bias plus the products in k order, every row strip and remainder', () => {
    // K = 4096: a block of gemm_bias (512 KB of packed weights) is 4 panels (32 columns), so N = 40 is two blocks, the last one ragged;
    // K = 64, N = 44: one block of 6 panels (the last half full), which one remainder row takes 4 panels at a
    // time and two rows 2 at a time. M = 1..7 covers the 4-row strips and the 1-3 remainder rows.
    for (const [k, n] of [[4096, 40], [64, 44]]) denseAgainstKOrder(k, n);
  });

  function denseAgainstKOrder(k: number, n: number): void {
    const w = pseudoRandom(k * n, 71, 1);
    const bias = pseudoRandom(n, 72, 1);
    const fma = wasmKernelsFlavor() === 'relaxed-simd';
    const [wt, bt] = [tf.tensor2d(w, [k, n]), tf.tensor1d(bias)];
    for (const m of [1, 2, 3, 4, 5, 7]) {
      const x = pseudoRandom(m * k, 70 + m, 1);
      const xt = tf.tensor2d(x, [m, k]);
      const y = linearKernel(xt, wt, bt)!;
      const got = y.dataSync();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = bias[j];
          // plain SIMD: the product rounded, then the sum; relaxed SIMD: a fused multiply-add (one rounding).
          for (let c = 0; c < k; c++) acc = Math.fround(acc + (fma ? x[i * k + c] * w[c * n + j] : Math.fround(x[i * k + c] * w[c * n + j])));
          if (fma) assert.ok(Math.abs(got[i * n + j] - acc) <= 1e-6 * Math.max(1, Math.abs(acc)), `M ${m} [${i}, ${j}]: ${got[i * n + j]} vs ${acc}`);
          else assert.equal(got[i * n + j], acc, `[${m}, ${k}] x [${k}, ${n}]: [${i}, ${j}]`);
        }
      }
      tf.dispose([xt, y]);
    }
    tf.dispose([wt, bt]);
  }

  it('fused Q/K/V projection equals the three projections bit for bit (with and without biases), and attention reads it in place', () => {
    const [m, k, h, heads] = [9, 24, 16, 2];
    const x = tf.tensor2d(pseudoRandom(m * k, 70), [m, k]);
    const ws = [71, 72, 73].map((seed) => tf.tensor2d(pseudoRandom(k * h, seed), [k, h])) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const bs = [74, 75, 76].map((seed) => tf.tensor1d(pseudoRandom(h, seed))) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    for (const biases of [bs, undefined]) {
      const fused = linearQkvKernel(x, ws, biases)!;
      assert.deepEqual(fused.shape, [m, 3 * h]);
      const f = fused.dataSync();
      ws.forEach((w, part) => {
        const one = linearKernel(x, w, biases?.[part])!;
        const o = one.dataSync();
        for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) assert.equal(f[i * 3 * h + part * h + j], o[i * h + j], `part ${part} [${i}, ${j}]`);
        one.dispose();
      });
      fused.dispose();
    }
    // Attention over the fused buffer [B, T, 3H] equals attention over separate q, k, v.
    const [b, t] = [3, 3];
    const qkv = tf.reshape(linearQkvKernel(x, ws, bs)!, [b, t, 3 * h]) as tf.Tensor3D;
    const [q, kk, v] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0], [1, 0, 0]], [b, t], 'int32');
    const one = attentionKernel(qkv, undefined, undefined, { numHeads: heads, mask, outputProbs: true })!;
    const three = attentionKernel(q, kk, v, { numHeads: heads, mask, outputProbs: true })!;
    assert.deepEqual(Array.from(one.context.dataSync()), Array.from(three.context.dataSync()));
    assert.deepEqual(Array.from(one.probs!.dataSync()), Array.from(three.probs!.dataSync()));
    tf.tidy(() => {
      const w12 = [tf.zeros([k, 12]), tf.zeros([k, 12]), tf.zeros([k, 12])] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      assert.equal(linearQkvKernel(tf.zeros([2, k]) as tf.Tensor2D, w12), undefined, 'H not a multiple of 8: no fused projection');
    });
    tf.dispose([x, ...ws, ...bs, qkv, q, kk, v, mask, one.context, one.probs!, three.context, three.probs!]);
  });

  it('embedding row lookup copies table rows and gives zeros for out-of-range ids', () => {
    const table = tf.tensor2d(pseudoRandom(7 * 6, 5), [7, 6]);
    const ids = tf.tensor2d([[3, 0, 6], [1, 7, -1]], [2, 3], 'int32');
    const got = gatherRowsKernel(table, ids)!;
    assert.deepEqual(got.shape, [2, 3, 6]);
    const t = table.arraySync();
    const zero = new Array(6).fill(0);
    assert.deepEqual(got.arraySync(), [[t[3], t[0], t[6]], [t[1], zero, zero]]);
    tf.dispose([table, ids, got]);
  });

  for (const c of [
    { name: 'BERT (scores / sqrt(d), finfo.min mask)', heads: 4, d: 8, scaleQuery: false, bias: false },
    { name: 'DistilBERT (q / sqrt(d) first)', heads: 2, d: 12, scaleQuery: true, bias: false },
    { name: 'MPNet (relative position bias)', heads: 3, d: 32, scaleQuery: false, bias: true },
    { name: 'odd head size (d = 6)', heads: 2, d: 6, scaleQuery: false, bias: true },
  ]) {
    it(`fused attention equals the stock-op attention: ${c.name}`, () => {
      const [b, t] = [3, 11];
      const h = c.heads * c.d;
      const q = tf.tensor3d(pseudoRandom(b * t * h, 11, 2), [b, t, h]);
      const k = tf.tensor3d(pseudoRandom(b * t * h, 12, 2), [b, t, h]);
      const v = tf.tensor3d(pseudoRandom(b * t * h, 13, 2), [b, t, h]);
      const lens = [11, 5, 1];
      const mask = tf.tensor2d(lens.flatMap((l) => Array.from({ length: t }, (_, j) => (j < l ? 1 : 0))), [b, t], 'int32');
      const bias = c.bias ? tf.tensor4d(pseudoRandom(c.heads * t * t, 14, 1), [1, c.heads, t, t]) : undefined;
      const fused = attentionKernel(q, k, v, { numHeads: c.heads, mask, positionBias: bias, scaleQuery: c.scaleQuery, outputProbs: true })!;
      const ref = compositeAttention(q, k, v, c.heads, mask, bias, c.scaleQuery);
      assertClose(fused.context, ref.context, 2e-6, 'context');
      assertClose(fused.probs!, ref.probs, 1e-6, 'probs');
      // Masked keys get probability exactly 0, as with finfo.min.
      const p = fused.probs!.arraySync() as number[][][][];
      for (let bi = 0; bi < b; bi++) for (let j = lens[bi]; j < t; j++) assert.equal(p[bi][0][0][j], 0);
      tf.dispose([q, k, v, mask, fused.context, fused.probs!, ref.context, ref.probs, ...(bias ? [bias] : [])]);
    });
  }

  for (const c of [
    { name: 'grouped-query heads (4 query heads on 2 kv heads), causal, left padding', heads: 4, kvHeads: 2, d: 8, t: 11, causal: true, left: true },
    { name: 'grouped-query heads (6 on 1), bidirectional, T = 150 (three key blocks, not a multiple of the tile)', heads: 6, kvHeads: 1, d: 12, t: 150 },
    { name: 'causal sliding window w = 5 (Gemma 3), right padding', heads: 2, kvHeads: 2, d: 16, t: 23, causal: true, window: 5 },
    { name: 'causal sliding window w = 40 over 130 keys, left padding, GQA', heads: 4, kvHeads: 2, d: 8, t: 130, causal: true, window: 40, left: true },
    { name: 'bidirectional window |i - j| <= 4 (ModernBERT local), T = 77', heads: 2, kvHeads: 2, d: 8, t: 77, window: 4 },
    { name: 'bidirectional window 0 (itself only)', heads: 2, kvHeads: 2, d: 4, t: 9, window: 0 },
    { name: 'configured scale (Gemma 3 query_pre_attn_scalar^-0.5), causal', heads: 2, kvHeads: 1, d: 6, t: 70, causal: true, scale: 0.3 },
    { name: 'configured scale on q first (scaleQuery), d = 10', heads: 2, kvHeads: 2, d: 10, t: 13, scale: 0.25, scaleQuery: true },
  ] as { name: string; heads: number; kvHeads: number; d: number; t: number; causal?: boolean; window?: number; left?: boolean; scale?: number; scaleQuery?: boolean }[]) {
    it(`blocked attention equals the stock-op attention: ${c.name}`, () => {
      const b = 3;
      const { t } = c;
      const h = c.heads * c.d;
      const hk = c.kvHeads * c.d;
      const q = tf.tensor3d(pseudoRandom(b * t * h, 41, 2), [b, t, h]);
      const k = tf.tensor3d(pseudoRandom(b * t * hk, 42, 2), [b, t, hk]);
      const v = tf.tensor3d(pseudoRandom(b * t * hk, 43, 2), [b, t, hk]);
      const lens = [t, Math.ceil(t / 2), 1];
      const valid = (bi: number, j: number) => (c.left ? j >= t - lens[bi] : j < lens[bi]);
      const mask = tf.tensor2d(lens.flatMap((_, bi) => Array.from({ length: t }, (_, j) => (valid(bi, j) ? 1 : 0))), [b, t], 'int32');
      const opts = { numHeads: c.heads, numKvHeads: c.kvHeads, mask, causal: c.causal, window: c.window, scale: c.scale, scaleQuery: c.scaleQuery };
      const blocked = attentionKernel(q, k, v, { ...opts, outputProbs: true })!;
      const alone = attentionKernel(q, k, v, opts)!; // without probabilities: the O(T d) path
      const ref = tf.tidy(() =>
        attentionStock(q, k, v, {
          numHeads: c.heads,
          numKvHeads: c.kvHeads,
          padding: { kind: 'additive', mask: extendedAttentionMask(mask) },
          causal: !!c.causal,
          window: c.window,
          scale: c.scale,
          scaleQuery: !!c.scaleQuery,
        }),
      );
      assertClose(blocked.context, ref.context, 2e-6, 'context');
      assertClose(blocked.probs!, ref.probs, 1e-6, 'probs');
      assert.deepEqual(Array.from(alone.context.dataSync()), Array.from(blocked.context.dataSync()), 'asking for the probabilities changes no context bit');
      // Keys outside the causal / window range and padding keys get probability exactly 0 (rows with a key left).
      const p = blocked.probs!.arraySync() as number[][][][];
      for (let bi = 0; bi < b; bi++) {
        for (let i = 0; i < t; i++) {
          const seen = (j: number) => valid(bi, j) && (c.causal ? j <= i && (c.window === undefined || j > i - c.window) : c.window === undefined || Math.abs(i - j) <= c.window);
          if (!Array.from({ length: t }, (_, j) => seen(j)).some((x) => x)) continue;
          for (let j = 0; j < t; j++) if (!seen(j)) assert.equal(p[bi][c.heads - 1][i][j], 0, `b ${bi} query ${i} key ${j}`);
        }
      }
      tf.dispose([q, k, v, mask, blocked.context, blocked.probs!, alone.context, ref.context, ref.probs]);
    });
  }

  it('blocked causal attention of a left-padded row is bit-identical to the same row alone (Qwen3 batching)', () => {
    const [heads, kvHeads, d, t, len] = [4, 2, 8, 150, 83];
    const [h, hk] = [heads * d, kvHeads * d];
    const [qa, ka, va] = [pseudoRandom(len * h, 51), pseudoRandom(len * hk, 52), pseudoRandom(len * hk, 53)];
    const leftPad = (a: Float32Array, w: number) => {
      const out = new Float32Array(t * w).fill(-0.61); // padding values must not matter
      out.set(a, (t - len) * w);
      return out;
    };
    const opts = { numHeads: heads, numKvHeads: kvHeads, causal: true, window: 70 };
    const alone = attentionKernel(tf.tensor3d(qa, [1, len, h]), tf.tensor3d(ka, [1, len, hk]), tf.tensor3d(va, [1, len, hk]), opts)!;
    const padded = attentionKernel(tf.tensor3d(leftPad(qa, h), [1, t, h]), tf.tensor3d(leftPad(ka, hk), [1, t, hk]), tf.tensor3d(leftPad(va, hk), [1, t, hk]), {
      ...opts,
      mask: tf.tensor2d([Array.from({ length: t }, (_, j) => (j >= t - len ? 1 : 0))], [1, t], 'int32'),
    })!;
    const a = alone.context.dataSync();
    const p = padded.context.dataSync();
    for (let i = 0; i < len * h; i++) assert.equal(p[(t - len) * h + i], a[i], `element ${i}`);
    tf.dispose([alone.context, padded.context]);
  });

  it('fused attention of a padded row is bit-identical to the same row alone', () => {
    const [heads, d, t, len] = [4, 16, 37, 9];
    const h = heads * d;
    const qa = pseudoRandom(len * h, 21);
    const ka = pseudoRandom(len * h, 22);
    const va = pseudoRandom(len * h, 23);
    const pad = (a: Float32Array) => {
      const out = new Float32Array(t * h);
      out.set(a);
      out.fill(0.37, a.length); // padding values must not matter
      return out;
    };
    const alone = attentionKernel(tf.tensor3d(qa, [1, len, h]), tf.tensor3d(ka, [1, len, h]), tf.tensor3d(va, [1, len, h]), {
      numHeads: heads,
      mask: tf.ones([1, len], 'int32') as tf.Tensor2D,
    })!;
    const padded = attentionKernel(tf.tensor3d(pad(qa), [1, t, h]), tf.tensor3d(pad(ka), [1, t, h]), tf.tensor3d(pad(va), [1, t, h]), {
      numHeads: heads,
      mask: tf.tensor2d([Array.from({ length: t }, (_, j) => (j < len ? 1 : 0))], [1, t], 'int32'),
    })!;
    const a = alone.context.dataSync();
    const p = padded.context.dataSync();
    for (let i = 0; i < len * h; i++) assert.equal(p[i], a[i], `element ${i}`);
    tf.dispose([alone.context, padded.context]);
  });

  it('a row whose keys are all masked attends uniformly, as finfo.min added to every score does', () => {
    const [heads, d, t] = [2, 4, 5];
    const h = heads * d;
    const q = tf.tensor3d(pseudoRandom(t * h, 31), [1, t, h]);
    const k = tf.tensor3d(pseudoRandom(t * h, 32), [1, t, h]);
    const v = tf.tensor3d(pseudoRandom(t * h, 33), [1, t, h]);
    const mask = tf.zeros([1, t], 'int32') as tf.Tensor2D;
    const fused = attentionKernel(q, k, v, { numHeads: heads, mask, outputProbs: true })!;
    const ref = compositeAttention(q, k, v, heads, mask);
    assertClose(fused.probs!, new Array(heads * t * t).fill(1 / t), 1e-7, 'uniform probs');
    assertClose(fused.context, ref.context, 1e-6, 'context');
    tf.dispose([q, k, v, mask, fused.context, fused.probs!, ref.context, ref.probs]);
  });

  for (const [name, layer] of [
    ['tiny-bert', 'encoder.layer'],
    ['minilm-l6-full', 'encoder.layer'],
    ['tiny-roberta', 'encoder.layer'],
    ['tiny-distilbert', 'transformer.layer'],
    ['tiny-mpnet', 'encoder.layer'], // the relative position bias goes into every layer's call
  ]) {
    it(`${name}: each layer is one kernel call on wasm, bit for bit the per-op path, which taps and attentions still take`, async function () {
      if (!requireFixtures(this, ['models', name])) return;
      const model = createModel(readConfig(name), WeightMap.from(await loadCheckpointDir(modelDir(name))));
      const ids = tf.tensor2d([[101, 2023, 2003, 1037, 3231, 102, 0, 0, 0], [101, 7592, 2088, 2003, 2307, 1998, 2204, 1012, 102]], [2, 9], 'int32');
      const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1]], [2, 9], 'int32');
      const inputs = { inputIds: ids, attentionMask: mask };
      try {
        const before = tf.memory().numTensors;
        const prof = await tf.profile(() => model.forward(inputs).lastHiddenState);
        const calls = prof.kernels.filter((k) => !k.name.endsWith('__op'));
        const count = (n: string) => calls.filter((k) => k.name === n).length;
        assert.equal(count('SentenceTfjsEncoderLayer'), model.numLayers, 'one call per layer');
        for (const n of ['SentenceTfjsLinear', 'SentenceTfjsAttention', 'Reshape']) assert.equal(count(n), 0, `${n} did not run`);
        assert.ok(calls.length <= model.numLayers + 20, `${calls.length} kernel calls (embeddings, positions, mask and validation besides the layers)`);
        tf.dispose(prof.result as tf.Tensor);
        // The fused path (hidden states need no per-op path: they are the layers' outputs) ...
        const fused = model.forward(inputs, { outputHiddenStates: true });
        // ... against the per-op path, which a tap inside a layer or the attentions force.
        const tapNames = model.tapNames().filter((n) => n.startsWith(`${layer}.0.`) || n === `${layer}.${model.numLayers - 1}`);
        assert.ok(tapNames.length >= 3, `taps ${tapNames}`);
        const perOp = model.forward(inputs, { outputHiddenStates: true, outputAttentions: true, taps: tapNames });
        for (let i = 0; i < fused.hiddenStates!.length; i++) assertClose(fused.hiddenStates![i], perOp.hiddenStates![i], 0, `hidden state ${i}`);
        assertClose(fused.lastHiddenState, perOp.lastHiddenState, 0, 'last hidden state');
        // The last layer's tap is its output whichever path ran.
        const last = `${layer}.${model.numLayers - 1}`;
        const tapped = model.forward(inputs, { taps: [last] });
        assertClose(tapped.intermediates![last], perOp.intermediates![last], 0, 'layer tap');
        assert.deepEqual(Object.keys(perOp.intermediates!).sort(), [...tapNames].sort());
        tf.dispose([fused.lastHiddenState, ...fused.hiddenStates!, perOp.lastHiddenState, ...perOp.hiddenStates!, ...perOp.attentions!, ...Object.values(perOp.intermediates!)]);
        tf.dispose([tapped.lastHiddenState, ...Object.values(tapped.intermediates!)]);
        assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
      } finally {
        tf.dispose([ids, mask]);
        model.dispose();
      }
    });
  }

  it('a model forward runs the fused kernels, matches the stock ops within 1e-5 and leaks no tensors', async function () {
    if (!requireFixtures(this, ['models', 'tiny-mpnet'])) return;
    const model = createModel(readConfig('tiny-mpnet'), WeightMap.from(await loadCheckpointDir(modelDir('tiny-mpnet'))));
    const ids = tf.tensor2d([[0, 5, 9, 17, 2, 1, 1], [0, 44, 2, 1, 1, 1, 1]], [2, 7], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0]], [2, 7], 'int32');
    try {
      const before = tf.memory().numTensors;
      // The fused layer (one call per layer), and the per-op kernels, which asking for the attentions forces.
      // (tf.profile reuses one profile object: read each before the next.)
      const ran = async (outputAttentions: boolean): Promise<Set<string>> => {
        const prof = await tf.profile(() => {
          const r = model.forward({ inputIds: ids, attentionMask: mask }, { outputAttentions });
          tf.dispose(r.attentions ?? []);
          return r.lastHiddenState;
        });
        tf.dispose(prof.result as tf.Tensor);
        return new Set(prof.kernels.map((k) => k.name));
      };
      for (const [kernels, names] of [
        [await ran(false), ['SentenceTfjsEncoderLayer', 'SentenceTfjsGatherRows']],
        [await ran(true), ['SentenceTfjsLinear', 'SentenceTfjsLinearQKV', 'SentenceTfjsAttention', 'SentenceTfjsGeluErf', 'SentenceTfjsAddLayerNorm', 'SentenceTfjsGatherRows']],
      ] as const) {
        for (const name of names) assert.ok(kernels.has(name), `${name} ran`);
        for (const name of ['BatchMatMul', '_FusedMatMul', 'Erf', 'Softmax']) assert.ok(!kernels.has(name), `stock ${name} did not run`);
      }
      const fast = model.forward({ inputIds: ids, attentionMask: mask });
      const perOp = model.forward({ inputIds: ids, attentionMask: mask }, { outputAttentions: true });
      disableWasmKernels();
      let stock;
      try {
        stock = model.forward({ inputIds: ids, attentionMask: mask });
      } finally {
        enableWasmKernels();
      }
      assertClose(fast.lastHiddenState, stock.lastHiddenState, 1e-5, 'fused vs stock last_hidden_state');
      assertClose(perOp.lastHiddenState, stock.lastHiddenState, 1e-5, 'per-op kernels vs stock last_hidden_state');
      tf.dispose([fast.lastHiddenState, perOp.lastHiddenState, ...perOp.attentions!, stock.lastHiddenState]);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      tf.dispose([ids, mask]);
      model.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { SafetensorsFile, serializeSafetensors, type TensorToWrite } from '../src/formats/safetensors.js';
import { CrossEncoder, SentenceTransformer, SparseEncoder } from '../src/index.js';
import type { SparseVector } from '../src/util/sparse.js';
import { dense, denseQ8, denseQkv, gelu, installWasmKernels, wasmKernelsActive } from '../src/kernels/index.js';
import { denseQ8Gelu, feedForwardQ8 } from '../src/kernels/ops.js';
import { denseQ8Kernel, denseQ8Stock } from '../src/kernels/q8.js';
import { Q8Chooser, q8GemmChoice, setQ8GemmVariant, wasmKernelsFlavor } from '../src/kernels/wasm_kernels.js';
import { Q8_MARKER_FILE, Q8LinearWeight } from '../src/weights/index.js';
import { runCli } from './helpers/cli.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { removeTinyCheckpoint, writeTinySentenceTransformer } from './helpers/tiny_checkpoint.js';

/** mulberry32 in [-1, 1). */
function rand(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rand(seed);
  return Float32Array.from({ length: n }, () => r() * scale);
}

/** Ties to even, as f32.nearest. */
const rne = (v: number): number => {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * The scheme written out independently, in scalar float32 steps (Math.fround after each operation): activation
 * rows 7-bit asymmetric, weights int8 per output channel, exact integer sums, epilogue acc * (sx * sw) + b.
 */
function referenceQ8(x: Float32Array, m: number, k: number, w: Q8LinearWeight, bias?: Float32Array): Float32Array {
  const n = w.outFeatures;
  const y = new Float32Array(m * n);
  const f = Math.fround;
  for (let i = 0; i < m; i++) {
    let lo = 0;
    let hi = 0;
    for (let c = 0; c < k; c++) {
      lo = Math.min(lo, x[i * k + c]);
      hi = Math.max(hi, x[i * k + c]);
    }
    const range = f(hi - lo);
    const sx = range > 0 ? f(range / 127) : 1;
    const zp = rne(f(-lo / sx));
    const xq = Array.from({ length: k }, (_, c) => Math.min(127, Math.max(0, rne(f(x[i * k + c] / sx)) + zp)) - zp);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += xq[c] * w.values[j * k + c];
      let v = f(acc * f(sx * w.scales[j]));
      if (bias) v = f(v + bias[j]);
      y[i * n + j] = v;
    }
  }
  return y;
}

/**
 * The grouped scheme (q8_gemm_grouped; the attention output projections), written out independently in scalar
 * float32: each group of g inputs of a row quantized 7-bit asymmetric on its own, exact integer sums per group,
 * f = sum over groups in order of float(sum_g) * sx_g, then y = f * sw + b.
 */
function referenceQ8Grouped(x: Float32Array, m: number, k: number, w: Q8LinearWeight, g: number, bias?: Float32Array): Float32Array {
  const n = w.outFeatures;
  const y = new Float32Array(m * n);
  const f = Math.fround;
  for (let i = 0; i < m; i++) {
    const sxs: number[] = [];
    const xq: number[] = [];
    for (let g0 = 0; g0 < k; g0 += g) {
      let lo = 0;
      let hi = 0;
      for (let c = g0; c < g0 + g; c++) {
        lo = Math.min(lo, x[i * k + c]);
        hi = Math.max(hi, x[i * k + c]);
      }
      const range = f(hi - lo);
      const sx = range > 0 ? f(range / 127) : 1;
      const zp = rne(f(-lo / sx));
      sxs.push(sx);
      for (let c = g0; c < g0 + g; c++) xq.push(Math.min(127, Math.max(0, rne(f(x[i * k + c] / sx)) + zp)) - zp);
    }
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let gi = 0; gi < k / g; gi++) {
        let part = 0;
        for (let c = gi * g; c < (gi + 1) * g; c++) part += xq[c] * w.values[j * k + c];
        acc = f(acc + f(part * sxs[gi]));
      }
      let v = f(acc * w.scales[j]);
      if (bias) v = f(v + bias[j]);
      y[i * n + j] = v;
    }
  }
  return y;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

describe('int8 (q8) path', () => {
  before(async function () {
    assert.equal(await initBackend('wasm', { fallbackToCpu: false }), 'wasm');
    assert.equal(await installWasmKernels(), true);
  });

  it('quantizes a weight per output channel: scale max|row| / 127, values rounded half to even', () => {
    const q = Q8LinearWeight.quantize(Float32Array.from([0.5, -1.27, 0, 0.005, 0.0, 0, 0, 0]), 2, 4);
    assert.deepEqual(Array.from(q.scales), [Math.fround(1.27 / 127), 1]);
    // 0.5 / 0.01 = 50 (to float32 rounding), -1.27 / 0.01 = -127; row 2 is all zero: scale 1, values 0
    assert.deepEqual(Array.from(q.values), [50, -127, 0, 0, 0, 0, 0, 0]);
    const deq = q.dequantize();
    assert.ok(Math.abs(deq[0] - 0.5) < 0.005 && Math.abs(deq[1] + 1.27) < 1e-6);
  });

  it('the wasm kernel (relaxed SIMD or plain, whichever runs) equals the scheme computed independently in scalar float32, bit for bit', function () {
    assert.ok(wasmKernelsFlavor() !== 'none');
    for (const [m, k, n, seed] of [[1, 8, 8, 1], [3, 37, 13, 2], [6, 64, 24, 3], [9, 384, 40, 4]]) {
      const xs = randomArray(m * k, seed, 3);
      xs[0] = 7.5; // an outlier
      const w = Q8LinearWeight.quantize(randomArray(n * k, seed + 100), n, k);
      const b = randomArray(n, seed + 200);
      const expected = referenceQ8(xs, m, k, w, b);
      const x = tf.tensor2d(xs, [m, k]);
      const bias = tf.tensor1d(b);
      const got = denseQ8Kernel(x, [w], bias)!;
      assert.ok(got, 'the kernel runs on wasm');
      assert.equal(maxAbs(got.dataSync(), expected), 0, `kernel [${m}, ${k}] x [${n}] (${wasmKernelsFlavor()})`);
      const stock = denseQ8Stock(x, [w], bias);
      assert.equal(maxAbs(stock.dataSync(), expected), 0, `stock [${m}, ${k}] x [${n}]`);
      tf.dispose([x, bias, got, stock]);
    }
  });

  it('the kernel quantizes edge rows (all zero, -0, all negative, all positive, exact halves, a lone max) as the scalar scheme, bit for bit', () => {
    const k = 37; // 16 + 16 + 4 + 1: every loop of q8_quantize_rows
    const rows: number[][] = [
      Array.from({ length: k }, () => 0),
      Array.from({ length: k }, (_, c) => (c % 3 === 0 ? -0 : c / 10)),
      Array.from({ length: k }, (_, c) => -1 - c / 7),
      Array.from({ length: k }, (_, c) => 2 + c / 5),
      // range 127 (sx 1): x / sx = c - 63.5 are exact halves, rounded to even
      Array.from({ length: k }, (_, c) => (c === 0 ? -63.5 : c === 1 ? 63.5 : c - 63.5 + (c % 2))),
      Array.from({ length: k }, (_, c) => (c === k - 1 ? 9 : 0.01 * c)),
    ];
    const xs = Float32Array.from(rows.flat());
    const w = Q8LinearWeight.quantize(randomArray(16 * k, 91), 16, k);
    const b = randomArray(16, 92);
    const expected = referenceQ8(xs, rows.length, k, w, b);
    const x = tf.tensor2d(xs, [rows.length, k]);
    const bias = tf.tensor1d(b);
    const got = denseQ8Kernel(x, [w], bias)!;
    assert.equal(maxAbs(got.dataSync(), expected), 0, wasmKernelsFlavor());
    tf.dispose([x, bias, got]);
  });

  it('the int8 GEMM choice corrects a first pick made while the faster variant was still slow (baseline tier, a busy machine), then stops timing', () => {
    // made-up times per product: 'pairs' (1) truly takes 0.8 of 'dot' (0), but its first 12 calls ran at 3x
    const c = new Q8Chooser(12, 64, 24);
    const truth = [1.0, 0.8];
    let calls = 0;
    const run = () => {
      const v = c.next();
      const slow = v === 1 && calls < 24;
      c.record(v, truth[v] * (slow ? 3 : 1));
      calls++;
      return v;
    };
    for (let i = 0; i < 24; i++) run();
    assert.equal(c.pick, 0, 'the first round keeps the variant that looked faster');
    const ran: number[] = [];
    for (let i = 0; i < 64; i++) ran.push(run());
    assert.equal(ran.filter((v) => v === 1).length, 1, 'one recheck of the other variant in 64 timed calls');
    assert.equal(c.pick, 1, 'the recheck found the truly faster variant');
    for (let i = 0; i < 64 * 24; i++) run();
    assert.equal(c.pick, 1);
    assert.equal(c.deciding, false, 'after 24 rechecks the choice is fixed and calls are no longer timed');
    // a recheck that is slower keeps the pick
    const d = new Q8Chooser(2, 4, 3);
    for (let i = 0; i < 4; i++) {
      const v = d.next();
      d.record(v, v === 0 ? 0.5 : 0.9);
    }
    assert.equal(d.pick, 0);
    for (let i = 0; i < 12; i++) {
      const v = d.next();
      d.record(v, v === 0 ? 0.5 : 0.9);
    }
    assert.equal(d.pick, 0);
    assert.equal(d.deciding, false);
  });

  it('both int8 GEMMs (one dot-add per 16 products, or i16 pair sums) give the scalar scheme\'s bits, and the default times them and keeps one', () => {
    try {
      for (const [m, k, n, seed] of [[1, 8, 8, 5], [7, 37, 13, 6], [9, 384, 40, 7]]) {
        const xs = randomArray(m * k, seed, 3);
        const w = Q8LinearWeight.quantize(randomArray(n * k, seed + 100), n, k);
        const b = randomArray(n, seed + 200);
        const expected = referenceQ8(xs, m, k, w, b);
        for (const v of ['dot', 'pairs'] as const) {
          setQ8GemmVariant(v);
          assert.equal(q8GemmChoice(), v);
          const got = tf.tidy(() => denseQ8Kernel(tf.tensor2d(xs, [m, k]), [w], tf.tensor1d(b))!.dataSync());
          assert.equal(maxAbs(got, expected), 0, `${v} [${m}, ${k}] x [${n}] (${wasmKernelsFlavor()})`);
        }
        w.dispose();
      }
      setQ8GemmVariant('auto');
      const [m, k, n] = [64, 384, 64]; // 1.6M products: a call the calibration times
      const xs = randomArray(m * k, 8);
      const w = Q8LinearWeight.quantize(randomArray(n * k, 9), n, k);
      const expected = referenceQ8(xs, m, k, w);
      for (let i = 0; i < 28; i++) {
        const got = tf.tidy(() => denseQ8Kernel(tf.tensor2d(xs, [m, k]), [w])!.dataSync());
        assert.equal(maxAbs(got, expected), 0, `call ${i}`);
      }
      w.dispose();
      // relaxed SIMD: decided after 12 timed calls of each; plain SIMD has one GEMM and nothing to decide
      assert.ok(wasmKernelsFlavor() === 'relaxed-simd' ? ['dot', 'pairs'].includes(q8GemmChoice()) : q8GemmChoice() === 'auto', q8GemmChoice());
      assert.throws(() => setQ8GemmVariant('fast' as 'dot'), /setQ8GemmVariant: expected 'auto', 'dot' or 'pairs', got fast/);
    } finally {
      setQ8GemmVariant('auto');
    }
  });

  it('with per-head activation scales (actGroup), both GEMMs, the stock ops on wasm and on cpu give the scalar grouped scheme\'s bits', async () => {
    // [M, K, N, G, seed]; tails: M not a multiple of 4 (the tile's rows), N not a multiple of 8 (a last panel of 1-7
    // columns), K not a multiple of 16 (K = 36, 200), G = 32 and 64 (head_dim), G = 260 (> 256: the zero-point
    // product by i32x4.mul rather than i32x4.dot_i16x8)
    const cases: [number, number, number, number, number][] = [
      [1, 8, 8, 4, 11], [5, 32, 13, 8, 12], [6, 96, 24, 32, 13], [9, 384, 40, 32, 14], [7, 96, 21, 32, 15], [6, 192, 100, 64, 16],
      [3, 200, 13, 40, 17], [4, 36, 10, 12, 18], [13, 768, 17, 64, 19], [2, 520, 9, 260, 20],
    ];
    const expected: Float32Array[] = [];
    const ws: Q8LinearWeight[] = [];
    const start = tf.memory().numTensors;
    try {
      for (const [m, k, n, g, seed] of cases) {
        const xs = randomArray(m * k, seed, 3);
        for (let c = 0; c < k; c += g) xs[c] *= 1 + c; // groups of very different magnitudes, as attention heads
        const w = Q8LinearWeight.quantize(randomArray(n * k, seed + 100), n, k);
        w.actGroup = g;
        ws.push(w);
        const b = randomArray(n, seed + 200);
        const want = referenceQ8Grouped(xs, m, k, w, g, b);
        expected.push(want);
        // (an independent check that grouping is not per-row quantization in disguise)
        if (k > g) assert.ok(maxAbs(want, referenceQ8(xs, m, k, w, b)) > 0);
        for (const v of ['dot', 'pairs'] as const) {
          setQ8GemmVariant(v);
          const got = tf.tidy(() => denseQ8Kernel(tf.tensor2d(xs, [m, k]), [w], tf.tensor1d(b))!.dataSync());
          assert.equal(maxAbs(got, want), 0, `${v} [${m}, ${k}] x [${n}] groups of ${g} (${wasmKernelsFlavor()})`);
        }
        const stock = tf.tidy(() => denseQ8Stock(tf.tensor2d(xs, [m, k]), [w], tf.tensor1d(b)).dataSync());
        assert.equal(maxAbs(stock, want), 0, `stock on wasm [${m}, ${k}] x [${n}] groups of ${g}`);
        // no fused GELU in the grouped GEMM: denseQ8Gelu runs the GEMM, then GELU
        const gk = tf.tidy(() => denseQ8Gelu(tf.tensor2d(xs, [m, k]), w, tf.tensor1d(b)).dataSync());
        const gr = tf.tidy(() => gelu(tf.tensor2d(want, [m, n])).dataSync());
        assert.equal(maxAbs(gk, gr), 0);
      }
      setQ8GemmVariant('auto');
      await initBackend('cpu');
      try {
        for (const [i, [m, k, n, g, seed]] of cases.entries()) {
          const xs = randomArray(m * k, seed, 3);
          for (let c = 0; c < k; c += g) xs[c] *= 1 + c;
          const b = randomArray(n, seed + 200);
          const got = tf.tidy(() => denseQ8(tf.tensor2d(xs, [m, k]), ws[i], tf.tensor1d(b)).dataSync());
          assert.equal(maxAbs(got, expected[i]), 0, `cpu [${m}, ${k}] x [${n}] groups of ${g}`);
          assert.ok(g > 0);
        }
        ws.forEach((w) => w.dispose());
        assert.equal(tf.memory().numTensors, start, 'no tensor left: the stock weights (wasm and cpu) are freed with the weights');
      } finally {
        await initBackend('wasm', { fallbackToCpu: false });
      }
      const bad = Q8LinearWeight.quantize(randomArray(8 * 12, 1), 8, 12);
      bad.actGroup = 6;
      assert.throws(() => tf.tidy(() => denseQ8(tf.zeros([2, 12]), bad)), /denseQ8: actGroup must be a multiple of 4 dividing 12, got 6/);
      bad.dispose();
    } finally {
      setQ8GemmVariant('auto');
      ws.forEach((w) => w.dispose());
    }
  });

  it('denseQ8 on the cpu backend (stock ops) gives the wasm kernel\'s numbers, bit for bit (K <= 1040)', async () => {
    const [m, k, n] = [5, 96, 24];
    const xs = randomArray(m * k, 71, 2);
    const w = Q8LinearWeight.quantize(randomArray(n * k, 72), n, k);
    const b = randomArray(n, 73);
    const expected = referenceQ8(xs, m, k, w, b);
    const onWasm = tf.tidy(() => denseQ8(tf.tensor2d(xs, [m, k]), w, tf.tensor1d(b)).dataSync());
    await initBackend('cpu');
    try {
      const onCpu = tf.tidy(() => denseQ8(tf.tensor2d(xs, [m, k]), w, tf.tensor1d(b)).dataSync());
      assert.equal(maxAbs(onCpu, expected), 0);
      assert.equal(maxAbs(onCpu, onWasm), 0);
    } finally {
      await initBackend('wasm', { fallbackToCpu: false });
    }
  });

  it('once the wasm kernel packs a weight, the JS copy of its values is dropped and re-derived exactly from the packed copy', function () {
    if (!wasmKernelsActive()) this.skip();
    const [m, k, n] = [4, 37, 24]; // K not a multiple of 4, N of 8: padding in the packing
    const xs = randomArray(m * k, 91, 2);
    const w = Q8LinearWeight.quantize(randomArray(n * k, 92), n, k);
    const v = Q8LinearWeight.quantize(randomArray(8 * k, 93), 8, k);
    const original = w.values.slice();
    const originalV = v.values.slice();
    assert.equal(w.holdsValues, true);
    const y = tf.tidy(() => denseQ8(tf.tensor2d(xs, [m, k]), w).dataSync());
    assert.equal(w.holdsValues, false);
    assert.deepEqual(w.values, original);
    assert.equal(maxAbs(y, referenceQ8(xs, m, k, w, new Float32Array(n))), 0);
    // A packing of two weights side by side (as the fused Q/K/V projection): each part unpacks its own rows, and
    // disposing one part hands the other its values back before the packed copy is freed.
    const x = tf.tensor2d(xs, [m, k]);
    const side = denseQ8Kernel(x, [v, w])!;
    side.dispose();
    x.dispose();
    assert.deepEqual(v.values, originalV);
    assert.deepEqual(w.values, original);
    v.dispose();
    assert.deepEqual(w.values, original);
    w.dispose();
  });

  it('the stock path (cpu) builds its float weight once per weight: repeated calls give the same numbers, leak no tensors, and dispose frees it', async () => {
    const [m, k, n] = [3, 40, 16];
    const xs = randomArray(m * k, 81, 2);
    const w = Q8LinearWeight.quantize(randomArray(n * k, 82), n, k);
    const b = randomArray(n, 83);
    const expected = referenceQ8(xs, m, k, w, b);
    await initBackend('cpu');
    try {
      const before = tf.memory().numTensors;
      const first = tf.tidy(() => denseQ8(tf.tensor2d(xs, [m, k]), w, tf.tensor1d(b)).dataSync());
      const cached = tf.memory().numTensors;
      assert.equal(cached - before, 2); // the integers [N, K] and the scales [1, N], kept
      for (let i = 0; i < 3; i++) {
        const again = tf.tidy(() => denseQ8(tf.tensor2d(xs, [m, k]), w, tf.tensor1d(b)).dataSync());
        assert.equal(maxAbs(again, first), 0);
        assert.equal(tf.memory().numTensors, cached);
      }
      assert.equal(maxAbs(first, expected), 0);
      w.dispose();
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await initBackend('wasm', { fallbackToCpu: false });
    }
  });

  it('kernel and stock ops agree on MiniLM shapes (K 384 exactly; K 1536 to float32 rounding of the stock matmul)', () => {
    for (const [m, k, n] of [[33, 384, 1536], [7, 1536, 384]]) {
      const x = tf.tensor2d(randomArray(m * k, m + k, 2), [m, k]);
      const w = Q8LinearWeight.quantize(randomArray(n * k, n), n, k);
      const a = denseQ8Kernel(x, [w])!;
      const s = denseQ8Stock(x, [w]);
      const scale = tf.max(tf.abs(a)).dataSync()[0];
      const d = maxAbs(a.dataSync(), s.dataSync());
      if (k <= 1040) assert.equal(d, 0);
      else assert.ok(d <= scale * 1e-6, `max diff ${d} vs output scale ${scale}`);
      tf.dispose([x, a, s]);
    }
  });

  it('denseQ8 stays within the quantization error of the float32 dense layer', () => {
    const [m, k, n] = [16, 384, 96];
    const wf = randomArray(n * k, 9, 0.1);
    const x = tf.tensor3d(randomArray(m * k, 10), [2, m / 2, k]);
    const q = Q8LinearWeight.quantize(wf, n, k);
    const wt = tf.transpose(tf.tensor2d(wf, [n, k])) as tf.Tensor2D; // [in, out]
    const yq = denseQ8(x, q);
    const yf = dense(x, wt);
    assert.deepEqual(yq.shape, [2, m / 2, n]);
    // error per output <= sum_k |x| * sw / 2 + |w| * sx / 2 (+ products of both): a loose bound is 2% of the rms
    const rms = Math.sqrt(tf.mean(tf.square(yf)).dataSync()[0]);
    const err = tf.max(tf.abs(tf.sub(yq, yf))).dataSync()[0];
    assert.ok(err < 0.05 * rms, `max err ${err}, output rms ${rms}`);
    tf.dispose([x, wt, yq, yf]);
  });

  it('denseQ8Gelu (GELU fused into the int8 kernel call) equals gelu(denseQ8) bit for bit, for both GEMMs, partial strips and columns', () => {
    const regions = { tail: false, positive: false };
    try {
      // M 1..9 (strips of four rows and their 1-3 row remainder), N not a multiple of 8 or 16 (gelu_erf's tails).
      for (const [m, k, n, seed] of [[1, 8, 8, 11], [3, 37, 13, 12], [5, 64, 37, 13], [9, 384, 40, 14], [4, 96, 1536, 15]]) {
        const xs = randomArray(m * k, seed, 3);
        const w = Q8LinearWeight.quantize(randomArray(n * k, seed + 100), n, k);
        const b = randomArray(n, seed + 200, 4); // outputs down to < -4: GELU's erfc tail lanes
        for (const v of ['dot', 'pairs'] as const) {
          setQ8GemmVariant(v);
          const [fused, separate, pre] = tf.tidy(() => {
            const x = tf.tensor2d(xs, [m, k]);
            const bias = tf.tensor1d(b);
            const y = denseQ8(x, w, bias);
            return [denseQ8Gelu(x, w, bias).dataSync(), gelu(y).dataSync(), y.dataSync()];
          });
          assert.deepEqual(new Uint32Array(fused.buffer), new Uint32Array(separate.buffer), `${v} [${m}, ${k}] x [${n}]`);
          for (const y of pre) (y < -Math.SQRT2 ? (regions.tail = true) : y > 1 ? (regions.positive = true) : 0);
        }
        w.dispose();
      }
      assert.deepEqual(regions, { tail: true, positive: true }, 'inputs reach the erfc tail (x < -sqrt 2) and x > 1');
    } finally {
      setQ8GemmVariant('auto');
    }
  });

  it('denseQ8Gelu on the cpu backend (stock ops, then GELU) is gelu(denseQ8) there, and leaks no tensor', async () => {
    const w = Q8LinearWeight.quantize(randomArray(16 * 8, 21), 16, 8);
    const xs = randomArray(3 * 8, 22, 2);
    await initBackend('cpu');
    try {
      const x = tf.tensor3d(xs, [1, 3, 8]);
      const expected = tf.tidy(() => gelu(denseQ8(x, w)).dataSync()); // (builds the weight's cached float copy)
      const before = tf.memory().numTensors;
      const got = denseQ8Gelu(x, w);
      assert.deepEqual(got.shape, [1, 3, 16]);
      assert.deepEqual(new Uint32Array(got.dataSync().buffer), new Uint32Array(expected.buffer));
      got.dispose();
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
    } finally {
      await initBackend('wasm', { fallbackToCpu: false });
      w.dispose();
    }
  });

  it('feedForwardQ8 (one kernel call over chunks of rows) equals denseQ8(denseQ8Gelu(x)) bit for bit, for both GEMMs, on cpu too, and leaks no tensor', async () => {
    const [h, inter] = [40, 96];
    const up = Q8LinearWeight.quantize(randomArray(inter * h, 61), inter, h);
    const down = Q8LinearWeight.quantize(randomArray(h * inter, 62), h, inter);
    const ub = randomArray(inter, 63);
    const db = randomArray(h, 64);
    const xs = randomArray(2 * 13 * h, 65, 2);
    const want = tf.tidy(() => denseQ8(denseQ8Gelu(tf.tensor3d(xs, [2, 13, h]), up, tf.tensor1d(ub)), down, tf.tensor1d(db)).dataSync());
    const start = tf.memory().numTensors;
    try {
      for (const v of ['dot', 'pairs'] as const) {
        setQ8GemmVariant(v);
        for (const rows of [1, 5, 26, 512]) {
          const got = tf.tidy(() => feedForwardQ8(tf.tensor3d(xs, [2, 13, h]), up, tf.tensor1d(ub), down, tf.tensor1d(db), rows));
          assert.deepEqual(got.shape, [2, 13, h]);
          assert.equal(maxAbs(got.dataSync(), want), 0, `${v}, chunks of ${rows} rows (${wasmKernelsFlavor()})`);
          got.dispose();
        }
      }
      setQ8GemmVariant('auto');
      await initBackend('cpu');
      try {
        // (the stock GELU there is not the wasm kernel's, so compare with the two ops on cpu)
        const onCpu = tf.tidy(() => feedForwardQ8(tf.tensor3d(xs, [2, 13, h]), up, tf.tensor1d(ub), down, tf.tensor1d(db), 5).dataSync());
        const twoOps = tf.tidy(() => denseQ8(denseQ8Gelu(tf.tensor3d(xs, [2, 13, h]), up, tf.tensor1d(ub)), down, tf.tensor1d(db)).dataSync());
        assert.equal(maxAbs(onCpu, twoOps), 0, 'cpu: the two ops');
        assert.ok(maxAbs(onCpu, want) < 1e-4);
      } finally {
        await initBackend('wasm', { fallbackToCpu: false });
      }
      assert.throws(() => tf.tidy(() => feedForwardQ8(tf.zeros([3, h]), up, undefined, down, undefined, 0)), /feedForwardQ8: rows must be a positive integer, got 0/);
      assert.throws(() => tf.tidy(() => feedForwardQ8(tf.zeros([3, h + 1]), up, undefined, down, undefined, 4)), /feedForwardQ8: x must end in 40 features, got \[3,41\]/);
    } finally {
      setQ8GemmVariant('auto');
      up.dispose();
      down.dispose();
    }
    assert.equal(tf.memory().numTensors, start);
  });

  it('the fused int8 Q/K/V projection equals three int8 projections, bit for bit', () => {
    const [k, h] = [64, 32];
    const ps = [0, 1, 2].map((i) => ({ q8: Q8LinearWeight.quantize(randomArray(h * k, 30 + i), h, k), bias: tf.tensor1d(randomArray(h, 40 + i)), weight: undefined as unknown as tf.Tensor2D }));
    const x = tf.tensor3d(randomArray(2 * 5 * k, 50), [2, 5, k]);
    const before = tf.memory().numTensors;
    const fused = denseQkv(x, ps[0], ps[1], ps[2]);
    assert.ok(fused.qkv, 'fused on wasm');
    const parts = tf.split(fused.qkv!, 3, 2);
    for (let i = 0; i < 3; i++) {
      const one = denseQ8(x, ps[i].q8, ps[i].bias);
      assert.equal(maxAbs(parts[i].dataSync(), one.dataSync()), 0);
      one.dispose();
    }
    tf.dispose([fused.qkv!, ...parts]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, ...ps.map((p) => p.bias)]);
  });

  it("rejects a dtype other than 'fp32' or 'q8', naming the option", async () => {
    const dir = writeTinySentenceTransformer();
    try {
      await assert.rejects(SentenceTransformer.load(dir, { dtype: 'int4' as 'q8' }), /dtype \(SentenceTransformer\.load\): expected one of 'fp32', 'q8', got "int4"/);
      await assert.rejects(CrossEncoder.load(dir, { dtype: 'fp16' as 'q8' }), /dtype \(CrossEncoder\.load\): expected one of 'fp32', 'q8', got "fp16"/);
      await assert.rejects(SparseEncoder.load(dir, { dtype: 'int4' as 'q8' }), /dtype \(SparseEncoder\.load\): expected one of 'fp32', 'q8', got "int4"/);
    } finally {
      removeTinyCheckpoint(dir);
    }
  });

  it('a saved q8 model is int8 on disk, marked, reloads as q8 with identical embeddings, and still loads as fp32', async () => {
    const dir = writeTinySentenceTransformer();
    const out = mkdtempSync(join(tmpdir(), 'q8-saved-'));
    try {
      const texts = ['a tiny test', 'hello world again', ''];
      const fp = await SentenceTransformer.load(dir);
      const q = await SentenceTransformer.load(dir, { dtype: 'q8' });
      assert.equal(q.transformer.dtype, 'q8');
      assert.equal(fp.transformer.dtype, 'fp32');
      const before = tf.memory().numTensors;
      const eq = (await q.encode(texts)) as Float32Array[];
      assert.equal(tf.memory().numTensors, before, 'encode leaves no tensors behind');
      const ef = (await fp.encode(texts)) as Float32Array[];
      for (let i = 0; i < texts.length; i++) assert.ok(cosine(eq[i], ef[i]) > 0.999, `text ${i}: cos ${cosine(eq[i], ef[i])}`);
      await q.save(out);
      assert.ok(existsSync(join(out, Q8_MARKER_FILE)));
      const st = SafetensorsFile.parse(new Uint8Array(readFileSync(join(out, 'model.safetensors'))), 'q8');
      const names = st.names();
      const lin = 'encoder.layer.0.attention.self.query';
      assert.ok(names.includes(`${lin}.weight_q8`) && names.includes(`${lin}.weight_scale`) && !names.includes(`${lin}.weight`), names.join(', '));
      assert.equal(st.info(`${lin}.weight_q8`).dtype, 'I8');
      // The attention output projection is int8 too (run with per-head activation scales); the marker says format 3.
      const attOut = 'encoder.layer.0.attention.output.dense';
      assert.ok(names.includes(`${attOut}.weight_q8`) && !names.includes(`${attOut}.weight`), names.join(', '));
      assert.equal((JSON.parse(readFileSync(join(out, Q8_MARKER_FILE), 'utf8')) as { format_version: number }).format_version, 3);
      const re = await SentenceTransformer.load(out);
      assert.equal(re.transformer.dtype, 'q8', 'the marker selects q8');
      const er = (await re.encode(texts)) as Float32Array[];
      for (let i = 0; i < texts.length; i++) assert.equal(maxAbs(er[i], eq[i]), 0);
      const asFp = await SentenceTransformer.load(out, { dtype: 'fp32' });
      assert.equal(asFp.transformer.dtype, 'fp32');
      const ed = (await asFp.encode(texts)) as Float32Array[];
      for (let i = 0; i < texts.length; i++) assert.ok(cosine(ed[i], ef[i]) > 0.999);
      // A format-2 folder (the attention output projections float32, as the previous release wrote them) loads them
      // int8, quantized at load from the float weight: the same integers, so the same embeddings, bit for bit; a
      // save of it writes format 3.
      const orig = SafetensorsFile.parse(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'orig');
      const tensors: Record<string, TensorToWrite> = {};
      for (const name of names) {
        const info = st.info(name);
        if (name.startsWith(`${attOut}.weight_`)) continue;
        tensors[name] = { dtype: info.dtype, shape: [...info.shape], data: info.dtype === 'F32' ? st.float32(name) : new Int8Array(st.raw(name).slice().buffer) }; // F32 and I8 only here
      }
      tensors[`${attOut}.weight`] = { dtype: 'F32', shape: [...orig.info(`${attOut}.weight`).shape], data: orig.float32(`${attOut}.weight`) };
      writeFileSync(join(out, 'model.safetensors'), serializeSafetensors(tensors));
      const v1 = await SentenceTransformer.load(out);
      const ev1 = (await v1.encode(texts)) as Float32Array[];
      for (let i = 0; i < texts.length; i++) assert.equal(maxAbs(ev1[i], eq[i]), 0, `text ${i}`);
      const out2 = mkdtempSync(join(tmpdir(), 'q8-saved-v2-'));
      try {
        await v1.save(out2);
        const names2 = SafetensorsFile.parse(new Uint8Array(readFileSync(join(out2, 'model.safetensors'))), 'q8v2').names();
        assert.ok(names2.includes(`${attOut}.weight_q8`) && !names2.includes(`${attOut}.weight`), names2.join(', '));
      } finally {
        rmSync(out2, { recursive: true, force: true });
      }
      for (const m of [fp, q, re, asFp, v1]) m.dispose();
    } finally {
      removeTinyCheckpoint(dir);
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a worker pool of a q8 model runs q8 (the same embeddings as the model itself)', async function () {
    this.timeout(120000);
    const dir = writeTinySentenceTransformer();
    const m = await SentenceTransformer.load(dir, { dtype: 'q8' });
    try {
      const texts = ['a tiny test', 'hello world again', 'one more'];
      const own = (await m.encode(texts)) as Float32Array[];
      await m.startMultiProcessPool({ workers: 1 });
      const pooled = (await m.encodeMultiProcess(texts)) as Float32Array[];
      for (let i = 0; i < texts.length; i++) assert.equal(maxAbs(pooled[i], own[i]), 0);
    } finally {
      await m.stopMultiProcessPool();
      m.dispose();
      removeTinyCheckpoint(dir);
    }
  });

  it('sentence-tfjs quantize -m DIR -o OUT writes a q8 model that loads as q8', async function () {
    this.timeout(120000);
    const dir = writeTinySentenceTransformer();
    const out = join(mkdtempSync(join(tmpdir(), 'q8-cli-')), 'out');
    try {
      const r = await runCli(['quantize', '-m', dir, '-o', out, '-q']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), out);
      assert.ok(existsSync(join(out, Q8_MARKER_FILE)) && existsSync(join(out, 'tokenizer.json')) && existsSync(join(out, 'modules.json')));
      const m = await SentenceTransformer.load(out);
      assert.equal(m.transformer.dtype, 'q8');
      m.dispose();
      const bad = await runCli(['quantize', '-m', dir]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--output/);
    } finally {
      removeTinyCheckpoint(dir);
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });

  it('a CrossEncoder loads q8 and scores the fixture pairs close to fp32', async function () {
    this.timeout(120000);
    requireFixtures(this, ['models', 'tiny-bert-cross-encoder'], ['reference', 'tiny-bert-cross-encoder', 'reference.json']);
    const dir = fixture('models', 'tiny-bert-cross-encoder');
    const { pairs } = JSON.parse(readFileSync(fixture('reference', 'tiny-bert-cross-encoder', 'reference.json'), 'utf8')) as { pairs: [string, string][] };
    const fp = await CrossEncoder.load(dir);
    const q = await CrossEncoder.load(dir, { dtype: 'q8' });
    const a = Array.from((await fp.predict(pairs)) as unknown as ArrayLike<number>);
    const b = Array.from((await q.predict(pairs)) as unknown as ArrayLike<number>);
    assert.equal(a.length, pairs.length);
    // measured: max abs diff 4.6e-3 on sigmoid scores up to 0.69 (every linear int8: 5.9e-3); the int8 path ran
    const d = maxAbs(a, b);
    assert.ok(d > 0 && d < 0.02, `max abs diff ${d}`);
    fp.dispose();
    q.dispose();
  });

  it('a SparseEncoder loads q8 (int8 linear layers) and keeps the fp32 sparse vectors to within quantization error', async function () {
    this.timeout(120000);
    requireFixtures(this, ['models', 'tiny-splade'], ['reference', 'tiny-splade', 'reference.json']);
    const dir = fixture('models', 'tiny-splade');
    const { texts } = JSON.parse(readFileSync(fixture('reference', 'tiny-splade', 'reference.json'), 'utf8')) as { texts: string[] };
    const fp = await SparseEncoder.load(dir);
    const q = await SparseEncoder.load(dir, { dtype: 'q8' });
    const fpDefault = await SparseEncoder.load(dir, { dtype: 'fp32' });
    try {
      assert.equal(q.transformer.dtype, 'q8');
      assert.equal(fpDefault.transformer.dtype, 'fp32');
      const dense = (v: SparseVector): Float32Array => {
        const out = new Float32Array(v.dim);
        v.indices.forEach((k, i) => (out[k] = v.values[i]));
        return out;
      };
      const a = ((await fp.encode(texts)) as SparseVector[]).map(dense);
      const b = ((await q.encode(texts)) as SparseVector[]).map(dense);
      const cs = a.map((e, i) => cosine(e, b[i]));
      const min = Math.min(...cs); // spread-ok: fixture texts
      const d = Math.max(...a.map((e, i) => maxAbs(e, b[i]))); // spread-ok: fixture texts
      // measured (wasm, 25 texts; random tiny weights): min cosine 0.999003, max abs diff 0.0475 (every linear
      // int8: 0.998769)
      assert.ok(d > 0 && min >= 0.9985, `min cosine ${min}, max abs diff ${d}`);
    } finally {
      fp.dispose();
      q.dispose();
      fpDefault.dispose();
    }
  });

  it('minilm-l6-full: q8 embeddings of the fixture texts keep cosine >= 0.999 (min and mean) with fp32', async function () {
    this.timeout(300000);
    requireFixtures(this, ['models', 'minilm-l6-full'], ['reference', 'minilm-l6-full', 'reference.json']);
    assert.ok(wasmKernelsActive());
    const dir = fixture('models', 'minilm-l6-full');
    const { texts } = JSON.parse(readFileSync(fixture('reference', 'minilm-l6-full', 'reference.json'), 'utf8')) as { texts: string[] };
    const fp = await SentenceTransformer.load(dir);
    const q = await SentenceTransformer.load(dir, { dtype: 'q8' });
    const ef = (await fp.encode(texts)) as Float32Array[];
    const eq = (await q.encode(texts)) as Float32Array[];
    const cs = ef.map((e, i) => cosine(e, eq[i]));
    const min = Math.min(...cs); // spread-ok: 25 texts
    const mean = cs.reduce((a, b) => a + b, 0) / cs.length;
    // measured (wasm, plain SIMD; attention output projections float32): min 0.999251, mean 0.999522
    // (every linear int8, format 1: min 0.998994, mean 0.999323)
    assert.ok(min >= 0.999 && mean >= 0.999, `min ${min}, mean ${mean}`);
    // Saved (word embeddings int8 too: the base-model probe must still find them) and reloaded: the same embeddings.
    const out = mkdtempSync(join(tmpdir(), 'q8-minilm-'));
    try {
      await q.save(out);
      const re = await SentenceTransformer.load(out);
      assert.equal(re.transformer.dtype, 'q8');
      const er = (await re.encode(texts)) as Float32Array[];
      for (let i = 0; i < texts.length; i++) assert.equal(maxAbs(er[i], eq[i]), 0);
      re.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    fp.dispose();
    q.dispose();
  });
});

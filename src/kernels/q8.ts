/**
 * The int8 dense op's two paths (the op itself is `denseQ8` in ./ops.ts): the wasm kernel (the int8 section of
 * ./wasm/kernels.c) and the stock-ops composite every other backend runs.
 *
 * Both compute y[m, n] = (sum_k (xq[m, k] - zp[m]) * wq[n, k]) * (sx[m] * sw[n]) + bias[n], with the row x[m, :]
 * quantized at run time to 7 bits, asymmetric: lo = min(0, min x), hi = max(0, max x), sx = (hi - lo) / 127 (1
 * for an all-zero row), zp = round-half-even(-lo / sx), xq = clip(round-half-even(x / sx) + zp, 0, 127); wq in
 * [-127, 127] with per-output-channel scales sw (src/weights/q8.ts). Why this split of bits: the int8 section of
 * ./wasm/kernels.c. The stock path's float32 matmul of the same integers is exact while |acc| < 2^24 (K <= 1040)
 * and within float32 rounding beyond; its epilogue is the same float32 operations in the same order, so the paths
 * agree to the bit for K <= 1040 (test/q8.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { KERNEL_FFN_Q8, KERNEL_GATHER_ROWS_Q8, KERNEL_LINEAR_Q8, wasmKernelsActive, wasmLinearActive, type Q8KernelWeight } from './wasm_kernels.js';

export type { Q8KernelWeight } from './wasm_kernels.js';

/** Levels of an activation row above its minimum (7 bits). */
const ACT_LEVELS = 127;

/** Check that `weights` (side by side) take x's K features; returns their total output width. */
function checkWeights(x: tf.Tensor2D, weights: readonly Q8KernelWeight[], bias: tf.Tensor1D | undefined): number {
  const k = x.shape[1];
  let n = 0;
  for (const w of weights) {
    if (w.inFeatures !== k) throw new Error(`denseQ8: x has ${k} features, the int8 weight expects ${w.inFeatures}`);
    n += w.outFeatures;
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) throw new Error(`denseQ8: bias must be [${n}], got [${bias.shape}]`);
  return n;
}

/** The stock path's float copy of a set of weights (side by side): the integers [N, K] and the scales [1, N]. */
interface StockQ8Weight {
  parts: readonly Q8KernelWeight[];
  backend: string;
  wq: tf.Tensor2D;
  scales: tf.Tensor2D;
}

const stockWeights = new Map<Q8KernelWeight, StockQ8Weight[]>();

/**
 * The float tensors of `weights` on the current backend, made on first use and kept (tfjs keeps them alive) until
 * any of the weights is disposed (a model's dispose), so repeated calls on cpu / webgl / webgpu build nothing.
 */
function stockWeightFor(weights: readonly Q8KernelWeight[], n: number, k: number): StockQ8Weight {
  const owner = weights[0];
  const backend = tf.getBackend();
  const list = stockWeights.get(owner) ?? [];
  const hit = list.find((c) => c.backend === backend && c.parts.length === weights.length && c.parts.every((w, i) => w === weights[i]));
  if (hit) return hit;
  const values = new Float32Array(n * k);
  const scales = new Float32Array(n);
  let row = 0;
  for (const w of weights) {
    values.set(w.values, row * k); // (int8 -> float32; one read: it may be re-derived from a packed copy)
    scales.set(w.scales, row);
    row += w.outFeatures;
  }
  const c: StockQ8Weight = { parts: weights, backend, wq: tf.keep(tf.tensor2d(values, [n, k])), scales: tf.keep(tf.tensor2d(scales, [1, n])) };
  list.push(c);
  stockWeights.set(owner, list);
  const free = () => {
    const l = stockWeights.get(owner);
    const i = l ? l.indexOf(c) : -1;
    if (i < 0) return;
    l!.splice(i, 1);
    if (l!.length === 0) stockWeights.delete(owner);
    c.wq.dispose();
    c.scales.dispose();
  };
  for (const w of weights) w.onDispose(free);
  return c;
}

/**
 * The stock-ops composite: quantize x per row, multiply the integers as float32, dequantize, add the bias. The
 * weights' float tensors are cached per weight set and backend (freed with the weights).
 */
export function denseQ8Stock(x: tf.Tensor2D, weights: readonly Q8KernelWeight[], bias?: tf.Tensor1D): tf.Tensor2D {
  const n = checkWeights(x, weights, bias);
  const { wq, scales } = stockWeightFor(weights, n, x.shape[1]); // [N, K] integers, [1, N]
  const group = activationGroup(weights, x.shape[1]);
  if (group > 0) return denseQ8GroupedStock(x, wq, scales, group, bias);
  return tf.tidy(() => {
    const lo = tf.minimum(tf.min(x, 1, true), 0); // [M, 1]
    const range = tf.sub(tf.maximum(tf.max(x, 1, true), 0), lo); // [M, 1]
    const sx = tf.where(tf.greater(range, 0), tf.div(range, ACT_LEVELS), tf.onesLike(range)); // [M, 1]
    const zp = tf.round(tf.div(tf.neg(lo), sx)); // [M, 1]
    const xq = tf.clipByValue(tf.add(tf.round(tf.div(x, sx)), zp), 0, ACT_LEVELS); // [M, K] integers
    const acc = tf.matMul(tf.sub(xq, zp), wq, false, true); // [M, N], exact integers while |acc| < 2^24
    const y = tf.mul(acc, tf.mul(sx, scales)); // [M, N]
    return (bias ? tf.add(y, bias) : y) as tf.Tensor2D;
  });
}

/** The activation group size of a single weight (0: one scale per row); throws if it does not fit K. */
function activationGroup(weights: readonly Q8KernelWeight[], k: number): number {
  const g = weights.length === 1 ? (weights[0].actGroup ?? 0) : 0;
  if (g > 0 && (g % 4 !== 0 || k % g !== 0)) throw new Error(`denseQ8: actGroup must be a multiple of 4 dividing ${k}, got ${g}`);
  return g;
}

/**
 * The stock composite with activation scales per row and group of `g` inputs (q8_gemm_grouped in
 * ./wasm/kernels.c): f = sum over groups, in order, of (integer products of the group) * sx[m, group], then
 * y = f * sw + bias: the kernel's float32 operations in its order.
 */
function denseQ8GroupedStock(x: tf.Tensor2D, wq: tf.Tensor2D, scales: tf.Tensor2D, g: number, bias: tf.Tensor1D | undefined): tf.Tensor2D {
  const [m, k] = x.shape;
  const n = wq.shape[0];
  const ng = k / g;
  return tf.tidy(() => {
    const xg = tf.reshape(x, [m, ng, g]); // [M, ng, G]
    const lo = tf.minimum(tf.min(xg, 2, true), 0); // [M, ng, 1]
    const range = tf.sub(tf.maximum(tf.max(xg, 2, true), 0), lo); // [M, ng, 1]
    const sx = tf.where(tf.greater(range, 0), tf.div(range, ACT_LEVELS), tf.onesLike(range)); // [M, ng, 1]
    const zp = tf.round(tf.div(tf.neg(lo), sx)); // [M, ng, 1]
    const xq = tf.clipByValue(tf.add(tf.round(tf.div(xg, sx)), zp), 0, ACT_LEVELS); // [M, ng, G] integers
    const d = tf.transpose(tf.sub(xq, zp), [1, 0, 2]); // [ng, M, G]
    const w = tf.transpose(tf.reshape(wq, [n, ng, g]), [1, 2, 0]); // [ng, G, N]
    const parts = tf.unstack(tf.mul(tf.matMul(d, w), tf.transpose(sx, [1, 0, 2]))); // ng x [M, N], exact integers times sx
    let f = parts[0];
    for (let i = 1; i < ng; i++) f = tf.add(f, parts[i]);
    const y = tf.mul(f, scales); // [M, N]
    return (bias ? tf.add(y, bias) : y) as tf.Tensor2D;
  });
}

/**
 * The wasm kernel, or undefined where it cannot run (not wasm, kernels off, threaded tfjs with several threads).
 * `gelu`: the output goes through exact-erf GELU in the same call (bit for bit the GELU kernel after it).
 */
export function denseQ8Kernel(x: tf.Tensor2D, weights: readonly Q8KernelWeight[], bias?: tf.Tensor1D, gelu = false): tf.Tensor2D | undefined {
  if (x.dtype !== 'float32' || (bias && bias.dtype !== 'float32') || !wasmLinearActive()) return undefined;
  checkWeights(x, weights, bias);
  if (gelu && activationGroup(weights, x.shape[1]) > 0) return undefined; // (no fused GELU in the grouped GEMM)
  if (weights.length > 1 && weights.some((w) => w.outFeatures % 8 !== 0)) return undefined; // panels must not straddle two weights
  const inputs: tf.NamedTensorMap = bias ? { x, bias } : { x };
  return tf.engine().runKernel(KERNEL_LINEAR_Q8, inputs, { weights, gelu } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * The int8 feed-forward block down(gelu(up(x) + upBias)) + downBias on wasm, `rows` rows at a time inside one
 * kernel call (KERNEL_FFN_Q8), or undefined where the kernel cannot run (then the caller composes the ops).
 */
export function feedForwardQ8Kernel(x: tf.Tensor2D, up: Q8KernelWeight, upBias: tf.Tensor1D | undefined, down: Q8KernelWeight, downBias: tf.Tensor1D | undefined, rows: number): tf.Tensor2D | undefined {
  if (x.dtype !== 'float32' || !wasmLinearActive() || [upBias, downBias].some((t) => t && t.dtype !== 'float32')) return undefined;
  checkWeights(x, [up], upBias);
  if (down.inFeatures !== up.outFeatures || down.outFeatures !== x.shape[1]) throw new Error(`feedForwardQ8: down must be [${x.shape[1]}, ${up.outFeatures}], got [${down.outFeatures}, ${down.inFeatures}]`);
  if (downBias && (downBias.rank !== 1 || downBias.shape[0] !== down.outFeatures)) throw new Error(`feedForwardQ8: downBias must be [${down.outFeatures}], got [${downBias.shape}]`);
  if (activationGroup([up], up.inFeatures) > 0 || activationGroup([down], down.inFeatures) > 0) return undefined;
  if (!(Number.isInteger(rows) && rows > 0)) throw new Error(`feedForwardQ8: rows must be a positive integer, got ${rows}`);
  const inputs: tf.NamedTensorMap = { x };
  if (upBias) inputs.upBias = upBias;
  if (downBias) inputs.downBias = downBias;
  return tf.engine().runKernel(KERNEL_FFN_Q8, inputs, { up, down, rows } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * Rows of an int8 table for int32 ids [...] -> float32 [..., dim] on wasm, written in place in tfjs' heap (see
 * KERNEL_GATHER_ROWS_Q8), or undefined where the kernels are unavailable.
 */
export function gatherRowsQ8Kernel(table: Q8KernelWeight, ids: tf.Tensor): tf.Tensor | undefined {
  if (ids.dtype !== 'int32' || !wasmKernelsActive()) return undefined;
  return tf.engine().runKernel(KERNEL_GATHER_ROWS_Q8, { ids }, { table } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

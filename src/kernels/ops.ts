/**
 * The fused ops layers call: dense (and the fused Q/K/V projection), attention, GELU, add + LayerNorm and the
 * row gather. Each op runs the kernel registered for the active backend where one is and it applies (dtype,
 * shape, options; today the wasm kernels of ./wasm_kernels.ts), else its stock-op composite ({@link ./stock.ts});
 * the numbers are the same either way to float32 rounding (test/kernels.test.ts bounds the difference).
 *
 * Gradients: the stock composites have tfjs' own (except the gather's, see {@link gatherRows}). A kernel has none in
 * tfjs' registry, so while a gradient tape records (`tf.grad`, `tf.variableGrads`, ...) the kernel runs inside
 * `tf.customGrad`, whose backward is the matching wasm backward kernel (dense: dX = dY W^T and dW = X^T dY on the
 * forward GEMM, db; fused Q/K/V; attention, probabilities recomputed per query row; GELU; add + LayerNorm; the
 * gather's scatter-add) where it runs, else stock ops (the choice is made here, per op, in each backward; set
 * `SENTENCE_TFJS_WASM_GRAD_KERNELS=0` for the stock backward). Outside a tape the kernel is called directly. (tfjs-core registers no gradients of its own ops by itself: a program that trains
 * imports `@tensorflow/tfjs-core/dist/register_all_gradients`, as the `@tensorflow/tfjs` umbrella does.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { addLayerNormStock, applyRotary, attentionStock, denseStock, extendedAttentionMask, gatherRowsStock, geluStock, mergeHeads, paddingFillMask, repeatKv, splitHeads, structuralMask } from './stock.js';
import {
  addLayerNormGradKernel, addLayerNormKernel, attentionGradKernel, attentionKernel, encoderLayerKernel, gatherRowsKernel, geluGradKernel, geluKernel, linearGradKernel, linearKernel,
  linearQkvGradKernel, linearQkvKernel, scatterAddRowsKernel, type AttentionKernelOptions, type EncoderLayerWeights,
} from './wasm_ops.js';
import { wasmKernelsActive, wasmLinearActive } from './wasm_kernels.js';
import { denseQ8Kernel, denseQ8Stock, feedForwardQ8Kernel, gatherRowsQ8Kernel, type Q8KernelWeight } from './q8.js';

/** Whether a gradient tape records the ops run now. */
function tapeOn(): boolean {
  return tf.engine().isTapeOn();
}

const isF32 = (t: tf.Tensor | undefined): boolean => t === undefined || t.dtype === 'float32';

/**
 * `forward(inputs)` (a kernel call); while a tape records, wrapped in `tf.customGrad` whose backward is
 * `backward(dy, inputs, extra)`, one gradient per input. `extra` are further tensors the backward reads (masks,
 * ids): saved with the inputs, since the caller may free them before the backward pass runs.
 */
function withGradient<T extends tf.Tensor>(
  inputs: tf.Tensor[],
  extra: tf.Tensor[],
  forward: (xs: tf.Tensor[]) => T,
  backward: (dy: T, xs: tf.Tensor[], extra: tf.Tensor[]) => tf.Tensor[],
): T {
  if (!tapeOn()) return forward(inputs);
  const n = inputs.length;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, n) as tf.Tensor[];
    const save = args[n] as tf.GradSaveFunc;
    save([...xs, ...extra]);
    return { value: forward(xs), gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => backward(dy as T, saved.slice(0, n), saved.slice(n)) };
  });
  return f(...inputs) as T; // spread-ok: an op's own inputs (at most a handful of tensors)
}

/**
 * STOCK_TAPE_NOTE. tfjs-core's tape keeps every tensor a recorded op made and every intermediate gradient until
 * the whole backward pass ends (`Engine.gradients` is one tidy). The GELU and LayerNorm composites record 5-10
 * full-size intermediates forward and more backward; over MiniLM-L6 with MNRL at batch 32 pairs on stock ops that
 * took the tfjs-wasm heap to wasm32's 4 GiB limit (malloc fails, emscripten aborts, and the next free faults with
 * "memory access out of bounds"). So, while a tape records, such a composite is one customGrad node that keeps its
 * inputs only and recomputes itself in the backward under tfjs' own gradients (`tf.grads` with the incoming dy):
 * the same ops and gradient functions as before (an input's gradient terms may be summed in another order: float32
 * rounding), with the composite's intermediates alive for one op's backward instead of the whole pass.
 */
function oneTapeNode<T extends tf.Tensor>(inputs: tf.Tensor[], f: (xs: tf.Tensor[]) => T): T {
  return withGradient(inputs, [], f, (dy, xs) => {
    // The outer backward is running on the engine's tape (gradient depth 0 again); a nested tf.grads starts a
    // tape of its own and, when done, clears the engine's: hand the outer one back.
    const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
    const outer = state.activeTape;
    try {
      return tf.grads((...a: tf.Tensor[]) => f(a))(xs, dy); // spread-ok: an op's own inputs (at most four)
    } finally {
      state.activeTape = outer;
    }
  });
}

/** A dense layer's parameters: weight [in, out] (pre-transposed), bias [out]. `Linear` is one. */
export interface DenseParams {
  readonly weight: tf.Tensor2D;
  readonly bias?: tf.Tensor1D;
  /** An int8 weight (a `Linear` loaded with dtype 'q8'): {@link denseQkv} then runs {@link denseQ8} and never reads `weight`. */
  readonly q8?: Q8KernelWeight;
}

/** Gradients of `x @ w + b` for x [M, K]: the backward kernel on wasm, else stock matmuls. */
function denseBackward(dy: tf.Tensor2D, x: tf.Tensor2D, w: tf.Tensor2D, withBias: boolean): tf.Tensor[] {
  const fast = linearGradKernel(dy, x, w, withBias);
  if (fast) return fast;
  const grads = [tf.matMul(dy, w, false, true), tf.matMul(x, dy, true, false)];
  if (withBias) grads.push(tf.sum(dy, 0));
  return grads;
}

/**
 * `x @ weight + bias` over the last axis: x [..., in], weight [in, out] (PyTorch's [out, in] already transposed
 * by the weight map), bias [out] -> [..., out]. On wasm, the dense kernel on weights packed once.
 * @example
 * const y = dense(x, linear.weight, linear.bias); // [B, T, out]
 */
export function dense<T extends tf.Tensor>(x: T, weight: tf.Tensor2D, bias?: tf.Tensor1D): T {
  const [inF, outF] = weight.shape;
  if (x.shape[x.rank - 1] !== inF) throw new Error(`dense: x must end in ${inF} features (weight [${weight.shape}]), got [${x.shape}]`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) throw new Error(`dense: bias must be [${outF}], got [${bias.shape}]`);
  const lead = x.shape.slice(0, -1);
  const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, inF])) as tf.Tensor2D; // [N, in]
  let y: tf.Tensor2D; // [N, out]
  if (isF32(x2) && isF32(weight) && isF32(bias) && wasmLinearActive()) {
    const inputs = bias ? [x2, weight, bias] : [x2, weight];
    y = withGradient(
      inputs,
      [],
      ([a, w, b]) => linearKernel(a as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D | undefined)!,
      (dy, [a, w]) => denseBackward(dy, a as tf.Tensor2D, w as tf.Tensor2D, bias !== undefined),
    );
  } else {
    y = denseStock(x2, weight, bias);
  }
  if (x.rank === 2) return y as unknown as T;
  if (x2 !== (x as tf.Tensor)) x2.dispose();
  const out = tf.reshape(y, [...lead, outF]) as T; // [..., out]
  y.dispose();
  return out;
}

/** Q, K, V projections [B, T, width] each, or (fused) one [B, T, 3H] holding q | k | v side by side in each row. */
export type QkvProjections = { q: tf.Tensor3D; k: tf.Tensor3D; v: tf.Tensor3D; qkv?: undefined } | { qkv: tf.Tensor3D; q?: undefined; k?: undefined; v?: undefined };

/**
 * The three projections of x [B, T, in]. Where the dense kernel runs and the three weights share one width (a
 * multiple of 8) with biases all or none, one GEMM computes them side by side ({ qkv }: each column exactly as
 * its own projection computes it), which the attention kernel reads in place; else three dense ops ({ q, k, v }).
 */
export function denseQkv(x: tf.Tensor3D, q: DenseParams, k: DenseParams, v: DenseParams): QkvProjections {
  if (q.q8 || k.q8 || v.q8) return denseQkvQ8(x, q, k, v);
  const ws = [q.weight, k.weight, v.weight] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const bs = [q.bias, k.bias, v.bias];
  const h = ws[0].shape[1];
  const allBiases = bs.every((b) => b !== undefined);
  const fusable =
    wasmLinearActive() && h % 8 === 0 && isF32(x) && ws.every((w) => isF32(w) && w.shape[0] === x.shape[2] && w.shape[1] === h) && (allBiases || bs.every((b) => b === undefined)) && bs.every(isF32);
  if (!fusable) return { q: dense(x, q.weight, q.bias), k: dense(x, k.weight, k.bias), v: dense(x, v.weight, v.bias) };
  const [b, t, inF] = x.shape;
  const x2 = tf.reshape(x, [b * t, inF]) as tf.Tensor2D; // [B*T, in]
  const inputs: tf.Tensor[] = allBiases ? [x2, ...ws, ...(bs as tf.Tensor1D[])] : [x2, ...ws];
  const y = withGradient(
    inputs,
    [],
    ([a, wq, wk, wv, bq, bk, bv]) =>
      linearQkvKernel(a as tf.Tensor2D, [wq, wk, wv] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D], allBiases ? ([bq, bk, bv] as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]) : undefined)!,
    (dy, [a, wq, wk, wv]) => {
      const fast = linearQkvGradKernel(dy, a as tf.Tensor2D, [wq, wk, wv] as tf.Tensor2D[], allBiases);
      if (fast) return fast;
      const dys = tf.split(dy, 3, 1) as tf.Tensor2D[]; // [B*T, H] each
      const w = [wq, wk, wv] as tf.Tensor2D[];
      const dx = tf.addN(dys.map((d, i) => tf.matMul(d, w[i], false, true)));
      const dw = dys.map((d) => tf.matMul(a, d, true, false));
      return allBiases ? [dx, ...dw, ...dys.map((d) => tf.sum(d, 0))] : [dx, ...dw];
    },
  ); // [B*T, 3H]
  x2.dispose();
  const qkv = tf.reshape(y, [b, t, 3 * h]) as tf.Tensor3D; // [B, T, 3H]
  y.dispose();
  return { qkv };
}

/** q, k, v of `p`, splitting a fused projection (new tensors then; else `p`'s own). */
export function splitQkv(p: QkvProjections): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  if (p.qkv) return tf.split(p.qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  return [p.q, p.k, p.v];
}

/**
 * torch `F.gelu` (exact erf): `x * 0.5 * (1 + erf(x / sqrt(2)))`. On wasm, one pass of the GELU kernel.
 * @example
 * const h = gelu(dense(x, w1, b1));
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (!isF32(x)) return geluStock(x);
  if (!wasmKernelsActive()) return oneTapeNode([x], ([a]) => geluStock(a) as T); // STOCK_TAPE_NOTE
  return withGradient(
    [x],
    [],
    ([a]) => geluKernel(a)! as T,
    (dy, [a]) => [
      geluGradKernel(a, dy) ??
      tf.tidy(() => {
        const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2)))); // Phi(x)
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(a), -0.5)), 1 / Math.sqrt(2 * Math.PI)); // phi(x)
        return tf.mul(dy, tf.add(cdf, tf.mul(a, pdf)));
      }),
    ],
  );
}

/**
 * `LayerNorm(x + residual)` over the last axis (or of `x` alone), as torch: mean, biased variance,
 * `(z - mean) / sqrt(var + eps) * gamma + beta`. x and residual [..., H] (same shape), gamma and beta [H].
 * On wasm, one pass of the add + LayerNorm kernel.
 */
export function addLayerNorm<T extends tf.Tensor>(x: T, residual: tf.Tensor | undefined, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  if (residual && !tf.util.arraysEqual(residual.shape, x.shape)) {
    throw new Error(`addLayerNorm: residual must have x's shape [${x.shape.join(', ')}], got [${residual.shape.join(', ')}]`);
  }
  const h = x.shape[x.rank - 1];
  if (gamma.shape[0] !== h || beta.shape[0] !== h) throw new Error(`addLayerNorm: gamma and beta must be [${h}], got [${gamma.shape}] and [${beta.shape}]`);
  if (!isF32(x) || !isF32(residual)) return addLayerNormStock(x, residual, gamma, beta, eps);
  if (!wasmKernelsActive()) {
    // STOCK_TAPE_NOTE
    return residual
      ? oneTapeNode([x, residual, gamma, beta], ([a, r, g, b]) => addLayerNormStock(a as T, r, g as tf.Tensor1D, b as tf.Tensor1D, eps))
      : oneTapeNode([x, gamma, beta], ([a, g, b]) => addLayerNormStock(a as T, undefined, g as tf.Tensor1D, b as tf.Tensor1D, eps));
  }
  const inputs = residual ? [x, residual, gamma, beta] : [x, gamma, beta];
  return withGradient(
    inputs,
    [],
    (xs) => (residual ? addLayerNormKernel(xs[0], xs[1], xs[2] as tf.Tensor1D, xs[3] as tf.Tensor1D, eps) : addLayerNormKernel(xs[0], undefined, xs[1] as tf.Tensor1D, xs[2] as tf.Tensor1D, eps))! as T,
    (dy, xs) => {
      const fast = addLayerNormGradKernel(dy, xs[0], residual ? xs[1] : undefined, (residual ? xs[2] : xs[1]) as tf.Tensor1D, eps);
      if (fast) return residual ? [fast[0], tf.clone(fast[0]), fast[1], fast[2]] : fast;
      return tf.tidy(() => {
        const [g] = residual ? [xs[2]] : [xs[1]];
        const z = tf.reshape(residual ? tf.add(xs[0], xs[1]) : xs[0], [-1, h]); // [N, H]
        const d = tf.reshape(dy, [-1, h]); // [N, H]
        const centered = tf.sub(z, tf.mean(z, 1, true));
        const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), eps)); // [N, 1]
        const xhat = tf.mul(centered, rstd);
        const dxhat = tf.mul(d, g);
        const dz = tf.mul(rstd, tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true))));
        const dx = tf.reshape(dz, x.shape);
        const dGamma = tf.sum(tf.mul(d, xhat), 0);
        const dBeta = tf.sum(d, 0);
        return residual ? [dx, tf.clone(dx), dGamma, dBeta] : [dx, dGamma, dBeta];
      });
    },
  );
}

/**
 * Rows `table[ids]`: table [num, dim], ids (any integer dtype; cast to int32) [...] -> [..., dim]. Ids must
 * lie in [0, num): callers validate them (neither path checks). On wasm, the row-copy kernel.
 * The gradient (both paths) scatters the rows' gradients back with `scatterND`, summing repeated ids: tfjs'
 * own gradient of `gather` needs `UnsortedSegmentSum`, which the wasm backend lacks.
 */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const i32 = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
  const kernel = isF32(table) && wasmKernelsActive();
  const [num, dim] = table.shape;
  const out = withGradient(
    [table],
    [i32],
    ([t]) => (kernel ? gatherRowsKernel(t as tf.Tensor2D, i32)! : gatherRowsStock(t as tf.Tensor2D, i32)),
    (dy, _xs, [idx]) => [scatterAddRowsKernel(dy, idx, [num, dim]) ?? tf.tidy(() => tf.scatterND(tf.reshape(idx, [-1, 1]), tf.reshape(dy, [-1, dim]), [num, dim]))], // [N, 1], [N, dim] -> [num, dim]
  );
  if (i32 !== ids) i32.dispose();
  return out;
}

/**
 * The padding mask of a batch, asked by {@link attention} for the form its path needs (`layers/AttentionMask`
 * builds each form once per forward and shares it between layers).
 */
export interface PaddingMask {
  /** int32 [B, T], 1 = attend, 0 = padding: what the attention kernel reads. */
  readonly raw: tf.Tensor2D;
  /**
   * How the stock path masks: 'additive' adds HF's `(1 - mask) * finfo.min` to the scores; 'fill' is
   * DistilBERT's `masked_fill(mask == 0, finfo.min)`. Both give padding keys probability exactly 0, and a
   * query whose keys are all padding attends uniformly to all keys.
   */
  readonly kind: 'additive' | 'fill';
  /** The stock form: additive float32 [B, 1, 1, T] ('additive') or bool [B, 1, 1, T], true = padding ('fill'). */
  stock(): tf.Tensor4D;
}

/** What {@link attention} takes besides the projections. */
export interface AttentionOptions {
  /** Query heads. */
  numHeads: number;
  /** Key/value heads (grouped-query attention); must divide numHeads. Default numHeads. */
  numKvHeads?: number;
  /** Padding of the keys; none: every key attends. */
  mask?: PaddingMask;
  /** Query i sees keys j <= i only. */
  causal?: boolean;
  /**
   * Sliding window w: with `causal`, query i sees keys i - w < j <= i (HF Gemma3: the w most recent keys, itself
   * included); without, keys |i - j| <= w (ModernBERT's local attention, w = local_attention / 2).
   */
  window?: number;
  /** Rotary position embedding applied to q and k (HF `rotate_half`): cos, sin [T, d] or [B, T, d] (see layers/rotary.ts). */
  rotary?: { cos: tf.Tensor; sin: tf.Tensor };
  /** Added to the scaled scores before the mask: [1 | B, heads, T, T] (MPNet's relative position bias). */
  bias?: tf.Tensor4D;
  /** Multiplies the scores (default: divide by sqrt(d)). */
  scale?: number;
  /** DistilBERT: scale q before the product instead of the scores after it. */
  scaleQuery?: boolean;
  /** Also return the probabilities [B, heads, T, T] (default false). */
  outputProbs?: boolean;
  /** Training only: dropout of the probabilities (the stock path then runs). */
  probsDropout?: (probs: tf.Tensor4D) => tf.Tensor4D;
}

/** Rotary embedding of a projection [B, T, heads*d]. */
function rotate(x: tf.Tensor3D, heads: number, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, w] = x.shape;
    return tf.reshape(applyRotary(tf.reshape(x, [b, t, heads, w / heads]), cos, sin), [b, t, w]) as tf.Tensor3D; // [B, T, heads, d] -> [B, T, heads*d]
  });
}

function checkAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, o: AttentionOptions, numKvHeads: number): void {
  const [b, t, width] = q.shape;
  const { numHeads } = o;
  if (!Number.isInteger(numHeads) || numHeads < 1 || width % numHeads !== 0) throw new Error(`attention: numHeads must be a positive divisor of q's width ${width}, got ${numHeads}`);
  if (!Number.isInteger(numKvHeads) || numKvHeads < 1 || numHeads % numKvHeads !== 0) throw new Error(`attention: numKvHeads must divide numHeads ${numHeads}, got ${numKvHeads}`);
  const d = width / numHeads;
  const kvShape = [b, t, numKvHeads * d];
  if (!tf.util.arraysEqual(k.shape, kvShape) || !tf.util.arraysEqual(v.shape, kvShape)) {
    throw new Error(`attention: k and v must be [${kvShape}] (q [${q.shape}], ${numKvHeads} kv heads), got [${k.shape}] and [${v.shape}]`);
  }
  const m = o.mask?.raw;
  if (m && (m.rank !== 2 || m.shape[0] !== b || m.shape[1] !== t)) throw new Error(`attention: mask must be [${b}, ${t}], got [${m.shape}]`);
  const bias = o.bias;
  if (bias && (bias.rank !== 4 || (bias.shape[0] !== 1 && bias.shape[0] !== b) || bias.shape[1] !== numHeads || bias.shape[2] !== t || bias.shape[3] !== t)) {
    throw new Error(`attention: bias must be [1 or ${b}, ${numHeads}, ${t}, ${t}], got [${bias.shape}]`);
  }
  if (o.window !== undefined && (!Number.isInteger(o.window) || o.window < (o.causal ? 1 : 0))) {
    throw new Error(`attention: window must be an integer >= ${o.causal ? 1 : 0}, got ${o.window}`);
  }
  if (o.rotary) {
    const { cos, sin } = o.rotary;
    const ok = (c: tf.Tensor) => (c.rank === 2 && c.shape[0] === t && c.shape[1] === d) || (c.rank === 3 && c.shape[0] === b && c.shape[1] === t && c.shape[2] === d);
    if (d % 2 !== 0 || !ok(cos) || !ok(sin)) throw new Error(`attention: rotary cos and sin must be [${t}, ${d}] or [${b}, ${t}, ${d}] (d even), got [${cos.shape}] and [${sin.shape}]`);
  }
}

/**
 * Multi-head scaled dot-product attention over projections q [B, T, heads*d] and k, v [B, T, kvHeads*d] (or a
 * fused { qkv } from {@link denseQkv}): context [B, T, heads*d] (heads merged; before the output projection) and,
 * on request, the probabilities [B, heads, T, T]. Scores are q k^T / sqrt(d) (or `scale`), plus `bias`, then
 * the padding mask, then the causal / window mask; a query with no key left attends uniformly to all keys.
 * On wasm the blocked attention kernel runs (every option: grouped-query heads, causal, windows, scale, bias;
 * rotary is applied by stock ops first; memory O(T d) unless the probabilities are asked for); else stock ops.
 * While a gradient tape records, probabilities come from the stock ops (so that they carry gradients too). The caller owns the result; `p` stays the caller's.
 * @example
 * const { context } = attention(denseQkv(x, q, k, v), { numHeads: 12, mask });
 */
export function attention(p: QkvProjections, o: AttentionOptions): { context: tf.Tensor3D; probs?: tf.Tensor4D } {
  const numKvHeads = o.numKvHeads ?? o.numHeads;
  if (p.qkv && p.qkv.shape[2] % 3 !== 0) throw new Error(`attention: a fused qkv must be [B, T, 3H], got [${p.qkv.shape}]`);
  const shapeOf = (t: tf.Tensor3D | undefined) => (t ? t : ({ shape: [p.qkv!.shape[0], p.qkv!.shape[1], p.qkv!.shape[2] / 3] } as tf.Tensor3D));
  checkAttention(shapeOf(p.q), shapeOf(p.k), shapeOf(p.v), o, numKvHeads);
  const outputProbs = o.outputProbs ?? false;
  const owned: tf.Tensor[] = []; // what this op made and frees
  try {
    let source = p;
    if (o.rotary) {
      const { cos, sin } = o.rotary;
      const [q0, k0, v] = splitQkv(p);
      if (p.qkv) owned.push(q0, k0, v);
      const q = rotate(q0, o.numHeads, cos, sin);
      const k = rotate(k0, numKvHeads, cos, sin);
      owned.push(q, k);
      source = { q, k, v };
    }
    const kernelApplies = wasmKernelsActive() && [source.qkv, source.q, source.k, source.v, o.bias].every(isF32) && !o.probsDropout && !(outputProbs && tapeOn());
    if (kernelApplies) return attentionKernelOp(source, o, numKvHeads, outputProbs);
    const [q, k, v] = splitQkv(source);
    if (source.qkv) owned.push(q, k, v);
    const padding = o.mask && { kind: o.mask.kind, mask: o.mask.stock() };
    const r = attentionStock(q, k, v, { numHeads: o.numHeads, numKvHeads, padding, causal: !!o.causal, window: o.window, bias: o.bias, scale: o.scale, scaleQuery: !!o.scaleQuery, probsDropout: o.probsDropout });
    if (outputProbs) return r;
    r.probs.dispose();
    return { context: r.context };
  } finally {
    tf.dispose(owned);
  }
}

/** The attention kernel (through customGrad while a tape records; then without probabilities, see {@link attention}). */
function attentionKernelOp(p: QkvProjections, o: AttentionOptions, numKvHeads: number, outputProbs: boolean): { context: tf.Tensor3D; probs?: tf.Tensor4D } {
  const mask = o.mask?.raw;
  const kopts: AttentionKernelOptions = { numHeads: o.numHeads, numKvHeads, mask, causal: o.causal, window: o.window, positionBias: o.bias, scale: o.scale, scaleQuery: o.scaleQuery };
  if (!tapeOn()) return attentionKernel(p.qkv ?? p.q, p.k, p.v, { ...kopts, outputProbs })!;
  const proj = p.qkv ? [p.qkv] : [p.q, p.k, p.v];
  const inputs = o.bias ? [...proj, o.bias] : proj;
  const fill = o.mask?.kind === 'fill';
  const context = withGradient(
    inputs,
    mask ? [mask] : [],
    (xs) => {
      const [k, v] = p.qkv ? [undefined, undefined] : [xs[1] as tf.Tensor3D, xs[2] as tf.Tensor3D];
      return attentionKernel(xs[0] as tf.Tensor3D, k, v, { ...kopts, positionBias: o.bias && (xs[proj.length] as tf.Tensor4D) })!.context;
    },
    (dy, xs, extra) => attentionBackward(dy, xs.slice(0, proj.length) as tf.Tensor3D[], o.bias && (xs[proj.length] as tf.Tensor4D), { ...kopts, mask: extra[0] as tf.Tensor2D | undefined }, fill),
  );
  return { context };
}

/** Sum of a [B, heads, T, d] gradient over each kv head's group of rep query heads -> [B, heads / rep, T, d]. */
function sumGroups(x: tf.Tensor4D, rep: number): tf.Tensor4D {
  if (rep === 1) return x;
  const [b, n, t, d] = x.shape;
  return tf.sum(tf.reshape(x, [b, n / rep, rep, t, d]), 2); // [B, kvHeads, rep, T, d] -> [B, kvHeads, T, d]
}

/**
 * Gradients of the attention kernel: the backward kernel where it runs, else stock ops, for P = softmax(S), S = c q k^T + bias (masked; c = 1 / sqrt(d)
 * or `scale`), O = P v: dv = P^T dO, dS = P * (dO v^T - rowsum(P * dO v^T)), dq = c dS k, dk = c dS^T q,
 * dbias = dS (summed over a broadcast batch); with grouped-query heads, dk and dv are summed over each kv head's
 * query heads. A masked_fill mask stops dS at padding keys, and the causal / window mask (a `where`) at the keys
 * outside it (which only matters in a row with no key left: elsewhere P is 0 there); an additive mask lets it
 * through, as tfjs' own gradient of the stock ops does.
 */
function attentionBackward(dy: tf.Tensor3D, proj: tf.Tensor3D[], bias: tf.Tensor4D | undefined, o: AttentionKernelOptions, fill: boolean): tf.Tensor[] {
  const fast = attentionGradKernel(dy, proj[0], proj[1], proj[2], { ...o, positionBias: bias }, fill);
  if (fast) return fast;
  return tf.tidy(() => {
    const heads = o.numHeads;
    const kvHeads = o.numKvHeads ?? heads;
    const rep = heads / kvHeads;
    const mask = o.mask;
    const [q3, k3, v3] = proj.length === 1 ? (tf.split(proj[0], 3, 2) as tf.Tensor3D[]) : proj;
    const t = q3.shape[1];
    const probs =
      attentionKernel(q3, k3, v3, { ...o, positionBias: bias, outputProbs: true })?.probs ??
      attentionStock(q3, k3, v3, {
        numHeads: heads,
        numKvHeads: kvHeads,
        padding: mask && (fill ? { kind: 'fill', mask: paddingFillMask(mask) } : { kind: 'additive', mask: extendedAttentionMask(mask) }),
        causal: !!o.causal,
        window: o.window,
        bias,
        scale: o.scale,
        scaleQuery: !!o.scaleQuery,
      }).probs; // [B, heads, T, T]
    const root = Math.sqrt(q3.shape[2] / heads);
    const [q, dO] = [q3, dy].map((x) => splitHeads(x, heads)) as tf.Tensor4D[]; // [B, heads, T, d]
    const [k, v] = [k3, v3].map((x) => repeatKv(splitHeads(x, kvHeads), rep)); // [B, heads, T, d]
    const dv = tf.matMul(probs, dO, true, false) as tf.Tensor4D; // [B, heads, T, d]
    const dP = tf.matMul(dO, v, false, true); // [B, heads, T, T]
    let dS = tf.mul(probs, tf.sub(dP, tf.sum(tf.mul(probs, dP), 3, true))); // [B, heads, T, T]
    if (fill && mask) dS = tf.where(paddingFillMask(mask), tf.scalar(0), dS);
    const allowed = structuralMask(t, !!o.causal, o.window);
    if (allowed) dS = tf.where(allowed, dS, tf.scalar(0));
    const scaled = (x: tf.Tensor): tf.Tensor => (o.scale !== undefined ? tf.mul(x, o.scale) : tf.div(x, root));
    const dq = scaled(tf.matMul(dS, k)) as tf.Tensor4D;
    const dk = (o.scaleQuery ? tf.matMul(dS, scaled(q), true, false) : scaled(tf.matMul(dS, q, true, false))) as tf.Tensor4D;
    const grads: tf.Tensor[] = [mergeHeads(dq), mergeHeads(sumGroups(dk, rep)), mergeHeads(sumGroups(dv, rep))];
    const out: tf.Tensor[] = proj.length === 1 ? [tf.concat(grads, 2)] : grads;
    if (bias) out.push(bias.shape[0] === 1 && dS.shape[0] !== 1 ? tf.sum(dS, 0, true) : dS);
    return out;
  });
}

/**
 * A whole post-norm (BERT, DistilBERT, MPNet) encoder layer as one kernel call on wasm: `a = LayerNorm(x + o(attention(x)))`,
 * then `LayerNorm(a + down(gelu(up(a))))` (exact GELU, scores / sqrt(d) or, `scaleQuery`, q / sqrt(d) first; MPNet's
 * `positionBias` [1 | B, heads, T, T] added to the scores; the padding mask), bit for bit what the per-op
 * path computes, with 1 kernel call instead of 16 (and no reshapes). Undefined where it does not apply (not the
 * wasm dense kernel, a gradient tape recording, H not a multiple of 8, a bias missing, a non-int32 mask): the
 * caller then runs the per-op path, which it must also take whenever taps or probabilities are wanted.
 * @example
 * const y = encoderLayer(x, ctx.mask, weights, 12) ?? perOp(x);
 */
export function encoderLayer(x: tf.Tensor3D, mask: PaddingMask | undefined, w: EncoderLayerWeights, numHeads: number, scaleQuery = false, positionBias?: tf.Tensor4D): tf.Tensor3D | undefined {
  if (tapeOn() || !isF32(x)) return undefined;
  return encoderLayerKernel(x, mask?.raw, w, numHeads, scaleQuery, positionBias);
}

// ---- int8 (issue 17) ----------------------------------------------------------------------------------------

/**
 * `weights` side by side applied to x [..., in] (the 2-D work by `run`), reshaped back to [..., out]; `withGelu`:
 * then exact GELU, fused into the int8 kernel's call where it runs (the same bits as {@link gelu} after it).
 */
function denseQ8Rows<T extends tf.Tensor>(x: T, weights: readonly Q8KernelWeight[], bias: tf.Tensor1D | undefined, withGelu = false): T {
  const inF = weights[0].inFeatures;
  if (x.shape[x.rank - 1] !== inF) throw new Error(`denseQ8: x must end in ${inF} features, got [${x.shape}]`);
  const outF = weights.reduce((a, w) => a + w.outFeatures, 0);
  const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, inF])) as tf.Tensor2D; // [N, in]
  // The kernel has no gradient: under a tape the stock ops run (x's gradient through round() is zero there).
  const fused = !tapeOn() && isF32(x2) && denseQ8Kernel(x2, weights, bias, withGelu);
  let y = fused || denseQ8Stock(x2, weights, bias); // [N, out]
  if (withGelu && !fused) {
    const g = gelu(y);
    y.dispose();
    y = g;
  }
  if (x.rank === 2) return y as unknown as T;
  if (x2 !== (x as tf.Tensor)) x2.dispose();
  const out = tf.reshape(y, [...x.shape.slice(0, -1), outF]) as T; // [..., out]
  y.dispose();
  return out;
}

/**
 * `x @ W^T + bias` with an int8 weight W (per-output-channel scales) and x quantized per row to int8 at run time
 * (dynamic quantization), int32 accumulation, dequantize + bias fused: x [..., in] -> [..., out]. On wasm, the
 * int8 kernel (relaxed SIMD's `i32x4.relaxed_dot_i8x16_i7x16_add_s` where the runtime has it, else
 * `i32x4.dot_i16x8_s`); elsewhere stock ops giving the same numbers. Inference only (no gradient).
 * @example
 * const y = denseQ8(x, linear.q8!, linear.bias); // [B, T, out]
 */
export function denseQ8<T extends tf.Tensor>(x: T, weight: Q8KernelWeight, bias?: tf.Tensor1D): T {
  return denseQ8Rows(x, [weight], bias);
}

/**
 * `gelu(denseQ8(x, weight, bias))` (a BERT intermediate block with int8 weights): on wasm one int8 kernel call
 * with the GELU applied to each strip of rows as it is written, bit for bit the two ops one after the other (one
 * pass over the [..., out] output and one tensor less). Inference only, as {@link denseQ8}.
 * @example
 * const h = denseQ8Gelu(x, up.q8!, up.bias); // [B, T, intermediate]
 */
export function denseQ8Gelu<T extends tf.Tensor>(x: T, weight: Q8KernelWeight, bias?: tf.Tensor1D): T {
  return denseQ8Rows(x, [weight], bias, true);
}

/**
 * A BERT feed-forward block with int8 weights and exact GELU, `denseQ8(denseQ8Gelu(x, up, upBias), down, downBias)`,
 * bit for bit: on wasm one kernel call that runs the steps over `rows` rows at a time (the [rows, intermediate]
 * temporaries reused inside it), elsewhere the two ops. Inference only, as {@link denseQ8}.
 * @example
 * const y = feedForwardQ8(x, up.q8!, up.bias, down.q8!, down.bias, 512); // [B, T, H]
 */
export function feedForwardQ8<T extends tf.Tensor>(x: T, up: Q8KernelWeight, upBias: tf.Tensor1D | undefined, down: Q8KernelWeight, downBias: tf.Tensor1D | undefined, rows: number): T {
  const h = up.inFeatures;
  if (x.shape[x.rank - 1] !== h) throw new Error(`feedForwardQ8: x must end in ${h} features, got [${x.shape}]`);
  const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, h])) as tf.Tensor2D; // [N, H]
  const fused = !tapeOn() && isF32(x2) ? feedForwardQ8Kernel(x2, up, upBias, down, downBias, rows) : undefined;
  if (x2 !== (x as tf.Tensor)) x2.dispose();
  if (!fused) return tf.tidy(() => denseQ8(denseQ8Gelu(x, up, upBias), down, downBias));
  if (x.rank === 2) return fused as unknown as T;
  const out = tf.reshape(fused, x.shape) as T; // [..., H]
  fused.dispose();
  return out;
}

/** {@link denseQkv} for int8 weights: one fused int8 GEMM where all three are int8 (widths a multiple of 8). */
function denseQkvQ8(x: tf.Tensor3D, q: DenseParams, k: DenseParams, v: DenseParams): QkvProjections {
  const ps = [q, k, v];
  const one = (p: DenseParams) => (p.q8 ? denseQ8(x, p.q8, p.bias) : dense(x, p.weight, p.bias));
  const h = q.q8?.outFeatures;
  const allBiases = ps.every((p) => p.bias !== undefined);
  const fusable = wasmLinearActive() && !tapeOn() && isF32(x) && h !== undefined && h % 8 === 0 && ps.every((p) => p.q8 && p.q8.outFeatures === h) && (allBiases || ps.every((p) => p.bias === undefined));
  if (!fusable) return { q: one(q), k: one(k), v: one(v) };
  const bias = allBiases ? tf.concat(ps.map((p) => p.bias!)) as tf.Tensor1D : undefined; // [3H]
  try {
    return { qkv: denseQ8Rows(x, ps.map((p) => p.q8!), bias) }; // [B, T, 3H]
  } finally {
    bias?.dispose();
  }
}

/**
 * Rows of an int8 table (values [num, dim] with one scale per row, as a quantized `Embedding`): ids (any integer
 * dtype) [...] -> float32 [..., dim], each row `values[id] * scale[id]`. Reads the ids on the CPU (they come from
 * the tokenizer); ids must lie in [0, num). On wasm (int32 ids) the rows go straight into the output in tfjs' heap;
 * elsewhere through a JS array. Inference only.
 */
export function gatherRowsQ8(table: Q8KernelWeight, ids: tf.Tensor): tf.Tensor {
  // On wasm, the rows are written straight into the output in tfjs' heap (no float32 copy in JS memory).
  const onWasm = ids.dtype === 'int32' && gatherRowsQ8Kernel(table, ids);
  if (onWasm) return onWasm;
  const num = table.outFeatures;
  const dim = table.inFeatures;
  const idv = ids.dataSync();
  const values = table.values; // one read (a weight may re-derive it from a packed copy)
  const out = new Float32Array(idv.length * dim);
  for (let i = 0; i < idv.length; i++) {
    const id = Number(idv[i]);
    if (!(id >= 0 && id < num)) throw new Error(`gatherRowsQ8: id ${id} at ${i} is outside [0, ${num})`);
    const s = table.scales[id];
    const src = id * dim;
    const dst = i * dim;
    for (let c = 0; c < dim; c++) out[dst + c] = values[src + c] * s;
  }
  return tf.tensor(out, [...ids.shape, dim], 'float32');
}

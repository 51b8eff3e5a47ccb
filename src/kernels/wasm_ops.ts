/**
 * Calls into the custom wasm kernels ({@link ./wasm_kernels.ts}); each returns undefined when the kernels cannot
 * run on the current backend. Layers do not call these: they call the ops in {@link ./ops.ts}, which choose
 * between these and the stock composites and carry the gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  KERNEL_ADAMW, KERNEL_ADD_LAYER_NORM, KERNEL_ADD_LAYER_NORM_GRAD, KERNEL_ATTENTION, KERNEL_ATTENTION_GRAD, KERNEL_ENCODER_LAYER, KERNEL_GATHER_ROWS, KERNEL_GELU, KERNEL_GELU_GRAD,
  KERNEL_LINEAR, KERNEL_LINEAR_GRAD, KERNEL_LINEAR_QKV, KERNEL_LINEAR_QKV_GRAD, KERNEL_SCATTER_ADD_ROWS, wasmGradKernelsActive, wasmKernelsActive, wasmLinearActive,
} from './wasm_kernels.js';

/**
 * `x @ weight + bias` for x [M, K], weight [K, N] (the pre-transposed [in, out] layout), bias [N], or undefined
 * where unavailable. The weight is packed once, on first use, and the packing lives as long as the weight.
 */
export function linearKernel(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D | undefined {
  if (x.dtype !== 'float32' || weight.dtype !== 'float32' || (bias && bias.dtype !== 'float32') || !wasmLinearActive()) return undefined;
  if (x.shape[1] !== weight.shape[0]) throw new Error(`linear: x has ${x.shape[1]} features, weight expects ${weight.shape[0]}`);
  if (bias && bias.shape[0] !== weight.shape[1]) throw new Error(`linear: bias has ${bias.shape[0]} entries, weight has ${weight.shape[1]} outputs`);
  const inputs: tf.NamedTensorMap = bias ? { x, weight, bias } : { x, weight };
  return tf.engine().runKernel(KERNEL_LINEAR, inputs) as tf.Tensor2D;
}

/**
 * The fused Q/K/V projection: x [M, K] times three [K, H] weights side by side (plus their biases, all or none)
 * -> [M, 3H] (columns q | k | v), each column exactly as its own projection computes it. Undefined where the
 * dense kernel does not run, or H is not a multiple of 8 (the panels must not straddle two weights).
 */
export function linearQkvKernel(x: tf.Tensor2D, weights: [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D], biases?: [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]): tf.Tensor2D | undefined {
  const [wq, wk, wv] = weights;
  const h = wq.shape[1];
  if (h % 8 !== 0 || x.dtype !== 'float32' || !wasmLinearActive()) return undefined;
  for (const w of weights) {
    if (w.dtype !== 'float32' || w.shape[0] !== x.shape[1] || w.shape[1] !== h) {
      throw new Error(`linear qkv: each weight must be float32 [${x.shape[1]}, ${h}], got ${w.dtype} [${w.shape}]`);
    }
  }
  const inputs: tf.NamedTensorMap = { x, wq, wk, wv };
  if (biases) [inputs.bq, inputs.bk, inputs.bv] = biases;
  return tf.engine().runKernel(KERNEL_LINEAR_QKV, inputs) as tf.Tensor2D;
}

/** Rows `table[ids]` ([...ids, dim]) for a float32 [num, dim] table and int32 ids, or undefined where unavailable. */
export function gatherRowsKernel(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor | undefined {
  if (table.dtype !== 'float32' || ids.dtype !== 'int32' || !wasmKernelsActive()) return undefined;
  return tf.engine().runKernel(KERNEL_GATHER_ROWS, { table, ids }) as tf.Tensor;
}

/** torch `F.gelu` (exact erf) in one pass, or undefined where the kernels are unavailable. */
export function geluKernel(x: tf.Tensor): tf.Tensor | undefined {
  if (x.dtype !== 'float32' || !wasmKernelsActive()) return undefined;
  return tf.engine().runKernel(KERNEL_GELU, { x }) as tf.Tensor;
}

/** `LayerNorm(x + residual)` (or of `x` alone) over the last axis in one pass, or undefined where unavailable. */
export function addLayerNormKernel<T extends tf.Tensor>(x: T, residual: tf.Tensor | undefined, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T | undefined {
  if (x.dtype !== 'float32' || (residual && residual.dtype !== 'float32') || !wasmKernelsActive()) return undefined;
  if (residual && !tf.util.arraysEqual(residual.shape, x.shape)) {
    throw new Error(`addLayerNorm: residual must have x's shape [${x.shape.join(', ')}], got [${residual.shape.join(', ')}]`);
  }
  const inputs: tf.NamedTensorMap = residual ? { x, residual, gamma, beta } : { x, gamma, beta };
  return tf.engine().runKernel(KERNEL_ADD_LAYER_NORM, inputs, { eps } as unknown as tf.NamedAttrMap) as T;
}

/** Inputs of {@link attentionKernel}. */
export interface AttentionKernelOptions {
  numHeads: number;
  /** Key/value heads (grouped-query attention: query head h reads kv head h / (numHeads / numKvHeads)). Default numHeads. */
  numKvHeads?: number;
  /** int32 [B, T], 1 = attend, 0 = padding (none: every key attends). */
  mask?: tf.Tensor2D;
  /** Query i sees keys j <= i only. */
  causal?: boolean;
  /** Sliding window w: with `causal`, keys i - w < j <= i; without, keys |i - j| <= w. */
  window?: number;
  /** Added to the scaled scores: [1 | B, heads, T, T] (MPNet's relative position bias). */
  positionBias?: tf.Tensor4D;
  /** Multiplies the scores (or, with `scaleQuery`, q); default: divide by sqrt(d). */
  scale?: number;
  /** DistilBERT: q / sqrt(d) before the product (instead of scores / sqrt(d)). */
  scaleQuery?: boolean;
  /** Also return the probabilities [B, heads, T, T]. */
  outputProbs?: boolean;
}

/**
 * Multi-head attention over projections q [B, T, heads*d], k, v [B, T, kvHeads*d] (heads split and merged
 * inside; blocked with an online softmax, so memory is O(T d) unless the probabilities are asked for): context
 * [B, T, heads*d] and, on request, the probabilities. Undefined where the kernels are unavailable.
 */
export function attentionKernel(
  q: tf.Tensor3D,
  k: tf.Tensor3D | undefined,
  v: tf.Tensor3D | undefined,
  opts: AttentionKernelOptions,
): { context: tf.Tensor3D; probs?: tf.Tensor4D } | undefined {
  // k and v undefined: q is the fused projection [B, T, 3H] (q | k | v in each row).
  const fusedQkv = k === undefined && v === undefined;
  if (!wasmKernelsActive() || q.dtype !== 'float32' || (k && k.dtype !== 'float32') || (v && v.dtype !== 'float32')) return undefined;
  const [b, t, width] = q.shape;
  const h = fusedQkv ? width / 3 : width;
  const heads = opts.numHeads;
  const kvHeads = opts.numKvHeads ?? heads;
  if (!Number.isInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) throw new Error(`attention: numKvHeads must divide numHeads ${heads}, got ${kvHeads}`);
  if (h % heads !== 0) throw new Error(`attention: hidden size ${h} is not a multiple of numHeads ${heads}`);
  const kvShape = [b, t, (h / heads) * kvHeads];
  if (fusedQkv ? width % 3 !== 0 || kvHeads !== heads : !k || !v || !tf.util.arraysEqual(k.shape, kvShape) || !tf.util.arraysEqual(v.shape, kvShape)) {
    throw new Error(`attention: k and v must be [${kvShape}] for q [${q.shape}] (or q be [B, T, 3H] alone, kvHeads = heads), got [${k?.shape}], [${v?.shape}]`);
  }
  const mask = opts.mask;
  if (mask && (mask.shape[0] !== b || mask.shape[1] !== t)) throw new Error(`attention: mask must be [${b}, ${t}], got [${mask!.shape}]`);
  const bias = opts.positionBias;
  if (bias && (bias.rank !== 4 || (bias.shape[0] !== 1 && bias.shape[0] !== b) || bias.shape[1] !== heads || bias.shape[2] !== t || bias.shape[3] !== t)) {
    throw new Error(`attention: positionBias must be [1 or ${b}, ${heads}, ${t}, ${t}], got [${bias.shape}]`);
  }
  const window = opts.window ?? -1;
  if (!Number.isInteger(window) || window < -1 || (opts.window !== undefined && opts.window < (opts.causal ? 1 : 0))) {
    throw new Error(`attention: window must be an integer >= ${opts.causal ? 1 : 0}, got ${opts.window}`);
  }
  // How the scale enters (kernels.c SCALE_*): scores / sqrt(d) (HF's encoders, bit for bit), scores * scale,
  // q / sqrt(d) (DistilBERT) or q * scale.
  const root = Math.sqrt(h / heads);
  const scaleMode = (opts.scaleQuery ? 2 : 0) + (opts.scale !== undefined ? 1 : 0);
  const scale = opts.scale ?? root;
  return tf.tidy(() => {
    const m = mask && mask.dtype !== 'int32' ? tf.cast(mask, 'int32') : mask;
    const b32 = bias && bias.dtype !== 'float32' ? tf.cast(bias, 'float32') : bias;
    const inputs: tf.NamedTensorMap = fusedQkv ? { qkv: q } : { q, k: k!, v: v! };
    if (m) inputs.mask = m;
    if (b32) inputs.bias = b32;
    const attrs = { numHeads: heads, numKvHeads: kvHeads, scale, scaleMode, causal: !!opts.causal, window, outputProbs: !!opts.outputProbs } as unknown as tf.NamedAttrMap;
    const r = tf.engine().runKernel(KERNEL_ATTENTION, inputs, attrs) as tf.Tensor | tf.Tensor[];
    if (Array.isArray(r)) return { context: r[0] as tf.Tensor3D, probs: r[1] as tf.Tensor4D };
    return { context: r as tf.Tensor3D };
  });
}

/** The weights of a post-norm (BERT) encoder layer, as {@link encoderLayerKernel} takes them. */
export interface EncoderLayerWeights {
  /** Query, key, value, attention output: weight [H, H] (the [in, out] layout), bias [H]. */
  q: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  k: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  v: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  o: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  /** LayerNorm after the attention block: gamma, beta [H], eps. */
  norm1: { weight: tf.Tensor1D; bias: tf.Tensor1D; eps: number };
  /** Feed-forward: [H, I] then [I, H], biases [I] and [H]. */
  up: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  down: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  norm2: { weight: tf.Tensor1D; bias: tf.Tensor1D; eps: number };
}

/**
 * A whole post-norm encoder layer in one kernel call: a = LayerNorm(x + o(attention(q, k, v of x))), then
 * LayerNorm(a + down(gelu(up(a)))) (exact-erf GELU, scores / sqrt(d) or with `scaleQuery` DistilBERT's
 * q / sqrt(d) first, plus MPNet's `positionBias` [1 | B, heads, T, T] when given, then the padding mask). x [B, T, H]
 * float32, mask int32 [B, T] (or none). Undefined where the dense kernel does not run or the shapes do not fit (H a multiple of
 * 8, every bias present): the caller then takes the per-op path.
 */
export function encoderLayerKernel(
  x: tf.Tensor3D,
  mask: tf.Tensor2D | undefined,
  w: EncoderLayerWeights,
  numHeads: number,
  scaleQuery = false,
  positionBias?: tf.Tensor4D,
): tf.Tensor3D | undefined {
  const [b, t, h] = x.shape;
  const params = [w.q, w.k, w.v, w.o, w.up, w.down];
  const tensors = [x, ...params.flatMap((p) => [p.weight, p.bias]), w.norm1.weight, w.norm1.bias, w.norm2.weight, w.norm2.bias];
  if (!wasmLinearActive() || h % 8 !== 0 || h % numHeads !== 0 || tensors.some((t) => t === undefined || t.dtype !== 'float32')) return undefined;
  if ((mask && mask.dtype !== 'int32') || (positionBias && positionBias.dtype !== 'float32')) return undefined;
  const pb = positionBias?.shape;
  if (pb && (pb.length !== 4 || (pb[0] !== 1 && pb[0] !== b) || pb[1] !== numHeads || pb[2] !== t || pb[3] !== t)) {
    throw new Error(`encoder layer: positionBias must be [1 or ${b}, ${numHeads}, ${t}, ${t}], got [${pb}]`);
  }
  const inter = w.up.weight.shape[1];
  const square = [w.q, w.k, w.v, w.o].every((p) => p.weight.shape[0] === h && p.weight.shape[1] === h);
  if (!square || w.up.weight.shape[0] !== h || w.down.weight.shape[0] !== inter || w.down.weight.shape[1] !== h) {
    throw new Error(`encoder layer: weights must be [${h}, ${h}] (q, k, v, o), [${h}, I] and [I, ${h}], got up [${w.up.weight.shape}], down [${w.down.weight.shape}]`);
  }
  const inputs: tf.NamedTensorMap = {
    x,
    wq: w.q.weight, wk: w.k.weight, wv: w.v.weight, bq: w.q.bias, bk: w.k.bias, bv: w.v.bias,
    wo: w.o.weight, bo: w.o.bias, g1: w.norm1.weight, be1: w.norm1.bias,
    wi: w.up.weight, bi: w.up.bias, w2: w.down.weight, b2: w.down.bias, g2: w.norm2.weight, be2: w.norm2.bias,
  };
  if (mask) inputs.mask = mask;
  if (positionBias) inputs.bias = positionBias;
  const attrs = { numHeads, eps1: w.norm1.eps, eps2: w.norm2.eps, scaleQuery } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(KERNEL_ENCODER_LAYER, inputs, attrs) as tf.Tensor3D;
}

// ---- Backward kernels (gradients of the kernels above); each undefined where the kernels cannot run. ----

/** Gradients of `x @ weight (+ bias)`: [dx [M, K], dweight [K, N], dbias [N] when `withBias`], for dy [M, N]. */
export function linearGradKernel(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D, withBias: boolean): tf.Tensor[] | undefined {
  if ([dy, x, weight].some((t) => t.dtype !== 'float32') || !wasmLinearActive() || !wasmGradKernelsActive()) return undefined;
  return tf.engine().runKernel(KERNEL_LINEAR_GRAD, { dy, x, weight }, { withBias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

/** Gradients of the fused Q/K/V projection for dy [M, 3H]: [dx, dwq, dwk, dwv, (dbq, dbk, dbv when `withBias`)]. */
export function linearQkvGradKernel(dy: tf.Tensor2D, x: tf.Tensor2D, weights: tf.Tensor2D[], withBias: boolean): tf.Tensor[] | undefined {
  if ([dy, x, ...weights].some((t) => t.dtype !== 'float32') || !wasmLinearActive() || !wasmGradKernelsActive()) return undefined;
  const [wq, wk, wv] = weights;
  return tf.engine().runKernel(KERNEL_LINEAR_QKV_GRAD, { dy, x, wq, wk, wv }, { withBias } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

/** dy * gelu'(x) (exact erf GELU), one pass. */
export function geluGradKernel(x: tf.Tensor, dy: tf.Tensor): tf.Tensor | undefined {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32' || !wasmGradKernelsActive()) return undefined;
  return tf.engine().runKernel(KERNEL_GELU_GRAD, { x, dy }) as tf.Tensor;
}

/** Gradients of `LayerNorm(x + residual)`: [dx (= dresidual), dgamma, dbeta]. */
export function addLayerNormGradKernel(dy: tf.Tensor, x: tf.Tensor, residual: tf.Tensor | undefined, gamma: tf.Tensor1D, eps: number): tf.Tensor[] | undefined {
  if ([dy, x, gamma].some((t) => t.dtype !== 'float32') || (residual && residual.dtype !== 'float32') || !wasmGradKernelsActive()) return undefined;
  const inputs: tf.NamedTensorMap = residual ? { dy, x, residual, gamma } : { dy, x, gamma };
  return tf.engine().runKernel(KERNEL_ADD_LAYER_NORM_GRAD, inputs, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

/** The table gradient of a row gather: [num, dim] zeros, then row ids[i] += dy[i] (repeated ids summed). ids int32. */
export function scatterAddRowsKernel(dy: tf.Tensor, ids: tf.Tensor, tableShape: [number, number]): tf.Tensor2D | undefined {
  if (dy.dtype !== 'float32' || ids.dtype !== 'int32' || !wasmGradKernelsActive()) return undefined;
  return tf.engine().runKernel(KERNEL_SCATTER_ADD_ROWS, { dy, ids }, { tableShape } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * Gradients of {@link attentionKernel} (same inputs and options; `fill`: a masked_fill padding mask, whose padding
 * keys pass no score gradient) for the context's gradient dy [B, T, heads*d]: [dqkv] for a fused projection (k, v
 * undefined) else [dq, dk, dv], then dbias when `positionBias`. Probabilities recomputed per query row, O(T) memory.
 */
export function attentionGradKernel(dy: tf.Tensor3D, q: tf.Tensor3D, k: tf.Tensor3D | undefined, v: tf.Tensor3D | undefined, opts: AttentionKernelOptions, fill: boolean): tf.Tensor[] | undefined {
  if (!wasmGradKernelsActive() || [dy, q, k, v, opts.positionBias].some((t) => t !== undefined && t.dtype !== 'float32')) return undefined;
  const fused = k === undefined;
  const h = fused ? q.shape[2] / 3 : q.shape[2];
  const heads = opts.numHeads;
  const root = Math.sqrt(h / heads);
  return tf.tidy(() => {
    const mask = opts.mask && opts.mask.dtype !== 'int32' ? tf.cast(opts.mask, 'int32') : opts.mask;
    const inputs: tf.NamedTensorMap = fused ? { qkv: q, dy } : { q, k: k!, v: v!, dy };
    if (mask) inputs.mask = mask;
    if (opts.positionBias) inputs.bias = opts.positionBias;
    const attrs = {
      numHeads: heads, numKvHeads: opts.numKvHeads ?? heads, scale: opts.scale ?? root, scaleMode: (opts.scaleQuery ? 2 : 0) + (opts.scale !== undefined ? 1 : 0),
      causal: !!opts.causal, window: opts.window ?? -1, fill,
    } as unknown as tf.NamedAttrMap;
    return tf.engine().runKernel(KERNEL_ATTENTION_GRAD, inputs, attrs) as tf.Tensor[];
  });
}

/**
 * One AdamW update of a float32 parameter in a single pass (kernels.c's `adamw_step`): [p', m', v'] from p, its
 * gradient g and the moments m, v (undefined on the first step), with the float32 scalars
 * [b1, 1-b1, b2, 1-b2, decay, bc2, stepSize, eps] of src/training/optimizer.ts; undefined when the kernels are off.
 */
export function adamwKernel(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor | undefined, v: tf.Tensor | undefined, scalars: number[]): tf.Tensor[] | undefined {
  if ([p, g, m, v].some((t) => t !== undefined && t.dtype !== 'float32') || !wasmGradKernelsActive()) return undefined;
  const inputs: tf.NamedTensorMap = m && v ? { p, g, m, v } : { p, g };
  return tf.engine().runKernel(KERNEL_ADAMW, inputs, { scalars } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

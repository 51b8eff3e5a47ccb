/**
 * Multi-head self-attention, batched over heads ([B, heads, T, d] matmuls), with the additive mask exactly as
 * Hugging Face builds it (`(1 - mask) * finfo(float32).min`, added to the scaled scores) or DistilBERT's
 * `masked_fill` variant.
 * BERT:       https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * mask:       https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/modeling_utils.py
 * DistilBERT: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightMap } from '../weights/index.js';
import { attentionKernel, linearQkvKernel } from '../kernels/ops.js';
import { Linear } from './linear.js';

/** `torch.finfo(torch.float32).min`. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** [B, T, H] -> [B, heads, T, d]. */
export function splitHeads(x: tf.Tensor3D, numHeads: number): tf.Tensor4D {
  const [b, t, h] = x.shape;
  const r = tf.reshape(x, [b, t, numHeads, h / numHeads]); // [B, T, heads, d]
  return tf.transpose(r, [0, 2, 1, 3]) as tf.Tensor4D; // [B, heads, T, d]
}

/** [B, T, H] -> keys transposed for the score matmul, [B, heads, d, T] (one transpose instead of two). */
export function splitHeadsTransposed(x: tf.Tensor3D, numHeads: number): tf.Tensor4D {
  const [b, t, h] = x.shape;
  const r = tf.reshape(x, [b, t, numHeads, h / numHeads]); // [B, T, heads, d]
  return tf.transpose(r, [0, 2, 3, 1]) as tf.Tensor4D; // [B, heads, d, T]
}

/** [B, heads, T, d] -> [B, T, H]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, n, t, d] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, n * d]); // [B, T, heads, d] -> [B, T, H]
}

/**
 * HF `get_extended_attention_mask` for an encoder: mask [B, T] (1 = attend) -> additive [B, 1, 1, T],
 * `(1 - mask) * finfo(float32).min`.
 */
export function extendedAttentionMask(mask: tf.Tensor2D): tf.Tensor4D {
  const [b, t] = mask.shape;
  const m = tf.reshape(tf.cast(mask, 'float32'), [b, 1, 1, t]); // [B, 1, 1, T]
  return tf.mul(tf.sub(1, m), FLOAT32_MIN) as tf.Tensor4D;
}

/**
 * Softmax over the last axis as `exp(x - max) / sum(exp(x - max))` from plain ops. Not `tf.softmax`: the WASM
 * backend's fused kernel sums with SIMD lanes, so a row's result depends on how much padding follows it, and a
 * text would then embed differently alone and in a padded batch (the sequential `sum` adds the masked keys'
 * exact zeros at the end, which changes nothing).
 */
export function softmaxLastAxis<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const shifted = tf.sub(x, tf.max(x, axis, true));
    const e = tf.exp(shifted);
    shifted.dispose();
    return tf.div(e, tf.sum(e, axis, true)) as T;
  });
}

/** How the scores are scaled and masked. */
export interface AttentionOptions {
  /** Additive terms broadcast onto the scores [B|1, heads|1, T, T] after scaling (mask, relative position bias), in order. */
  biases?: tf.Tensor[];
  /** DistilBERT: scale the queries (q / sqrt(d)) before the matmul instead of the scores after it. */
  scaleQuery?: boolean;
  /** DistilBERT: bool [B, 1, 1, T], true where the key is padding; those scores are replaced by finfo.min. */
  fillMask?: tf.Tensor;
}

/**
 * Scaled dot-product attention: q [B, heads, T, d], kT [B, heads, d, T] (keys already transposed: the WASM
 * batched matmul is about twice as fast without `transposeB`), v [B, heads, T, d].
 * Returns the context [B, heads, T, d] and the probabilities [B, heads, T, T].
 */
export function scaledDotProductAttention(
  q: tf.Tensor4D,
  kT: tf.Tensor4D,
  v: tf.Tensor4D,
  opts: AttentionOptions = {},
): { context: tf.Tensor4D; probs: tf.Tensor4D } {
  const scale = Math.sqrt(q.shape[3]);
  // Each [B, heads, T, T] step frees the previous one at once, so at most two such tensors are alive.
  const then = (t: tf.Tensor, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor => {
    const r = f(t);
    t.dispose();
    return r;
  };
  const probs = tf.tidy(() => {
    let scores: tf.Tensor;
    if (opts.scaleQuery) {
      scores = tf.matMul(tf.div(q, scale), kT); // [B, heads, T, T]
    } else {
      scores = then(tf.matMul(q, kT), (s) => tf.div(s, scale)); // [B, heads, T, T]
    }
    for (const b of opts.biases ?? []) scores = then(scores, (s) => tf.add(s, b));
    const fill = opts.fillMask;
    if (fill) scores = then(scores, (s) => tf.where(fill, tf.scalar(FLOAT32_MIN), s)); // masked_fill, broadcast over heads and queries
    return then(scores, softmaxLastAxis) as tf.Tensor4D; // [B, heads, T, T]
  });
  const context = tf.matMul(probs, v) as tf.Tensor4D; // [B, heads, T, d]
  return { context, probs };
}

/** The three projections of a self-attention block and the head split. */
export class SelfAttention {
  constructor(
    readonly query: Linear,
    readonly key: Linear,
    readonly value: Linear,
    readonly numHeads: number,
    readonly options: { scaleQuery?: boolean } = {},
  ) {}

  /** Load the projections named `names` (e.g. ['query', 'key', 'value'] or ['q_lin', 'k_lin', 'v_lin']) under `wm`. */
  static load(
    wm: WeightMap,
    names: readonly [string, string, string],
    hidden: number,
    numHeads: number,
    options: { scaleQuery?: boolean } = {},
  ): SelfAttention {
    const [q, k, v] = names.map((n) => Linear.load(wm, n, hidden, hidden));
    return new SelfAttention(q, k, v, numHeads, options);
  }

  /**
   * x [B, T, H] -> context [B, T, H] (before the output projection) and, when `needProbs`, the probabilities
   * [B, heads, T, T]. With `mask` given and the wasm kernels installed, one fused kernel does the head split,
   * scores, masking (`mask` 0 = left out, which is what `biases`' finfo.min term or `fillMask` do),
   * `positionBias`, softmax, the weighted sum and the head merge; otherwise stock ops run from `biases`/`fillMask`.
   */
  apply(x: tf.Tensor3D, opts: AttentionInputs = {}): { context: tf.Tensor3D; probs?: tf.Tensor4D } {
    if (opts.mask) {
      const kernelOpts = {
        numHeads: this.numHeads,
        mask: opts.mask,
        positionBias: opts.positionBias,
        scaleQuery: this.options.scaleQuery,
        outputProbs: opts.needProbs ?? true,
      };
      // One GEMM for the three projections where the wasm kernels run (same columns, bit for bit).
      const qkv = this.fusedProjection(x);
      if (qkv) {
        const fused = attentionKernel(qkv, undefined, undefined, kernelOpts);
        if (fused) return fused;
        qkv.dispose();
      }
      const q = this.query.apply(x);
      const k = this.key.apply(x);
      const v = this.value.apply(x);
      const fused = attentionKernel(q, k, v, kernelOpts);
      if (fused) return fused;
      return this.composite(q, k, v, opts);
    }
    return this.composite(this.query.apply(x), this.key.apply(x), this.value.apply(x), opts);
  }

  /** x [B, T, H] -> [B, T, 3H] (q | k | v) through the fused projection kernel, or undefined where it does not run. */
  private fusedProjection(x: tf.Tensor3D): tf.Tensor3D | undefined {
    const { query: q, key: k, value: v } = this;
    const biases = q.bias && k.bias && v.bias ? ([q.bias, k.bias, v.bias] as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]) : undefined;
    if ((q.bias || k.bias || v.bias) && !biases) return undefined;
    const [b, t, h] = x.shape;
    const y = linearQkvKernel(tf.reshape(x, [b * t, h]) as tf.Tensor2D, [q.weight, k.weight, v.weight], biases); // [B*T, 3H]
    return y && (tf.reshape(y, [b, t, y.shape[1]]) as tf.Tensor3D); // [B, T, 3H]
  }

  private composite(q3: tf.Tensor3D, k3: tf.Tensor3D, v3: tf.Tensor3D, opts: AttentionInputs): { context: tf.Tensor3D; probs: tf.Tensor4D } {
    const q = splitHeads(q3, this.numHeads);
    const kT = splitHeadsTransposed(k3, this.numHeads);
    const v = splitHeads(v3, this.numHeads);
    const { context, probs } = scaledDotProductAttention(q, kT, v, { biases: opts.biases, fillMask: opts.fillMask, scaleQuery: this.options.scaleQuery });
    return { context: mergeHeads(context), probs };
  }
}

/** What a layer hands to {@link SelfAttention.apply}. */
export interface AttentionInputs extends Omit<AttentionOptions, 'scaleQuery'> {
  /** The raw attention mask [B, T] (1 = attend), for the fused kernel. */
  mask?: tf.Tensor2D;
  /** Relative position bias [1 | B, heads, T, T] for the fused kernel (the composite path takes it in `biases`). */
  positionBias?: tf.Tensor4D;
  /** Whether the probabilities are wanted (default true). */
  needProbs?: boolean;
}

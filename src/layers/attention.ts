/**
 * Multi-head self-attention: the three projections and the fused attention op, which splits and merges the
 * heads, masks padding exactly as Hugging Face does (`(1 - mask) * finfo(float32).min` added to the scaled
 * scores, or DistilBERT's `masked_fill`), and runs the wasm kernel or stock ops (src/kernels/ops.ts).
 * BERT:       https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * mask:       https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/modeling_utils.py
 * DistilBERT: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 */
import type * as tf from '@tensorflow/tfjs-core';
import { attention, denseQkv, type AttentionOptions } from '../kernels/ops.js';
import type { WeightMap } from '../weights/index.js';
import { attentionDropout, attentionDropoutActive } from './dropout.js';
import type { AttentionMask } from './attention_mask.js';
import { Linear } from './linear.js';

/** Per-module choices of a self-attention block (see {@link AttentionOptions}). */
export interface SelfAttentionOptions {
  /** DistilBERT: scale the queries (q / sqrt(d)) before the matmul instead of the scores after it. */
  scaleQuery?: boolean;
  /** Key/value heads (grouped-query attention; k and v project to numKvHeads * d). Default numHeads. */
  numKvHeads?: number;
  /** Causal attention (query i sees keys j <= i). */
  causal?: boolean;
  /** Sliding window (see {@link AttentionOptions.window} for the causal and bidirectional conventions). */
  window?: number;
  /** Score scale (default 1 / sqrt(d)). */
  scale?: number;
}

/** What a layer hands to {@link SelfAttention.apply} (the encoder's `LayerContext` is one). */
export interface AttentionInputs {
  /** The batch's padding mask (built once per forward). */
  mask?: AttentionMask;
  /** Relative position bias [1 | B, heads, T, T] added to the scaled scores (MPNet). */
  positionBias?: tf.Tensor4D;
  /** Rotary cos, sin [T, d] or [B, T, d] (layers/rotary.ts). */
  rotary?: { cos: tf.Tensor; sin: tf.Tensor };
  /** Whether the probabilities are wanted (default true). */
  needProbs?: boolean;
}

/** The three projections of a self-attention block and the head split. */
export class SelfAttention {
  constructor(
    readonly query: Linear,
    readonly key: Linear,
    readonly value: Linear,
    readonly numHeads: number,
    readonly options: SelfAttentionOptions = {},
  ) {}

  /** Load the projections named `names` (e.g. ['query', 'key', 'value'] or ['q_lin', 'k_lin', 'v_lin']) under `wm`. */
  static load(wm: WeightMap, names: readonly [string, string, string], hidden: number, numHeads: number, options: SelfAttentionOptions = {}): SelfAttention {
    const kvWidth = (hidden / numHeads) * (options.numKvHeads ?? numHeads);
    const [q, k, v] = names.map((n, i) => Linear.load(wm, n, hidden, i === 0 ? hidden : kvWidth));
    return new SelfAttention(q, k, v, numHeads, options);
  }

  /**
   * x [B, T, H] -> context [B, T, H] (before the output projection) and, when `needProbs` (default true), the
   * probabilities [B, heads, T, T].
   */
  apply(x: tf.Tensor3D, inputs: AttentionInputs = {}): { context: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { scaleQuery, numKvHeads, causal, window, scale } = this.options;
    const opts: AttentionOptions = {
      numHeads: this.numHeads,
      numKvHeads,
      mask: inputs.mask,
      causal,
      window,
      rotary: inputs.rotary,
      bias: inputs.positionBias,
      scale,
      scaleQuery,
      outputProbs: inputs.needProbs ?? true,
      probsDropout: attentionDropoutActive() ? attentionDropout : undefined,
    };
    return attention(denseQkv(x, this.query, this.key, this.value), opts);
  }
}

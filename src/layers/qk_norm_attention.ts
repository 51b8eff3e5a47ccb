/**
 * Grouped-query self-attention with a per-head RMSNorm on q and k before RoPE (Qwen3's and Gemma 3's `self_attn`):
 * `q_proj`, `k_proj`, `v_proj`, `q_norm`, `k_norm`, the attention op, `o_proj`, under HF's names. The model says
 * how its norms scale (Gemma: `(1 + w)`), whether they are taps, and the op's mask / causality / window / scale.
 * https://github.com/huggingface/transformers/blob/9ee3f431c32e9e5f6c0888f6b2b0ca3f6c289dd6/src/transformers/models/qwen3/modeling_qwen3.py
 * https://github.com/huggingface/transformers/blob/0018aa647bb13801f061e2d1027c326f531b59fb/src/transformers/models/gemma3/modeling_gemma3.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { attention, type AttentionOptions } from '../kernels/ops.js';
import type { WeightMap } from '../weights/index.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { RMSNorm, type RMSNormOptions } from './rms_norm.js';
import type { TapRecorder } from './taps.js';

/** The sizes and norms of a {@link QkNormAttention}. */
export interface QkNormAttentionConfig {
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Biases on q/k/v/o. */
  bias: boolean;
  normEps: number;
  /** The q/k norms' options (Gemma: `{ offset: 1 }`). */
  norm?: RMSNormOptions;
  /** Whether `q_norm` / `k_norm` are taps (recorded as HF's [B, T, heads, d]). */
  tapNorms: boolean;
}

/** `self_attn`: q/k/v projections, q_norm / k_norm per head, the attention op (RoPE, GQA), `o_proj`. */
export class QkNormAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  readonly q_norm: RMSNorm;
  readonly k_norm: RMSNorm;

  constructor(
    wm: WeightMap,
    private readonly c: QkNormAttentionConfig,
  ) {
    super(wm);
    const { hiddenSize: h, numHeads: nh, numKvHeads: nkv, headDim: d } = c;
    const lin = (name: string, inF: number, outF: number) => this.leaf(name, (w, n) => Linear.load(w, n, inF, outF, c.bias));
    this.q_proj = lin('q_proj', h, nh * d);
    this.k_proj = lin('k_proj', h, nkv * d);
    this.v_proj = lin('v_proj', h, nkv * d);
    this.o_proj = lin('o_proj', nh * d, h);
    const norm = (name: string) => this.leaf(name, (w, n) => RMSNorm.load(w, n, d, c.normEps, c.norm), c.tapNorms);
    this.q_norm = norm('q_norm');
    this.k_norm = norm('k_norm');
  }

  /** RMSNorm over each head of a projection [B, T, heads*d] (recorded as HF's [B, T, heads, d] when a tap). */
  private headNorm(x: tf.Tensor3D, norm: RMSNorm, heads: number, name: string, taps: TapRecorder): tf.Tensor3D {
    const [b, t] = x.shape;
    const d = this.c.headDim;
    const normed = norm.apply(tf.reshape(x, [b, t, heads, d])); // [B, T, heads, d]
    if (this.c.tapNorms) this.record(taps, normed, name);
    return tf.reshape(normed, [b, t, heads * d]); // [B, T, heads*d]
  }

  /** x [B, T, H] -> o_proj(context) [B, T, H] (and the probabilities [B, heads, T, T] when `op.outputProbs`). */
  apply(x: tf.Tensor3D, taps: TapRecorder, op: Omit<AttentionOptions, 'numHeads' | 'numKvHeads'>): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const c = this.c;
    const q = this.headNorm(this.q_proj.apply(x), this.q_norm, c.numHeads, 'q_norm', taps); // [B, T, heads*d]
    const k = this.headNorm(this.k_proj.apply(x), this.k_norm, c.numKvHeads, 'k_norm', taps); // [B, T, kv*d]
    const v = this.v_proj.apply(x); // [B, T, kv*d]
    const { context, probs } = attention({ q, k, v }, { numHeads: c.numHeads, numKvHeads: c.numKvHeads, ...op });
    return { output: this.record(taps, this.o_proj.apply(context)), probs };
  }
}

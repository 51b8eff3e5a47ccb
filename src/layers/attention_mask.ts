/**
 * A batch's attention (padding) mask, built once per forward and shared by every layer, in the form each path
 * of the attention op asks for: the raw int32 [B, T] for the wasm kernel, or the stock ops' form, made on first
 * request and then reused: HF's additive `(1 - mask) * finfo(float32).min` [B, 1, 1, T]
 * (`get_extended_attention_mask`), or DistilBERT's `mask == 0` [B, 1, 1, T] for `masked_fill`.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/modeling_utils.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PaddingMask } from '../kernels/ops.js';
import { extendedAttentionMask, paddingFillMask } from '../kernels/stock.js';

export class AttentionMask implements PaddingMask {
  private form?: tf.Tensor4D;

  private constructor(
    /** int32 [B, T], 1 = attend (not owned: the caller's input). */
    readonly raw: tf.Tensor2D,
    readonly kind: 'additive' | 'fill',
  ) {}

  /**
   * HF encoders (BERT, RoBERTa, MPNet): `(1 - mask) * finfo.min` added to the scaled scores.
   * @example
   * const mask = AttentionMask.additive(attentionMask); // ... layers ...; mask.dispose();
   */
  static additive(mask: tf.Tensor2D): AttentionMask {
    return new AttentionMask(mask, 'additive');
  }

  /** DistilBERT: scores of padding keys replaced by finfo.min (`masked_fill`). */
  static fill(mask: tf.Tensor2D): AttentionMask {
    return new AttentionMask(mask, 'fill');
  }

  /** The stock ops' form, built on the first call (kept outside any tidy) and reused until {@link dispose}. */
  stock(): tf.Tensor4D {
    this.form ??= tf.keep(tf.tidy(() => (this.kind === 'additive' ? extendedAttentionMask(this.raw) : paddingFillMask(this.raw))));
    return this.form;
  }

  /** Free the forms built here (not `raw`). */
  dispose(): void {
    this.form?.dispose();
    this.form = undefined;
  }
}

/**
 * BinaryCrossEntropyLoss (CrossEncoder): torch `BCEWithLogitsLoss` on the raw logits of a one-label CrossEncoder,
 * with an optional `pos_weight`.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/losses/binary_cross_entropy.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLogits } from './ce_common.js';
import type { CrossEncoderLoss } from './types.js';

/** Options of {@link BinaryCrossEntropyLoss}. */
export interface BinaryCrossEntropyLossOptions {
  /** `pos_weight`: weight of the positive term (e.g. #negatives / #positives); default none (1). */
  posWeight?: number | null;
}

/**
 * `mean((1 - y) x + (1 + (pos_weight - 1) y) softplus(-x))` over the batch (torch's numerically stable BCE with
 * logits), as sentence-transformers v6.0.1 with its default Identity activation. Labels may be soft (0..1).
 *
 * @example
 * ```ts
 * const loss = new BinaryCrossEntropyLoss({ posWeight: 4 });
 * const value = loss.compute(logits, tf.tensor1d([1, 0, 0, 0, 0])); // logits [5, 1]
 * ```
 */
export class BinaryCrossEntropyLoss implements CrossEncoderLoss {
  readonly name = 'BinaryCrossEntropyLoss';
  readonly posWeight: number | null;

  constructor(options: BinaryCrossEntropyLossOptions = {}) {
    const pw = options.posWeight ?? null;
    if (pw !== null && (typeof pw !== 'number' || !Number.isFinite(pw) || pw <= 0)) throw new RangeError(`${this.name}: posWeight (pos_weight) must be a positive number, got ${JSON.stringify(pw)}`);
    this.posWeight = pw;
  }

  compute(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    checkLogits(this.name, logits, labels, true);
    return tf.tidy(() => {
      const x = tf.reshape(logits, [-1]); // [batch]
      const y = tf.cast(labels, 'float32');
      const softplusNegX = tf.add(tf.relu(tf.neg(x)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))); // log(1 + e^-x), stable
      const weight = this.posWeight === null ? softplusNegX : tf.mul(tf.add(tf.mul(this.posWeight - 1, y), 1), softplusNegX);
      return tf.mean(tf.add(tf.mul(tf.sub(1, y), x), weight)) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { activation_fn: 'torch.nn.modules.linear.Identity', pos_weight: this.posWeight };
  }
}

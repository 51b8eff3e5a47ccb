/**
 * MSELoss (CrossEncoder): torch `MSELoss` between a one-label CrossEncoder's logits and float labels (score
 * regression / distillation from a teacher's scores). Python's class is `cross_encoder.losses.MSELoss`; it is
 * exported here as `CrossEncoderMSELoss` (its `name` stays `MSELoss`).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/losses/mse.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLogits } from './ce_common.js';
import type { CrossEncoderLoss } from './types.js';

/**
 * `mean((logit - label)^2)`, as sentence-transformers v6.0.1 with its default Identity activation.
 *
 * @example
 * ```ts
 * const loss = new CrossEncoderMSELoss();
 * const value = loss.compute(logits, tf.tensor1d([0.92, 0.15])); // logits [2, 1]
 * ```
 */
export class CrossEncoderMSELoss implements CrossEncoderLoss {
  readonly name = 'MSELoss';

  compute(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    checkLogits(this.name, logits, labels, true);
    return tf.tidy(() => tf.mean(tf.squaredDifference(tf.reshape(logits, [-1]), tf.cast(labels, 'float32'))) as tf.Scalar);
  }

  getConfigDict(): Record<string, unknown> {
    return { activation_fn: 'torch.nn.modules.linear.Identity' };
  }
}

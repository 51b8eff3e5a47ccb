/**
 * CrossEntropyLoss (CrossEncoder): torch `CrossEntropyLoss` of a several-label CrossEncoder's logits against class
 * indices.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/losses/cross_entropy.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { canReadSync } from '../backends/read.js';
import { checkLogits } from './ce_common.js';
import type { CrossEncoderLoss } from './types.js';

/**
 * `mean(-log_softmax(logits)[label])`, as sentence-transformers v6.0.1 with its default Identity activation.
 * Labels are class indices (given as float32 in the batch, cast to integers).
 *
 * @example
 * ```ts
 * const loss = new CrossEntropyLoss();
 * const value = loss.compute(logits, tf.tensor1d([0, 2, 1])); // logits [3, 3]: contradiction / entailment / neutral
 * ```
 */
export class CrossEntropyLoss implements CrossEncoderLoss {
  readonly name = 'CrossEntropyLoss';
  /** 6.0.1's class has no `get_config_dict`: its card names the loss without parameters. */
  readonly configOnCard = false;

  compute(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    checkLogits(this.name, logits, labels, false);
    // Checked where labels can be read synchronously (cpu, wasm); webgpu / webgl skip the check rather than stall.
    const values = canReadSync() ? labels.dataSync() : [];
    for (let i = 0; i < values.length; i++) {
      if (!Number.isInteger(values[i]) || values[i] < 0 || values[i] >= logits.shape[1]) {
        throw new RangeError(`${this.name}: labels[${i}] must be a class index in [0, ${logits.shape[1]}), got ${values[i]}`);
      }
    }
    return tf.tidy(() => {
      const onehot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, 1), onehot), 1))) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { activation_fn: 'torch.nn.modules.linear.Identity' };
  }
}

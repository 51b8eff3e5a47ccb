/**
 * BatchHardTripletLoss: for every anchor in a batch of labelled sentences, the hardest positive (farthest, same
 * label) and the hardest negative (closest, other label) form its triplet.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_hard_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchTripletLossBase, sameLabel, type BatchTripletLossOptions } from './batch_triplet_common.js';

/**
 * `mean(relu(max_pos d(a, p) - min_neg d(a, n) + margin))` over the anchors of one labelled column, as
 * sentence-transformers v6.0.1 (negatives found by adding the row maximum to the same-label entries).
 *
 * @example
 * ```ts
 * const loss = new BatchHardTripletLoss({ margin: 5 });
 * const value = loss.compute({ embeddings: [sentences], labels: tf.tensor1d([0, 0, 1, 1]) });
 * ```
 */
export class BatchHardTripletLoss extends BatchTripletLossBase {
  constructor(options: BatchTripletLossOptions = {}) {
    super('BatchHardTripletLoss', options);
  }

  protected fromDistances(d: tf.Tensor2D, labels: tf.Tensor1D, n: number): tf.Scalar {
    const same = sameLabel(labels);
    const anchorPositive = tf.mul(tf.sub(same, tf.eye(n)), d); // same label, i != j
    const hardestPositive = tf.max(anchorPositive, 1, true); // [n, 1]
    const rowMax = tf.max(d, 1, true);
    const anchorNegative = tf.add(d, tf.mul(rowMax, same)); // same-label entries pushed up by the row maximum
    const hardestNegative = tf.min(anchorNegative, 1, true);
    return tf.mean(tf.relu(tf.add(tf.sub(hardestPositive, hardestNegative), this.margin))) as tf.Scalar;
  }
}

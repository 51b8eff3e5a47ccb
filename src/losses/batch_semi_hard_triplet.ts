/**
 * BatchSemiHardTripletLoss: for every (anchor, positive) pair of a labelled batch, the closest negative that is
 * still farther than the positive (semi-hard), else the farthest negative.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_semi_hard_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from './distance_ops.js';
import { BatchTripletLossBase, sameLabel, type BatchTripletLossOptions } from './batch_triplet_common.js';

/** `_masked_minimum` / `_masked_maximum` along dim 1 (keepdims). */
function maskedExtreme(data: tf.Tensor2D, mask: tf.Tensor2D, kind: 'min' | 'max'): tf.Tensor2D {
  const shift = kind === 'min' ? tf.max(data, 1, true) : tf.min(data, 1, true);
  const shifted = tf.mul(tf.sub(data, shift), mask);
  return tf.add(kind === 'min' ? tf.min(shifted, 1, true) : tf.max(shifted, 1, true), shift) as tf.Tensor2D;
}

/**
 * The semi-hard triplet loss of FaceNet as sentence-transformers v6.0.1 ports it from TensorFlow Addons: the mean
 * over (anchor, positive) pairs of `relu(d(a, p) - d(a, n_semi_hard) + margin)`. Which negatives qualify is decided
 * off the gradient tape (Python's comparisons carry no gradient either).
 *
 * @example
 * ```ts
 * const loss = new BatchSemiHardTripletLoss({ margin: 5 });
 * const value = loss.compute({ embeddings: [sentences], labels: tf.tensor1d([0, 0, 1, 1]) });
 * ```
 */
export class BatchSemiHardTripletLoss extends BatchTripletLossBase {
  constructor(options: BatchTripletLossOptions = {}) {
    super('BatchSemiHardTripletLoss', options);
  }

  protected fromDistances(d: tf.Tensor2D, labels: tf.Tensor1D, n: number): tf.Scalar {
    const adjacency = sameLabel(labels);
    const adjacencyNot = tf.sub(1, adjacency) as tf.Tensor2D;
    const dTile = tf.tile(d, [n, 1]) as tf.Tensor2D; // [n * n, n]: row (i * n + a) = d[a, :]
    // Python: mask = adjacency_not.repeat([n, 1]) & (pdist_tile > reshape(pdist.T, [-1, 1])), off the tape.
    const adjNotTile = tf.tile(adjacencyNot, [n, 1]); // [n * n, n]
    const threshold = tf.reshape(tf.transpose(d), [-1, 1]); // [n * n, 1]
    const maskOf = (dt: tf.Tensor, th: tf.Tensor): tf.Tensor => tf.mul(adjNotTile, tf.cast(tf.greater(dt, th), 'float32'));
    const maskT = noGrad(maskOf, dTile, threshold) as tf.Tensor2D;
    // mask_final = reshape(sum(mask, 1) > 0, [n, n]).T
    const maskFinal = noGrad((dt, th) => tf.transpose(tf.reshape(tf.cast(tf.greater(tf.sum(maskOf(dt, th), 1), 0), 'float32'), [n, n])), dTile, threshold);
    const outside = tf.transpose(tf.reshape(maskedExtreme(dTile, maskT, 'min'), [n, n]));
    const inside = tf.tile(maskedExtreme(d, adjacencyNot, 'max'), [1, n]);
    const semiHard = tf.add(tf.mul(maskFinal, outside), tf.mul(tf.sub(1, maskFinal), inside)); // torch.where(mask_final, outside, inside)
    const lossMat = tf.add(tf.sub(d, semiHard), this.margin);
    const maskPositives = tf.sub(adjacency, tf.eye(n));
    const numPositives = tf.maximum(tf.sum(maskPositives), 1e-16);
    return tf.div(tf.sum(tf.maximum(tf.mul(lossMat, maskPositives), 0)), numPositives) as tf.Scalar;
  }
}

/**
 * BatchAllTripletLoss: every valid (anchor, positive, negative) triplet of a labelled batch, averaged over the
 * triplets with a positive loss.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_all_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from './distance_ops.js';
import { BatchTripletLossBase, sameLabel, type BatchTripletLossOptions } from './batch_triplet_common.js';

/**
 * `sum(relu(mask * (d(a, p) - d(a, n) + margin))) / (#positive triplets + 1e-16)`, as sentence-transformers v6.0.1
 * (the count of positive triplets carries no gradient, in Python either).
 *
 * @example
 * ```ts
 * const loss = new BatchAllTripletLoss({ margin: 5 });
 * const value = loss.compute({ embeddings: [sentences], labels: tf.tensor1d([0, 0, 1, 1]) });
 * ```
 */
export class BatchAllTripletLoss extends BatchTripletLossBase {
  constructor(options: BatchTripletLossOptions = {}) {
    super('BatchAllTripletLoss', options);
  }

  protected fromDistances(d: tf.Tensor2D, labels: tf.Tensor1D, n: number): tf.Scalar {
    const triplets = tf.add(tf.sub(tf.expandDims(d, 2), tf.expandDims(d, 1)), this.margin); // [n, n, n]: d(i,j) - d(i,k) + m
    // valid: i, j, k distinct, label_i == label_j, label_i != label_k
    const same = sameLabel(labels);
    const notEye = tf.sub(1, tf.eye(n));
    const distinct = tf.mul(tf.mul(tf.expandDims(notEye, 2), tf.expandDims(notEye, 1)), tf.expandDims(notEye, 0));
    const valid = tf.mul(distinct, tf.mul(tf.expandDims(same, 2), tf.sub(1, tf.expandDims(same, 1))));
    const losses = tf.relu(tf.mul(valid, triplets));
    const count = noGrad((l) => tf.sum(tf.cast(tf.greater(l, 1e-16), 'float32')), losses);
    return tf.div(tf.sum(losses), tf.add(count, 1e-16)) as tf.Scalar;
  }
}

/**
 * BatchAllTripletLoss: every valid (anchor, positive, negative) triplet of a labelled batch, averaged over the
 * triplets with a positive loss.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_all_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { batchDistanceMatrix, noGrad, parseBatchDistance, type BatchDistance } from './distance_ops.js';
import { sameLabel, type BatchTripletLossOptions } from './batch_hard_triplet.js';
import type { EmbeddingBatch, Loss } from './types.js';

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
export class BatchAllTripletLoss implements Loss {
  readonly name = 'BatchAllTripletLoss';
  readonly textColumns = { min: 1, max: 1 };
  readonly needsLabels = true;
  readonly distanceMetric: BatchDistance;
  readonly margin: number;

  constructor(options: BatchTripletLossOptions = {}) {
    this.distanceMetric = parseBatchDistance(options.distanceMetric ?? 'euclidean_distance', this.name);
    this.margin = finiteNumber(options.margin, 5, `${this.name}: margin`);
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [e] = checkColumns(this.name, batch, 1, 1);
    const labels = requireLabels(this.name, batch, e.shape[0]);
    return tf.tidy(() => {
      const n = e.shape[0];
      const d = batchDistanceMatrix(this.distanceMetric, e); // [n, n]
      const triplets = tf.add(tf.sub(tf.expandDims(d, 2), tf.expandDims(d, 1)), this.margin); // [n, n, n]: d(i,j) - d(i,k) + m
      // valid: i, j, k distinct, label_i == label_j, label_i != label_k
      const same = sameLabel(labels);
      const notEye = tf.sub(1, tf.eye(n));
      const distinct = tf.mul(tf.mul(tf.expandDims(notEye, 2), tf.expandDims(notEye, 1)), tf.expandDims(notEye, 0));
      const valid = tf.mul(distinct, tf.mul(tf.expandDims(same, 2), tf.sub(1, tf.expandDims(same, 1))));
      const losses = tf.relu(tf.mul(valid, triplets));
      const count = noGrad((l) => tf.sum(tf.cast(tf.greater(l, 1e-16), 'float32')), losses);
      return tf.div(tf.sum(losses), tf.add(count, 1e-16)) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: this.distanceMetric, margin: this.margin };
  }
}

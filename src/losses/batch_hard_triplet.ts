/**
 * BatchHardTripletLoss: for every anchor in a batch of labelled sentences, the hardest positive (farthest, same
 * label) and the hardest negative (closest, other label) form its triplet.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_hard_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { batchDistanceMatrix, parseBatchDistance, type BatchDistance } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';

/** Options of {@link BatchHardTripletLoss} (and the other batch triplet losses). */
export interface BatchTripletLossOptions {
  /** `distance_metric` (default `euclidean_distance`; `squared_euclidean_distance`, `cosine_distance`). */
  distanceMetric?: BatchDistance;
  /** `margin` (default 5). */
  margin?: number;
}

/** `labels_i == labels_j` as float32 [N, N] (labels are data, not on the gradient path). */
export function sameLabel(labels: tf.Tensor1D): tf.Tensor2D {
  return tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32') as tf.Tensor2D;
}

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
export class BatchHardTripletLoss implements Loss {
  readonly name = 'BatchHardTripletLoss';
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
      const same = sameLabel(labels);
      const anchorPositive = tf.mul(tf.sub(same, tf.eye(n)), d); // same label, i != j
      const hardestPositive = tf.max(anchorPositive, 1, true); // [n, 1]
      const rowMax = tf.max(d, 1, true);
      const anchorNegative = tf.add(d, tf.mul(rowMax, same)); // same-label entries pushed up by the row maximum
      const hardestNegative = tf.min(anchorNegative, 1, true);
      return tf.mean(tf.relu(tf.add(tf.sub(hardestPositive, hardestNegative), this.margin))) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: this.distanceMetric, margin: this.margin };
  }
}

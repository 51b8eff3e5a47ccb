/**
 * What the three batch triplet losses share: options, the `distance_metric` / `margin` fields and config, the column
 * and label checks, and the `[n, n]` distance matrix each loss reads its triplets from.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_hard_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { batchDistanceMatrix, parseBatchDistance, type BatchDistance } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { HERMANS_2017_TRIPLET } from './citations.js';

/** Options of {@link BatchHardTripletLoss} and the other batch triplet losses. */
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
 * A loss over one labelled text column whose value is a function of the batch's distance matrix and labels.
 * Subclasses give their name (it prefixes every error) and {@link BatchTripletLossBase.fromDistances}.
 */
export abstract class BatchTripletLossBase implements Loss {
  readonly textColumns = { min: 1, max: 1 };
  readonly needsLabels = true;
  readonly distanceMetric: BatchDistance;
  readonly margin: number;

  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = HERMANS_2017_TRIPLET;
  protected constructor(readonly name: string, options: BatchTripletLossOptions) {
    this.distanceMetric = parseBatchDistance(options.distanceMetric ?? 'euclidean_distance', name);
    this.margin = finiteNumber(options.margin, 5, `${name}: margin`);
  }

  /** The loss from the distances `d` [n, n] and the labels [n]; runs inside the caller's tidy. */
  protected abstract fromDistances(d: tf.Tensor2D, labels: tf.Tensor1D, n: number): tf.Scalar;

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [e] = checkColumns(this.name, batch, 1, 1);
    const labels = requireLabels(this.name, batch, e.shape[0]);
    return tf.tidy(() => this.fromDistances(batchDistanceMatrix(this.distanceMetric, e) as tf.Tensor2D, labels, e.shape[0]));
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: this.distanceMetric, margin: this.margin };
  }
}

/**
 * TripletLoss: the anchor must be closer to the positive than to the negative by a margin.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber } from './common.js';
import { parseTripletMetric, tripletDistance, type TripletDistanceMetric } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { HERMANS_2017_TRIPLET } from './citations.js';

/** Options of {@link TripletLoss}. */
export interface TripletLossOptions {
  /** `distance_metric` (default `EUCLIDEAN`; `COSINE`, `MANHATTAN`). */
  distanceMetric?: TripletDistanceMetric;
  /** `triplet_margin` (default 5). */
  tripletMargin?: number;
}

/**
 * `mean(relu(d(a, p) - d(a, n) + margin))` over (anchor, positive, negative) columns, as sentence-transformers
 * v6.0.1.
 *
 * @example
 * ```ts
 * const loss = new TripletLoss({ distanceMetric: 'COSINE', tripletMargin: 0.3 });
 * const value = loss.compute({ embeddings: [anchors, positives, negatives], labels: null });
 * ```
 */
export class TripletLoss implements Loss {
  readonly name = 'TripletLoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = HERMANS_2017_TRIPLET;
  readonly textColumns = { min: 3, max: 3 };
  readonly needsLabels = false;
  readonly distanceMetric: TripletDistanceMetric;
  readonly tripletMargin: number;

  constructor(options: TripletLossOptions = {}) {
    this.distanceMetric = parseTripletMetric(options.distanceMetric ?? 'EUCLIDEAN', this.name);
    this.tripletMargin = finiteNumber(options.tripletMargin, 5, 'TripletLoss: tripletMargin');
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [a, p, n] = checkColumns(this.name, batch, 3, 3);
    return tf.tidy(() => {
      const dp = tripletDistance(this.distanceMetric, a, p);
      const dn = tripletDistance(this.distanceMetric, a, n);
      return tf.mean(tf.relu(tf.add(tf.sub(dp, dn), this.tripletMargin))) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: `TripletDistanceMetric.${this.distanceMetric}`, triplet_margin: this.tripletMargin };
  }
}

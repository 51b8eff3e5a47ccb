/**
 * OnlineContrastiveLoss: ContrastiveLoss on the hard pairs of the batch only (negatives closer than the farthest
 * positive, positives farther than the closest negative).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/online_contrastive.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { noGrad, parseSiameseMetric, siameseDistance, type SiameseDistanceMetric } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';

/** Options of {@link OnlineContrastiveLoss}. */
export interface OnlineContrastiveLossOptions {
  /** `distance_metric` (default `COSINE_DISTANCE`). */
  distanceMetric?: SiameseDistanceMetric;
  /** `margin` (default 0.5). */
  margin?: number;
}

/**
 * `sum(d_pos_hard^2) + sum(relu(margin - d_neg_hard)^2)` (a sum, not a mean), as sentence-transformers v6.0.1. The
 * hard pairs are chosen off the gradient tape (no gradient through the choice, as Python's boolean indexing);
 * pairs labelled other than 0 / 1 are ignored.
 *
 * @example
 * ```ts
 * const loss = new OnlineContrastiveLoss({ margin: 0.5 });
 * const value = loss.compute({ embeddings: [a, b], labels: tf.tensor1d([1, 0, 1, 0]) });
 * ```
 */
export class OnlineContrastiveLoss implements Loss {
  readonly name = 'OnlineContrastiveLoss';
  /** 6.0.1: `margin: float = 0.5`. */
  readonly configFloats: readonly string[] = ['margin'];
  readonly textColumns = { min: 2, max: 2 };
  readonly needsLabels = true;
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;

  constructor(options: OnlineContrastiveLossOptions = {}) {
    this.distanceMetric = parseSiameseMetric(options.distanceMetric ?? 'COSINE_DISTANCE', this.name);
    this.margin = finiteNumber(options.margin, 0.5, 'OnlineContrastiveLoss: margin');
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [a, b] = checkColumns(this.name, batch, 2, 2);
    const labels = requireLabels(this.name, batch, a.shape[0]);
    return tf.tidy(() => {
      const d = siameseDistance(this.distanceMetric, a, b);
      const isPos = tf.cast(tf.equal(labels, 1), 'float32');
      const isNeg = tf.cast(tf.equal(labels, 0), 'float32');
      // The hard pairs, chosen off the tape as Python's boolean indexing: negatives closer than the farthest positive
      // (the mean negative with one positive or none), positives farther than the closest negative (or the mean).
      const masks = noGrad((dd) => {
        const nPos = tf.sum(isPos);
        const nNeg = tf.sum(isNeg);
        const posMax = tf.max(tf.where(tf.cast(isPos, 'bool'), dd, tf.fill(dd.shape, -Infinity)));
        const negMin = tf.min(tf.where(tf.cast(isNeg, 'bool'), dd, tf.fill(dd.shape, Infinity)));
        const negMean = tf.div(tf.sum(tf.mul(dd, isNeg)), nNeg); // NaN without negatives, as torch's mean of nothing
        const posMean = tf.div(tf.sum(tf.mul(dd, isPos)), nPos);
        const negLimit = tf.where(tf.greater(nPos, 1), posMax, negMean);
        const posLimit = tf.where(tf.greater(nNeg, 1), negMin, posMean);
        const posMask = tf.mul(isPos, tf.cast(tf.greater(dd, posLimit), 'float32'));
        const negMask = tf.mul(isNeg, tf.cast(tf.less(dd, negLimit), 'float32'));
        return tf.stack([posMask, negMask]); // [2, n]
      }, d);
      const [posMask, negMask] = tf.unstack(masks);
      const positive = tf.sum(tf.mul(posMask, tf.square(d)));
      const negative = tf.sum(tf.mul(negMask, tf.square(tf.relu(tf.sub(this.margin, d)))));
      return tf.add(positive, negative) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: `SiameseDistanceMetric.${this.distanceMetric}`, margin: this.margin };
  }
}

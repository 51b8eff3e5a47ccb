/**
 * OnlineContrastiveLoss: ContrastiveLoss on the hard pairs of the batch only (negatives closer than the farthest
 * positive, positives farther than the closest negative).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/online_contrastive.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { parseSiameseMetric, siameseDistance, type SiameseDistanceMetric } from './distance_ops.js';
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
 * hard pairs are chosen from the distance values (no gradient through the choice, as Python's boolean indexing);
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
      const dv = d.dataSync();
      const lv = labels.dataSync();
      const poss: number[] = [];
      const negs: number[] = [];
      for (let i = 0; i < dv.length; i++) {
        if (lv[i] === 1) poss.push(dv[i]);
        else if (lv[i] === 0) negs.push(dv[i]);
      }
      // float32 reductions, as torch's max / min / mean of the selected distances (NaN on an empty selection).
      const mean = (xs: number[]): number => (xs.length ? Math.fround(xs.reduce((s, x) => s + x, 0) / xs.length) : NaN);
      const max = (xs: number[]): number => xs.reduce((m, x) => Math.max(m, x), -Infinity);
      const min = (xs: number[]): number => xs.reduce((m, x) => Math.min(m, x), Infinity);
      const negLimit = poss.length > 1 ? max(poss) : mean(negs);
      const posLimit = negs.length > 1 ? min(negs) : mean(poss);
      const posMask = new Float32Array(dv.length);
      const negMask = new Float32Array(dv.length);
      for (let i = 0; i < dv.length; i++) {
        if (lv[i] === 1 && dv[i] > posLimit) posMask[i] = 1;
        if (lv[i] === 0 && dv[i] < negLimit) negMask[i] = 1;
      }
      const positive = tf.sum(tf.mul(tf.tensor1d(posMask), tf.square(d)));
      const negative = tf.sum(tf.mul(tf.tensor1d(negMask), tf.square(tf.relu(tf.sub(this.margin, d)))));
      return tf.add(positive, negative) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: `SiameseDistanceMetric.${this.distanceMetric}`, margin: this.margin };
  }
}

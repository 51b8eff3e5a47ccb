/**
 * ContrastiveLoss: pulls positive pairs (label 1) together and pushes negative pairs (label 0) beyond a margin.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/contrastive.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { parseSiameseMetric, siameseDistance, type SiameseDistanceMetric } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { HADSELL_2006_CONTRASTIVE } from './citations.js';

/** Options of {@link ContrastiveLoss}. */
export interface ContrastiveLossOptions {
  /** `distance_metric` (default `COSINE_DISTANCE`; `EUCLIDEAN`, `MANHATTAN`). */
  distanceMetric?: SiameseDistanceMetric;
  /** `margin` (default 0.5): negative pairs closer than this are penalised. */
  margin?: number;
  /** `size_average` (default true): mean over the batch, else the sum. */
  sizeAverage?: boolean;
}

/**
 * `0.5 * (y d^2 + (1 - y) relu(margin - d)^2)`, averaged (or summed), as sentence-transformers v6.0.1. Labels are
 * used as weights, so values other than 0 / 1 are accepted as Python does.
 *
 * @example
 * ```ts
 * const loss = new ContrastiveLoss({ distanceMetric: 'COSINE_DISTANCE', margin: 0.5 });
 * const value = loss.compute({ embeddings: [a, b], labels: tf.tensor1d([1, 0]) });
 * ```
 */
export class ContrastiveLoss implements Loss {
  readonly name = 'ContrastiveLoss';
  /** 6.0.1: `margin: float = 0.5`. */
  readonly configFloats: readonly string[] = ['margin'];
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = HADSELL_2006_CONTRASTIVE;
  readonly textColumns = { min: 2, max: 2 };
  readonly needsLabels = true;
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;
  readonly sizeAverage: boolean;

  constructor(options: ContrastiveLossOptions = {}) {
    this.distanceMetric = parseSiameseMetric(options.distanceMetric ?? 'COSINE_DISTANCE', this.name);
    this.margin = finiteNumber(options.margin, 0.5, 'ContrastiveLoss: margin');
    this.sizeAverage = options.sizeAverage ?? true;
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [a, b] = checkColumns(this.name, batch, 2, 2);
    const labels = requireLabels(this.name, batch, a.shape[0]);
    return tf.tidy(() => {
      const d = siameseDistance(this.distanceMetric, a, b);
      const pos = tf.mul(labels, tf.square(d));
      const neg = tf.mul(tf.sub(1, labels), tf.square(tf.relu(tf.sub(this.margin, d))));
      const losses = tf.mul(0.5, tf.add(pos, neg));
      return (this.sizeAverage ? tf.mean(losses) : tf.sum(losses)) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: `SiameseDistanceMetric.${this.distanceMetric}`, margin: this.margin, size_average: this.sizeAverage };
  }
}

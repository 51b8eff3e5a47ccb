/**
 * AnglELoss: CoSENT's ranking loss on the AnglE angle similarity (`pairwise_angle_sim`) instead of cosine.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/angle.py
 * (and cosent.py for the ranking loss).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, positiveNumber, requireLabels } from './common.js';
import { cosentRanking } from './cosent.js';
import { pairwiseAngle } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { ANGLE_2024 } from './citations.js';

/** Options of {@link AnglELoss}. */
export interface AnglELossOptions {
  /** `scale` (default 20): multiplies the similarities (inverse temperature). */
  scale?: number;
}

/**
 * `log(1 + sum_{label_i < label_j} exp(scale * (s_i - s_j)))` over pairs of pairs, s the angle similarity, as
 * sentence-transformers v6.0.1. Two columns need a label; three or more (anchor, positive, negatives…) take the
 * anchor-positive pairs as label 1 (or the given label) and the anchor-negative pairs as `1 - label`.
 *
 * @example
 * ```ts
 * const loss = new AnglELoss({ scale: 20 });
 * const value = loss.compute({ embeddings: [a, b], labels: tf.tensor1d([0.9, 0.1]) }); // caller disposes
 * ```
 */
export class AnglELoss implements Loss {
  readonly name = 'AnglELoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = ANGLE_2024;
  readonly textColumns = { min: 2, max: Infinity };
  readonly needsLabels = false;
  readonly scale: number;
  /** 6.0.1: `scale: float = 20.0`. */
  readonly configFloats: readonly string[] = ['scale'];

  constructor(options: AnglELossOptions = {}) {
    this.scale = positiveNumber(options.scale, 20, 'AnglELoss: scale');
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const cols = checkColumns(this.name, batch, 2, Infinity);
    const n = cols[0].shape[0];
    return tf.tidy(() => {
      let x = cols[0];
      let y = cols[1];
      let labels: tf.Tensor1D;
      if (cols.length > 2) {
        const given = batch.labels ? requireLabels(this.name, batch, n) : tf.ones([n]) as tf.Tensor1D;
        x = tf.tile(cols[0], [cols.length - 1, 1]); // [n * (k - 1), dim]
        y = tf.concat(cols.slice(1), 0); // [n * (k - 1), dim]
        labels = tf.concat([given, tf.tile(tf.sub(1, given), [cols.length - 2])]) as tf.Tensor1D;
      } else {
        labels = requireLabels(this.name, batch, n);
      }
      return cosentRanking(pairwiseAngle(x, y), labels, this.scale);
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: 'pairwise_angle_sim' };
  }
}

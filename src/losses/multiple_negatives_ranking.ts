/**
 * MultipleNegativesRankingLoss (InfoNCE with in-batch negatives): for anchors a_i and candidates
 * [positives; hard negatives...], scores = sim(a, candidates) * scale and the loss is the cross-entropy with the
 * positive of each anchor as its class (`labels = arange(B)`). Columns: anchor, positive, then any number of
 * negatives; no label column.
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/losses/MultipleNegativesRankingLoss.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyDiagonal, parseLossSimilarity, similarityMatrix, type LossSimilarity } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { OORD_2019_CPC } from './citations.js';

/** Options of {@link MultipleNegativesRankingLoss}. */
export interface MultipleNegativesRankingLossOptions {
  /** Inverse temperature (default 20). */
  scale?: number;
  /** `cos_sim` (default), `dot_score`, `euclidean_sim`, `manhattan_sim`. */
  similarityFct?: string;
}

/**
 * @example
 * ```ts
 * const loss = new MultipleNegativesRankingLoss({ scale: 20, similarityFct: 'cos_sim' });
 * await trainer.train(); // rows { anchor, positive, negative? }
 * ```
 */
export class MultipleNegativesRankingLoss implements Loss {
  readonly name: string = 'MultipleNegativesRankingLoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = OORD_2019_CPC;
  readonly textColumns = { min: 2, max: Number.MAX_SAFE_INTEGER };
  readonly needsLabels = false;
  readonly scale: number;
  readonly similarity: LossSimilarity;

  constructor(opts: MultipleNegativesRankingLossOptions = {}) {
    this.scale = opts.scale ?? 20;
    if (!Number.isFinite(this.scale)) throw new Error(`${this.name}: scale must be a finite number, got ${opts.scale}`);
    this.similarity = parseLossSimilarity(opts.similarityFct, 'cos_sim', this.name);
  }

  compute({ embeddings }: EmbeddingBatch): tf.Scalar {
    if (embeddings.length < 2) throw new Error(`${this.name}: needs at least 2 text columns (anchor, positive), got ${embeddings.length}`);
    return tf.tidy(() => {
      const [anchors, ...rest] = embeddings;
      const candidates = rest.length === 1 ? rest[0] : tf.concat(rest, 0); // [B * (1 + negatives), D]
      const scores = tf.mul(similarityMatrix(this.similarity, anchors, candidates), this.scale) as tf.Tensor2D; // [B, B * k]
      return crossEntropyDiagonal(scores);
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarity };
  }
}

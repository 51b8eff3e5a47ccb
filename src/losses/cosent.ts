/**
 * CoSENTLoss: s = sim(u, v) * scale; every pair (i, j) with label_i < label_j adds exp(s_i - s_j) to the sum;
 * loss = log(1 + sum) = logsumexp([0, s_i - s_j for the ordered pairs]). Two text columns and a float label.
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/losses/CoSENTLoss.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { pairwiseSimilarity, parseLossSimilarity, type LossSimilarity } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { COSENT_2024 } from './citations.js';

/** Options of {@link CoSENTLoss}. */
export interface CoSENTLossOptions {
  /** Inverse temperature (default 20). */
  scale?: number;
  /** `pairwise_cos_sim` (default), `pairwise_dot_score`, ... */
  similarityFct?: string;
}

/**
 * @example
 * ```ts
 * const loss = new CoSENTLoss({ scale: 20 });
 * ```
 */
export class CoSENTLoss implements Loss {
  readonly name: string = 'CoSENTLoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = COSENT_2024;
  readonly textColumns = { min: 2, max: 2 };
  readonly needsLabels = true;
  readonly scale: number;
  /** 6.0.1: `scale: float = 20.0`. */
  readonly configFloats: readonly string[] = ['scale'];
  readonly similarity: LossSimilarity;

  constructor(opts: CoSENTLossOptions = {}) {
    this.scale = opts.scale ?? 20;
    if (!Number.isFinite(this.scale)) throw new Error(`${this.name}: scale must be a finite number, got ${opts.scale}`);
    this.similarity = parseLossSimilarity(opts.similarityFct, 'cos_sim', this.name);
  }

  /** The [B] scores s_i before scaling (AnglE overrides this with its angle difference). */
  protected scores(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    return pairwiseSimilarity(this.similarity, u, v);
  }

  compute({ embeddings, labels }: EmbeddingBatch): tf.Scalar {
    if (!labels) throw new Error(`${this.name}: the batch has no labels (a "label" or "score" column is needed)`);
    const [u, v] = embeddings;
    return tf.tidy(() => cosentRanking(this.scores(u, v), labels, this.scale));
  }

  getConfigDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: `pairwise_${this.similarity}` };
  }
}

/**
 * CoSENT's ranking step after the similarity (shared with AnglELoss): `logsumexp([0, scale (s_i - s_j) for every
 * pair with label_i < label_j])`. similarities, labels [m] -> scalar. The caller owns the result.
 */
export function cosentRanking(similarities: tf.Tensor1D, labels: tf.Tensor1D, scale: number): tf.Scalar {
  return tf.tidy(() => {
    const s = tf.mul(similarities, scale); // [m]
    const diff = tf.sub(tf.expandDims(s, 1), tf.expandDims(s, 0)); // [m, m]: s_i - s_j
    const ordered = tf.cast(tf.less(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32'); // label_i < label_j
    const masked = tf.sub(diff, tf.mul(tf.sub(1, ordered), 1e12));
    const flat = tf.concat([tf.zeros([1]), tf.reshape(masked, [-1])]); // [1 + m*m]
    return tf.logSumExp(flat) as tf.Scalar;
  });
}

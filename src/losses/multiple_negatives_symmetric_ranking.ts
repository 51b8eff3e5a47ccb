/**
 * MultipleNegativesSymmetricRankingLoss: in-batch negatives ranking in both directions (query to documents and
 * document to queries), each direction normalised on its own (6.0.1: MultipleNegativesRankingLoss with directions
 * query_to_doc + doc_to_query and partition_mode per_direction).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/multiple_negatives_symmetric_ranking.py
 * and .../losses/multiple_negatives_ranking.py (compute_loss_from_embeddings).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, positiveNumber } from './common.js';
import { similarityMatrix } from './distance_ops.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { JINA_EMBEDDINGS_2_2024 } from './citations.js';

/** Options of {@link MultipleNegativesSymmetricRankingLoss}. */
export interface MultipleNegativesSymmetricRankingLossOptions {
  /** `scale` (default 20). */
  scale?: number;
  /** `similarity_fct`: `cos_sim` (default) or `dot_score`. */
  similarityFct?: 'cos_sim' | 'dot_score';
}

/**
 * `-mean(s_ii - (logsumexp_j s(q_i, d_j) + logsumexp_j s(d_i, q_j)) / 2)` with `s = scale * sim`, as
 * sentence-transformers v6.0.1. Columns: (anchor, positive, hard negatives…); hard negatives join the documents of
 * the query-to-document direction only.
 *
 * @example
 * ```ts
 * const loss = new MultipleNegativesSymmetricRankingLoss({ scale: 20 });
 * const value = loss.compute({ embeddings: [queries, answers], labels: null });
 * ```
 */
export class MultipleNegativesSymmetricRankingLoss implements Loss {
  readonly name = 'MultipleNegativesSymmetricRankingLoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = JINA_EMBEDDINGS_2_2024;
  readonly textColumns = { min: 2, max: Infinity };
  readonly needsLabels = false;
  readonly scale: number;
  readonly similarityFct: 'cos_sim' | 'dot_score';

  constructor(options: MultipleNegativesSymmetricRankingLossOptions = {}) {
    this.scale = positiveNumber(options.scale, 20, `${this.name}: scale`);
    const sim = options.similarityFct ?? 'cos_sim';
    if (sim !== 'cos_sim' && sim !== 'dot_score') throw new RangeError(`${this.name}: similarityFct must be cos_sim or dot_score, got ${JSON.stringify(sim)}`);
    this.similarityFct = sim;
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const cols = checkColumns(this.name, batch, 2, Infinity);
    return tf.tidy(() => {
      const n = cols[0].shape[0];
      const sim = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => (this.similarityFct === 'cos_sim' ? similarityMatrix('cos_sim', a, b) : tf.matMul(a, b, false, true));
      const queries = cols[0];
      const docsAll = tf.concat(cols.slice(1), 0); // [n * (k - 1), dim]
      const queryToDoc = tf.mul(sim(queries, docsAll), this.scale); // [n, n * (k - 1)]
      const docToQuery = tf.mul(tf.transpose(sim(queries, cols[1])), this.scale); // [n, n]
      const positive = tf.sum(tf.mul(tf.slice(queryToDoc, [0, 0], [n, n]), tf.eye(n)), 1); // diagonal [n]
      const logZ = tf.div(tf.add(tf.logSumExp(queryToDoc, 1), tf.logSumExp(docToQuery, 1)), 2);
      return tf.neg(tf.mean(tf.sub(positive, logZ))) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return {
      scale: this.scale,
      similarity_fct: this.similarityFct,
      gather_across_devices: false,
      directions: ['query_to_doc', 'doc_to_query'],
      partition_mode: 'per_direction',
      hardness_mode: null,
      hardness_strength: 0.0,
    };
  }
}

/**
 * MultipleNegativesSymmetricRankingLoss: in-batch negatives ranking in both directions (query to documents and
 * document to queries), each direction normalised on its own. Deprecated in 6.0.1, where it is
 * MultipleNegativesRankingLoss with directions query_to_doc + doc_to_query and partition_mode per_direction; so here.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/multiple_negatives_symmetric_ranking.py
 * and .../losses/multiple_negatives_ranking.py (compute_loss_from_embeddings).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { mnrlCitation, mnrlConfig, MNRL_CONFIG_FLOATS, mnrlGather, mnrlLoss, mnrlSettings, type MnrlSettings } from './multiple_negatives_ranking.js';
import type { EmbeddingBatch, GatherSpec, Loss } from './types.js';

/** Options of {@link MultipleNegativesSymmetricRankingLoss} (6.0.1's constructor: scale, similarity_fct, gather_across_devices). */
export interface MultipleNegativesSymmetricRankingLossOptions {
  /** `scale` (default 20). */
  scale?: number;
  /** `similarity_fct`: `cos_sim` (default), `dot_score`, `euclidean_sim`, `manhattan_sim`. */
  similarityFct?: string;
  /** `gather_across_devices` (default false): under dataParallel, every replica's candidates; a no-op in one process. */
  gatherAcrossDevices?: boolean;
}

/**
 * `-mean(s_ii - (logsumexp_j s(q_i, d_j) + logsumexp_j s(d_i, q_j)) / 2)` with `s = scale * sim`, as
 * sentence-transformers v6.0.1. Columns: (anchor, positive, hard negatives…); hard negatives join the documents of
 * the query-to-document direction only.
 *
 * @example
 * ```ts
 * const loss = new MultipleNegativesSymmetricRankingLoss({ scale: 20 });
 * // the same loss, as 6.0.1 recommends writing it:
 * const same = new MultipleNegativesRankingLoss({ directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction' });
 * ```
 */
export class MultipleNegativesSymmetricRankingLoss implements Loss {
  readonly name = 'MultipleNegativesSymmetricRankingLoss';
  readonly configFloats = MNRL_CONFIG_FLOATS;
  readonly textColumns = { min: 2, max: Infinity };
  readonly needsLabels = false;
  /** The checked options (directions and partition mode fixed). */
  readonly settings: MnrlSettings;

  constructor(options: MultipleNegativesSymmetricRankingLossOptions = {}) {
    const extra = Object.keys(options).filter((k) => !['scale', 'similarityFct', 'gatherAcrossDevices', 'directions', 'partitionMode', 'hardnessMode', 'hardnessStrength'].includes(k));
    if (extra.length) throw new TypeError(`${this.name}: unknown options ${extra.join(', ')}; it takes scale, similarityFct, gatherAcrossDevices`);
    const o = options as Record<string, unknown>;
    // getConfigDict() carries MNRL's seven keys (DDP rebuilds from it): the fixed ones must hold their fixed values.
    const fixed = { directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction', hardnessMode: null, hardnessStrength: 0 };
    for (const [k, v] of Object.entries(fixed)) {
      if (o[k] !== undefined && JSON.stringify(o[k]) !== JSON.stringify(v)) throw new RangeError(`${this.name}: ${k} is fixed to ${JSON.stringify(v)}, got ${JSON.stringify(o[k])} (use MultipleNegativesRankingLoss)`);
    }
    this.settings = mnrlSettings({ scale: options.scale, similarityFct: options.similarityFct, gatherAcrossDevices: options.gatherAcrossDevices, directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction' }, this.name);
  }

  /** Python's `citation` (BibTeX), for the model card (Jina Embeddings 2). */
  get citation(): string | undefined {
    return mnrlCitation(this.settings);
  }

  /** `scale` (inverse temperature). */
  get scale(): number {
    return this.settings.scale;
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    return mnrlLoss(this.settings, batch.embeddings, this.name);
  }

  /** Under dataParallel with `gatherAcrossDevices`: every replica's candidates (6.0.1 gathers as MNRL does). */
  gatherAcrossReplicas(): GatherSpec | undefined {
    return mnrlGather(this.settings, this.name);
  }

  getConfigDict(): Record<string, unknown> {
    return mnrlConfig(this.settings);
  }
}

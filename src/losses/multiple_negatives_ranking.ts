/**
 * MultipleNegativesRankingLoss (InfoNCE with in-batch negatives), as sentence-transformers 6.0.1: for queries q_i
 * (column 0) and documents d (column 1 = positives, further columns = hard negatives), the loss is
 * `-mean_i(s(q_i, d_i) - logZ_i)` with `s = scale * sim (+ a detached hardness penalty)` and `logZ_i` the logsumexp
 * over the selected `directions`' candidates: one joint softmax (`partition_mode` joint) or the mean of one per
 * direction (`per_direction`). Columns: anchor, positive, then any number of negatives; no label column.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/multiple_negatives_ranking.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { noGrad, parseLossSimilarity, similarityMatrix, type LossSimilarity } from './distance_ops.js';
import type { EmbeddingBatch, GatherSpec, Loss } from './types.js';
import { JINA_EMBEDDINGS_2_2024, LI_2023_GTE, OORD_2019_CPC } from './citations.js';
import { logger } from '../util/logger.js';

/** An interaction term of the loss (6.0.1's `directions`). */
export type MnrlDirection = 'query_to_doc' | 'query_to_query' | 'doc_to_query' | 'doc_to_doc';
/** How the softmax denominator is formed (6.0.1's `partition_mode`). */
export type MnrlPartitionMode = 'joint' | 'per_direction';
/** Which negatives get the hardness penalty (6.0.1's `hardness_mode`); null: none. */
export type MnrlHardnessMode = 'in_batch_negatives' | 'hard_negatives' | 'all_negatives' | null;

/** The directions in the order 6.0.1 builds its score matrices (the joint softmax concatenates them so). */
const DIRECTIONS: readonly MnrlDirection[] = ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'];
const HARDNESS_MODES: readonly MnrlHardnessMode[] = [null, 'in_batch_negatives', 'hard_negatives', 'all_negatives'];

/** Options of {@link MultipleNegativesRankingLoss} (Python's keyword arguments, camelCased). */
export interface MultipleNegativesRankingLossOptions {
  /** Inverse temperature (default 20); must be > 0. */
  scale?: number;
  /** `cos_sim` (default), `dot_score`, `euclidean_sim`, `manhattan_sim`. */
  similarityFct?: string;
  /**
   * `gather_across_devices` (default false): under dataParallel each replica's anchors are scored against every
   * replica's candidates (6.0.1's all-gather with gradient); a no-op in one process (as Python without torch.distributed).
   */
  gatherAcrossDevices?: boolean;
  /** `directions` (default `['query_to_doc']`, which must be among them): the interaction terms. */
  directions?: readonly MnrlDirection[];
  /** `partition_mode` (default `joint`); `per_direction` allows only query_to_doc and doc_to_query. */
  partitionMode?: MnrlPartitionMode;
  /** `hardness_mode` (default null: no hardness weighting). */
  hardnessMode?: MnrlHardnessMode;
  /** `hardness_strength` (default 0): the penalty `strength * stop_grad(sim)` added to the chosen negatives' logits; ≥ 0. */
  hardnessStrength?: number;
}

/** The options checked as 6.0.1's constructor checks them (each error names the argument). */
export interface MnrlSettings {
  /** `scale` (> 0). */
  scale: number;
  /** `similarity_fct`. */
  similarity: LossSimilarity;
  /** `gather_across_devices`. */
  gatherAcrossDevices: boolean;
  /** `directions` as given (query_to_doc among them). */
  directions: MnrlDirection[];
  /** `partition_mode`. */
  partitionMode: MnrlPartitionMode;
  /** `hardness_mode`. */
  hardnessMode: MnrlHardnessMode;
  /** `hardness_strength` (≥ 0). */
  hardnessStrength: number;
}

/** Validates {@link MultipleNegativesRankingLossOptions} with 6.0.1's rules; `what` prefixes every error. */
export function mnrlSettings(opts: MultipleNegativesRankingLossOptions, what: string, otherKeys: readonly string[] = []): MnrlSettings {
  // a misspelt or snake_case key would silently train the default loss
  const known = ['scale', 'similarityFct', 'gatherAcrossDevices', 'directions', 'partitionMode', 'hardnessMode', 'hardnessStrength', ...otherKeys]; // spread-ok: a few fixed names
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) {
      const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      throw new TypeError(`${what}: unknown option ${JSON.stringify(k)}${known.includes(camel) ? ` (options are camelCased: ${camel})` : ''}; known: ${known.join(', ')}`);
    }
  }
  const scale = opts.scale ?? 20;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || !(scale > 0)) throw new RangeError(`${what}: scale must be a positive number, got ${JSON.stringify(opts.scale)}`);
  const similarity = parseLossSimilarity(opts.similarityFct, 'cos_sim', what);
  const gather = opts.gatherAcrossDevices ?? false;
  if (typeof gather !== 'boolean') throw new TypeError(`${what}: gatherAcrossDevices (gather_across_devices) must be a boolean, got ${JSON.stringify(gather)}`);
  const dirs = opts.directions ?? ['query_to_doc'];
  if (!Array.isArray(dirs)) throw new TypeError(`${what}: directions must be an array of ${DIRECTIONS.join(', ')}, got ${JSON.stringify(dirs)}`);
  if (dirs.length === 0) throw new RangeError(`${what}: directions: at least one direction must be specified, got []`);
  const bad = dirs.filter((d) => !DIRECTIONS.includes(d));
  if (bad.length) throw new RangeError(`${what}: invalid directions ${JSON.stringify(bad)}; valid: ${DIRECTIONS.join(', ')}`);
  if (!dirs.includes('query_to_doc')) throw new RangeError(`${what}: directions must include 'query_to_doc' (it contains the positive pair), got ${JSON.stringify(dirs)}`);
  const partitionMode = opts.partitionMode ?? 'joint';
  if (partitionMode !== 'joint' && partitionMode !== 'per_direction') throw new RangeError(`${what}: partitionMode (partition_mode) must be 'joint' or 'per_direction', got ${JSON.stringify(partitionMode)}`);
  if (partitionMode === 'per_direction' && (dirs.includes('query_to_query') || dirs.includes('doc_to_doc'))) {
    throw new RangeError(`${what}: partitionMode 'per_direction' requires every direction's candidates to include the positive pair; 'query_to_query' and 'doc_to_doc' never do (got directions ${JSON.stringify(dirs)}): use partitionMode 'joint'`);
  }
  const hardnessMode = opts.hardnessMode === undefined ? null : opts.hardnessMode;
  if (!HARDNESS_MODES.includes(hardnessMode)) throw new RangeError(`${what}: hardnessMode (hardness_mode) must be one of null, in_batch_negatives, hard_negatives, all_negatives; got ${JSON.stringify(hardnessMode)}`);
  const hardnessStrength = opts.hardnessStrength ?? 0;
  if (typeof hardnessStrength !== 'number' || !Number.isFinite(hardnessStrength) || hardnessStrength < 0) {
    throw new RangeError(`${what}: hardnessStrength (hardness_strength) must be a non-negative number, got ${JSON.stringify(opts.hardnessStrength)}`);
  }
  if (hardnessMode !== null && hardnessStrength === 0) {
    logger.warn(`${what}: hardnessMode ${JSON.stringify(hardnessMode)} is set but hardnessStrength is 0, so hardness weighting has no effect; set a positive hardnessStrength to enable it`);
  }
  return { scale, similarity, gatherAcrossDevices: gather, directions: [...dirs], partitionMode, hardnessMode, hardnessStrength };
}

/** 6.0.1's `citation` property: GTE for all four directions joint, Jina for the symmetric pair per direction, else CPC. */
export function mnrlCitation(s: MnrlSettings): string {
  const set = new Set(s.directions);
  if (set.size === 4 && s.partitionMode === 'joint') return LI_2023_GTE;
  if (set.size === 2 && set.has('query_to_doc') && set.has('doc_to_query') && s.partitionMode === 'per_direction') return JINA_EMBEDDINGS_2_2024;
  return OORD_2019_CPC;
}

/** 6.0.1's `get_config_dict()`: the seven keys in its order (directions as a list: the card's JSON prints the tuple so). */
export function mnrlConfig(s: MnrlSettings): Record<string, unknown> {
  return {
    scale: s.scale,
    similarity_fct: s.similarity,
    gather_across_devices: s.gatherAcrossDevices,
    directions: [...s.directions],
    partition_mode: s.partitionMode,
    hardness_mode: s.hardnessMode,
    hardness_strength: s.hardnessStrength,
  };
}

/** The keys of {@link mnrlConfig} 6.0.1 holds as floats (`scale: float = 20.0`, `hardness_strength: float = 0.0`). */
export const MNRL_CONFIG_FLOATS: readonly string[] = ['scale', 'hardness_strength'];

/**
 * 6.0.1's `compute_loss_from_embeddings`. embeddings: [queries, positives, negatives...], each [W, D]. One process
 * (`local` absent): every row is an anchor (offset 0). Gathered across replicas (`local`: this rank's anchors are
 * rows [offset, offset + rows), W = rows × world): the rank's anchors against every rank's candidates, with 6.0.1's
 * label offsets (the positive of anchor i is document offset + i; its own documents are those of row offset + i).
 * Masks are built in-graph (no synchronous read; works on webgpu).
 */
export function mnrlLoss(s: MnrlSettings, embeddings: tf.Tensor2D[], what: string, local?: { offset: number; rows: number }): tf.Scalar {
  if (embeddings.length < 2) throw new Error(`${what}: needs at least 2 text columns (anchor, positive), got ${embeddings.length}`);
  const w = embeddings[0].shape[0];
  if (local && !(Number.isInteger(local.offset) && Number.isInteger(local.rows) && local.offset >= 0 && local.rows >= 1 && local.offset + local.rows <= w)) {
    throw new RangeError(`${what}: the local anchors [offset, offset + rows) must lie within the ${w} gathered rows, got offset ${local.offset}, rows ${local.rows}`);
  }
  return tf.tidy(() => {
    const [queries, ...docs] = embeddings;
    const b = local ? local.rows : w; // this rank's anchors
    const gathered = b !== w;
    const rowsOf = (t: tf.Tensor2D) => (gathered ? tf.slice(t, [local!.offset, 0], [b, -1]) : t); // [b, D]
    const localQueries = rowsOf(queries);
    const k = docs.length;
    const docsAll = k === 1 ? docs[0] : tf.concat(docs, 0); // [W * k, D]
    const dirs = new Set(s.directions);
    // [b, W]: 1 at (i, offset + i), each anchor's own row (6.0.1's eye(W)[local_indices])
    const eye = gathered ? (tf.cast(tf.oneHot(tf.range(local!.offset, local!.offset + b, 1, 'int32'), w), 'float32') as tf.Tensor2D) : tf.eye(b);
    const own = k === 1 ? eye : tf.tile(eye, [1, k]); // [b, W * k]: each anchor's own documents
    const negInf = tf.fill([b, w * k], -Infinity);
    const sims: tf.Tensor2D[] = [];
    const qdRaw = similarityMatrix(s.similarity, localQueries, docsAll); // [b, W * k]
    let qd = tf.mul(qdRaw, s.scale) as tf.Tensor2D;
    if (s.hardnessMode !== null && s.hardnessStrength > 0) {
      // Lan et al. 2025 Eq. 5: strength * stop_grad(sim) on the chosen negatives, added after the temperature.
      let keep: tf.Tensor2D; // [b, W * k]: 1 where the penalty applies
      if (s.hardnessMode === 'in_batch_negatives') keep = tf.sub(1, own) as tf.Tensor2D;
      else if (s.hardnessMode === 'hard_negatives') keep = k === 1 ? tf.zeros([b, w]) : tf.concat([tf.zeros([b, w]), tf.tile(eye, [1, k - 1])], 1);
      else keep = k === 1 ? (tf.sub(1, eye) as tf.Tensor2D) : tf.concat([tf.sub(1, eye), tf.ones([b, w * (k - 1)])], 1) as tf.Tensor2D;
      const penalty = noGrad((x) => tf.mul(tf.mul(x, s.hardnessStrength), keep), qdRaw);
      qd = tf.add(qd, penalty) as tf.Tensor2D;
    }
    sims.push(qd);
    if (dirs.has('query_to_query')) {
      // [b, W], self-similarity q_i -> q_i removed
      const qq = tf.where(tf.cast(eye, 'bool'), tf.slice(negInf, [0, 0], [b, w]), similarityMatrix(s.similarity, localQueries, queries));
      sims.push(tf.mul(qq, s.scale) as tf.Tensor2D);
    }
    if (dirs.has('doc_to_query')) sims.push(tf.mul(tf.transpose(similarityMatrix(s.similarity, queries, rowsOf(docs[0]))), s.scale) as tf.Tensor2D); // [b, W]
    if (dirs.has('doc_to_doc')) {
      // [b, W * k], every document of the same query (its positive and its hard negatives) removed
      const dd = tf.where(tf.cast(own, 'bool'), negInf, tf.transpose(similarityMatrix(s.similarity, docsAll, rowsOf(docs[0]))));
      sims.push(tf.mul(dd, s.scale) as tf.Tensor2D);
    }
    const positive = tf.sum(tf.mul(tf.slice(qd, [0, 0], [b, w]), eye), 1); // [b]: s(q_i, d_{offset + i})
    let logZ: tf.Tensor1D;
    if (s.partitionMode === 'joint') logZ = tf.logSumExp(sims.length === 1 ? sims[0] : tf.concat(sims, 1), 1);
    else logZ = tf.div(tf.addN(sims.map((m) => tf.logSumExp(m, 1))), sims.length) as tf.Tensor1D;
    return tf.neg(tf.mean(tf.sub(positive, logZ))) as tf.Scalar;
  });
}

/** The {@link GatherSpec} of an MNRL-family loss: undefined unless `gather_across_devices` is on. */
export function mnrlGather(s: MnrlSettings, what: string, miniBatches?: GatherSpec['miniBatches']): GatherSpec | undefined {
  if (!s.gatherAcrossDevices) return undefined;
  return { miniBatches, compute: (embeddings, offset, rows) => mnrlLoss(s, embeddings, what, { offset, rows }) };
}

/**
 * @example
 * ```ts
 * const loss = new MultipleNegativesRankingLoss({ scale: 20, similarityFct: 'cos_sim' });
 * // GTE's improved contrastive loss; EmbeddingGemma-style hardness weighting of the hard negatives:
 * const gte = new MultipleNegativesRankingLoss({ directions: ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'] });
 * const hard = new MultipleNegativesRankingLoss({ hardnessMode: 'hard_negatives', hardnessStrength: 5 });
 * await trainer.train(); // rows { anchor, positive, negative? }
 * ```
 */
export class MultipleNegativesRankingLoss implements Loss {
  readonly name: string = 'MultipleNegativesRankingLoss';
  readonly configFloats = MNRL_CONFIG_FLOATS;
  readonly textColumns = { min: 2, max: Number.MAX_SAFE_INTEGER };
  readonly needsLabels = false;
  /** The checked options. */
  readonly settings: MnrlSettings;

  constructor(opts: MultipleNegativesRankingLossOptions = {}) {
    this.settings = mnrlSettings(opts, this.name);
  }

  /** Python's `citation` (BibTeX), for the model card; depends on the directions and partition mode as in 6.0.1. */
  get citation(): string | undefined {
    return mnrlCitation(this.settings);
  }

  /** `scale` (inverse temperature). */
  get scale(): number {
    return this.settings.scale;
  }

  /** `similarity_fct`. */
  get similarity(): LossSimilarity {
    return this.settings.similarity;
  }

  compute({ embeddings }: EmbeddingBatch): tf.Scalar {
    return mnrlLoss(this.settings, embeddings, this.name);
  }

  /** Under dataParallel with `gatherAcrossDevices`: every replica's candidates (see {@link GatherSpec}). */
  gatherAcrossReplicas(): GatherSpec | undefined {
    return mnrlGather(this.settings, this.name);
  }

  getConfigDict(): Record<string, unknown> {
    return mnrlConfig(this.settings);
  }
}

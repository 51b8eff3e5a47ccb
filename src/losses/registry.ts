/**
 * Losses by Python class name (the CLI's `--loss`, model cards): name -> factory from options (the Python keyword
 * arguments, camelCased). Every loss in this folder has a line: bi-encoder losses in {@link createLoss}, CrossEncoder
 * losses in {@link createCrossEncoderLoss}. Losses that need the model's embedding size (SoftmaxLoss, MSELoss with a
 * projection) take it as `embeddingDimension`; the CLI fills it from the model.
 */
import { AnglELoss, type AnglELossOptions } from './angle.js';
import { BatchAllTripletLoss } from './batch_all_triplet.js';
import { BatchHardTripletLoss } from './batch_hard_triplet.js';
import type { BatchTripletLossOptions } from './batch_triplet_common.js';
import { BatchSemiHardTripletLoss } from './batch_semi_hard_triplet.js';
import { BinaryCrossEntropyLoss, type BinaryCrossEntropyLossOptions } from './binary_cross_entropy.js';
import { CachedMultipleNegativesRankingLoss, type CachedMultipleNegativesRankingLossOptions } from './cached_multiple_negatives_ranking.js';
import { ContrastiveLoss, type ContrastiveLossOptions } from './contrastive.js';
import { CoSENTLoss } from './cosent.js';
import { CosineSimilarityLoss } from './cosine_similarity.js';
import { CrossEncoderMSELoss } from './cross_encoder_mse.js';
import { CrossEntropyLoss } from './cross_entropy.js';
import { MatryoshkaLoss, type MatryoshkaLossOptions } from './matryoshka.js';
import { MSELoss, type MSELossOptions } from './mse.js';
import { MultipleNegativesRankingLoss } from './multiple_negatives_ranking.js';
import { MultipleNegativesSymmetricRankingLoss, type MultipleNegativesSymmetricRankingLossOptions } from './multiple_negatives_symmetric_ranking.js';
import { OnlineContrastiveLoss, type OnlineContrastiveLossOptions } from './online_contrastive.js';
import { SoftmaxLoss, type SoftmaxLossOptions } from './softmax.js';
import { TripletLoss, type TripletLossOptions } from './triplet.js';
import type { CrossEncoderLoss, Loss } from './types.js';

/** Builds a loss from its options (the Python keyword arguments, camelCased). */
export type LossFactory = (opts?: Record<string, unknown>) => Loss;

/** Builds a CrossEncoder loss from its options. */
export type CrossEncoderLossFactory = (opts?: Record<string, unknown>) => CrossEncoderLoss;

const LOSSES: Record<string, LossFactory> = {
  AnglELoss: (o) => new AnglELoss(o as AnglELossOptions),
  BatchAllTripletLoss: (o) => new BatchAllTripletLoss(o as BatchTripletLossOptions),
  BatchHardTripletLoss: (o) => new BatchHardTripletLoss(o as BatchTripletLossOptions),
  BatchSemiHardTripletLoss: (o) => new BatchSemiHardTripletLoss(o as BatchTripletLossOptions),
  CachedMultipleNegativesRankingLoss: (o) => new CachedMultipleNegativesRankingLoss(o as CachedMultipleNegativesRankingLossOptions),
  ContrastiveLoss: (o) => new ContrastiveLoss(o as ContrastiveLossOptions),
  CoSENTLoss: (o) => new CoSENTLoss(o),
  CosineSimilarityLoss: () => new CosineSimilarityLoss(),
  MSELoss: (o) => new MSELoss(o as MSELossOptions),
  MultipleNegativesRankingLoss: (o) => new MultipleNegativesRankingLoss(o),
  MultipleNegativesSymmetricRankingLoss: (o) => new MultipleNegativesSymmetricRankingLoss(o as MultipleNegativesSymmetricRankingLossOptions),
  OnlineContrastiveLoss: (o) => new OnlineContrastiveLoss(o as OnlineContrastiveLossOptions),
  SoftmaxLoss: (o) => new SoftmaxLoss(o as unknown as SoftmaxLossOptions),
  TripletLoss: (o) => new TripletLoss(o as TripletLossOptions),
  MatryoshkaLoss: (o = {}) => {
    const inner = createLoss(String(o.loss ?? 'MultipleNegativesRankingLoss'), (o.lossOptions as Record<string, unknown>) ?? {});
    return new MatryoshkaLoss(inner, o as unknown as MatryoshkaLossOptions);
  },
};

const CROSS_ENCODER_LOSSES: Record<string, CrossEncoderLossFactory> = {
  BinaryCrossEntropyLoss: (o) => new BinaryCrossEntropyLoss(o as BinaryCrossEntropyLossOptions),
  CrossEntropyLoss: () => new CrossEntropyLoss(),
  MSELoss: () => new CrossEncoderMSELoss(),
};

/** The names {@link createLoss} knows. */
export function lossNames(): string[] {
  return Object.keys(LOSSES).sort();
}

/** The names {@link createCrossEncoderLoss} knows (Python's `sentence_transformers.cross_encoder.losses`). */
export function crossEncoderLossNames(): string[] {
  return Object.keys(CROSS_ENCODER_LOSSES).sort();
}

function pick<F>(table: Record<string, F>, name: string, what: string, known: string[]): F {
  const f = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  if (!f) throw new Error(`${what}: unknown loss ${JSON.stringify(name)}; known: ${known.join(', ')}`);
  return f;
}

/**
 * A bi-encoder loss by its Python class name.
 * @example
 * ```ts
 * const loss = createLoss('MultipleNegativesRankingLoss', { scale: 20 });
 * const nli = createLoss('SoftmaxLoss', { embeddingDimension: 384, numLabels: 3 });
 * ```
 */
export function createLoss(name: string, opts: Record<string, unknown> = {}): Loss {
  return pick(LOSSES, name, 'loss', lossNames())(opts);
}

/**
 * A CrossEncoder loss by its Python class name (`MSELoss` is the CrossEncoder one here).
 * @example
 * ```ts
 * const loss = createCrossEncoderLoss('BinaryCrossEntropyLoss', { posWeight: 4 });
 * ```
 */
export function createCrossEncoderLoss(name: string, opts: Record<string, unknown> = {}): CrossEncoderLoss {
  return pick(CROSS_ENCODER_LOSSES, name, 'cross-encoder loss', crossEncoderLossNames())(opts);
}

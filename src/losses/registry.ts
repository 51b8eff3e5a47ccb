/**
 * Losses by Python class name (the CLI's `--loss`, model cards): name -> factory from options.
 * Each loss file adds its own line.
 */
import { CoSENTLoss } from './cosent.js';
import { CosineSimilarityLoss } from './cosine_similarity.js';
import { MatryoshkaLoss, type MatryoshkaLossOptions } from './matryoshka.js';
import { MultipleNegativesRankingLoss } from './multiple_negatives_ranking.js';
import type { Loss } from './types.js';

/** Builds a loss from its options (the Python keyword arguments, camelCased). */
export type LossFactory = (opts?: Record<string, unknown>) => Loss;

const LOSSES: Record<string, LossFactory> = {
  CosineSimilarityLoss: () => new CosineSimilarityLoss(),
  MultipleNegativesRankingLoss: (o) => new MultipleNegativesRankingLoss(o),
  CoSENTLoss: (o) => new CoSENTLoss(o),
  MatryoshkaLoss: (o = {}) => {
    const inner = createLoss(String(o.loss ?? 'MultipleNegativesRankingLoss'), (o.lossOptions as Record<string, unknown>) ?? {});
    return new MatryoshkaLoss(inner, o as unknown as MatryoshkaLossOptions);
  },
};

/** The names {@link createLoss} knows. */
export function lossNames(): string[] {
  return Object.keys(LOSSES).sort();
}

/**
 * A loss by its Python class name.
 * @example
 * ```ts
 * const loss = createLoss('MultipleNegativesRankingLoss', { scale: 20 });
 * ```
 */
export function createLoss(name: string, opts: Record<string, unknown> = {}): Loss {
  const f = Object.prototype.hasOwnProperty.call(LOSSES, name) ? LOSSES[name] : undefined;
  if (!f) throw new Error(`loss: unknown loss ${JSON.stringify(name)}; known: ${lossNames().join(', ')}`);
  return f(opts);
}

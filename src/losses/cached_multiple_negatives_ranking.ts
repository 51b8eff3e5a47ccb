/**
 * CachedMultipleNegativesRankingLoss: MultipleNegativesRankingLoss with GradCache (Gao et al. 2021), so a large
 * batch (many in-batch negatives) trains in the memory of a small one. Three stages per batch:
 *   1. embed every column in mini-batches of `miniBatchSize` rows OFF the gradient tape (no activations kept);
 *   2. the MNRL loss on the full `[batch, dim]` embeddings, and its gradient with respect to them (the cache);
 *   3. re-embed each mini-batch ON the tape, with the same dropout masks, and backpropagate the cached gradient
 *      through it (`sum(embeddings * cache)`), summing the parameter gradients.
 * The result is exact: the loss and the gradients equal plain MNRL's on the same batch (up to float32 rounding).
 * Only one mini-batch's activations are alive at a time.
 *
 * It needs the model inside the loss, through the optional {@link Loss.computeWithModel} contract the trainer calls;
 * `compute(embeddings)` (no model) gives plain MNRL's value. Every MultipleNegativesRankingLoss option (directions,
 * partition mode, hardness weighting, gather across devices) applies, with the same checks: stage 2 is that loss.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/cached_multiple_negatives_ranking.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { mnrlConfig, MNRL_CONFIG_FLOATS, mnrlGather, mnrlLoss, mnrlSettings, type MnrlSettings, type MultipleNegativesRankingLossOptions } from './multiple_negatives_ranking.js';
import type { EmbeddingBatch, GatherSpec, Loss, ModelLossContext } from './types.js';
import { GAO_2021_GRADCACHE } from './citations.js';
import { replayMiniBatches } from './grad_cache.js';

/** Options of {@link CachedMultipleNegativesRankingLoss}. */
export interface CachedMultipleNegativesRankingLossOptions extends MultipleNegativesRankingLossOptions {
  /** `mini_batch_size` (default 32): rows embedded at once; smaller uses less memory, same result. */
  miniBatchSize?: number;
  /**
   * `mini_batch_num_tokens` (default null): when set, each column's mini-batches are packed greedily with as many
   * consecutive rows as keep their non-padding tokens at or below this budget (a row over the budget alone), and
   * `miniBatchSize` is unused (6.0.1's `_minibatch_ranges`). A positive integer or null.
   */
  miniBatchNumTokens?: number | null;
}

/**
 * 6.0.1's `_minibatch_ranges`: the `[begin, end)` row ranges one column is embedded in: every `size` rows, or, with
 * `numTokens`, greedy packs of consecutive rows whose token counts sum to at most `numTokens` (at least one row each).
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/losses/gradcache.py
 */
export function miniBatchRanges(tokenCounts: readonly number[], size: number, numTokens: number | null): [number, number][] {
  const n = tokenCounts.length;
  const out: [number, number][] = [];
  if (numTokens === null) {
    for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
    return out;
  }
  let begin = 0;
  while (begin < n) {
    // bisect_right over the cumulative counts: extend while the running sum stays within the budget
    let end = begin;
    let sum = 0;
    while (end < n && sum + tokenCounts[end] <= numTokens) sum += tokenCounts[end++];
    end = Math.max(end, begin + 1);
    out.push([begin, end]);
    begin = end;
  }
  return out;
}

/**
 * @example
 * ```ts
 * // Batch 256 in the memory of batch 16; the trainer calls computeWithModel.
 * const loss = new CachedMultipleNegativesRankingLoss({ miniBatchSize: 16 });
 * await new SentenceTransformerTrainer({ model, trainDataset: pairs, loss, args: { perDeviceTrainBatchSize: 256 } }).train();
 * ```
 */
export class CachedMultipleNegativesRankingLoss implements Loss {
  readonly name = 'CachedMultipleNegativesRankingLoss';
  readonly configFloats = MNRL_CONFIG_FLOATS;
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = GAO_2021_GRADCACHE;
  readonly textColumns = { min: 2, max: Number.MAX_SAFE_INTEGER };
  readonly needsLabels = false;
  readonly miniBatchSize: number;
  /** `mini_batch_num_tokens` (null: mini-batches of `miniBatchSize` rows). */
  readonly miniBatchNumTokens: number | null;
  /** The checked MultipleNegativesRankingLoss options (Python's wrapped `self.loss`). */
  readonly settings: MnrlSettings;

  constructor(opts: CachedMultipleNegativesRankingLossOptions = {}) {
    this.settings = mnrlSettings(opts, this.name, ['miniBatchSize', 'miniBatchNumTokens']);
    const t = opts.miniBatchNumTokens ?? null;
    if (t !== null && !(Number.isInteger(t) && t > 0)) throw new RangeError(`${this.name}: miniBatchNumTokens (mini_batch_num_tokens) must be a positive integer or null, got ${JSON.stringify(opts.miniBatchNumTokens)}`);
    this.miniBatchNumTokens = t;
    const m = opts.miniBatchSize ?? 32;
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`${this.name}: miniBatchSize (mini_batch_size) must be a positive integer, got ${JSON.stringify(opts.miniBatchSize)}`);
    this.miniBatchSize = m;
  }

  /** Plain MNRL on precomputed embeddings (the same value GradCache computes). */
  compute(batch: EmbeddingBatch): tf.Scalar {
    return mnrlLoss(this.settings, batch.embeddings, this.name);
  }

  computeWithModel(ctx: ModelLossContext, lossScale: number): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    return this.gradCache(ctx, lossScale, (embeddings) => mnrlLoss(this.settings, embeddings, this.name));
  }

  /**
   * Under dataParallel with `gatherAcrossDevices`: GradCache across replicas (each embeds its shard in
   * `miniBatchSize` rows off the tape, the embeddings are exchanged, each scores its anchors against every
   * replica's candidates, and replays its mini-batches with the summed cached gradients).
   */
  gatherAcrossReplicas(): GatherSpec | undefined {
    return mnrlGather(this.settings, this.name, (counts) => this.miniBatches(counts));
  }

  /**
   * GradCache with another loss of the full-batch embeddings in stage 2 (MatryoshkaLoss wrapping this one runs its
   * truncated MNRL terms here, as Python's `CachedLossDecorator`). `lossOf` must be a pure function of `embeddings`.
   */
  gradCache(ctx: ModelLossContext, lossScale: number, lossOf: (embeddings: tf.Tensor2D[]) => tf.Scalar): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    if (ctx.columns < 2) throw new Error(`${this.name}: needs at least 2 text columns (anchor, positive), got ${ctx.columns}`);
    // Each column's mini-batches (by rows, or packed by tokens), fixed before stage 1 and replayed in stage 3.
    const ranges = Array.from({ length: ctx.columns }, (_, c) => this.miniBatches(ctx.tokenCounts(c)));
    // The dropout seed of each (column, mini-batch), replayed in stage 3 (Python's RandContext).
    const seeds = ranges.map((r) => r.map(() => ctx.nextSeed()));
    // Stage 1: embeddings without the tape. reps[c]: [rows, dim]
    const reps = seeds.map((colSeeds, c) => tf.tidy(() => tf.concat(ranges[c].map(([s, e], k) => ctx.embed(c, s, e, colSeeds[k])), 0)));
    let cache: tf.Tensor[] = [];
    let loss: tf.Scalar | undefined;
    const grads: Record<string, tf.Tensor> = {};
    try {
      // Stage 2: the loss and its gradient with respect to the embeddings (scaled as the trainer asks).
      const out = tf.valueAndGrads((...embeddings: tf.Tensor[]) => tf.mul(lossOf(embeddings as tf.Tensor2D[]), lossScale) as tf.Scalar)(reps);
      cache = out.grads;
      loss = lossScale === 1 ? out.value : tf.tidy(() => tf.div(out.value, lossScale) as tf.Scalar);
      if (loss !== out.value) out.value.dispose();
      // Stage 3: backpropagate the cached gradient through each mini-batch, summing the parameter gradients.
      replayMiniBatches(ctx, ranges, seeds, (c, s, e) => tf.slice(cache[c], [s, 0], [e - s, -1]) as tf.Tensor2D, grads);
      return { loss, grads };
    } catch (e) {
      loss?.dispose();
      tf.dispose(Object.values(grads));
      throw e;
    } finally {
      tf.dispose(reps);
      tf.dispose(cache);
    }
  }

  /** One column's mini-batch row ranges from its rows' token counts (6.0.1's `_minibatch_ranges`). */
  miniBatches(tokenCounts: readonly number[]): [number, number][] {
    return miniBatchRanges(tokenCounts, this.miniBatchSize, this.miniBatchNumTokens);
  }

  getConfigDict(): Record<string, unknown> {
    const { scale, similarity_fct, ...rest } = mnrlConfig(this.settings);
    // 6.0.1's order: scale, similarity_fct, mini_batch_size, mini_batch_num_tokens, then MNRL's five others
    return { scale, similarity_fct, mini_batch_size: this.miniBatchSize, mini_batch_num_tokens: this.miniBatchNumTokens, ...rest }; // spread-ok: a fixed set of keys
  }
}

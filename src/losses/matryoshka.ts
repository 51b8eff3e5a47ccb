/**
 * MatryoshkaLoss: the wrapped loss summed over truncated embeddings, `sum_d weight_d * loss(e_d)`, dims sorted
 * descending. As sentence-transformers 3.4.1 does it, the model runs once per column and the cached output is
 * shrunk in place, so each term sees `normalize(previous[:, :d])` (a chain: e_32 = normalize(e[:, :32]),
 * e_16 = normalize(e_32[:, :16]), ...), not truncations of the original.
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/losses/MatryoshkaLoss.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalizeRows } from './distance_ops.js';
import type { CachedMultipleNegativesRankingLoss } from './cached_multiple_negatives_ranking.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { KUSUPATI_2024_MATRYOSHKA } from './citations.js';

/** Options of {@link MatryoshkaLoss}. */
export interface MatryoshkaLossOptions {
  /** The dimensions to train, e.g. [768, 512, 256, 128, 64] (sorted descending here). */
  matryoshkaDims: number[];
  /** One weight per dimension (default all 1). */
  matryoshkaWeights?: number[];
}

/**
 * @example
 * ```ts
 * const loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { matryoshkaDims: [384, 256, 128, 64] });
 * ```
 */
export class MatryoshkaLoss implements Loss {
  readonly name = 'MatryoshkaLoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = KUSUPATI_2024_MATRYOSHKA;
  readonly textColumns: { min: number; max: number };
  readonly needsLabels: boolean;
  readonly dims: number[];
  readonly weights: number[];

  constructor(
    readonly loss: Loss,
    opts: MatryoshkaLossOptions,
  ) {
    const dims = opts?.matryoshkaDims;
    if (!Array.isArray(dims) || dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`MatryoshkaLoss: matryoshkaDims must be a non-empty array of positive integers, got ${JSON.stringify(dims)}`);
    }
    const weights = opts.matryoshkaWeights ?? dims.map(() => 1);
    if (weights.length !== dims.length) throw new Error(`MatryoshkaLoss: matryoshkaWeights must have ${dims.length} entries (one per dim), got ${weights.length}`);
    const order = dims.map((d, i) => [d, weights[i]] as const).sort((a, b) => b[0] - a[0]);
    this.dims = order.map((o) => o[0]);
    this.weights = order.map((o) => o[1]);
    this.textColumns = loss.textColumns;
    this.needsLabels = loss.needsLabels;
    const cached = loss as Loss & { gradCache?: CachedMultipleNegativesRankingLoss['gradCache'] };
    if (typeof cached.gradCache === 'function') {
      // Around a GradCache loss the truncations run inside its stage 2: the memory stays a mini-batch's.
      this.computeWithModel = (ctx, lossScale) => cached.gradCache!.call(loss, ctx, lossScale, (embeddings) => this.compute({ embeddings, labels: ctx.labels }));
    }
  }

  /** Set only around a GradCache loss (CachedMultipleNegativesRankingLoss); see {@link Loss.computeWithModel}. */
  computeWithModel?: Loss['computeWithModel'];

  compute(batch: EmbeddingBatch): tf.Scalar {
    return tf.tidy(() => {
      let current = batch.embeddings;
      const full = current[0].shape[1];
      let total: tf.Scalar | undefined;
      this.dims.forEach((d, i) => {
        if (d > full) throw new Error(`MatryoshkaLoss: dimension ${d} exceeds the embedding size ${full}`);
        current = current.map((e) => normalizeRows(tf.slice(e, [0, 0], [-1, d]) as tf.Tensor2D)); // [B, d]
        const term = tf.mul(this.loss.compute({ embeddings: current, labels: batch.labels }), this.weights[i]) as tf.Scalar;
        total = total ? (tf.add(total, term) as tf.Scalar) : term;
      });
      return total!;
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.loss.trainableVariables?.() ?? [];
  }

  getConfigDict(): Record<string, unknown> {
    return { loss: this.loss.name, matryoshka_dims: this.dims, matryoshka_weights: this.weights, n_dims_per_step: -1 };
  }
}

/**
 * MSELoss: knowledge distillation: the mean squared error between the student's embeddings and precomputed teacher
 * embeddings (6.0.1's `EmbedDistillLoss(distance_metric="mse")`).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/mse.py
 * and https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/embed_distill.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns } from './common.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { REIMERS_2020_MULTILINGUAL } from './citations.js';

/** Options of {@link MSELoss}. */
export interface MSELossOptions {
  /**
   * `projection_dim`: a trainable linear projection (with bias) of the student embeddings to this size before the
   * error, for a teacher of another width. Needs `embeddingDimension`. Default none.
   */
  projectionDim?: number | null;
  /** The student's embedding size (Python reads it from the model); required with `projectionDim`. */
  embeddingDimension?: number;
  /** The projection's initial `weight` [projectionDim, embeddingDimension] and `bias` (torch `nn.Linear` layout). */
  initialWeights?: { weight: ArrayLike<number>; bias: ArrayLike<number> };
  /** Seed of the default (torch-like, uniform ±1/sqrt(embeddingDimension)) initialisation. */
  seed?: number;
}

/**
 * `mean over columns of mean((student - teacher)^2)`, as sentence-transformers v6.0.1. The teacher embeddings come
 * as `batch.labelVectors`: `[batch, dim]` (one target for every text column, e.g. a sentence and its translation)
 * or `[batch, columns, dim]` (one per column). With `projectionDim` the student embeddings go through a trainable
 * linear layer first (returned by `trainableVariables()`, freed by `dispose()`).
 *
 * @example
 * ```ts
 * const loss = new MSELoss();
 * const teacher = tf.tensor2d(teacherEmbeddings); // [batch, dim], from the teacher's encode()
 * const value = loss.compute({ embeddings: [english, german], labels: null, labelVectors: teacher });
 * ```
 */
export class MSELoss implements Loss {
  readonly name = 'MSELoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = REIMERS_2020_MULTILINGUAL;
  readonly textColumns = { min: 1, max: Infinity };
  readonly needsLabels = true;
  readonly projectionDim: number | null;
  /** The projection's `weight` [projectionDim, embeddingDimension] and `bias`, when projecting. */
  readonly projection: { weight: tf.Variable<tf.Rank.R2>; bias: tf.Variable<tf.Rank.R1> } | null = null;

  constructor(options: MSELossOptions = {}) {
    this.projectionDim = options.projectionDim ?? null;
    if (this.projectionDim === null) return;
    const what = 'MSELoss';
    if (!Number.isInteger(this.projectionDim) || this.projectionDim <= 0) throw new RangeError(`${what}: projectionDim (projection_dim) must be a positive integer, got ${JSON.stringify(this.projectionDim)}`);
    const inDim = options.embeddingDimension;
    if (inDim === undefined || !Number.isInteger(inDim) || inDim <= 0) throw new RangeError(`${what}: embeddingDimension must be the student's embedding size (a positive integer) with projectionDim, got ${JSON.stringify(inDim)}`);
    const out = this.projectionDim;
    if (options.initialWeights) {
      const { weight, bias } = options.initialWeights;
      if (weight.length !== out * inDim) throw new RangeError(`${what}: initialWeights.weight must hold ${out} x ${inDim} values, got ${weight.length}`);
      if (bias.length !== out) throw new RangeError(`${what}: initialWeights.bias must hold ${out} values, got ${bias.length}`);
      this.projection = {
        weight: tf.tidy(() => tf.variable(tf.tensor2d(Float32Array.from(weight), [out, inDim]), true)),
        bias: tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(bias)), true)),
      };
    } else {
      const bound = 1 / Math.sqrt(inDim);
      this.projection = {
        weight: tf.tidy(() => tf.variable(tf.randomUniform([out, inDim], -bound, bound, 'float32', options.seed), true)),
        bias: tf.tidy(() => tf.variable(tf.randomUniform([out], -bound, bound, 'float32', options.seed === undefined ? undefined : options.seed + 1), true)),
      };
    }
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const cols = checkColumns(this.name, batch, 1, Infinity);
    const teacher = batch.labelVectors;
    if (!teacher) throw new TypeError(`${this.name}: needs the teacher embeddings as batch.labelVectors ([batch, dim] or [batch, columns, dim]), got ${teacher === null ? 'null' : 'none'}`);
    const n = cols[0].shape[0];
    const dim = this.projection ? (this.projectionDim as number) : cols[0].shape[1];
    if (this.projection && cols[0].shape[1] !== this.projection.weight.shape[1]) {
      throw new RangeError(`${this.name}: embeddings have dim ${cols[0].shape[1]}, the projection expects embeddingDimension ${this.projection.weight.shape[1]}`);
    }
    if (teacher.rank === 2 ? teacher.shape[0] !== n || teacher.shape[1] !== dim : teacher.shape[0] !== n || teacher.shape[1] !== cols.length || teacher.shape[2] !== dim) {
      throw new RangeError(`${this.name}: labelVectors must be [${n}, ${dim}] or [${n}, ${cols.length}, ${dim}] for ${cols.length} column(s) of [${n}, ${dim}] embeddings, got [${teacher.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const projection = this.projection;
      const perColumn = cols.map((column, i) => {
        const student = projection ? tf.add(tf.matMul(column, projection.weight, false, true), projection.bias) : column; // [n, dim]
        const target = teacher.rank === 2 ? teacher : tf.squeeze(tf.slice(teacher, [0, i, 0], [n, 1, dim]), [1]); // [n, dim]
        return tf.mean(tf.squaredDifference(student, target));
      });
      return tf.mean(tf.stack(perColumn)) as tf.Scalar;
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.projection ? [this.projection.weight, this.projection.bias] : [];
  }

  /** Frees the projection's variables (if any). */
  dispose(): void {
    this.projection?.weight.dispose();
    this.projection?.bias.dispose();
  }

  getConfigDict(): Record<string, unknown> {
    return { projection_dim: this.projectionDim };
  }
}

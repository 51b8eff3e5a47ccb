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

/**
 * `mean over columns of mean((student - teacher)^2)`, as sentence-transformers v6.0.1. The teacher embeddings come
 * as `batch.labelVectors`: `[batch, dim]` (one target for every text column, e.g. a sentence and its translation)
 * or `[batch, columns, dim]` (one per column). No projection (`projection_dim` is not supported): student and
 * teacher dims must match.
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
  readonly textColumns = { min: 1, max: Infinity };
  readonly needsLabels = true;

  compute(batch: EmbeddingBatch): tf.Scalar {
    const cols = checkColumns(this.name, batch, 1, Infinity);
    const teacher = batch.labelVectors;
    if (!teacher) throw new TypeError(`${this.name}: needs the teacher embeddings as batch.labelVectors ([batch, dim] or [batch, columns, dim]), got ${teacher === null ? 'null' : 'none'}`);
    const [n, dim] = cols[0].shape;
    if (teacher.rank === 2 ? teacher.shape[0] !== n || teacher.shape[1] !== dim : teacher.shape[0] !== n || teacher.shape[1] !== cols.length || teacher.shape[2] !== dim) {
      throw new RangeError(`${this.name}: labelVectors must be [${n}, ${dim}] or [${n}, ${cols.length}, ${dim}] for ${cols.length} column(s) of [${n}, ${dim}] embeddings, got [${teacher.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const perColumn = cols.map((student, i) => {
        const target = teacher.rank === 2 ? teacher : tf.squeeze(tf.slice(teacher, [0, i, 0], [n, 1, dim]), [1]); // [n, dim]
        return tf.mean(tf.squaredDifference(student, target));
      });
      return tf.mean(tf.stack(perColumn)) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { projection_dim: null };
  }
}

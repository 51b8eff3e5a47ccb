/**
 * CosineSimilarityLoss: `loss_fct(cos_score_transformation(cosine_similarity(u, v)), label)`, with MSE and the
 * identity by default: the mean of (cos(u, v) - label)^2 over the batch. Two text columns and a float label.
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/losses/CosineSimilarityLoss.py
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingBatch, Loss } from './types.js';

/**
 * @example
 * ```ts
 * const loss = new CosineSimilarityLoss();
 * await model.fit({ trainObjectives: [{ data: [{ texts: ['a', 'b'], label: 0.9 }], loss }] });
 * ```
 */
export class CosineSimilarityLoss implements Loss {
  readonly name = 'CosineSimilarityLoss';
  readonly textColumns = { min: 2, max: 2 };
  readonly needsLabels = true;

  compute({ embeddings, labels }: EmbeddingBatch): tf.Scalar {
    if (!labels) throw new Error('CosineSimilarityLoss: the batch has no labels (a "label" or "score" column is needed)');
    const [u, v] = embeddings;
    return tf.tidy(() => {
      // torch.cosine_similarity (eps 1e-8): u.v / max(|u| |v|, eps)
      const dot = tf.sum(tf.mul(u, v), 1);
      const norms = tf.mul(tf.sqrt(tf.sum(tf.square(u), 1)), tf.sqrt(tf.sum(tf.square(v), 1)));
      const cos = tf.div(dot, tf.maximum(norms, 1e-8)); // [B]
      return tf.mean(tf.square(tf.sub(cos, labels)));
    });
  }

  /** 6.0.1's `get_config_dict()`: both functions by their full names (the transformation is the identity here). */
  getConfigDict(): Record<string, unknown> {
    return { loss_fct: 'torch.nn.modules.loss.MSELoss', cos_score_transformation: 'torch.nn.modules.linear.Identity' };
  }
}

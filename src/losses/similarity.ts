/**
 * The similarity functions the losses use, as sentence-transformers' `util` computes them in float32:
 * `cos_sim` (a [N, D] x b [M, D] -> [N, M]), `pairwise_cos_sim`, `dot_score`, `pairwise_dot_score`,
 * `euclidean_sim` / `manhattan_sim` (negated distances). `normalize` is torch's `F.normalize(x, p=2, dim=1)`:
 * x / max(||x||, 1e-12).
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/util/similarity.py
 */
import * as tf from '@tensorflow/tfjs-core';

/** The similarity functions a loss can take (sentence-transformers' names). */
export type LossSimilarity = 'cos_sim' | 'dot_score' | 'euclidean_sim' | 'manhattan_sim';

/** torch `F.normalize(x, p=2, dim=1)`: rows divided by max(L2 norm, 1e-12). x [N, D] -> [N, D]. */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12)));
}

/** The [N, M] similarity matrix of a [N, D] and b [M, D]. */
export function similarityMatrix(fn: LossSimilarity, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    switch (fn) {
      case 'cos_sim':
        return tf.matMul(normalizeRows(a), normalizeRows(b), false, true);
      case 'dot_score':
        return tf.matMul(a, b, false, true);
      case 'euclidean_sim': {
        const d = tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0)); // [N, M, D]
        return tf.neg(tf.sqrt(tf.sum(tf.square(d), 2))) as tf.Tensor2D;
      }
      case 'manhattan_sim': {
        const d = tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0)); // [N, M, D]
        return tf.neg(tf.sum(tf.abs(d), 2)) as tf.Tensor2D;
      }
    }
  });
}

/** Row-wise similarity of a [N, D] and b [N, D] -> [N] (`pairwise_*`). */
export function pairwiseSimilarity(fn: LossSimilarity, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy((): tf.Tensor1D => {
    switch (fn) {
      case 'cos_sim':
        return tf.sum(tf.mul(normalizeRows(a), normalizeRows(b)), 1);
      case 'dot_score':
        return tf.sum(tf.mul(a, b), 1);
      case 'euclidean_sim':
        return tf.neg(tf.sqrt(tf.sum(tf.square(tf.sub(a, b)), 1))) as tf.Tensor1D;
      case 'manhattan_sim':
        return tf.neg(tf.sum(tf.abs(tf.sub(a, b)), 1)) as tf.Tensor1D;
    }
  });
}

/** Parse a similarity option (`cos_sim`, `pairwise_cos_sim`, `dot_score`, ...), naming `what` in the error. */
export function parseLossSimilarity(name: string | undefined, fallback: LossSimilarity, what: string): LossSimilarity {
  if (name === undefined) return fallback;
  const n = name.replace(/^pairwise_/, '');
  if (n === 'cos_sim' || n === 'dot_score' || n === 'euclidean_sim' || n === 'manhattan_sim') return n;
  throw new Error(`${what}: similarityFct must be one of cos_sim, dot_score, euclidean_sim, manhattan_sim, got ${JSON.stringify(name)}`);
}

/** Mean cross-entropy of logits [N, C] against integer targets `0..N-1` (torch `F.cross_entropy(x, arange(N))`). */
export function crossEntropyDiagonal(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy((): tf.Scalar => {
    const n = logits.shape[0];
    const logp = tf.logSoftmax(logits, 1);
    const onehot = tf.eye(n, logits.shape[1]); // [N, C]: row i selects class i
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), 1))) as tf.Scalar;
  });
}

/**
 * The tensor similarity / distance functions of the losses in this folder, as sentence-transformers and torch
 * compute them in float32: `normalize_embeddings` (torch `F.normalize`, eps 1e-12), `pairwise_cos_sim`,
 * `pairwise_angle_sim`, the `SiameseDistanceMetric` / `TripletDistanceMetric` distances (torch
 * `F.pairwise_distance` adds eps 1e-6 to the difference) and the batch-triplet distance matrices. Pure functions;
 * the caller owns the results.
 *
 * Also the `util` similarity functions the losses take by name (`cos_sim`, `dot_score`, `euclidean_sim`,
 * `manhattan_sim`, as matrices and pairwise) and the in-batch cross-entropy of the ranking losses. This is the one
 * place these live (similarity.ts was folded in here).
 *
 * References (pinned):
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/util/similarity.py
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/contrastive.py
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_hard_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `f(...inputs)` computed off the gradient tape, with a zero gradient (torch's comparisons and masks carry none).
 * Comparisons (`less`, `equal`, ...) have no gradient in tfjs, so a mask derived from tensors on the tape must be
 * built inside this (a `tf.customGrad` forward runs with the tape paused). No synchronous read is needed, so it works
 * on webgpu too.
 */
export function noGrad(f: (...xs: tf.Tensor[]) => tf.Tensor, ...inputs: tf.Tensor[]): tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return { value: f(...xs), gradFunc: () => xs.map((x) => tf.zerosLike(x)) }; // spread-ok: a few tensors
  })(...inputs); // spread-ok: a few tensors
}

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

/**
 * `pairwise_angle_sim(x, y)` (AnglE): rows split in halves as complex numbers (an odd dim is zero-padded), the
 * absolute sum of the normalized complex quotient's parts. [N, D] x [N, D] -> [N].
 */
export function pairwiseAngle(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    let xs = x;
    let ys = y;
    if (x.shape[1] % 2 !== 0) {
      xs = tf.pad(x, [[0, 0], [0, 1]]); // [N, D + 1]
      ys = tf.pad(y, [[0, 0], [0, 1]]);
    }
    const [a, b] = tf.split(xs, 2, 1); // [N, D/2] each
    const [c, d] = tf.split(ys, 2, 1);
    const z = tf.sum(tf.add(tf.square(c), tf.square(d)), 1, true); // [N, 1]
    let re = tf.div(tf.add(tf.mul(a, c), tf.mul(b, d)), z);
    let im = tf.div(tf.sub(tf.mul(b, c), tf.mul(a, d)), z);
    const dz = tf.sqrt(tf.sum(tf.add(tf.square(a), tf.square(b)), 1, true)); // [N, 1]
    const dw = tf.sqrt(tf.sum(tf.add(tf.square(c), tf.square(d)), 1, true));
    const ratio = tf.div(dz, dw);
    re = tf.div(re, ratio);
    im = tf.div(im, ratio);
    return tf.abs(tf.sum(tf.concat([re, im], 1), 1)) as tf.Tensor1D;
  });
}

/** `SiameseDistanceMetric` (ContrastiveLoss, OnlineContrastiveLoss). */
export type SiameseDistanceMetric = 'COSINE_DISTANCE' | 'EUCLIDEAN' | 'MANHATTAN';
const SIAMESE: readonly SiameseDistanceMetric[] = ['COSINE_DISTANCE', 'EUCLIDEAN', 'MANHATTAN'];

/** Parse a Siamese metric name (with or without the `SiameseDistanceMetric.` prefix). */
export function parseSiameseMetric(value: unknown, what: string): SiameseDistanceMetric {
  const v = typeof value === 'string' ? value.replace(/^SiameseDistanceMetric\./, '') : value;
  if (!SIAMESE.includes(v as SiameseDistanceMetric)) throw new RangeError(`${what}: distanceMetric must be one of ${SIAMESE.join(', ')}; got ${JSON.stringify(value)}`);
  return v as SiameseDistanceMetric;
}

/**
 * The Siamese distance of row pairs: `1 - F.cosine_similarity`, or `F.pairwise_distance(x, y, p)` =
 * `||x - y + 1e-6||_p`. [N, D] x [N, D] -> [N].
 */
export function siameseDistance(metric: SiameseDistanceMetric, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy((): tf.Tensor1D => {
    if (metric === 'COSINE_DISTANCE') {
      // F.cosine_similarity(eps=1e-8): x.y / sqrt(clamp_min(|x|^2 |y|^2, eps^2)).
      const dot = tf.sum(tf.mul(x, y), 1);
      const nn = tf.mul(tf.sum(tf.square(x), 1), tf.sum(tf.square(y), 1));
      return tf.sub(1, tf.div(dot, tf.sqrt(tf.maximum(nn, 1e-16)))) as tf.Tensor1D;
    }
    const diff = tf.add(tf.sub(x, y), 1e-6);
    return (metric === 'EUCLIDEAN' ? tf.sqrt(tf.sum(tf.square(diff), 1)) : tf.sum(tf.abs(diff), 1)) as tf.Tensor1D;
  });
}

/** `TripletDistanceMetric` (TripletLoss). */
export type TripletDistanceMetric = 'COSINE' | 'EUCLIDEAN' | 'MANHATTAN';
const TRIPLET: readonly TripletDistanceMetric[] = ['COSINE', 'EUCLIDEAN', 'MANHATTAN'];

/** Parse a triplet metric name (with or without the `TripletDistanceMetric.` prefix). */
export function parseTripletMetric(value: unknown, what: string): TripletDistanceMetric {
  const v = typeof value === 'string' ? value.replace(/^TripletDistanceMetric\./, '') : value;
  if (!TRIPLET.includes(v as TripletDistanceMetric)) throw new RangeError(`${what}: distanceMetric must be one of ${TRIPLET.join(', ')}; got ${JSON.stringify(value)}`);
  return v as TripletDistanceMetric;
}

/** `1 - pairwise_cos_sim`, `-pairwise_euclidean_sim` = sqrt(sum((a-b)^2)), `-pairwise_manhattan_sim`. [N] */
export function tripletDistance(metric: TripletDistanceMetric, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy((): tf.Tensor1D => {
    if (metric === 'COSINE') return tf.sub(1, pairwiseSimilarity('cos_sim', a, b)) as tf.Tensor1D;
    const diff = tf.sub(a, b);
    return (metric === 'EUCLIDEAN' ? tf.sqrt(tf.sum(tf.square(diff), 1)) : tf.sum(tf.abs(diff), 1)) as tf.Tensor1D;
  });
}

/** `BatchHardTripletLossDistanceFunction`: the distance matrix of one batch. */
export type BatchDistance = 'euclidean_distance' | 'squared_euclidean_distance' | 'cosine_distance';
const BATCH: readonly BatchDistance[] = ['euclidean_distance', 'squared_euclidean_distance', 'cosine_distance'];

/** Parse a batch distance name (`eucledian_distance`, Python's misspelt alias, is accepted). */
export function parseBatchDistance(value: unknown, what: string): BatchDistance {
  const v = value === 'eucledian_distance' ? 'euclidean_distance' : value;
  if (!BATCH.includes(v as BatchDistance)) throw new RangeError(`${what}: distanceMetric must be one of ${BATCH.join(', ')}; got ${JSON.stringify(value)}`);
  return v as BatchDistance;
}

/**
 * The [N, N] distance matrix: `1 - cos_sim(e, e)`, or the euclidean distance from the Gram matrix
 * (`|a|^2 - 2 a.b + |b|^2`, negatives set to 0; for the non-squared distance exact zeros stay zero with a zero
 * gradient, as Python's `mask * 1e-16` trick). The zero mask carries no gradient (torch's `eq` has none).
 */
export function batchDistanceMatrix(metric: BatchDistance, e: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy((): tf.Tensor2D => {
    if (metric === 'cosine_distance') return tf.sub(1, similarityMatrix('cos_sim', e, e));
    const dot = tf.matMul(e, e, false, true); // [N, N]
    const n = e.shape[0];
    const sq = tf.sum(tf.mul(dot, tf.eye(n)), 1); // diag(dot) [N]
    const d = tf.relu(tf.add(tf.sub(tf.expandDims(sq, 0), tf.mul(2, dot)), tf.expandDims(sq, 1))) as tf.Tensor2D;
    if (metric === 'squared_euclidean_distance') return d;
    const zero = noGrad((t) => tf.cast(tf.equal(t, 0), 'float32'), d);
    return tf.mul(tf.sub(1, zero), tf.sqrt(tf.add(d, tf.mul(zero, 1e-16)))) as tf.Tensor2D;
  });
}

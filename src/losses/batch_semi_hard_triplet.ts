/**
 * BatchSemiHardTripletLoss: for every (anchor, positive) pair of a labelled batch, the closest negative that is
 * still farther than the positive (semi-hard), else the farthest negative.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/batch_semi_hard_triplet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, finiteNumber, requireLabels } from './common.js';
import { batchDistanceMatrix, parseBatchDistance, type BatchDistance } from './distance_ops.js';
import { sameLabel, type BatchTripletLossOptions } from './batch_hard_triplet.js';
import type { EmbeddingBatch, Loss } from './types.js';

/** `_masked_minimum` / `_masked_maximum` along dim 1 (keepdims). */
function maskedExtreme(data: tf.Tensor2D, mask: tf.Tensor2D, kind: 'min' | 'max'): tf.Tensor2D {
  const shift = kind === 'min' ? tf.max(data, 1, true) : tf.min(data, 1, true);
  const shifted = tf.mul(tf.sub(data, shift), mask);
  return tf.add(kind === 'min' ? tf.min(shifted, 1, true) : tf.max(shifted, 1, true), shift) as tf.Tensor2D;
}

/**
 * The semi-hard triplet loss of FaceNet as sentence-transformers v6.0.1 ports it from TensorFlow Addons: the mean
 * over (anchor, positive) pairs of `relu(d(a, p) - d(a, n_semi_hard) + margin)`. Which negatives qualify is read
 * from the distance values (Python's comparisons carry no gradient either).
 *
 * @example
 * ```ts
 * const loss = new BatchSemiHardTripletLoss({ margin: 5 });
 * const value = loss.compute({ embeddings: [sentences], labels: tf.tensor1d([0, 0, 1, 1]) });
 * ```
 */
export class BatchSemiHardTripletLoss implements Loss {
  readonly name = 'BatchSemiHardTripletLoss';
  readonly textColumns = { min: 1, max: 1 };
  readonly needsLabels = true;
  readonly distanceMetric: BatchDistance;
  readonly margin: number;

  constructor(options: BatchTripletLossOptions = {}) {
    this.distanceMetric = parseBatchDistance(options.distanceMetric ?? 'euclidean_distance', this.name);
    this.margin = finiteNumber(options.margin, 5, `${this.name}: margin`);
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [e] = checkColumns(this.name, batch, 1, 1);
    const labels = requireLabels(this.name, batch, e.shape[0]);
    return tf.tidy(() => {
      const n = e.shape[0];
      const d = batchDistanceMatrix(this.distanceMetric, e); // [n, n]
      const adjacency = sameLabel(labels);
      const adjacencyNot = tf.sub(1, adjacency) as tf.Tensor2D;
      const dTile = tf.tile(d, [n, 1]) as tf.Tensor2D; // [n * n, n]: row (i * n + a) = d[a, :]
      // mask[i*n + a, k] = label_a != label_k and d[a, k] > d[i, a]... as Python: pdist_tile > reshape(pdist.T, [-1, 1])
      const dv = d.dataSync();
      const adj = adjacencyNot.dataSync();
      const mask = new Float32Array(n * n * n);
      const anyMask = new Float32Array(n * n);
      for (let r = 0; r < n * n; r++) {
        const a = r % n; // row of pdist in the tile
        const threshold = dv[(r % n) * n + Math.floor(r / n)]; // pdist.T flattened: pdist[r % n, floor(r / n)]
        for (let k = 0; k < n; k++) {
          if (adj[a * n + k] === 1 && dv[a * n + k] > threshold) {
            mask[r * n + k] = 1;
            anyMask[r] = 1;
          }
        }
      }
      const maskT = tf.tensor2d(mask, [n * n, n]);
      const maskFinal = tf.transpose(tf.tensor2d(anyMask, [n, n])); // [n, n]
      const outside = tf.transpose(tf.reshape(maskedExtreme(dTile, maskT, 'min'), [n, n]));
      const inside = tf.tile(maskedExtreme(d, adjacencyNot, 'max'), [1, n]);
      const semiHard = tf.where(tf.cast(maskFinal, 'bool'), outside, inside);
      const lossMat = tf.add(tf.sub(d, semiHard), this.margin);
      const maskPositives = tf.sub(adjacency, tf.eye(n));
      const numPositives = tf.maximum(tf.sum(maskPositives), 1e-16);
      return tf.div(tf.sum(tf.maximum(tf.mul(lossMat, maskPositives), 0)), numPositives) as tf.Scalar;
    });
  }

  getConfigDict(): Record<string, unknown> {
    return { distance_metric: this.distanceMetric, margin: this.margin };
  }
}

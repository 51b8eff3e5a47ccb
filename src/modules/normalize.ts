/**
 * The Normalize module: L2-normalizes the sentence embedding, as `torch.nn.functional.normalize(p=2, dim=1)`
 * (norms clamped to at least 1e-12).
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Normalize.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeDir } from '../platform/fs.js';
import type { Features, RequiredFile, SentenceModule } from './types.js';

/** L2-normalize the rows of a [B, D] tensor with torch's eps (1e-12). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12);
    return tf.div(x, norm) as tf.Tensor2D;
  });
}

/**
 * L2-normalizes `sentence_embedding` (unit length rows, so dot product equals cosine similarity). It has no
 * config: its folder is empty.
 *
 * @example
 * ```ts
 * const model = SentenceTransformer.fromModules([transformer, Pooling.fromMode(384, 'mean'), new Normalize()]);
 * ```
 */
export class Normalize implements SentenceModule {
  /** The 3.x modules.json type. */
  static readonly typeName = 'sentence_transformers.models.Normalize';
  static readonly requiredFiles: readonly RequiredFile[] = [];

  readonly typeName = Normalize.typeName;

  /** Load the module saved in `dir` (nothing to read). */
  static async load(_dir: string): Promise<Normalize> {
    return new Normalize();
  }

  /** Python `get_config_dict()`: no keys. */
  getConfigDict(): Record<string, never> {
    return {};
  }

  /** Create the (empty) folder, as Python's save does. */
  async save(dir: string): Promise<void> {
    await makeDir(dir);
  }

  forward(features: Features): Features {
    if (!features.sentenceEmbedding) throw new Error('Normalize: features has no sentence_embedding (a Pooling module must come first)');
    return { ...features, sentenceEmbedding: l2Normalize(features.sentenceEmbedding) };
  }

  dispose(): void {}
}

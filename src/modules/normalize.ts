/**
 * The Normalize module: L2-normalizes the sentence embedding, as `torch.nn.functional.normalize(p=2, dim=1)`
 * (norms clamped to at least 1e-12).
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Normalize.py
 * and v6.0.1 `sentence_transformers/base/modules/normalize.py` (config.json `module_input_name`, `module_output_name`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigReader } from '../models/config.js';
import { checkNoLinksOutside, joinPath, pathExists, readJSONFile, writeJSONFile } from '../platform/fs.js';
import { isUrl } from '../platform/url.js';
import { SENTENCE_EMBEDDING, type Features, type ModuleLoadOptions, type RequiredFile, type SentenceModule } from './types.js';

/** L2-normalize the rows of a [B, D] tensor with torch's eps (1e-12). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12);
    return tf.div(x, norm) as tf.Tensor2D;
  });
}

/** torch's eps as the float32 that `tf.maximum(norm, 1e-12)` compares with. */
const EPS_F32 = Math.fround(1e-12);

/**
 * {@link l2Normalize} of one row, in place, on its read-back values: the float32 sum of squares in order, its float32
 * square root clamped to at least 1e-12, each value divided by it, the same bits as the tf ops give on the wasm
 * backend (tfjs-wasm's Square, Sum over the row in order in float32, Sqrt, Maximum, Div, each rounded to float32).
 * Other backends may sum in another order or precision (tfjs-cpu sums in float64): use {@link l2Normalize} there.
 * A NaN comes out NaN where the tf ops give NaN, its sign and payload left to the engine (wasm does not fix them).
 * @example
 * l2NormalizeRowF32(row); // row: Float32Array [D], now of unit length
 */
export function l2NormalizeRowF32(row: Float32Array): void {
  let acc = 0;
  for (let i = 0; i < row.length; i++) acc = Math.fround(acc + Math.fround(row[i] * row[i]));
  const s = Math.fround(Math.sqrt(acc));
  // tfjs-wasm's Maximum returns NaN for a NaN operand, as Math.max does
  const norm = Math.max(s, EPS_F32);
  for (let i = 0; i < row.length; i++) row[i] /= norm; // rounded to float32 on store
}

/**
 * L2-normalizes `sentence_embedding` (unit length rows, so dot product equals cosine similarity). Its folder holds
 * sentence-transformers 6.x's `config.json` (`{"module_input_name": "sentence_embedding", "module_output_name":
 * "sentence_embedding"}`); a 3.x folder is empty, and both load.
 *
 * @example
 * ```ts
 * const model = SentenceTransformer.fromModules([transformer, Pooling.fromMode(384, 'mean'), new Normalize()]);
 * ```
 */
export class Normalize implements SentenceModule {
  /** The modules.json type sentence-transformers 6.0.1 writes (the 3.x `sentence_transformers.models.Normalize` loads too). */
  static readonly typeName = 'sentence_transformers.base.modules.normalize.Normalize';
  static readonly requiredFiles: readonly RequiredFile[] = [];

  readonly typeName = Normalize.typeName;

  /**
   * Load the module saved in `dir`: its config.json when there is one (6.x; only `sentence_embedding` as input and
   * output is supported), else nothing (a 3.x folder is empty).
   */
  static async load(dir: string, opts: ModuleLoadOptions = {}): Promise<Normalize> {
    await checkNoLinksOutside(dir, opts.within);
    const p = await joinPath(dir, 'config.json');
    // 6.0.1 writes a config.json (its only keys must be the defaults); 3.x leaves the folder empty. A URL folder is
    // not probed for it: a missing file would be a 404 in the browser console, for a check that changes nothing.
    if (!isUrl(dir) && (await pathExists(p))) {
      const r = new ConfigReader(await readJSONFile<Record<string, unknown>>(p), p);
      for (const key of ['module_input_name', 'module_output_name']) r.onlySupported(key, r.string(key, SENTENCE_EMBEDDING), [SENTENCE_EMBEDDING]);
    }
    return new Normalize();
  }

  /** Python `get_config_dict()` (6.x config_keys). */
  getConfigDict(): { module_input_name: string; module_output_name: string } {
    return { module_input_name: SENTENCE_EMBEDDING, module_output_name: SENTENCE_EMBEDDING };
  }

  /** Write `config.json` (creating the folder), as sentence-transformers 6.0.1's save does. */
  async save(dir: string): Promise<void> {
    await writeJSONFile(await joinPath(dir, 'config.json'), this.getConfigDict());
  }

  forward(features: Features): Features {
    if (!features.sentenceEmbedding) throw new Error('Normalize: features has no sentence_embedding (a Pooling module must come first)');
    return { ...features, sentenceEmbedding: l2Normalize(features.sentenceEmbedding) };
  }

  dispose(): void {}
}

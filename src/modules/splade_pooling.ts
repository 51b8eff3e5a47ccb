/**
 * SPLADE pooling (sentence-transformers v5+ SparseEncoder): the MLM token logits [B, T, V] become one sparse-ish
 * vector [B, V] per text: `log1p(relu(logits * mask))` (a second `log1p` with `log1p_relu`), then the max (or sum)
 * over tokens.
 *
 * Reference (6.0.1): https://github.com/huggingface/sentence-transformers/blob/2c74ee9a3147e9814cc6bd72a3696f1b971c19c9/sentence_transformers/sparse_encoder/modules/splade_pooling.py
 */
import { configError } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigReader } from '../models/config.js';
import { checkNoLinksOutside, joinPath, readJSONFile, writeJSONFile } from '../platform/fs.js';
import type { Features, ModuleLoadOptions, RequiredFile, SentenceModule } from './types.js';

/** `pooling_strategy`: over the tokens of a text. */
export type SpladePoolingStrategy = 'max' | 'sum';
/** `activation_function`: `relu` (every SPLADE model), `log1p_relu` (OpenSearch's: log1p applied twice). */
export type SpladeActivation = 'relu' | 'log1p_relu';

/** SpladePooling's settings (its config.json in Python's keys). */
export interface SpladePoolingConfig {
  pooling_strategy: SpladePoolingStrategy;
  activation_function: SpladeActivation;
  /** The output width (the vocabulary size); null until known (set by the first forward, as Python does). */
  embedding_dimension: number | null;
}

const STRATEGIES: readonly SpladePoolingStrategy[] = ['max', 'sum'];
const ACTIVATIONS: readonly SpladeActivation[] = ['relu', 'log1p_relu'];

/**
 * Parse `1_SpladePooling/config.json`: `pooling_strategy`, `activation_function`, `embedding_dimension` (5.x:
 * `word_embedding_dimension`); `chunk_size` (a constructor argument, not saved by Python) is accepted and ignored:
 * this port always pools one text at a time, which bounds memory without changing a number. Other keys are an
 * error naming them.
 */
export function parseSpladePoolingConfig(json: unknown, source = 'SpladePooling config'): SpladePoolingConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError(`${source}: expected a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const r = new ConfigReader(json as Record<string, unknown>, source);
  const known = ['pooling_strategy', 'activation_function', 'embedding_dimension', 'word_embedding_dimension', 'chunk_size'];
  for (const k of Object.keys(r.raw)) if (!known.includes(k)) throw configError(`${source}: unknown key '${k}' (expected ${known.join(', ')})`);
  const pooling_strategy = r.string('pooling_strategy', 'max') as SpladePoolingStrategy;
  r.onlySupported('pooling_strategy', pooling_strategy, STRATEGIES);
  const activation_function = r.string('activation_function', 'relu') as SpladeActivation;
  r.onlySupported('activation_function', activation_function, ACTIVATIONS);
  const dimKey = r.raw.embedding_dimension !== undefined && r.raw.embedding_dimension !== null ? 'embedding_dimension' : 'word_embedding_dimension';
  const embedding_dimension = r.raw[dimKey] === undefined || r.raw[dimKey] === null ? null : r.positiveInt(dimKey);
  return { pooling_strategy, activation_function, embedding_dimension };
}

/**
 * `log1p(activation(logits * mask))` pooled over tokens, per text: logits [B, T, V], attention mask [B, T] ->
 * [B, V]. Every value is >= 0; padded tokens contribute 0.
 */
export function spladePool(logits: tf.Tensor3D, attentionMask: tf.Tensor2D, strategy: SpladePoolingStrategy = 'max', activation: SpladeActivation = 'relu'): tf.Tensor2D {
  const [b, t, v] = logits.shape;
  if (attentionMask.shape[0] !== b || attentionMask.shape[1] !== t) {
    throw new Error(`SpladePooling: attention mask [${attentionMask.shape}] does not match the logits [${logits.shape}]`);
  }
  // One text at a time: the [1, T, V] temporaries are freed before the next row (a batch's would be B times larger).
  const rows: tf.Tensor2D[] = [];
  try {
    for (let i = 0; i < b; i++) {
      rows.push(
        tf.tidy(() => {
          const l = tf.slice(logits, [i, 0, 0], [1, t, v]); // [1, T, V]
          const m = tf.reshape(tf.cast(tf.slice(attentionMask, [i, 0], [1, t]), 'float32'), [1, t, 1]); // [1, T, 1]
          let x = tf.log1p(tf.relu(tf.mul(l, m)));
          if (activation === 'log1p_relu') x = tf.log1p(x);
          return (strategy === 'max' ? tf.max(x, 1) : tf.sum(x, 1)) as tf.Tensor2D; // [1, V]
        }),
      );
    }
    return rows.length === 1 ? rows[0] : tf.concat(rows, 0);
  } finally {
    if (rows.length > 1) tf.dispose(rows);
  }
}

/**
 * SPLADE pooling of MLM logits into `sentence_embedding` [B, vocab_size] (mostly zeros). It follows a
 * `Transformer` with `transformer_task: "fill-mask"`. Folder: `config.json`.
 *
 * @example
 * ```ts
 * import { SpladePooling } from 'sentence-tfjs';
 *
 * const pooling = new SpladePooling({ pooling_strategy: 'max', activation_function: 'relu', embedding_dimension: null });
 * const saved = await SpladePooling.load('my-splade/1_SpladePooling'); // reads config.json
 * ```
 */
export class SpladePooling implements SentenceModule {
  /** The 6.x modules.json type (5.x: `sentence_transformers.sparse_encoder.models.SpladePooling`). */
  static readonly typeName = 'sentence_transformers.sparse_encoder.modules.splade_pooling.SpladePooling';
  static readonly requiredFiles: readonly RequiredFile[] = [{ name: 'config.json' }];
  /** Python's `config_keys`. */
  static readonly configKeys = ['pooling_strategy', 'activation_function', 'embedding_dimension'] as const;

  readonly typeName = SpladePooling.typeName;
  readonly config: SpladePoolingConfig;

  constructor(config: Partial<SpladePoolingConfig> = {}) {
    this.config = parseSpladePoolingConfig({ ...config }, 'SpladePooling');
  }

  /** Load the module saved in `dir` (its `config.json`; a symlink resolving outside the folder is refused). */
  static async load(dir: string, opts: ModuleLoadOptions = {}): Promise<SpladePooling> {
    await checkNoLinksOutside(dir, opts.within);
    const p = await joinPath(dir, 'config.json');
    return new SpladePooling(parseSpladePoolingConfig(await readJSONFile(p), p));
  }

  /** Python `get_config_dict()`. */
  getConfigDict(): SpladePoolingConfig {
    return { ...this.config };
  }

  /** Write `config.json` into `dir`. */
  async save(dir: string): Promise<void> {
    await writeJSONFile(await joinPath(dir, 'config.json'), this.getConfigDict());
  }

  forward(features: Features): Features {
    const logits = features.tokenEmbeddings;
    if (!logits) throw new Error('SpladePooling: features has no token_embeddings (a fill-mask Transformer must come first)');
    const sentenceEmbedding = spladePool(logits, features.attentionMask, this.config.pooling_strategy, this.config.activation_function);
    this.config.embedding_dimension ??= sentenceEmbedding.shape[1];
    return { ...features, sentenceEmbedding };
  }

  getSentenceEmbeddingDimension(): number | undefined {
    return this.config.embedding_dimension ?? undefined;
  }

  dispose(): void {}
}

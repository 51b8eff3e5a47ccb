/**
 * Options of `SentenceTransformer.encode` (Python names in the docs) and their validation.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py
 */
import { DEFAULT_BATCH_SIZE } from '../util/defaults.js';
import type { ProgressCallback } from './progress.js';

export { DEFAULT_BATCH_SIZE };

/** `precision`: float32, or a quantized type (as `quantize_embeddings`). */
export type Precision = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';
/** Every {@link Precision}, for validating user input. */
export const PRECISIONS: readonly Precision[] = ['float32', 'int8', 'uint8', 'binary', 'ubinary'];

/** `output_value`. */
export type OutputValue = 'sentence_embedding' | 'token_embeddings';
/** Every {@link OutputValue}, for validating user input. */
export const OUTPUT_VALUES: readonly OutputValue[] = ['sentence_embedding', 'token_embeddings'];

/**
 * Options of `SentenceTransformer.encode` (Python `encode`'s keyword arguments, in camelCase).
 *
 * @example
 * ```ts
 * const emb = await model.encode(texts, { batchSize: 64, normalizeEmbeddings: true, precision: 'int8' });
 * ```
 */
export interface EncodeOptions {
  /** `batch_size` (default {@link DEFAULT_BATCH_SIZE}, 32). */
  batchSize?: number;
  /** `normalize_embeddings`: L2-normalize each embedding (after `truncateDim`). Default false. */
  normalizeEmbeddings?: boolean;
  /** `prompt`: prepended to every text (wins over `promptName`). */
  prompt?: string;
  /** `prompt_name`: a key of the model's `prompts`. */
  promptName?: string;
  /** `output_value` (default `'sentence_embedding'`). */
  outputValue?: OutputValue;
  /** `convert_to_tensor`: return one `tf.Tensor` (2-D, 1-D for a single string); the caller disposes it. */
  convertToTensor?: boolean;
  /** `precision` (default `'float32'`). */
  precision?: Precision;
  /** Explicit int8/uint8 ranges `[mins, maxs]` (an extension: Python's encode always uses the call's own ranges). */
  ranges?: [ArrayLike<number>, ArrayLike<number>];
  /** Embeddings whose per-dimension min/max give the int8/uint8 ranges (an extension, as `quantize_embeddings`). */
  calibrationEmbeddings?: ArrayLike<number>[];
  /** Matryoshka `truncate_dim`: keep the first dims (before normalization). Overrides the model's. */
  truncateDim?: number | null;
  /** `show_progress_bar`: a bar on stderr in Node when stderr is a TTY. Default false. */
  showProgressBar?: boolean;
  /** Called after every batch with (texts done, total). */
  onProgress?: ProgressCallback;
}

/** Validated options with defaults. */
export interface ResolvedEncodeOptions {
  batchSize: number;
  normalizeEmbeddings: boolean;
  outputValue: OutputValue;
  convertToTensor: boolean;
  precision: Precision;
  truncateDim: number | null;
  showProgressBar: boolean;
  onProgress?: ProgressCallback;
  ranges?: [ArrayLike<number>, ArrayLike<number>];
  calibrationEmbeddings?: ArrayLike<number>[];
}

/** `batch_size` validated: a positive integer, {@link DEFAULT_BATCH_SIZE} when not given (undefined or null). */
export function resolveBatchSize(value: unknown): number {
  const batchSize = value ?? DEFAULT_BATCH_SIZE;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize (batch_size) must be a positive integer, got ${JSON.stringify(batchSize)}`);
  }
  return batchSize;
}

/** Validate encode options; errors name the option, what was expected and what was got. */
export function resolveEncodeOptions(opts: EncodeOptions, modelTruncateDim: number | null): ResolvedEncodeOptions {
  const batchSize = resolveBatchSize(opts.batchSize);
  const outputValue = opts.outputValue ?? 'sentence_embedding';
  if (!OUTPUT_VALUES.includes(outputValue)) {
    throw new RangeError(`outputValue (output_value) must be one of ${OUTPUT_VALUES.join(', ')}, got ${JSON.stringify(outputValue)}`);
  }
  const precision = opts.precision ?? 'float32';
  if (!PRECISIONS.includes(precision)) {
    throw new RangeError(`precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(precision)}`);
  }
  const truncateDim = opts.truncateDim === undefined ? modelTruncateDim : opts.truncateDim;
  if (truncateDim !== null && (typeof truncateDim !== 'number' || !Number.isInteger(truncateDim) || truncateDim <= 0)) {
    throw new RangeError(`truncateDim (truncate_dim) must be a positive integer or null, got ${JSON.stringify(truncateDim)}`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw new TypeError(`onProgress must be a function (done, total) => void, got ${typeof opts.onProgress}`);
  }
  return {
    batchSize,
    normalizeEmbeddings: opts.normalizeEmbeddings ?? false,
    outputValue,
    convertToTensor: opts.convertToTensor ?? false,
    precision,
    truncateDim,
    showProgressBar: opts.showProgressBar ?? false,
    onProgress: opts.onProgress,
    ranges: opts.ranges,
    calibrationEmbeddings: opts.calibrationEmbeddings,
  };
}

/**
 * Check `sentences` and return them as an array: a string becomes a one-element list (`inputWasString`),
 * a non-string element is a TypeError naming the argument and index.
 */
export function checkSentences(sentences: unknown, argName = 'sentences'): { list: readonly string[]; inputWasString: boolean } {
  if (typeof sentences === 'string') return { list: [sentences], inputWasString: true };
  if (!Array.isArray(sentences)) {
    throw new TypeError(`${argName} must be a string or an array of strings, got ${sentences === null ? 'null' : typeof sentences}`);
  }
  for (let i = 0; i < sentences.length; i++) {
    const s = sentences[i];
    if (typeof s !== 'string') {
      throw new TypeError(`${argName}[${i}] must be a string, got ${s === null ? 'null' : Array.isArray(s) ? 'an array' : typeof s}`);
    }
  }
  return { list: sentences as string[], inputWasString: false };
}

/**
 * `compat`: which sentence-transformers behaviour a model follows. `'6.0'` (the default) follows 6.0.1; `'3.4'`
 * restores 3.4.1's input handling: every text (and both texts of a pair) is `str.strip()`-ped before tokenizing,
 * and the prompts are the saved ones (or the given ones) without 6.0.1's always-present `query` / `document` keys,
 * so `encodeDocument` picks a `passage` / `corpus` prompt again. Loading, saving (always the 6.0.1 layout, which
 * both this library and Python 6.x read) and the numbers of every other step are the same in both modes.
 */
export type CompatMode = '6.0' | '3.4';

/** Validate a `compat` option; true for the 3.4 behaviour. */
export function isLegacyCompat(value: unknown): boolean {
  if (value === undefined || value === null || value === '6.0') return false;
  if (value === '3.4') return true;
  throw new RangeError(`compat must be '6.0' (the default) or '3.4', got ${JSON.stringify(value)}`);
}

/**
 * The prompts of a loaded model (6.0.1 `BaseModel.__init__`, `_parse_model_config`, `_validate_prompts`):
 * `{query: "", document: ""}` overridden by the given prompts, then the saved prompts fill the keys still missing or
 * null, then every null becomes "". With `legacy` (compat 3.4): the given prompts, else the saved ones, as they are.
 */
export function resolvePrompts(
  given: Readonly<Record<string, string>> | undefined,
  saved: Readonly<Record<string, string | null>> | undefined,
  legacy: boolean,
): Record<string, string> {
  const out: Record<string, string | null> = legacy ? {} : { query: null, document: null };
  if (legacy && !given) Object.assign(out, saved ?? {});
  Object.assign(out, given ?? {});
  if (!legacy) {
    // own keys only: a prompt may be named like an Object.prototype member (`toString`)
    for (const [k, v] of Object.entries(saved ?? {})) if (!Object.prototype.hasOwnProperty.call(out, k) || out[k] === null) out[k] = v;
  }
  const result: Record<string, string> = {};
  for (const [k, v] of Object.entries(out)) result[k] = v ?? '';
  return result;
}

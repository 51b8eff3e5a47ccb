/**
 * CrossEncoder: scores (query, passage) pairs with a `*ForSequenceClassification` model, as Python
 * sentence-transformers' CrossEncoder.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/cross_encoder/CrossEncoder.py
 * (`__init__`, `smart_batching_collate_text_only`, `predict`, `rank`).
 *
 * Tokenization: both texts `str.strip()`-ped, `tokenizer(firsts, seconds, padding=True, truncation="longest_first",
 * max_length=max_length)`, where `max_length` None means the tokenizer's `model_max_length`. Batches run in
 * input order (no length sorting, as Python).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeviceName } from '../backends/index.js';
import type { SequenceClassificationModel } from '../models/types.js';
import { activationFromName, type ActivationFn } from '../modules/activations.js';
import { moduleKind, readModulesJson } from '../modules/pipeline.js';
import { pyStrip } from '../modules/text.js';
import { batchToTensors, padBatch, type TokenizedBatch } from '../modules/tokenized_batch.js';
import { TokenizerAdapter } from '../modules/tokenizer_adapter.js';
import { loadSequenceClassifierFromDir } from '../modules/transformer.js';
import { ModelConfigError } from '../formats/errors.js';
import { checkNoLinksOutside, joinPath, pathExists, readJSONFile } from '../platform/fs.js';
import { resolveBatchSize } from './encode_options.js';
import { defaultResolver, prepareLoad, type ModelResolver } from './load_common.js';
import { Progress, type ProgressCallback } from './progress.js';

/** Options of {@link CrossEncoder.load} (Python `CrossEncoder(...)`'s keyword arguments). */
export interface CrossEncoderLoadOptions {
  /** `max_length`: truncation length of a pair (default: the tokenizer's model_max_length). */
  maxLength?: number | null;
  /** `num_labels`: must equal the checkpoint's classifier size when given. */
  numLabels?: number;
  /** `default_activation_function`: a torch class path (`torch.nn.Sigmoid`) or a function on logits. */
  defaultActivationFunction?: string | ActivationFn;
  /** tfjs device; calls `initBackend(device)`. */
  device?: DeviceName;
  /** Options for the model-id resolver (hub). */
  hub?: Record<string, unknown>;
}

/** Options of {@link CrossEncoder.predict} (Python `predict`'s keyword arguments). */
export interface PredictOptions {
  /** `batch_size` (default `DEFAULT_BATCH_SIZE`, 32). */
  batchSize?: number;
  /** `activation_fct`: overrides the default activation (a torch class path, or a function on the logits tensor). */
  activationFn?: string | ActivationFn;
  /** `apply_softmax`: softmax over labels after the activation, when there are several labels. */
  applySoftmax?: boolean;
  /** `convert_to_tensor`: return a tf.Tensor (caller disposes). */
  convertToTensor?: boolean;
  /** `show_progress_bar` (stderr, Node TTY only). */
  showProgressBar?: boolean;
  /** Called after every batch with (pairs done, total). */
  onProgress?: ProgressCallback;
}

/** Options of {@link CrossEncoder.rank} (Python `rank`'s keyword arguments). */
export interface RankOptions extends Omit<PredictOptions, 'convertToTensor'> {
  /** `top_k`: keep the best k (default all). */
  topK?: number | null;
  /** `return_documents`: include each document's text. */
  returnDocuments?: boolean;
}

/** One ranked document of {@link CrossEncoder.rank}: its index in the input, its score and (when asked) its text. */
export interface RankResult {
  corpusId: number;
  score: number;
  text?: string;
}

/** A (query, passage) pair: the two texts a cross-encoder reads together. */
export type CrossEncoderPair = readonly [string, string];
type Pair = CrossEncoderPair;

function checkPairs(pairs: unknown): { list: Pair[]; single: boolean } {
  if (!Array.isArray(pairs)) throw new TypeError(`sentences must be a [text, text] pair or an array of pairs, got ${pairs === null ? 'null' : typeof pairs}`);
  if (pairs.length === 2 && typeof pairs[0] === 'string' && typeof pairs[1] === 'string') return { list: [pairs as unknown as Pair], single: true };
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') {
      throw new TypeError(`sentences[${i}] must be a [string, string] pair, got ${JSON.stringify(p)?.slice(0, 80) ?? typeof p}`);
    }
  });
  return { list: pairs as Pair[], single: false };
}

function resolveActivation(a: string | ActivationFn | undefined | null, what: string): ActivationFn | undefined {
  if (a === undefined || a === null) return undefined;
  if (typeof a === 'function') return a;
  return activationFromName(a, what).fn;
}

/** config.json `architectures` of a directory (undefined when absent or unreadable). */
async function architectures(dir: string): Promise<string[] | undefined> {
  try {
    const a = (await readJSONFile<{ architectures?: unknown }>(await joinPath(dir, 'config.json'))).architectures;
    return Array.isArray(a) ? a.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** The error for a directory that holds an embedding model, not a classifier. */
function notACrossEncoder(modelIdOrDir: string, dir: string, evidence: string, cause?: unknown): Error {
  const e = new ModelConfigError(
    `modelIdOrDir (model_name) ${JSON.stringify(modelIdOrDir)}: ${dir} holds no classification head (${evidence}); ` +
      'it appears to be a sentence-transformers bi-encoder (an embedding model), not a cross-encoder. ' +
      `Load it with SentenceTransformer.load(${JSON.stringify(modelIdOrDir)}) to embed texts, or pass a cross-encoder (a *ForSequenceClassification checkpoint).`,
    `${dir}/config.json`,
    'architectures',
  );
  if (cause !== undefined) Object.defineProperty(e, 'cause', { value: cause, configurable: true, writable: true });
  return e;
}

/**
 * Whether `config_sentence_transformers.json` may hold the saved `activation_fn`. sentence-transformers 6 (which
 * needs transformers 5) saves it there; 3.x-5.x saves keep it in config.json (`sbert_ce_default_activation_function`,
 * `sentence_transformers.activation_fn`) and write no such file for a cross-encoder. A local or hub folder is always
 * probed (a quiet existence check); a plain URL folder written by transformers < 5 is not, because probing it there
 * would be a 404 that the browser logs.
 */
async function mayHoldSavedActivation(dir: string, model: SequenceClassificationModel): Promise<boolean> {
  if (!/^https?:\/\//i.test(dir)) return true;
  const version = model.config.raw.transformers_version;
  const major = typeof version === 'string' ? Number.parseInt(version, 10) : NaN;
  return !(major < 5);
}

/**
 * A cross-encoder (reranker), as Python's `sentence_transformers.cross_encoder.CrossEncoder`: a
 * `*ForSequenceClassification` model that reads a (query, passage) pair together and scores it, loaded from a
 * model directory, a URL or a Hugging Face hub id. One-label models give a relevance score per pair (Sigmoid by
 * default); several labels give a row of scores (e.g. NLI: contradiction, entailment, neutral).
 *
 * Load it with {@link CrossEncoder.load}, score pairs with {@link CrossEncoder.predict}, sort documents for a
 * query with {@link CrossEncoder.rank}, and free its tensors with {@link CrossEncoder.dispose}.
 *
 * @example
 * ```ts
 * import { CrossEncoder } from 'sentence-tfjs';
 *
 * const reranker = await CrossEncoder.load('cross-encoder/ms-marco-MiniLM-L-6-v2');
 * const scores = await reranker.predict([
 *   ['How many people live in Berlin?', 'Berlin has a population of 3,520,031 registered inhabitants.'],
 *   ['How many people live in Berlin?', 'Berlin is well known for its museums.'],
 * ]); // number[]: one score per pair
 * const ranked = await reranker.rank('How many people live in Berlin?', documents, { topK: 3, returnDocuments: true });
 * // [{ corpusId, score, text }, ...] best first
 * reranker.dispose();
 * ```
 */
export class CrossEncoder {
  /** Resolves `load`'s first argument to a local directory; replace to plug in another resolver. */
  static resolveModel: ModelResolver = defaultResolver;

  /** `max_length` as given (null: the tokenizer's model_max_length). */
  readonly maxLength: number | null;
  /** The activation applied by `predict` when none is passed. */
  readonly defaultActivationFunction: ActivationFn;
  /** Its torch class path, when known. */
  readonly defaultActivationName: string;
  private disposed = false;

  private constructor(
    readonly model: SequenceClassificationModel,
    readonly tokenizerAdapter: TokenizerAdapter,
    /** The resolved model directory. */
    readonly modelPath: string,
    opts: CrossEncoderLoadOptions,
    /** `activation_fn` of config_sentence_transformers.json (where sentence-transformers 4+ saves it). */
    savedActivation?: string,
  ) {
    if (opts.maxLength !== undefined && opts.maxLength !== null && (!Number.isInteger(opts.maxLength) || opts.maxLength <= 0)) {
      throw new RangeError(`maxLength (max_length) must be a positive integer or null, got ${JSON.stringify(opts.maxLength)}`);
    }
    this.maxLength = opts.maxLength ?? null;
    const raw = model.config.raw;
    const stCfg = raw.sentence_transformers as { activation_fn?: string } | undefined;
    const fromConfig = savedActivation ?? (raw.sbert_ce_default_activation_function as string | undefined) ?? stCfg?.activation_fn;
    if (opts.defaultActivationFunction !== undefined) {
      this.defaultActivationFunction = resolveActivation(opts.defaultActivationFunction, 'defaultActivationFunction')!;
      this.defaultActivationName = typeof opts.defaultActivationFunction === 'string' ? opts.defaultActivationFunction : 'custom';
    } else if (typeof fromConfig === 'string' && fromConfig) {
      const key = savedActivation ? 'config_sentence_transformers.json activation_fn' : 'config.json sbert_ce_default_activation_function';
      this.defaultActivationFunction = activationFromName(fromConfig, key).fn;
      this.defaultActivationName = fromConfig;
    } else {
      this.defaultActivationName = model.numLabels === 1 ? 'torch.nn.modules.activation.Sigmoid' : 'torch.nn.modules.linear.Identity';
      this.defaultActivationFunction = activationFromName(this.defaultActivationName).fn;
    }
  }

  /** Load a cross-encoder directory (config.json, weights, tokenizer.json) or a hub id. */
  static async load(modelIdOrDir: string, opts: CrossEncoderLoadOptions = {}): Promise<CrossEncoder> {
    const dir = await prepareLoad(modelIdOrDir, opts, CrossEncoder.resolveModel, 'model_name');
    await checkNoLinksOutside(dir);
    let model: SequenceClassificationModel;
    try {
      model = await loadSequenceClassifierFromDir(dir);
    } catch (e) {
      // Only now look at modules.json: a cross-encoder has none, and a URL folder is not probed for it (no 404).
      const entries = await readModulesJson(dir).catch(() => undefined);
      if (entries?.some((m) => moduleKind(m.type) === 'Pooling')) throw notACrossEncoder(modelIdOrDir, dir, 'its modules.json has a Pooling module', e);
      const archs = await architectures(dir);
      if (archs && !archs.some((a) => /ForSequenceClassification$/.test(a))) {
        throw notACrossEncoder(modelIdOrDir, dir, `no classifier weights, and config.json architectures is ${JSON.stringify(archs)}`, e);
      }
      throw e;
    }
    try {
      if (opts.numLabels !== undefined && opts.numLabels !== model.numLabels) {
        throw new Error(`numLabels (num_labels) ${opts.numLabels} does not match the checkpoint's classifier with ${model.numLabels} labels`);
      }
      const tk = await TokenizerAdapter.load(dir, model.modelType);
      const stPath = await joinPath(dir, 'config_sentence_transformers.json');
      const stConfig = (await mayHoldSavedActivation(dir, model)) && (await pathExists(stPath)) ? await readJSONFile<{ activation_fn?: unknown }>(stPath) : undefined;
      const saved = typeof stConfig?.activation_fn === 'string' && stConfig.activation_fn ? stConfig.activation_fn : undefined;
      return new CrossEncoder(model, tk, dir, opts, saved);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** `num_labels`. */
  get numLabels(): number {
    return this.model.numLabels;
  }

  /** `id2label` as an array indexed by label id. */
  get labels(): string[] {
    return this.model.labels;
  }

  /** The tokenizer (the underlying Tokenizer object). */
  get tokenizer(): unknown {
    return this.tokenizerAdapter.tokenizer;
  }

  /** The truncation length actually used: maxLength, else the tokenizer's model_max_length (null: none). */
  get effectiveMaxLength(): number | null {
    return this.maxLength ?? this.tokenizerAdapter.modelMaxLength ?? null;
  }

  /** Tokenize pairs as Python's `smart_batching_collate_text_only` (strip both, longest_first, pad to longest). */
  tokenize(pairs: readonly Pair[]): TokenizedBatch {
    const encs = this.tokenizerAdapter.encodeInputs(
      pairs.map((p) => [pyStrip(p[0]), pyStrip(p[1])] as const),
      this.effectiveMaxLength,
    );
    return padBatch(encs, this.tokenizerAdapter.padTokenId, this.model.encoder.usesTokenTypes && this.tokenizerAdapter.returnsTokenTypeIds);
  }

  /**
   * `predict(sentences)`: scores of (query, passage) pairs, in input order.
   *
   * - one pair gives a `number` for a 1-label model (a relevance score, Sigmoid by default), or a `number[]` row
   *   of label scores for several labels (NLI: contradiction, entailment, neutral; see {@link numLabels});
   * - an array of pairs gives `number[]` (1 label) or `number[][]` (several labels);
   * - `convertToTensor: true` gives a tf.Tensor instead (caller disposes): a scalar or 1-D tensor for one pair, a
   *   1-D or 2-D tensor [pairs, labels] for an array.
   *
   * The label count is known at run time only, so the number / row choice is a union: narrow it with
   * `typeof score === 'number'`, or cast to the shape your model has.
   *
   * @example
   * ```ts
   * const one: number | number[] = await reranker.predict(['query', 'passage']);
   * const many = (await reranker.predict([['q', 'a'], ['q', 'b']])) as number[]; // a 1-label reranker
   * const t: tf.Tensor1D | tf.Tensor2D = await reranker.predict([['q', 'a']], { convertToTensor: true });
   * ```
   */
  predict(pairs: Pair, opts?: PredictOptions & { convertToTensor?: false }): Promise<number | number[]>;
  predict(pairs: readonly Pair[], opts?: PredictOptions & { convertToTensor?: false }): Promise<number[] | number[][]>;
  predict(pairs: Pair, opts: PredictOptions & { convertToTensor: true }): Promise<tf.Scalar | tf.Tensor1D>;
  predict(pairs: readonly Pair[], opts: PredictOptions & { convertToTensor: true }): Promise<tf.Tensor1D | tf.Tensor2D>;
  predict(pairs: Pair | readonly Pair[], opts?: PredictOptions): Promise<number | number[] | number[][] | tf.Tensor>;
  async predict(pairs: Pair | readonly Pair[], opts: PredictOptions = {}): Promise<unknown> {
    if (this.disposed) throw new Error('this CrossEncoder was disposed');
    const { list, single } = checkPairs(pairs);
    const batchSize = resolveBatchSize(opts.batchSize);
    const act = resolveActivation(opts.activationFn, 'activationFn') ?? this.defaultActivationFunction;
    const L = this.numLabels;
    const out = new Float32Array(list.length * L);
    const progress = await Progress.start(list.length, { showProgressBar: opts.showProgressBar, onProgress: opts.onProgress });
    try {
      for (let start = 0; start < list.length; start += batchSize) {
        const batch = this.tokenize(list.slice(start, start + batchSize));
        const scores = tf.tidy(() => {
          const inputs = batchToTensors(batch);
          let s = act(this.model.forward(inputs)) as tf.Tensor2D;
          if (opts.applySoftmax && L > 1) s = tf.softmax(s, 1);
          return s;
        });
        try {
          out.set((await scores.data()) as Float32Array, start * L);
        } finally {
          scores.dispose();
        }
        progress.update(Math.min(start + batchSize, list.length));
      }
    } finally {
      progress.stop();
    }
    const n = list.length;
    if (opts.convertToTensor) {
      if (L === 1) return single ? tf.scalar(out[0]) : tf.tensor1d(out);
      return single ? tf.tensor1d(out.subarray(0, L)) : tf.tensor2d(out, [n, L]);
    }
    if (L === 1) {
      const v = Array.from(out);
      return single ? v[0] : v;
    }
    const rows = Array.from({ length: n }, (_, i) => Array.from(out.subarray(i * L, (i + 1) * L)));
    return single ? rows[0] : rows;
  }

  /**
   * `rank(query, documents)`: score every (query, document) pair and sort by score, descending (ties keep
   * document order, as Python's stable sort). 1-label models only.
   */
  async rank(query: string, documents: readonly string[], opts: RankOptions = {}): Promise<RankResult[]> {
    if (typeof query !== 'string') throw new TypeError(`query must be a string, got ${typeof query}`);
    if (!Array.isArray(documents)) throw new TypeError(`documents must be an array of strings, got ${typeof documents}`);
    documents.forEach((d, i) => {
      if (typeof d !== 'string') throw new TypeError(`documents[${i}] must be a string, got ${d === null ? 'null' : typeof d}`);
    });
    if (this.numLabels !== 1) throw new Error(`rank needs a model with one label (a score per pair), this one has ${this.numLabels}`);
    const topK = opts.topK ?? null;
    if (topK !== null && (!Number.isInteger(topK) || topK < 0)) throw new RangeError(`topK (top_k) must be a non-negative integer or null, got ${JSON.stringify(topK)}`);
    if (documents.length === 0) return [];
    const { topK: _t, returnDocuments, ...predictOpts } = opts;
    const scores = (await this.predict(documents.map((d) => [query, d] as const), predictOpts)) as number[];
    const results: RankResult[] = scores.map((score, i) => (returnDocuments ? { corpusId: i, score, text: documents[i] } : { corpusId: i, score }));
    results.sort((a, b) => b.score - a.score || a.corpusId - b.corpusId);
    return topK === null ? results : results.slice(0, topK);
  }

  /** Free the model's tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

/**
 * CrossEncoder: scores (query, passage) pairs with a `*ForSequenceClassification` model, as Python
 * sentence-transformers' CrossEncoder.
 *
 * Reference (v6.0.1): sentence-transformers 6.0.1 `sentence_transformers/cross_encoder/model.py` (`CrossEncoder.__init__`,
 * `predict`, `rank`, `save`); 3.x files read as
 * https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/cross_encoder/CrossEncoder.py
 *
 * Tokenization (6.0.1 `Transformer.preprocess`): the raw pair texts (3.4.1 stripped them; `compat: '3.4'` does
 * again), `tokenizer(firsts, seconds, padding=True, truncation="longest_first", max_length=max_seq_length)`, where
 * `max_seq_length` defaults to the tokenizer's `model_max_length` capped at `max_position_embeddings`. `predict`
 * runs the pairs longest first (total characters) and returns the scores in input order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeviceName } from '../backends/index.js';
import type { SequenceClassificationModel } from '../models/types.js';
import { activationFromName, type ActivationFn } from '../modules/activations.js';
import { moduleKind, readModulesJson, sentenceTransformersConfigJSON } from '../modules/pipeline.js';
import { codePointLength, pyStrip } from '../modules/text.js';
import { batchToTensors, padBatch, type TokenizedBatch } from '../modules/tokenized_batch.js';
import { TokenizerAdapter } from '../modules/tokenizer_adapter.js';
import { loadSequenceClassifierWithWeights, saveModelFiles, sentenceBertConfigFor, Transformer } from '../modules/transformer.js';
import { checkNoLinksOutside, joinPath, pathExists, readJSONFile, writeDirAtomically, writeFileBytes, writeJSONFile } from '../platform/fs.js';
import { logger } from '../util/logger.js';
import { isLegacyCompat, resolveBatchSize, type CompatMode } from './encode_options.js';
import { checkModelDtype, type ModelDtype, type WeightMap } from '../weights/index.js';
import { ModelConfigError } from '../formats/errors.js';
import { defaultResolver, prepareLoad, type ModelResolver } from './load_common.js';
import { Progress, type ProgressCallback } from './progress.js';
import { fitCrossEncoder, type CrossEncoderFitOptions } from '../training/cross_encoder_trainer.js';
import type { TrainOutput } from '../training/loop.js';
import type { ReplicaSpec } from '../training/data_parallel.js';
import { renderModelCard, type ModelCardData } from '../training/model_card.js';

/** Options of {@link CrossEncoder.load} (Python `CrossEncoder(...)`'s keyword arguments). */
export interface CrossEncoderLoadOptions {
  /**
   * `max_seq_length`: truncation length of a pair, special tokens included (default: a saved 3.x `max_seq_length`,
   * else the tokenizer's `model_max_length` capped at the model's `max_position_embeddings`).
   */
  maxSeqLength?: number | null;
  /** `max_length`: the deprecated name of {@link CrossEncoderLoadOptions.maxSeqLength} (used when that is not given). */
  maxLength?: number | null;
  /** `'6.0'` (default): sentence-transformers 6.0.1 behaviour; `'3.4'`: strip both texts of every pair, as 3.4.1 ({@link CompatMode}). */
  compat?: CompatMode;
  /** `num_labels`: must equal the checkpoint's classifier size when given. */
  numLabels?: number;
  /** `default_activation_function`: a torch class path (`torch.nn.Sigmoid`) or a function on logits. */
  defaultActivationFunction?: string | ActivationFn;
  /** tfjs device; calls `initBackend(device)`. */
  device?: DeviceName;
  /** Options for the model-id resolver (hub). */
  hub?: Record<string, unknown>;
  /** 'fp32' (default) or 'q8': int8 linear layers, as {@link SentenceTransformerLoadOptions.dtype}. */
  dtype?: ModelDtype;
  /** Python's `config_args`: config.json overrides, e.g. `{ hidden_dropout_prob: 0 }`. */
  configKwargs?: Record<string, unknown>;
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

/**
 * `max_seq_length` of the folder's sentence_bert_config.json when it has that (3.x-style) key; 6.x saves keep the
 * max length in tokenizer_config.json instead. A URL folder is not probed (no 404 in the browser log).
 */
async function savedMaxSeqLength(dir: string): Promise<number | undefined> {
  if (/^https?:\/\//i.test(dir)) return undefined;
  const p = await joinPath(dir, 'sentence_bert_config.json');
  if (!(await pathExists(p))) return undefined;
  const v = (await readJSONFile<{ max_seq_length?: unknown }>(p)).max_seq_length;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${p}: max_seq_length must be a positive integer or null, got ${JSON.stringify(v)}`);
  return v;
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

  /** The activation applied by `predict` when none is passed. */
  readonly defaultActivationFunction: ActivationFn;
  /** Its torch class path, when known. */
  readonly defaultActivationName: string;
  /** Strip both texts of every pair before tokenizing (`compat: '3.4'`; 6.0.1 does not). */
  readonly stripInputs: boolean;
  private _maxSeqLength: number | null = null;
  private disposed = false;

  /**
   * What the last training run (`fit`, CrossEncoderTrainer) recorded for the model card (base model, loss and its
   * config, hyperparameters, dataset size and columns, evaluation results); `save` writes it as README.md in
   * 6.0.1's cross-encoder card shape. Null before any training.
   */
  modelCardData: ModelCardData | null = null;

  /** What `load` was given (a hub id or a directory): the model card's base model. */
  modelNameOrPath = '';

  private readonly loadOptions: CrossEncoderLoadOptions;

  private constructor(
    readonly model: SequenceClassificationModel,
    readonly tokenizerAdapter: TokenizerAdapter,
    /** The resolved model directory. */
    readonly modelPath: string,
    opts: CrossEncoderLoadOptions,
    /** `activation_fn` of config_sentence_transformers.json (where sentence-transformers 4+ saves it). */
    savedActivation?: string,
    /** `max_seq_length` of a 3.x-style sentence_bert_config.json, when the folder has one. */
    savedMaxSeqLength?: number,
    /** The checkpoint the model was built from and its config.json text (for {@link CrossEncoder.save}). */
    private readonly source?: { weights: WeightMap; configText: string },
  ) {
    this.stripInputs = isLegacyCompat(opts.compat);
    this.loadOptions = opts;
    const given = opts.maxSeqLength !== undefined && opts.maxSeqLength !== null ? opts.maxSeqLength : opts.maxLength;
    if (given !== undefined && given !== null) {
      this.maxSeqLength = given;
    } else if (savedMaxSeqLength !== undefined) {
      this.maxSeqLength = savedMaxSeqLength;
    } else {
      // 6.0.1 Transformer.__init__: the tokenizer's model_max_length, capped at max_position_embeddings
      const tml = tokenizerAdapter.modelMaxLength;
      const maxPos = model.encoder.maxPositionEmbeddings;
      this._maxSeqLength = tml !== undefined && Number.isFinite(tml) ? Math.min(tml, maxPos) : maxPos;
    }
    const raw = model.config.raw;
    const stCfg = raw.sentence_transformers as { activation_fn?: string } | undefined;
    // 6.0.1: config_sentence_transformers.json, else config.json sentence_transformers.activation_fn, else the legacy key
    const fromConfig = savedActivation ?? stCfg?.activation_fn ?? (raw.sbert_ce_default_activation_function as string | undefined);
    if (opts.defaultActivationFunction !== undefined) {
      this.defaultActivationFunction = resolveActivation(opts.defaultActivationFunction, 'defaultActivationFunction')!;
      this.defaultActivationName = typeof opts.defaultActivationFunction === 'string' ? opts.defaultActivationFunction : 'custom';
    } else if (typeof fromConfig === 'string' && fromConfig) {
      const key = savedActivation
        ? 'config_sentence_transformers.json activation_fn'
        : stCfg?.activation_fn
          ? 'config.json sentence_transformers.activation_fn'
          : 'config.json sbert_ce_default_activation_function';
      this.defaultActivationFunction = activationFromName(fromConfig, key).fn;
      this.defaultActivationName = fromConfig;
    } else {
      this.defaultActivationName = model.numLabels === 1 ? 'torch.nn.modules.activation.Sigmoid' : 'torch.nn.modules.linear.Identity';
      this.defaultActivationFunction = activationFromName(this.defaultActivationName).fn;
    }
  }

  /** Load a cross-encoder directory (config.json, weights, tokenizer.json) or a hub id. */
  static async load(modelIdOrDir: string, opts: CrossEncoderLoadOptions = {}): Promise<CrossEncoder> {
    const dtype = checkModelDtype(opts.dtype, 'dtype (CrossEncoder.load)');
    const dir = await prepareLoad(modelIdOrDir, opts, CrossEncoder.resolveModel, 'model_name');
    await checkNoLinksOutside(dir);
    let model: SequenceClassificationModel;
    let weights: WeightMap;
    let configText: string;
    try {
      ({ model, weights, configText } = await loadSequenceClassifierWithWeights(dir, dtype, opts.configKwargs));
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
      const ce = new CrossEncoder(model, tk, dir, opts, saved, await savedMaxSeqLength(dir), { weights, configText });
      ce.modelNameOrPath = modelIdOrDir;
      return ce;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /**
   * Fine-tune (Python 3.4.1's `CrossEncoder.fit`, its own loop): BCEWithLogits on the raw logits for one label
   * (Identity while training; `predict` still applies Sigmoid), cross-entropy over class ids for several.
   * Parameters are updated in place.
   *
   * @example
   * ```ts
   * const ce = await CrossEncoder.load('cross-encoder/ms-marco-MiniLM-L-6-v2');
   * await ce.fit({ trainData: [{ texts: ['query', 'relevant passage'], label: 1 }], epochs: 1, warmupSteps: 10 });
   * ```
   */
  async fit(options: CrossEncoderFitOptions): Promise<TrainOutput> {
    if (this.disposed) throw new Error('this CrossEncoder was disposed');
    return fitCrossEncoder(this, options);
  }

  /**
   * @internal Data-parallel training (`dataParallel` of fit and CrossEncoderTrainer): how a worker loads a replica
   * of this model (its directory and load options, on the coordinator's cpu backend or else single-threaded wasm).
   */
  replicaSpec(): ReplicaSpec {
    if (this.disposed) throw new Error('this CrossEncoder was disposed');
    const o = this.loadOptions;
    const device = tf.getBackend() === 'cpu' ? 'cpu' : 'wasm';
    const options: CrossEncoderLoadOptions = { device, dtype: o.dtype, compat: o.compat, maxSeqLength: this.maxSeqLength, ...(o.configKwargs ? { configKwargs: o.configKwargs } : {}) };
    const ts = import.meta.url.endsWith('.ts');
    return { workerUrl: new URL(ts ? './train_worker.ts' : './train_worker.js', import.meta.url).href, modelDir: this.modelPath, options: options as Record<string, unknown>, kind: 'cross-encoder' };
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

  /**
   * `max_seq_length`: pairs longer than this (in tokens, special tokens included) are truncated `longest_first`.
   * Settable (a positive integer up to the model's positions, or null for no truncation).
   */
  get maxSeqLength(): number | null {
    return this._maxSeqLength;
  }

  set maxSeqLength(value: number | null) {
    if (value === null) {
      this._maxSeqLength = null;
      return;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new RangeError(`maxSeqLength (max_seq_length) must be a positive integer or null, got ${JSON.stringify(value)}`);
    }
    const limit = this.model.encoder.maxPositionEmbeddings;
    if (value > limit) throw new RangeError(`maxSeqLength (max_seq_length) ${value} exceeds what the ${this.model.modelType} model can embed (${limit} positions)`);
    this._maxSeqLength = value;
  }

  /** `max_length`: the deprecated name of {@link CrossEncoder.maxSeqLength}. */
  get maxLength(): number | null {
    return this._maxSeqLength;
  }

  /** The truncation length used (= {@link CrossEncoder.maxSeqLength}; kept for code written against 3.x). */
  get effectiveMaxLength(): number | null {
    return this._maxSeqLength;
  }

  /**
   * Tokenize pairs as 6.0.1's `preprocess`: the raw texts (stripped only with `compat: '3.4'`), `longest_first`
   * truncation at `maxSeqLength`, padded to the longest on the tokenizer's `padding_side`.
   */
  tokenize(pairs: readonly Pair[]): TokenizedBatch {
    const prep = this.stripInputs ? (s: string) => pyStrip(s) : (s: string) => s;
    const encs = this.tokenizerAdapter.encodeInputs(
      pairs.map((p) => [prep(p[0]), prep(p[1])] as const),
      this._maxSeqLength,
    );
    return padBatch(
      encs,
      this.tokenizerAdapter.padTokenId,
      this.model.encoder.usesTokenTypes && this.tokenizerAdapter.returnsTokenTypeIds,
      this.tokenizerAdapter.paddingSide,
    );
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
    // 6.0.1: np.argsort(-(len(a) + len(b))), longest pairs first; scores go back to input order (stable for ties)
    const lengths = list.map((p) => codePointLength(p[0]) + codePointLength(p[1]));
    const order = Array.from({ length: list.length }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
    const progress = await Progress.start(list.length, { showProgressBar: opts.showProgressBar, onProgress: opts.onProgress });
    try {
      for (let start = 0; start < list.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const batch = this.tokenize(idx.map((i) => list[i]));
        const scores = tf.tidy(() => {
          const inputs = batchToTensors(batch);
          let s = act(this.model.forward(inputs)) as tf.Tensor2D;
          if (opts.applySoftmax && L > 1) s = tf.softmax(s, 1);
          return s;
        });
        try {
          const data = (await scores.data()) as Float32Array;
          idx.forEach((orig, r) => out.set(data.subarray(r * L, (r + 1) * L), orig * L));
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

  /**
   * `save(path)`: write the cross-encoder as sentence-transformers 6.0.1's `CrossEncoder.save` does, so that this
   * library and Python 6.x load it: `config.json` (the classifier's config with `id2label` / `label2id`, `dtype`),
   * `model.safetensors` (the checkpoint's own keys, current values, PyTorch layout), `tokenizer.json`,
   * `tokenizer_config.json` (`model_max_length` = `maxSeqLength`), `modules.json` (one Transformer),
   * `sentence_bert_config.json` (`transformer_task: "sequence-classification"`, `module_output_name: "scores"`) and
   * `config_sentence_transformers.json` (`model_type: "CrossEncoder"`, `activation_fn`). The files go to a temporary
   * folder that then replaces `dir`. After training, the model card README.md too (see {@link CrossEncoder.modelCardData}).
   * Node only (file system).
   *
   * @example
   * ```ts
   * const ce = await CrossEncoder.load('cross-encoder/ms-marco-MiniLM-L-6-v2');
   * await ce.save('my-reranker');                  // Python: CrossEncoder('my-reranker') loads it
   * const again = await CrossEncoder.load('my-reranker'); // same predict() scores, bit for bit
   * ```
   */
  async save(dir: string): Promise<void> {
    if (this.disposed) throw new Error('this CrossEncoder was disposed');
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`dir (path) must be a non-empty string, got ${JSON.stringify(dir)}`);
    const source = this.source;
    if (!source) throw new Error('CrossEncoder.save: this model has no checkpoint to write (load it with CrossEncoder.load)');
    const raw = this.model.config.raw;
    const labels = this.labels;
    const changes: Record<string, unknown> = {};
    if (raw.id2label === undefined) changes.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
    if (raw.label2id === undefined) changes.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
    const stConfig: Record<string, unknown> = { prompts: {}, default_prompt_name: null };
    if (this.defaultActivationName === 'custom') {
      logger.warn('CrossEncoder.save: the default activation is a custom function, which cannot be saved; activation_fn is left out (Python then uses its default)');
    } else {
      stConfig.activation_fn = this.defaultActivationName;
    }
    await writeDirAtomically(dir, async (tmp) => {
      await saveModelFiles(tmp, { raw, text: source.configText, changes }, source.weights, this.tokenizerAdapter, this._maxSeqLength);
      await writeJSONFile(await joinPath(tmp, 'modules.json'), [{ idx: 0, name: '0', path: '', type: Transformer.typeName }]);
      await writeJSONFile(await joinPath(tmp, 'sentence_bert_config.json'), sentenceBertConfigFor('sequence-classification'));
      await writeJSONFile(await joinPath(tmp, 'config_sentence_transformers.json'), sentenceTransformersConfigJSON(stConfig, 'CrossEncoder'));
      if (this.modelCardData) await writeFileBytes(await joinPath(tmp, 'README.md'), renderModelCard(this.modelCardData));
    });
  }

  /** Free the model's tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

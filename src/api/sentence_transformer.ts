/**
 * SentenceTransformer: load a sentence-transformers model directory (or hub id) and encode texts, with the
 * options and numbers of Python sentence-transformers.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py
 * (`encode`, `tokenize`, `similarity`, `similarity_pairwise`, `get_sentence_embedding_dimension`, `max_seq_length`);
 * the behaviour follows sentence-transformers 6.0.1 (`sentence_transformer/model.py`, `base/model.py`): texts are not
 * stripped, the prompts always hold `query` and `document`, an empty prompt prepends nothing and has no prompt
 * length, `truncate_dim` comes from config_sentence_transformers.json too, and `truncate_dim` applies before
 * `normalize_embeddings`. `compat: '3.4'` restores 3.4.1's stripping and prompts (see {@link CompatMode}).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeviceName } from '../backends/index.js';
import { l2Normalize, l2NormalizeRowF32, Normalize } from '../modules/normalize.js';
import { Pooling } from '../modules/pooling.js';
import { enabledPoolingModes, meanPoolAllAttended } from '../pooling/pooling.js';
import { loadPipeline, ownPrompt, savePipeline, type SentenceTransformerConfig } from '../modules/pipeline.js';
import { codePointLength } from '../modules/text.js';
import { batchRows, splitByPadding, type TokenizedBatch } from '../modules/tokenized_batch.js';
import { Transformer } from '../modules/transformer.js';
import { checkModelDtype, type ModelDtype } from '../weights/index.js';
import { logger } from '../util/logger.js';
import type { Features, PipelineForwardOptions, SentenceModule } from '../modules/types.js';
import {
  pairwiseSimilarityFn,
  parseSimilarityFunction,
  similarityFn,
  type EmbeddingsInput,
  type SimilarityFunctionName,
} from '../util/similarity.js';
import {
  checkSentences,
  isLegacyCompat,
  resolveEncodeOptions,
  resolvePrompts,
  type CompatMode,
  type EncodeOptions,
  type Precision,
  type ResolvedEncodeOptions,
} from './encode_options.js';
import { defaultResolver, prepareLoad, type ModelResolver } from './load_common.js';
import { quantizeRows } from './quantize_output.js';
import { Progress } from './progress.js';
import { EncodePool, type PoolEncodeOptions, type PoolStartOptions } from './pool.js';
import type { ReplicaSpec } from '../training/data_parallel.js';
import type { TrainOutput } from '../training/loop.js';
import { fitSentenceTransformer, type FitOptions } from '../training/trainer.js';
import { renderModelCard, type ModelCardData } from '../training/model_card.js';
import { joinPath, writeFileBytes } from '../platform/fs.js';

/** The row type `encode` returns for a precision. */
export type EmbeddingRow<P extends Precision = 'float32'> = P extends 'int8' | 'binary' ? Int8Array : P extends 'uint8' | 'ubinary' ? Uint8Array : Float32Array;

/** Options of {@link SentenceTransformer.load}. */
export interface SentenceTransformerLoadOptions {
  /**
   * `prompts`: override the model's prompts; the saved prompts (config_sentence_transformers.json) fill the other
   * keys, and `query` / `document` always exist ("" when nobody set them), as in 6.0.1. With `compat: '3.4'` they
   * replace the saved prompts.
   */
  prompts?: Record<string, string>;
  /** `default_prompt_name`: a key of `prompts` used when encode gets neither prompt nor promptName. */
  defaultPromptName?: string | null;
  /** `truncate_dim`: Matryoshka truncation of every embedding (default: config_sentence_transformers.json `truncate_dim`). */
  truncateDim?: number | null;
  /** `'6.0'` (default): sentence-transformers 6.0.1 behaviour; `'3.4'`: 3.4.1's stripping and prompts ({@link CompatMode}). */
  compat?: CompatMode;
  /** `similarity_fn_name`: cosine, dot, euclidean or manhattan. */
  similarityFnName?: string | null;
  /** tfjs device; calls `initBackend(device)`. Default: the current backend, or initBackend's default. */
  device?: DeviceName;
  /** Options passed to the model-id resolver (hub revision, cache folder, token, local files only, ...). */
  hub?: Record<string, unknown>;
  /**
   * Weights of the encoder's linear layers (transformers.js' names): 'fp32' (default), or 'q8': int8 per output
   * channel (quantized at load, or read from a folder written by `sentence-tfjs quantize`, which loads as 'q8'
   * by default), with activations quantized per row at run time and int32 accumulation; word embedding tables of
   * at least 2^20 entries are int8 per row. Position and token-type embeddings, norms and biases stay float32
   * (and Qwen3 / Gemma 3 attention output projections, unless the folder holds them int8); see docs/q8.md.
   * Inference only.
   * @example
   * const model = await SentenceTransformer.load('models/all-MiniLM-L6-v2', { dtype: 'q8' });
   */
  dtype?: ModelDtype;
  /** Python's `config_kwargs`: config.json overrides for the Transformer, e.g. `{ hidden_dropout_prob: 0 }`. */
  configKwargs?: Record<string, unknown>;
}

/**
 * The type of {@link SentenceTransformer.encode} with all its overloads (a string gives one row, an array gives
 * rows; `precision`, `outputValue` and `convertToTensor` pick the row type), shared by `encodeQuery` and
 * `encodeDocument`.
 */
export type EncodeFn = SentenceTransformer['encode'];

/** The prompt names `encodeQuery` looks for, in order (sentence-transformers v5). */
const QUERY_PROMPTS = ['query'] as const;
/** The prompt names `encodeDocument` looks for, in order (sentence-transformers v5). */
const DOCUMENT_PROMPTS = ['document', 'passage', 'corpus'] as const;

/** Named intermediates returned by {@link SentenceTransformer.inspect}: float32 data with its shape. */
export interface InspectedTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Float32 row views over one buffer. */
function rowsOf(data: Float32Array, n: number, d: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => data.subarray(i * d, (i + 1) * d));
}

/**
 * A sentence-embedding model, as Python's `sentence_transformers.SentenceTransformer`: a pipeline of modules
 * (Transformer, Pooling, optionally Dense and Normalize) loaded from a model directory, a URL or a Hugging Face
 * hub id, that turns texts into fixed-size embeddings with the numbers sentence-transformers gives.
 *
 * Load it with {@link SentenceTransformer.load} (or build it with {@link SentenceTransformer.fromModules}),
 * embed with {@link SentenceTransformer.encode} (`encodeQuery` / `encodeDocument` apply the model's prompts),
 * compare with {@link SentenceTransformer.similarity}, write it back with {@link SentenceTransformer.save}, and
 * free its tensors with {@link SentenceTransformer.dispose}.
 *
 * @example
 * ```ts
 * import { SentenceTransformer } from 'sentence-tfjs';
 *
 * const model = await SentenceTransformer.load('sentence-transformers/all-MiniLM-L6-v2');
 * const embeddings = await model.encode(['The weather is lovely today.', "It's so sunny outside!"]);
 * embeddings[0].length;                                 // 384
 * const scores = model.similarity(embeddings, embeddings); // [2][2] cosine similarities
 *
 * const int8 = await model.encode(['quantized'], { precision: 'int8', batchSize: 64 });
 * await model.save('my-minilm'); // modules.json, model.safetensors, 1_Pooling/, ... (Python loads it too)
 * model.dispose();
 * ```
 */
export class SentenceTransformer {
  /** Resolves `load`'s first argument to a directory (default: local directory, else the hub cache/download). */
  static resolveModel: ModelResolver = defaultResolver;

  /** `prompts`: name -> text prepended by `encode(..., {promptName})`. */
  prompts: Record<string, string>;
  /** `default_prompt_name`. */
  defaultPromptName: string | null;
  /** `truncate_dim`. */
  truncateDim: number | null;
  /** The behaviour this model follows (`compat` at load). */
  readonly compat: CompatMode;
  private _similarityFnName: SimilarityFunctionName | null;
  private disposed = false;

  /**
   * What the last training run recorded for the model card (base model, losses and their configs, hyperparameters,
   * dataset sizes and columns, evaluation results); `save` writes it as README.md. Null before any training.
   */
  modelCardData: ModelCardData | null = null;

  /** What `load` was given (a hub id or a directory): the model card's base model. Empty for `fromModules`. */
  modelNameOrPath = '';

  private constructor(
    /** The pipeline's modules in order (Transformer first). */
    readonly modules: SentenceModule[],
    /** The Transformer module (model + tokenizer). */
    readonly transformer: Transformer,
    /** config_sentence_transformers.json as read. */
    readonly config: SentenceTransformerConfig,
    /** The resolved model directory. */
    readonly modelPath: string,
    opts: SentenceTransformerLoadOptions,
  ) {
    this.loadConfigKwargs = opts.configKwargs;
    const legacy = isLegacyCompat(opts.compat);
    this.compat = legacy ? '3.4' : '6.0';
    if (opts.compat !== undefined) transformer.stripInputs = legacy;
    this.prompts = resolvePrompts(opts.prompts, config.prompts, legacy);
    this.defaultPromptName = opts.defaultPromptName !== undefined ? opts.defaultPromptName : (config.default_prompt_name ?? null);
    if (this.defaultPromptName !== null && !ownPrompt(this.prompts, this.defaultPromptName)) {
      throw new Error(
        `defaultPromptName (default_prompt_name) '${this.defaultPromptName}' not found in the configured prompts dictionary with keys ${JSON.stringify(Object.keys(this.prompts))}`,
      );
    }
    this.truncateDim = opts.truncateDim !== undefined ? opts.truncateDim : (config.truncate_dim ?? null);
    const sim = opts.similarityFnName !== undefined ? opts.similarityFnName : (config.similarity_fn_name ?? null);
    this._similarityFnName = sim === null ? null : parseSimilarityFunction(sim);
  }

  /**
   * Load a model (Python `SentenceTransformer(model_name_or_path, ...)`): a sentence-transformers directory
   * (modules.json), a plain transformers checkpoint (Transformer + mean pooling), or a hub id resolved by
   * {@link SentenceTransformer.resolveModel}.
   */
  static async load(modelIdOrDir: string, opts: SentenceTransformerLoadOptions = {}): Promise<SentenceTransformer> {
    const dtype = checkModelDtype(opts.dtype, 'dtype (SentenceTransformer.load)');
    const dir = await prepareLoad(modelIdOrDir, opts, SentenceTransformer.resolveModel, 'model_name_or_path');
    const loaded = await loadPipeline(dir, modelIdOrDir, { dtype, configKwargs: opts.configKwargs });
    try {
      const st = new SentenceTransformer(loaded.modules, loaded.transformer, loaded.config, dir, opts);
      st.modelNameOrPath = modelIdOrDir;
      return st;
    } catch (e) {
      for (const m of loaded.modules) m.dispose();
      throw e;
    }
  }

  /**
   * Build from modules (Transformer first), as Python's `SentenceTransformer(modules=[...])`. The model shares
   * the modules (its `dispose` frees them).
   *
   * @example
   * ```ts
   * import { Dense, Normalize, Pooling, SentenceTransformer, Transformer } from 'sentence-tfjs';
   *
   * const transformer = await Transformer.load('models/all-MiniLM-L6-v2');
   * const model = SentenceTransformer.fromModules(
   *   [transformer, Pooling.fromMode(transformer.getWordEmbeddingDimension(), 'cls'), new Normalize()],
   *   { similarityFnName: 'dot' },
   * );
   * ```
   */
  static fromModules(modules: SentenceModule[], opts: SentenceTransformerLoadOptions & { config?: SentenceTransformerConfig } = {}): SentenceTransformer {
    const first = modules[0] as Transformer | undefined;
    if (!first || first.typeName !== Transformer.typeName) {
      throw new TypeError(`modules: the first module must be a Transformer, got ${first === undefined ? 'no modules' : first.typeName}`);
    }
    return new SentenceTransformer(modules, first, opts.config ?? {}, '', opts);
  }

  /**
   * `save(path)`: write the model as Python's `SentenceTransformer.save` does, so that both this library and
   * Python load it: `modules.json`, `config_sentence_transformers.json` (prompts, default prompt name, similarity
   * function), the Transformer's files at the root (config.json, model.safetensors, tokenizer files,
   * sentence_bert_config.json) and each other module in `<idx>_<Module>/` (e.g. `1_Pooling/config.json`).
   * Weights are written in the checkpoint's names and PyTorch's [out, in] layout, from the current tensors.
   * After training (fit or SentenceTransformerTrainer), a model card README.md from {@link modelCardData}.
   * Node only (file system).
   */
  async save(dir: string): Promise<void> {
    this.checkAlive();
    const config: SentenceTransformerConfig = {
      ...this.config,
      prompts: { ...this.prompts },
      default_prompt_name: this.defaultPromptName,
      similarity_fn_name: this.similarityFnName,
      truncate_dim: this.truncateDim,
    };
    await savePipeline(dir, this.modules, config, 'SentenceTransformer');
    if (this.modelCardData) await writeFileBytes(await joinPath(dir, 'README.md'), renderModelCard(this.modelCardData));
  }

  /**
   * Fine-tune the model (Python's `fit`): AdamW with fit()'s two parameter groups, the `WarmupLinear` schedule (or
   * `scheduler`), clipping at `maxGradNorm`, evaluation, checkpoints; the model is saved to `outputPath` at the end
   * (or, with an evaluator and `saveBestModel`, whenever its primary metric improves). Parameters are updated in
   * place: `encode` and `save` see the trained weights.
   *
   * @example
   * ```ts
   * const model = await SentenceTransformer.load('sentence-transformers/all-MiniLM-L6-v2');
   * await model.fit({
   *   trainObjectives: [{ data: [{ texts: ['Query: diabetes treatment', 'Insulin therapy for diabetes'], label: 0.9 }], loss: new CosineSimilarityLoss() }],
   *   epochs: 1,
   *   warmupSteps: 100,
   *   outputPath: './my-finetuned-model',
   * });
   * ```
   */
  async fit(options: FitOptions): Promise<TrainOutput> {
    this.checkAlive();
    return fitSentenceTransformer(this, { progress: (t) => logger.info(t), ...options });
  }

  /** The tokenizer (the underlying Tokenizer object when the adapter exposes it). */
  get tokenizer(): unknown {
    return this.transformer.tokenizer.tokenizer ?? this.transformer.tokenizer;
  }

  /** `max_seq_length`: longer inputs are truncated (tokens, special tokens included). Settable. */
  get maxSeqLength(): number | null {
    return this.transformer.maxSeqLength;
  }

  set maxSeqLength(value: number | null) {
    this.transformer.maxSeqLength = value;
  }

  /** `similarity_fn_name` (cosine when the config has none). Settable. */
  get similarityFnName(): SimilarityFunctionName {
    return this._similarityFnName ?? 'cosine';
  }

  set similarityFnName(value: string) {
    this._similarityFnName = parseSimilarityFunction(value);
  }

  /** The tfjs backend in use. */
  get device(): string {
    return tf.getBackend();
  }

  /** `get_sentence_embedding_dimension()`: the last module's output size, capped by `truncateDim`. */
  getSentenceEmbeddingDimension(): number | null {
    let dim: number | undefined;
    for (let i = this.modules.length - 1; i >= 0; i--) {
      const m = this.modules[i];
      if (typeof m.getSentenceEmbeddingDimension === 'function') {
        dim = m.getSentenceEmbeddingDimension();
        if (dim !== undefined) break;
      }
    }
    if (this.truncateDim !== null) return Math.min(dim ?? Infinity, this.truncateDim);
    return dim ?? null;
  }

  /** `get_max_seq_length()`. */
  getMaxSeqLength(): number | null {
    return this.maxSeqLength;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('this SentenceTransformer was disposed');
  }

  /** `tokenize(texts)` (6.0.1 `preprocess`): truncate at maxSeqLength, pad to the longest; plain int32 arrays [B, T]. */
  tokenize(texts: readonly string[] | readonly (readonly [string, string])[]): TokenizedBatch {
    this.checkAlive();
    return this.transformer.tokenize(texts);
  }

  /**
   * Run the pipeline on a tokenized batch (Python `forward(features)`): returns every feature as tensors, which
   * the caller owns (dispose them, or call inside `tf.tidy`).
   */
  forward(batch: TokenizedBatch, opts: PipelineForwardOptions & { promptLength?: number } = {}): Features {
    this.checkAlive();
    return tf.tidy(() => this.runModules(batch, opts) as unknown as tf.TensorContainerObject) as unknown as Features;
  }

  /**
   * The module loop (call inside `tf.tidy`): features of `batch` through every module in order, or up to and
   * including `until`; `each` sees the features after every module.
   */
  private runModules(
    batch: TokenizedBatch,
    opts: PipelineForwardOptions & { promptLength?: number },
    until?: SentenceModule,
    each?: (index: number, features: Features) => void,
  ): Features {
    const { promptLength, ...forwardOpts } = opts;
    let f: Features = { ...this.transformer.toFeatures(batch), promptLength };
    for (let i = 0; i < this.modules.length; i++) {
      const m = this.modules[i];
      f = m.forward(f, forwardOpts);
      each?.(i, f);
      if (m === until) break;
    }
    return f;
  }

  /**
   * Inspection: run texts (no sorting, one batch) and return named intermediates as float32 data:
   * `input_ids`, `attention_mask`, `token_type_ids`, `token_embeddings`, `hidden_states.{i}`, `attentions.{i}`,
   * `modules.{i}.sentence_embedding`, `sentence_embedding`, and each tap by its name.
   */
  async inspect(texts: readonly string[], opts: PipelineForwardOptions = {}): Promise<Record<string, InspectedTensor>> {
    this.checkAlive();
    const { list } = checkSentences(texts, 'texts');
    const batch = this.transformer.tokenize(list);
    const named: Record<string, tf.Tensor> = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      const f = this.runModules(batch, opts, undefined, (i, fi) => {
        if (i > 0 && fi.sentenceEmbedding) out[`modules.${i}.sentence_embedding`] = fi.sentenceEmbedding;
      });
      if (f.tokenEmbeddings) out.token_embeddings = f.tokenEmbeddings;
      if (f.sentenceEmbedding) out.sentence_embedding = f.sentenceEmbedding;
      f.allLayerEmbeddings?.forEach((t, i) => (out[`hidden_states.${i}`] = t));
      f.attentions?.forEach((t, i) => (out[`attentions.${i}`] = t));
      for (const [k, t] of Object.entries(f.intermediates ?? {})) out[k] = t;
      return out;
    });
    const result: Record<string, InspectedTensor> = {
      input_ids: { shape: [batch.batchSize, batch.seqLength], data: batch.inputIds },
      attention_mask: { shape: [batch.batchSize, batch.seqLength], data: batch.attentionMask },
    };
    if (batch.tokenTypeIds) result.token_type_ids = { shape: [batch.batchSize, batch.seqLength], data: batch.tokenTypeIds };
    try {
      for (const [k, t] of Object.entries(named)) result[k] = { shape: [...t.shape], data: (await t.data()) as Float32Array };
    } finally {
      for (const t of Object.values(named)) t.dispose();
    }
    return result;
  }

  /** The prompt encode uses: `prompt` wins over `promptName`; else the default prompt name's prompt. */
  private resolvePrompt(opts: EncodeOptions): string | undefined {
    if (opts.prompt !== undefined && opts.prompt !== null) {
      if (typeof opts.prompt !== 'string') throw new TypeError(`prompt must be a string, got ${typeof opts.prompt}`);
      return opts.prompt;
    }
    if (opts.promptName !== undefined && opts.promptName !== null) {
      if (!ownPrompt(this.prompts, opts.promptName)) {
        throw new Error(
          `promptName (prompt_name) '${opts.promptName}' not found in the configured prompts dictionary with keys ${JSON.stringify(Object.keys(this.prompts))}`,
        );
      }
      return this.prompts[opts.promptName];
    }
    if (this.defaultPromptName !== null) {
      if (!ownPrompt(this.prompts, this.defaultPromptName)) {
        throw new Error(`defaultPromptName (default_prompt_name) '${this.defaultPromptName}' is not one of the prompts (${JSON.stringify(Object.keys(this.prompts))})`);
      }
      return this.prompts[this.defaultPromptName];
    }
    return undefined;
  }

  /**
   * `encode(sentences, ...)`: embeddings in input order. A string gives one row (1-D), an array gives rows.
   * `convertToTensor` gives one tf.Tensor (caller disposes); `outputValue: 'token_embeddings'` gives, per text,
   * its token rows trimmed after the last attention-mask 1; a quantized `precision` gives Int8Array/Uint8Array rows.
   */
  encode<P extends Precision = 'float32'>(
    sentences: string,
    opts?: EncodeOptions & { precision?: P; convertToTensor?: false; outputValue?: 'sentence_embedding' },
  ): Promise<EmbeddingRow<P>>;
  encode<P extends Precision = 'float32'>(
    sentences: readonly string[],
    opts?: EncodeOptions & { precision?: P; convertToTensor?: false; outputValue?: 'sentence_embedding' },
  ): Promise<EmbeddingRow<P>[]>;
  encode(sentences: string, opts: EncodeOptions & { outputValue: 'token_embeddings'; convertToTensor?: false }): Promise<Float32Array[]>;
  encode(sentences: readonly string[], opts: EncodeOptions & { outputValue: 'token_embeddings'; convertToTensor?: false }): Promise<Float32Array[][]>;
  encode(sentences: string, opts: EncodeOptions & { outputValue: 'token_embeddings'; convertToTensor: true }): Promise<tf.Tensor2D>;
  encode(sentences: readonly string[], opts: EncodeOptions & { outputValue: 'token_embeddings'; convertToTensor: true }): Promise<tf.Tensor2D[]>;
  encode(sentences: string | readonly string[], opts: EncodeOptions & { convertToTensor: true }): Promise<tf.Tensor>;
  encode(sentences: string | readonly string[], opts?: EncodeOptions): Promise<unknown>;
  async encode(sentences: string | readonly string[], opts: EncodeOptions = {}): Promise<unknown> {
    this.checkAlive();
    const { list, inputWasString } = checkSentences(sentences);
    const o = resolveEncodeOptions(opts, this.truncateDim);
    if (o.outputValue === 'token_embeddings' && o.precision !== 'float32') {
      throw new RangeError(`precision '${o.precision}' needs outputValue 'sentence_embedding', got 'token_embeddings'`);
    }
    const prompt = this.resolvePrompt(opts);
    let promptLength: number | undefined;
    if (prompt) {
      // Python 6.0.1: the prompt's token count less a trailing special token (an empty prompt has none)
      promptLength = this.transformer.promptLength(prompt);
    }
    const n = list.length;
    const textAt = !prompt ? (i: number) => list[i] : (i: number) => prompt + list[i];

    // Python: np.argsort([-len(text)]) -- longest first; ties keep input order here (stable sort)
    const lengths = new Float64Array(n);
    for (let i = 0; i < n; i++) lengths[i] = codePointLength(textAt(i));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);

    if (o.outputValue === 'token_embeddings') return this.encodeTokens(order, textAt, o, promptLength, inputWasString);

    const progress = await Progress.start(n, { showProgressBar: o.showProgressBar, onProgress: o.onProgress });
    let out: Float32Array | undefined;
    let dim = 0;
    try {
      for (let start = 0; start < n; start += o.batchSize) {
        const idx = order.slice(start, start + o.batchSize);
        const batch = this.transformer.tokenize(idx.map(textAt));
        // Sub-batches of similar token lengths: the same embeddings (batched equals single) for less padding.
        for (const part of splitByPadding(batch)) {
          let data = await this.encodeOneSequence(part.batch, o, promptLength);
          if (!data) {
            const emb = this.runSentenceBatch(part.batch, o, promptLength);
            try {
              data = (await emb.data()) as Float32Array;
            } finally {
              emb.dispose();
            }
          }
          if (!out) {
            dim = data.length / part.rows.length;
            out = new Float32Array(n * dim);
          }
          part.rows.forEach((r, i) => out!.set(data.subarray(i * dim, (i + 1) * dim), idx[r] * dim));
        }
        progress.update(Math.min(start + o.batchSize, n));
      }
    } finally {
      progress.stop();
    }
    if (!out) {
      dim = this.getOutputDimension(o);
      out = new Float32Array(0);
    }
    return this.finishSentenceEmbeddings(out, n, dim, o, inputWasString);
  }

  /** The sentence embedding size of encode's output with these options. */
  private getOutputDimension(o: ResolvedEncodeOptions): number {
    const saved = this.truncateDim;
    this.truncateDim = o.truncateDim;
    try {
      return this.getSentenceEmbeddingDimension() ?? 0;
    } finally {
      this.truncateDim = saved;
    }
  }

  /** One batch through the pipeline: truncate, then normalize; returns [b, D] (caller disposes). */
  private runSentenceBatch(batch: TokenizedBatch, o: ResolvedEncodeOptions, promptLength: number | undefined): tf.Tensor2D {
    return tf.tidy(() => {
      let e = this.runModules(batch, { promptLength }).sentenceEmbedding;
      if (!e) throw new Error('the pipeline produced no sentence_embedding (is a Pooling module missing?)');
      if (o.truncateDim !== null && o.truncateDim < e.shape[1]) e = tf.slice(e, [0, 0], [e.shape[0], o.truncateDim]);
      if (o.normalizeEmbeddings) e = l2Normalize(e);
      return e;
    });
  }

  /**
   * A batch of one sequence (a single query: every token attended) on the wasm backend, through a pipeline of
   * Transformer, mean Pooling and optional Normalize modules: the forward's token rows [1, T, H] read back, then
   * mean pooling, truncation and normalization on that array ({@link meanPoolAllAttended}, {@link l2NormalizeRowF32}),
   * the same bits as {@link runSentenceBatch} gives there with ~15 fewer tf ops and engine round trips. Undefined
   * where that does not apply (another backend, module, pooling mode, or an excluded prompt): run the batch path.
   */
  private async encodeOneSequence(batch: TokenizedBatch, o: ResolvedEncodeOptions, promptLength: number | undefined): Promise<Float32Array | undefined> {
    if (batch.batchSize !== 1 || tf.getBackend() !== 'wasm') return undefined;
    const [transformer, pooling, ...rest] = this.modules;
    if (transformer !== this.transformer || !(pooling instanceof Pooling) || !rest.every((m) => m instanceof Normalize)) return undefined;
    const cfg = pooling.config;
    const modes = enabledPoolingModes(cfg);
    if (modes.length !== 1 || modes[0] !== 'mean' || (!cfg.includePrompt && (promptLength ?? 0) > 0)) return undefined;
    for (let i = 0; i < batch.seqLength; i++) if (batch.attentionMask[i] !== 1) return undefined;
    const te = tf.tidy(() => this.runModules(batch, { promptLength }, this.transformer).tokenEmbeddings);
    if (!te || te.rank !== 3 || te.dtype !== 'float32' || te.shape[2] !== cfg.wordEmbeddingDimension) {
      te?.dispose();
      return undefined;
    }
    let tokens: Float32Array;
    try {
      tokens = (await te.data()) as Float32Array; // [1, T, H]
    } finally {
      te.dispose();
    }
    let row = meanPoolAllAttended(tokens, batch.seqLength, cfg.wordEmbeddingDimension); // [H]
    for (let i = 0; i < rest.length; i++) l2NormalizeRowF32(row); // the Normalize modules
    if (o.truncateDim !== null && o.truncateDim < row.length) row = row.slice(0, o.truncateDim);
    if (o.normalizeEmbeddings) l2NormalizeRowF32(row);
    return row;
  }

  private finishSentenceEmbeddings(out: Float32Array, n: number, dim: number, o: ResolvedEncodeOptions, inputWasString: boolean): unknown {
    if (o.precision !== 'float32') {
      const q = quantizeRows(out, n, dim, o.precision, { ranges: o.ranges, calibrationEmbeddings: o.calibrationEmbeddings });
      if (o.convertToTensor) {
        const t = tf.tensor2d(Int32Array.from(q.data), [n, q.cols], 'int32');
        if (!inputWasString) return t;
        const row = tf.reshape(t, [q.cols]);
        t.dispose();
        return row;
      }
      const rows = q.rows;
      return inputWasString ? rows[0] : rows;
    }
    if (o.convertToTensor) return inputWasString ? tf.tensor1d(out.subarray(0, dim)) : tf.tensor2d(out, [n, dim]);
    const rows = rowsOf(out, n, dim);
    return inputWasString ? rows[0] : rows;
  }

  private async encodeTokens(
    order: number[],
    textAt: (i: number) => string,
    o: ResolvedEncodeOptions,
    promptLength: number | undefined,
    inputWasString: boolean,
  ): Promise<unknown> {
    const n = order.length;
    const results: Float32Array[][] = new Array(n);
    const progress = await Progress.start(n, { showProgressBar: o.showProgressBar, onProgress: o.onProgress });
    try {
      for (let start = 0; start < n; start += o.batchSize) {
        const idx = order.slice(start, start + o.batchSize);
        const batch = this.transformer.tokenize(idx.map(textAt));
        const te = tf.tidy(() => this.runModules(batch, { promptLength }, this.transformer).tokenEmbeddings as tf.Tensor3D);
        let data: Float32Array;
        try {
          data = (await te.data()) as Float32Array;
        } finally {
          te.dispose();
        }
        const [, T, H] = te.shape;
        const masks = batchRows(batch, 'attentionMask');
        idx.forEach((orig, r) => {
          // Python: last index whose mask is 1 (at least index 0)
          let last = T - 1;
          while (last > 0 && masks[r][last] === 0) last--;
          const rowData = data.slice(r * T * H, (r * T + last + 1) * H);
          results[orig] = rowsOf(rowData, last + 1, H);
        });
        progress.update(Math.min(start + o.batchSize, n));
      }
    } finally {
      progress.stop();
    }
    if (o.convertToTensor) {
      const ts = results.map((rows) => tf.tensor2d(concatRows(rows), [rows.length, rows[0]?.length ?? 0]));
      return inputWasString ? ts[0] : ts;
    }
    return inputWasString ? results[0] : results;
  }

  /**
   * `encode_query` (sentence-transformers v5): {@link encode} with the `query` prompt when the model has one (and
   * neither `prompt` nor `promptName` is given). Same overloads and results as `encode`.
   *
   * @example
   * ```ts
   * const q = await model.encodeQuery('how do I bake bread?');           // Float32Array
   * const docs = await model.encodeDocument(['Knead the dough...', '...']); // Float32Array[]
   * const hits = semanticSearch([q], docs, { topK: 3 });
   * ```
   */
  encodeQuery: EncodeFn = ((sentences: string | readonly string[], opts: EncodeOptions = {}) =>
    this.encode(sentences, this.withPrompt(opts, QUERY_PROMPTS))) as EncodeFn;

  /**
   * `encode_document` (sentence-transformers v5): {@link encode} with the first of the `document`, `passage`,
   * `corpus` prompts the model has (unless `prompt` or `promptName` is given). Same overloads and results as `encode`.
   * `document` always exists (6.0.1), so a model whose prompts are `{query, passage}` (multilingual-e5 style) gets
   * no prompt here, as in Python; pass `promptName: 'passage'` for it (or load with `compat: '3.4'`).
   */
  encodeDocument: EncodeFn = ((sentences: string | readonly string[], opts: EncodeOptions = {}) =>
    this.encode(sentences, this.withPrompt(opts, DOCUMENT_PROMPTS))) as EncodeFn;

  /** `opts` with `promptName` set to the first of `names` the model has, unless a prompt is already chosen. */
  private withPrompt(opts: EncodeOptions, names: readonly string[]): EncodeOptions {
    if (opts.prompt !== undefined || opts.promptName !== undefined) return opts;
    const name = names.find((p) => ownPrompt(this.prompts, p));
    return name === undefined ? opts : { ...opts, promptName: name };
  }

  /** `similarity(a, b)`: the score matrix [a.length, b.length] with `similarityFnName`. */
  similarity(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array[] {
    return similarityFn(this.similarityFnName)(a, b);
  }

  /** `similarity_pairwise(a, b)`: one score per row pair. */
  similarityPairwise(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
    return pairwiseSimilarityFn(this.similarityFnName)(a, b);
  }

  private pool: EncodePool | undefined;
  private readonly loadConfigKwargs: Record<string, unknown> | undefined;

  /**
   * @internal Data-parallel training (`dataParallel` of the trainers): how a worker loads a replica of this model
   * (its directory and load options, on the coordinator's cpu backend or else single-threaded wasm).
   */
  replicaSpec(): ReplicaSpec {
    this.checkAlive();
    if (!this.modelPath) throw new Error('dataParallel: the replicas load the model from its directory, and this model has none (built with fromModules)');
    const device = tf.getBackend() === 'cpu' ? 'cpu' : 'wasm';
    // maxSeqLength: rank 0's truncation as it is now (set after load, or null), which the worker applies after its load.
    const options = { device, dtype: this.transformer.dtype, compat: this.compat, maxSeqLength: this.maxSeqLength, ...(this.loadConfigKwargs ? { configKwargs: this.loadConfigKwargs } : {}) };
    const ts = import.meta.url.endsWith('.ts');
    return { workerUrl: new URL(ts ? './train_worker.ts' : './train_worker.js', import.meta.url).href, modelDir: this.modelPath, options };
  }

  /**
   * `start_multi_process_pool`: start `workers` workers (default 2; worker_threads in Node, Web Workers in
   * browsers), each loading this model's directory once on the wasm backend with one thread. Returns the pool,
   * which {@link encodeMultiProcess} uses by default; stop it with {@link stopMultiProcessPool}.
   */
  async startMultiProcessPool(opts: PoolStartOptions = {}): Promise<EncodePool> {
    this.checkAlive();
    if (this.pool && !this.pool.isStopped) throw new Error('startMultiProcessPool: a pool is already running; call stopMultiProcessPool() first');
    if (!this.modelPath) throw new Error('startMultiProcessPool: the workers load the model from its directory, and this model has none (built with fromModules)');
    const options = { prompts: this.prompts, defaultPromptName: this.defaultPromptName, truncateDim: this.truncateDim, compat: this.compat, dtype: this.transformer.dtype };
    this.pool = await EncodePool.start({ modelDir: this.modelPath, options }, opts);
    return this.pool;
  }

  /**
   * `encode_multi_process`: encode `sentences` on the pool (the one from {@link startMultiProcessPool} unless
   * `pool` is given), chunk by chunk; float32 embeddings in input order. A worker's error rejects the call.
   */
  encodeMultiProcess(sentences: readonly string[], opts: PoolEncodeOptions = {}, pool: EncodePool | undefined = this.pool): Promise<Float32Array[]> {
    if (!pool || pool.isStopped) return Promise.reject(new Error('encodeMultiProcess: no running pool; call startMultiProcessPool() first'));
    return pool.encode(sentences, opts);
  }

  /** `stop_multi_process_pool`: terminate every worker of the pool (this model's own one unless `pool` is given). */
  async stopMultiProcessPool(pool: EncodePool | undefined = this.pool): Promise<void> {
    await pool?.stop();
    if (pool === this.pool) this.pool = undefined;
  }

  /** Free every tensor of the model (and stop its worker pool, if one is running). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.pool?.stop();
    this.pool = undefined;
    for (const m of this.modules) m.dispose();
  }
}

function concatRows(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  let o = 0;
  for (const r of rows) {
    out.set(r, o);
    o += r.length;
  }
  return out;
}

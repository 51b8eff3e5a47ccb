/**
 * SparseEncoder: sentence-transformers v5+'s sparse embedding models (SPLADE): a fill-mask Transformer (MLM logits)
 * and SpladePooling give one vocabulary-wide, mostly-zero vector per text, returned as sparse vectors.
 *
 * Reference (6.0.1): https://github.com/huggingface/sentence-transformers/blob/065ab925d23c9635e0ffe3184bc6fdc88ee6ab62/sentence_transformers/sparse_encoder/model.py
 * (`encode`, `encode_query`, `encode_document`, `decode`, `similarity`, `sparsity`, `_load_default_modules`);
 * `select_max_active_dims` in sentence_transformers/util.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeviceName } from '../backends/index.js';
import { ModelConfigError } from '../formats/errors.js';
import { loadPipeline, ownPrompt, readModulesJson, savePipeline, type SentenceTransformerConfig } from '../modules/pipeline.js';
import { SpladePooling } from '../modules/splade_pooling.js';
import { codePointLength } from '../modules/text.js';
import { rowLengths, selectRows, splitByPadding, type TokenizedBatch } from '../modules/tokenized_batch.js';
import { TokenizerAdapter } from '../modules/tokenizer_adapter.js';
import { Transformer } from '../modules/transformer.js';
import type { Features, SentenceModule } from '../modules/types.js';
import { parseSimilarityFunction, type SimilarityFunctionName } from '../util/similarity.js';
import { sparseFromDense, sparseSimilarity, sparseSimilarityPairwise, type SparseVector } from '../util/sparse.js';
import { checkSentences, isLegacyCompat, resolveBatchSize, resolvePrompts, type CompatMode } from './encode_options.js';
import { checkModelDtype, type ModelDtype } from '../weights/index.js';
import { defaultResolver, prepareLoad, type ModelResolver } from './load_common.js';
import { Progress, type ProgressCallback } from './progress.js';

/**
 * The most logits (floats) one forward may hold: a batch's MLM logits are [b, T, vocab] (32 x 512 x 30522 floats =
 * 2 GB for bert-base SPLADE), so encode runs rows in groups under this budget (256 MB). Rows are independent, so
 * this changes no value beyond float rounding (batched equals single).
 */
const LOGITS_BUDGET = 1 << 26;

/** Rows of `batch` in groups whose [rows, T, vocab] logits stay under {@link LOGITS_BUDGET}; `rows` index `batch`. */
function logitsChunks(batch: TokenizedBatch, vocab: number): { rows: number[]; batch: TokenizedBatch }[] {
  const per = Math.max(1, Math.floor(LOGITS_BUDGET / (batch.seqLength * vocab)));
  if (per >= batch.batchSize) return [{ rows: Array.from({ length: batch.batchSize }, (_, i) => i), batch }];
  const lengths = rowLengths(batch);
  const out: { rows: number[]; batch: TokenizedBatch }[] = [];
  for (let s = 0; s < batch.batchSize; s += per) {
    const rows = Array.from({ length: Math.min(per, batch.batchSize - s) }, (_, i) => s + i);
    out.push({ rows, batch: selectRows(batch, rows, lengths) });
  }
  return out;
}

/** Options of {@link SparseEncoder.load}. */
export interface SparseEncoderLoadOptions {
  /**
   * `prompts`: override the model's prompts; the saved prompts fill the other keys and `query` / `document` always
   * exist, as in 6.0.1 (with `compat: '3.4'` they replace the saved prompts).
   */
  prompts?: Record<string, string>;
  /** `default_prompt_name`: a key of `prompts` used when encode gets neither prompt nor promptName. */
  defaultPromptName?: string | null;
  /** `'6.0'` (default): sentence-transformers 6.0.1 behaviour; `'3.4'`: 3.4.1's stripping and prompts ({@link CompatMode}). */
  compat?: CompatMode;
  /** `similarity_fn_name` (dot when the config has none). */
  similarityFnName?: string | null;
  /** `max_active_dims`: keep at most this many non-zero dimensions per vector (default: no limit). */
  maxActiveDims?: number | null;
  /** tfjs device; calls `initBackend(device)`. Default: the current backend, or initBackend's default. */
  device?: DeviceName;
  /** Options passed to the model-id resolver (hub revision, cache folder, token, local files only, ...). */
  hub?: Record<string, unknown>;
  /**
   * 'fp32' (default) or 'q8': int8 linear layers (the MLM head's transform included), as
   * SentenceTransformer.load's `dtype`; a folder written by `sentence-tfjs quantize` loads as 'q8' unless
   * 'fp32' is passed.
   * @example
   * const splade = await SparseEncoder.load('models/splade', { dtype: 'q8' });
   */
  dtype?: ModelDtype;
}

/** Options of {@link SparseEncoder.encode}. */
export interface SparseEncodeOptions {
  /** `batch_size` (default 32). */
  batchSize?: number;
  /** `prompt`: prepended to every text (wins over `promptName`). */
  prompt?: string;
  /** `prompt_name`: a key of the model's `prompts`. */
  promptName?: string;
  /** `max_active_dims`: keep the this many largest values per vector (default: the model's `maxActiveDims`). */
  maxActiveDims?: number | null;
  /** `show_progress_bar`: a bar on stderr in Node when stderr is a TTY. Default false. */
  showProgressBar?: boolean;
  /** Called after every batch with (texts done, total). */
  onProgress?: ProgressCallback;
}

/** `SparseEncoder.sparsity(embeddings)`: mean non-zero dimensions per vector and the mean fraction of zeros. */
export interface SparsityStats {
  activeDims: number;
  sparsityRatio: number;
}

/**
 * A sparse embedding model, as Python's `sentence_transformers.SparseEncoder` (v5+): a `Transformer` with
 * `transformer_task: "fill-mask"` (MLM logits [B, T, vocab]) then `SpladePooling` (`log1p(relu(logits))`, max
 * over tokens). `encode` returns one {@link SparseVector} per text (indices sorted, values > 0), `decode` names the
 * strongest tokens, `similarity` is a sparse dot product by default; `sparseSemanticSearch` (util) searches a
 * sparse corpus.
 *
 * @example
 * ```ts
 * import { SparseEncoder, sparseSemanticSearch } from 'sentence-tfjs';
 *
 * const model = await SparseEncoder.load('naver/splade-cocondenser-ensembledistil');
 * const docs = await model.encodeDocument(['The weather is lovely today.', 'He drove to the stadium.']);
 * docs[0].indices.length;                          // active dimensions of the first text
 * model.decode(docs[0], 5);                        // [['weather', 2.1], ['lovely', 1.9], ...]
 * const q = await model.encodeQuery('sunny day');
 * model.similarity([q], docs);                      // [[dot, dot]]
 * sparseSemanticSearch([q], docs, { topK: 1 });     // [[{ corpusId: 0, score }]]
 * model.dispose();
 * ```
 */
export class SparseEncoder {
  /** Resolves `load`'s first argument to a directory (default: local directory, else the hub cache/download). */
  static resolveModel: ModelResolver = defaultResolver;

  /** `prompts`: name -> text prepended by `encode(..., {promptName})`. */
  prompts: Record<string, string>;
  /** `default_prompt_name`. */
  defaultPromptName: string | null;
  /** `max_active_dims`: the default cap on non-zero dimensions per vector (null: none). */
  maxActiveDims: number | null;
  private _similarityFnName: SimilarityFunctionName | null;
  private disposed = false;

  private constructor(
    /** The pipeline's modules in order (a fill-mask Transformer first). */
    readonly modules: SentenceModule[],
    /** The Transformer module (model + MLM head + tokenizer). */
    readonly transformer: Transformer,
    /** config_sentence_transformers.json as read. */
    readonly config: SentenceTransformerConfig & { model_type?: string },
    /** The resolved model directory. */
    readonly modelPath: string,
    opts: SparseEncoderLoadOptions,
  ) {
    if (!transformer.lmHead || !modules.some((m) => m instanceof SpladePooling)) {
      // A folder's files decide this (modules.json, or sentence_bert_config.json's transformer_task): a config error.
      throw new ModelConfigError(
        'SparseEncoder: only SPLADE models are supported: a Transformer with transformer_task "fill-mask" (or MLMTransformer) followed by SpladePooling' +
          ` (got ${modules.map((m) => m.typeName).join(', ')}${transformer.lmHead ? '' : ' without a fill-mask head'}; CSR / SparseAutoEncoder models are not implemented)`,
        transformer.lmHead ? 'modules.json' : 'sentence_bert_config.json',
        transformer.lmHead ? undefined : 'transformer_task',
      );
    }
    const legacy = isLegacyCompat(opts.compat);
    if (opts.compat !== undefined) transformer.stripInputs = legacy;
    this.prompts = resolvePrompts(opts.prompts, config.prompts, legacy);
    this.defaultPromptName = opts.defaultPromptName !== undefined ? opts.defaultPromptName : (config.default_prompt_name ?? null);
    if (this.defaultPromptName !== null && !ownPrompt(this.prompts, this.defaultPromptName)) {
      throw new Error(`defaultPromptName (default_prompt_name) '${this.defaultPromptName}' not found in the configured prompts dictionary with keys ${JSON.stringify(Object.keys(this.prompts))}`);
    }
    this.maxActiveDims = checkMaxActiveDims(opts.maxActiveDims ?? null);
    const sim = opts.similarityFnName !== undefined ? opts.similarityFnName : (config.similarity_fn_name ?? null);
    this._similarityFnName = sim === null ? null : parseSimilarityFunction(sim);
  }

  /**
   * Load a sparse encoder (Python `SparseEncoder(model_name_or_path, ...)`): a sentence-transformers directory
   * (modules.json: Transformer with `transformer_task: "fill-mask"` or the 5.x `MLMTransformer`, then
   * `SpladePooling`), or a plain `*ForMaskedLM` checkpoint (then fill-mask Transformer + SpladePooling max, as
   * Python's `_load_default_modules`), or a hub id resolved by {@link SparseEncoder.resolveModel}.
   */
  static async load(modelIdOrDir: string, opts: SparseEncoderLoadOptions = {}): Promise<SparseEncoder> {
    const dtype = checkModelDtype(opts.dtype, 'dtype (SparseEncoder.load)');
    const dir = await prepareLoad(modelIdOrDir, opts, SparseEncoder.resolveModel, 'model_name_or_path');
    let modules: SentenceModule[];
    let transformer: Transformer;
    let config: SentenceTransformerConfig = {};
    if ((await readModulesJson(dir)) === undefined) {
      transformer = await Transformer.load(dir, { dtype }, 'fill-mask');
      modules = [transformer, new SpladePooling({ pooling_strategy: 'max' })];
    } else {
      const loaded = await loadPipeline(dir, undefined, { dtype });
      ({ modules, transformer, config } = loaded);
    }
    try {
      return new SparseEncoder(modules, transformer, config, dir, opts);
    } catch (e) {
      for (const m of modules) m.dispose();
      throw e;
    }
  }

  /**
   * Build from modules (a fill-mask Transformer first), as Python's `SparseEncoder(modules=[...])`. The model
   * shares the modules (its `dispose` frees them).
   *
   * @example
   * ```ts
   * const mlm = await Transformer.load('models/splade', {}, 'fill-mask');
   * const model = SparseEncoder.fromModules([mlm, new SpladePooling({ pooling_strategy: 'max' })]);
   * ```
   */
  static fromModules(modules: SentenceModule[], opts: SparseEncoderLoadOptions & { config?: SentenceTransformerConfig } = {}): SparseEncoder {
    const first = modules[0];
    if (!(first instanceof Transformer)) throw new TypeError(`modules: the first module must be a Transformer, got ${first === undefined ? 'no modules' : first.typeName}`);
    return new SparseEncoder(modules, first, opts.config ?? {}, '', opts);
  }

  /**
   * `save(path)`: the layout Python's `SparseEncoder.save` writes (modules.json, the Transformer's files at the
   * root with `transformer_task: "fill-mask"`, `1_SpladePooling/config.json`, and config_sentence_transformers.json
   * with `model_type: "SparseEncoder"`). Node only (file system).
   */
  async save(dir: string): Promise<void> {
    this.checkAlive();
    const config: SentenceTransformerConfig = {
      ...this.config,
      prompts: { ...this.prompts },
      default_prompt_name: this.defaultPromptName,
      similarity_fn_name: this.similarityFnName,
    };
    await savePipeline(dir, this.modules, config, 'SparseEncoder');
  }

  /** `similarity_fn_name` (dot when the config has none). Settable. */
  get similarityFnName(): SimilarityFunctionName {
    return this._similarityFnName ?? 'dot';
  }

  set similarityFnName(value: string) {
    this._similarityFnName = parseSimilarityFunction(value);
  }

  /** `max_seq_length`: longer inputs are truncated (tokens, special tokens included). Settable. */
  get maxSeqLength(): number | null {
    return this.transformer.maxSeqLength;
  }

  set maxSeqLength(value: number | null) {
    this.transformer.maxSeqLength = value;
  }

  /** `get_embedding_dimension()`: the vocabulary size. */
  getEmbeddingDimension(): number {
    return this.transformer.lmHead!.vocabSize;
  }

  /** The tfjs backend in use. */
  get device(): string {
    return tf.getBackend();
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('this SparseEncoder was disposed');
  }

  /** `tokenize(texts)`: truncate at maxSeqLength, pad to the longest; plain int32 arrays [B, T]. */
  tokenize(texts: readonly string[]): TokenizedBatch {
    this.checkAlive();
    return this.transformer.tokenize(texts);
  }

  /** Features of `batch` through every module (call inside `tf.tidy`). */
  private runModules(batch: TokenizedBatch): Features {
    let f: Features = this.transformer.toFeatures(batch);
    for (const m of this.modules) f = m.forward(f);
    return f;
  }

  /**
   * Run the pipeline on a tokenized batch and return the dense SPLADE vectors [B, vocab] (Python `forward(features)
   * ["sentence_embedding"]`); the caller disposes the tensor.
   */
  forward(batch: TokenizedBatch): tf.Tensor2D {
    this.checkAlive();
    return tf.tidy(() => {
      const e = this.runModules(batch).sentenceEmbedding;
      if (!e) throw new Error('the pipeline produced no sentence_embedding (is the SpladePooling module missing?)');
      return e;
    });
  }

  /** The prompt encode uses: `prompt` wins over `promptName`; else the default prompt name's prompt. */
  private resolvePrompt(opts: SparseEncodeOptions): string | undefined {
    if (opts.prompt !== undefined && opts.prompt !== null) {
      if (typeof opts.prompt !== 'string') throw new TypeError(`prompt must be a string, got ${typeof opts.prompt}`);
      return opts.prompt;
    }
    if (opts.promptName !== undefined && opts.promptName !== null) {
      if (!ownPrompt(this.prompts, opts.promptName)) {
        throw new Error(`promptName (prompt_name) '${opts.promptName}' not found in the configured prompts dictionary with keys ${JSON.stringify(Object.keys(this.prompts))}`);
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
   * `encode(sentences, ...)`: one sparse vector per text, in input order (a string gives one vector). Each holds the
   * non-zero dimensions sorted by index; with `maxActiveDims` only that many largest values are kept per vector
   * (`select_max_active_dims`).
   */
  encode(sentences: string, opts?: SparseEncodeOptions): Promise<SparseVector>;
  encode(sentences: readonly string[], opts?: SparseEncodeOptions): Promise<SparseVector[]>;
  async encode(sentences: string | readonly string[], opts: SparseEncodeOptions = {}): Promise<SparseVector | SparseVector[]> {
    this.checkAlive();
    const { list, inputWasString } = checkSentences(sentences);
    const batchSize = resolveBatchSize(opts.batchSize);
    const maxActiveDims = opts.maxActiveDims !== undefined && opts.maxActiveDims !== null ? checkMaxActiveDims(opts.maxActiveDims) : this.maxActiveDims;
    const prompt = this.resolvePrompt(opts);
    const n = list.length;
    const textAt = prompt ? (i: number) => prompt + list[i] : (i: number) => list[i];
    // Python: np.argsort([-len(text)]) -- longest first; ties keep input order here (stable sort)
    const lengths = Float64Array.from({ length: n }, (_, i) => codePointLength(textAt(i)));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
    const out: SparseVector[] = new Array(n);
    const progress = await Progress.start(n, { showProgressBar: opts.showProgressBar ?? false, onProgress: opts.onProgress });
    try {
      for (let start = 0; start < n; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const batch = this.transformer.tokenize(idx.map(textAt));
        // Sub-batches of similar lengths: the same vectors (padding is masked out), far smaller [b, T, vocab] logits.
        for (const part of splitByPadding(batch)) {
          for (const chunk of logitsChunks(part.batch, this.getEmbeddingDimension())) {
            const emb = this.forward(chunk.batch);
            let data: Float32Array;
            try {
              data = (await emb.data()) as Float32Array;
            } finally {
              emb.dispose();
            }
            const dim = emb.shape[1];
            chunk.rows.forEach((r, i) => (out[idx[part.rows[r]]] = sparseFromDense(data.subarray(i * dim, (i + 1) * dim), maxActiveDims)));
          }
        }
        progress.update(Math.min(start + batchSize, n));
      }
    } finally {
      progress.stop();
    }
    return inputWasString ? out[0] : out;
  }

  /** `encode_query`: encode with the `query` prompt when the model has one. */
  encodeQuery(sentences: string, opts?: SparseEncodeOptions): Promise<SparseVector>;
  encodeQuery(sentences: readonly string[], opts?: SparseEncodeOptions): Promise<SparseVector[]>;
  encodeQuery(sentences: string | readonly string[], opts: SparseEncodeOptions = {}): Promise<SparseVector | SparseVector[]> {
    const o = { ...opts };
    if (o.prompt === undefined && o.promptName === undefined && ownPrompt(this.prompts, 'query')) o.promptName = 'query';
    return this.encode(sentences as readonly string[], o);
  }

  /** `encode_document`: the first of the `document`, `passage`, `corpus` prompts the model has. */
  encodeDocument(sentences: string, opts?: SparseEncodeOptions): Promise<SparseVector>;
  encodeDocument(sentences: readonly string[], opts?: SparseEncodeOptions): Promise<SparseVector[]>;
  encodeDocument(sentences: string | readonly string[], opts: SparseEncodeOptions = {}): Promise<SparseVector | SparseVector[]> {
    const o = { ...opts };
    if (o.prompt === undefined && o.promptName === undefined) {
      const name = ['document', 'passage', 'corpus'].find((p) => ownPrompt(this.prompts, p));
      if (name) o.promptName = name;
    }
    return this.encode(sentences as readonly string[], o);
  }

  /**
   * `decode(embedding, top_k)`: the vector's tokens with their weights, strongest first (equal weights: the lower
   * id first); `topK` keeps that many (default: all). A list of vectors gives one list per vector.
   */
  decode(vector: SparseVector, topK?: number | null): [token: string, weight: number][];
  decode(vectors: readonly SparseVector[], topK?: number | null): [token: string, weight: number][][];
  decode(v: SparseVector | readonly SparseVector[], topK: number | null = null): [string, number][] | [string, number][][] {
    this.checkAlive();
    if (topK !== null && (!Number.isInteger(topK) || topK <= 0)) throw new RangeError(`topK (top_k) must be a positive integer, got ${topK}`);
    const tok = this.transformer.tokenizer;
    if (!(tok instanceof TokenizerAdapter)) throw new Error('decode: the tokenizer is not a TokenizerAdapter loaded from tokenizer.json');
    const one = (x: SparseVector): [string, number][] => {
      const order = Array.from(x.indices.keys()).sort((a, b) => x.values[b] - x.values[a] || x.indices[a] - x.indices[b]);
      return order.slice(0, topK ?? order.length).map((k) => [tok.tokenizer.idToToken(x.indices[k]) ?? `[${x.indices[k]}]`, x.values[k]]);
    };
    return Array.isArray(v) ? (v as readonly SparseVector[]).map(one) : one(v as SparseVector);
  }

  /** `similarity(a, b)`: the score matrix [a.length, b.length] with `similarityFnName` (dot by default), sparse. */
  similarity(a: readonly SparseVector[], b: readonly SparseVector[]): Float32Array[] {
    return sparseSimilarity(a, b, this.similarityFnName);
  }

  /** `similarity_pairwise(a, b)`: one score per pair of vectors. */
  similarityPairwise(a: readonly SparseVector[], b: readonly SparseVector[]): Float32Array {
    return sparseSimilarityPairwise(a, b, this.similarityFnName);
  }

  /**
   * `SparseEncoder.intersection(a, b)`: the element-wise product of `a` with `b` (or with each vector of a list),
   * keeping the dimensions where it is positive (the tokens both share); {@link decode} names them.
   */
  static intersection(a: SparseVector, b: SparseVector): SparseVector;
  static intersection(a: SparseVector, b: readonly SparseVector[]): SparseVector[];
  static intersection(a: SparseVector, b: SparseVector | readonly SparseVector[]): SparseVector | SparseVector[] {
    const one = (y: SparseVector): SparseVector => {
      if (a.dim !== y.dim) throw new RangeError(`intersection: vocabulary dimension mismatch (${a.dim} vs ${y.dim})`);
      const idx: number[] = [];
      const val: number[] = [];
      for (let i = 0, j = 0; i < a.indices.length && j < y.indices.length; ) {
        if (a.indices[i] < y.indices[j]) i++;
        else if (a.indices[i] > y.indices[j]) j++;
        else {
          const p = Math.fround(a.values[i] * y.values[j]);
          if (p > 0) (idx.push(a.indices[i]), val.push(p));
          i++;
          j++;
        }
      }
      return { indices: Int32Array.from(idx), values: Float32Array.from(val), dim: a.dim };
    };
    return Array.isArray(b) ? (b as readonly SparseVector[]).map(one) : one(b as SparseVector);
  }

  /** `SparseEncoder.sparsity(embeddings)`: mean active dimensions per vector and mean sparsity ratio. */
  static sparsity(vectors: readonly SparseVector[]): SparsityStats {
    if (vectors.length === 0) return { activeDims: 0, sparsityRatio: 1 };
    let active = 0;
    let ratio = 0;
    for (const v of vectors) {
      active += v.indices.length;
      ratio += 1 - v.indices.length / v.dim;
    }
    return { activeDims: active / vectors.length, sparsityRatio: ratio / vectors.length };
  }

  /** Free every tensor of the model. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of this.modules) m.dispose();
  }
}

function checkMaxActiveDims(value: number | null): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new RangeError(`maxActiveDims (max_active_dims) must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

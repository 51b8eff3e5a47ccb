/**
 * The Transformer module: tokenizes texts as sentence-transformers does and runs the encoder, setting
 * `token_embeddings` (the last hidden state).
 *
 * Reference (v6.0.1): sentence-transformers 6.0.1 `sentence_transformers/base/modules/transformer.py`
 * (`Transformer.__init__`, `preprocess`, `save`, `get_config_dict`); 3.x layout read as
 * https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Transformer.py
 *
 * Tokenization copies 6.0.1's `Transformer.preprocess`: the raw texts (NOT stripped: 3.4.1 stripped them, which
 * {@link Transformer.stripInputs} restores), lower-cased when `do_lower_case`, then `tokenizer(texts, padding=True,
 * truncation="longest_first", max_length=max_seq_length)`. The truncation/padding settings stored in tokenizer.json
 * are ignored, as Python ignores them.
 */
import { ModelConfigError } from '../formats/errors.js';
import { ConfigReader } from '../models/config.js';
import { createMaskedLM, createModel, createSequenceClassifier, type MaskedLMHead } from '../models/index.js';
import type { EncoderModel, SequenceClassificationModel } from '../models/types.js';
import { checkNoLinksOutside, joinPath, makeDir, pathExists, readFileText, readJSONFile, writeFileBytes, writeJSONFile } from '../platform/fs.js';
import { checkModelDtype, loadCheckpointDir, q8Marker, Q8_MARKER_FILE, Q8_VALUES_SUFFIX, serializeSafetensors, WeightMap, type ModelDtype, type NamedParameter } from '../weights/index.js';
import { logger } from '../util/logger.js';
import { rewriteJsonObject } from './json_text.js';
import { pyStrip } from './text.js';
import { batchToTensors, padBatch, type PipelineTokenizer, type TokenizedBatch } from './tokenized_batch.js';
import { TokenizerAdapter } from './tokenizer_adapter.js';
import type { Features, ModuleLoadOptions, PipelineForwardOptions, RequiredFile, SentenceModule } from './types.js';

/** Options of the {@link Transformer} module (the `sentence_bert_config.json` keys, in camelCase). */
export interface TransformerOptions {
  /** `max_seq_length` (sentence_bert_config.json); default min(max_position_embeddings, tokenizer model_max_length). */
  maxSeqLength?: number | null;
  /** `do_lower_case` (sentence_bert_config.json). */
  doLowerCase?: boolean;
  /** Strip every text (Python `str.strip()`) before tokenizing, as sentence-transformers 3.x did (default false, as 6.0.1). */
  stripInputs?: boolean;
  /**
   * The checkpoint the model was built from, for {@link Transformer.save} (set by {@link Transformer.load}; the
   * model owns it and frees it on dispose).
   */
  weights?: WeightMap;
  /** The config.json text the model was built from (set by {@link Transformer.load}), kept so that save keeps its floats. */
  configText?: string;
  /**
   * The masked-LM head for `transformer_task: "fill-mask"` (SPLADE): `forward` then sets `tokenEmbeddings` to the
   * token logits [B, T, vocab_size] instead of the last hidden state.
   */
  lmHead?: MaskedLMHead;
}

/** The `transformer_task` values a saved Transformer may name (sentence-transformers 6.x sentence_bert_config.json). */
const TRANSFORMER_TASKS = ['feature-extraction', 'fill-mask', 'sequence-classification'] as const;

/**
 * sentence_bert_config.json: the Transformer module's own settings. 6.0.1 writes `transformer_task`,
 * `modality_config` and `module_output_name` (the max length lives in tokenizer_config.json `model_max_length`);
 * 3.x wrote `max_seq_length` and `do_lower_case`. Both are read; an old `max_seq_length` wins when present.
 */
export interface SentenceBertConfig {
  max_seq_length?: number | null;
  do_lower_case?: boolean;
  /** `feature-extraction`, `fill-mask` (SPLADE's MLM logits) or `sequence-classification` (a cross-encoder). */
  transformer_task?: string;
  /** 6.x: which model method and output feed each modality (text only here). */
  modality_config?: Record<string, { method: string; method_output_name: string }>;
  /** 6.x: the feature the module writes (`token_embeddings`, or `scores` for a cross-encoder). */
  module_output_name?: string;
}

/** 6.0.1 `TRANSFORMER_TASK_DEFAULTS`: the model output and feature name of each task this port runs. */
const TASK_OUTPUTS: Record<(typeof TRANSFORMER_TASKS)[number], { methodOutputName: string; moduleOutputName: string }> = {
  'feature-extraction': { methodOutputName: 'last_hidden_state', moduleOutputName: 'token_embeddings' },
  'fill-mask': { methodOutputName: 'logits', moduleOutputName: 'token_embeddings' },
  'sequence-classification': { methodOutputName: 'logits', moduleOutputName: 'scores' },
};

/**
 * sentence_bert_config.json as sentence-transformers 6.0.1 writes it for `task` (`get_config_dict`), plus
 * `do_lower_case: true` when set (6.0.1 still reads that key; it is omitted when false, as 6.0.1 omits it).
 */
export function sentenceBertConfigFor(task: (typeof TRANSFORMER_TASKS)[number], doLowerCase = false): SentenceBertConfig {
  const out = TASK_OUTPUTS[task];
  const cfg: SentenceBertConfig = {
    transformer_task: task,
    modality_config: { text: { method: 'forward', method_output_name: out.methodOutputName } },
    module_output_name: out.moduleOutputName,
  };
  if (doLowerCase) cfg.do_lower_case = true;
  return cfg;
}

/**
 * Write a Hugging Face model folder's files as transformers 5 `save_pretrained` does (6.0.1 `Transformer.save`):
 * `config.json` (the loaded config with `dtype: "float32"` in place of `torch_dtype` and the `changes`, keys sorted;
 * from its source text when given, so that `2.0` stays a float for Python's strict config classes), `model.safetensors`
 * (every checkpoint key in PyTorch's names and [out, in] layout, from the current tensors; `__metadata__`
 * `{"format": "pt"}`), `tokenizer.json` (as read) and `tokenizer_config.json` (as read, with `model_max_length` set
 * to `maxLength` when given). Used by {@link Transformer.save} and the CrossEncoder's save.
 */
export async function saveModelFiles(
  dir: string,
  config: { raw: Record<string, unknown>; text?: string; changes?: Record<string, unknown> },
  weights: WeightMap,
  tokenizer: TokenizerAdapter,
  maxLength: number | null,
): Promise<void> {
  const tokenizerFiles = tokenizer.savedFiles(maxLength === null ? {} : { model_max_length: maxLength });
  await makeDir(dir);
  // transformers 5 records the dtype it saved in under `dtype`; the weights are written as float32
  const changes: Record<string, unknown> = { torch_dtype: undefined, dtype: 'float32', ...config.changes };
  let text: string;
  if (config.text !== undefined) {
    text = rewriteJsonObject(config.text, changes, 'config.json');
  } else {
    const cfg: Record<string, unknown> = { ...config.raw };
    for (const [k, v] of Object.entries(changes)) if (v === undefined) delete cfg[k]; else cfg[k] = v;
    text = `${JSON.stringify(sortKeys(cfg), null, 2)}\n`;
  }
  await writeFileBytes(await joinPath(dir, 'config.json'), text);
  await writeFileBytes(await joinPath(dir, 'model.safetensors'), serializeSafetensors(await weights.stateDict(), { format: 'pt' }));
  for (const [name, text] of Object.entries(tokenizerFiles)) await writeFileBytes(await joinPath(dir, name), text);
}

/**
 * A Hugging Face model folder opened for building: its parsed config.json (and its text, kept for saving; with
 * `configKwargs`, Python's `config_kwargs`, laid over both) and its checkpoint. `dtype` 'q8' (or a folder written by `quantize`, whose checkpoint holds int8 `<linear>.weight_q8` tensors, unless `dtype` is
 * 'fp32') opens the weights for int8 linear layers.
 */
async function openModelDir(
  dir: string,
  dtype?: ModelDtype,
  configKwargs?: Record<string, unknown>,
): Promise<{ config: Record<string, unknown>; configText: string; weights: WeightMap }> {
  const path = await joinPath(dir, 'config.json');
  let configText = await readFileText(path);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(configText) as Record<string, unknown>;
  } catch (e) {
    throw new ModelConfigError(`invalid JSON in ${path}: ${(e as Error).message}`, path);
  }
  if (configKwargs && Object.keys(configKwargs).length > 0) {
    // Python's config_kwargs override config.json's keys, and are saved with the model
    config = { ...config, ...configKwargs };
    configText = rewriteJsonObject(configText, configKwargs, 'config.json');
  }
  const source = await loadCheckpointDir(dir);
  // A folder written by `quantize` holds int8 `<linear>.weight_q8` tensors: read off the checkpoint's own names,
  // so that no extra file is probed (a URL folder would log a 404 for a missing marker).
  const resolved = dtype ?? (source.names().some((n) => n.endsWith(`.${Q8_VALUES_SUFFIX}`)) ? 'q8' : 'fp32');
  return { config, configText, weights: WeightMap.from(source, { dtype: resolved }) };
}

/**
 * Build a model from `weights`, then let the map's file go (closed, or its bytes freed), keeping only the tensors no
 * module read: a float32 model's weights live in its tensors, a quantized one keeps no float copy of its linear
 * weights. A build that throws closes the file too.
 */
function settle<T>(weights: WeightMap, build: () => T): T {
  let built: T;
  try {
    built = build();
  } catch (e) {
    weights.source.close?.(); // a failed build: its file goes now (the map freed its tensors)
    throw e;
  }
  weights.detachSource();
  return built;
}

/** The encoder in `dir` (config.json + model.safetensors or a sharded checkpoint; no symlink out of `dir`). The caller disposes it. */
export async function loadTransformerFromDir(dir: string, dtype?: ModelDtype): Promise<EncoderModel> {
  await checkNoLinksOutside(dir);
  const { config, weights } = await openModelDir(dir, checkModelDtype(dtype));
  return settle(weights, () => createModel(config, weights));
}

/** The `*ForSequenceClassification` model in `dir` (a cross-encoder; `dtype` as {@link Transformer.load}, `configKwargs` Python's `config_kwargs`). The caller disposes it. */
export async function loadSequenceClassifierFromDir(dir: string, dtype?: ModelDtype, configKwargs?: Record<string, unknown>): Promise<SequenceClassificationModel> {
  await checkNoLinksOutside(dir);
  return (await loadSequenceClassifierWithWeights(dir, dtype, configKwargs)).model;
}

/**
 * The `*ForSequenceClassification` model in `dir` and its checkpoint (kept for saving; the model shares its
 * tensors, so the checkpoint's `stateDict()` gives the current values). The caller disposes the model.
 */
export async function loadSequenceClassifierWithWeights(
  dir: string,
  dtype?: ModelDtype,
  configKwargs?: Record<string, unknown>,
): Promise<{ model: SequenceClassificationModel; weights: WeightMap; configText: string }> {
  const { config, configText, weights } = await openModelDir(dir, checkModelDtype(dtype), configKwargs);
  const model = settle(weights, () => createSequenceClassifier(config, weights));
  return { model, weights, configText };
}

/**
 * The Transformer module: a Hugging Face encoder and its tokenizer. Its folder holds `config.json`, the weights
 * (`model.safetensors`, or a sharded checkpoint), `tokenizer.json`, `tokenizer_config.json` (`model_max_length`)
 * and `sentence_bert_config.json` (6.x: `transformer_task`, `modality_config`, `module_output_name`; 3.x:
 * `max_seq_length`, `do_lower_case`); in a saved model it is the root folder.
 *
 * @example
 * ```ts
 * import { Transformer, Pooling, Normalize, SentenceTransformer } from 'sentence-tfjs';
 *
 * const transformer = await Transformer.load('models/all-MiniLM-L6-v2'); // reads sentence_bert_config.json too
 * transformer.maxSeqLength = 128;
 * const model = SentenceTransformer.fromModules([
 *   transformer,
 *   Pooling.fromMode(transformer.getWordEmbeddingDimension(), 'mean'),
 *   new Normalize(),
 * ]);
 * ```
 */
export class Transformer implements SentenceModule {
  /** The modules.json type sentence-transformers 6.0.1 writes (the 3.x `sentence_transformers.models.Transformer` loads too). */
  static readonly typeName = 'sentence_transformers.base.modules.transformer.Transformer';
  /** The files {@link Transformer.load} reads. */
  static readonly requiredFiles: readonly RequiredFile[] = [
    { name: 'config.json' },
    { name: 'model.safetensors', alternatives: ['model.safetensors.index.json'] },
    { name: 'tokenizer.json', note: 'the fast-tokenizer file; vocab.txt/merges.txt alone are not read' },
  ];
  /** The keys of sentence_bert_config.json this port reads (6.x and 3.x). */
  static readonly configKeys = ['transformer_task', 'modality_config', 'module_output_name', 'max_seq_length', 'do_lower_case'] as const;

  readonly typeName = Transformer.typeName;
  /** `do_lower_case`: texts are lower-cased before tokenization. */
  doLowerCase: boolean;
  /**
   * Strip every text (Python `str.strip()`, pair texts too) before tokenizing, as sentence-transformers 3.x did.
   * Default false: 6.0.1 passes the raw strings to the tokenizer (on byte-level BPE models such as RoBERTa,
   * leading/trailing whitespace becomes tokens and changes the embedding).
   */
  stripInputs: boolean;
  private _maxSeqLength: number | null;
  private readonly weights?: WeightMap;
  private readonly configText?: string;
  /** The masked-LM head of a `fill-mask` Transformer (see {@link TransformerOptions.lmHead}). */
  readonly lmHead?: MaskedLMHead;

  constructor(
    /** The encoder (HF `auto_model`). */
    readonly model: EncoderModel,
    /** The tokenizer adapter. */
    readonly tokenizer: PipelineTokenizer,
    opts: TransformerOptions = {},
  ) {
    this.weights = opts.weights;
    this.configText = opts.configText;
    this.lmHead = opts.lmHead;
    this.doLowerCase = opts.doLowerCase ?? false;
    this.stripInputs = opts.stripInputs ?? false;
    let msl = opts.maxSeqLength ?? null;
    if (msl === null) {
      const tml = tokenizer.modelMaxLength;
      msl = tml !== undefined && Number.isFinite(tml) ? Math.min(model.maxPositionEmbeddings, tml) : model.maxPositionEmbeddings;
    }
    this._maxSeqLength = null;
    if (msl > model.maxPositionEmbeddings) {
      // Python accepts this at load time and fails only on a text that long; clamp so such texts embed.
      logger.warn(`max_seq_length ${msl} exceeds the model's ${model.maxPositionEmbeddings} positions; using ${model.maxPositionEmbeddings}`);
      msl = model.maxPositionEmbeddings;
    }
    this.maxSeqLength = msl;
  }

  /**
   * Load the module saved in `dir` (Python `Transformer.load`): `sentence_bert_config.json` (optional; `opts`
   * override it; `readSentenceBertConfig: false` skips it, as Python's plain-checkpoint path does), the encoder from
   * `config.json` + weights, the tokenizer from `tokenizer.json` + `tokenizer_config.json`. A symlink in `dir`
   * resolving outside it (or outside `opts.within`) is refused.
   */
  static async load(
    dir: string,
    opts: Omit<TransformerOptions, 'weights' | 'lmHead' | 'configText'> & ModuleLoadOptions & {
      readSentenceBertConfig?: boolean;
      dtype?: ModelDtype;
      /** Python's `config_kwargs`: keys that override config.json (e.g. `{ hidden_dropout_prob: 0 }`); saved with the model. */
      configKwargs?: Record<string, unknown>;
    } = {},
    defaultTask: string = 'feature-extraction',
  ): Promise<Transformer> {
    await checkNoLinksOutside(dir, opts.within);
    const sbertPath = await joinPath(dir, 'sentence_bert_config.json');
    const readSbert = opts.readSentenceBertConfig !== false && (await pathExists(sbertPath));
    const sbert = new ConfigReader(readSbert ? await readJSONFile<Record<string, unknown>>(sbertPath) : {}, sbertPath);
    const maxSeqLength = sbert.raw.max_seq_length === null || sbert.raw.max_seq_length === undefined ? null : sbert.positiveInt('max_seq_length');
    const doLowerCase = sbert.bool('do_lower_case', false);
    const task = sbert.string('transformer_task', defaultTask);
    sbert.onlySupported('transformer_task', task, TRANSFORMER_TASKS);
    const { config, configText, weights } = await openModelDir(dir, checkModelDtype(opts.dtype), opts.configKwargs);
    const mlm = task === 'fill-mask' ? settle(weights, () => createMaskedLM(config, weights)) : undefined;
    const model = mlm ? mlm.encoder : settle(weights, () => createModel(config, weights));
    try {
      const tokenizer = await TokenizerAdapter.load(dir, model.modelType, { within: opts.within });
      const t = new Transformer(model, tokenizer, {
        maxSeqLength: opts.maxSeqLength !== undefined ? opts.maxSeqLength : maxSeqLength,
        doLowerCase: opts.doLowerCase ?? doLowerCase,
        weights,
        configText,
        lmHead: mlm?.head,
      });
      // A max_seq_length too small for the special tokens fails every encode: refuse it at load, naming the key.
      try {
        t.tokenize(['']);
      } catch (e) {
        if (/truncation/.test((e as Error).message)) {
          throw new ModelConfigError(`${sbertPath}: "max_seq_length" ${t.maxSeqLength} cannot hold a text: ${(e as Error).message}`, sbertPath, 'max_seq_length');
        }
        throw e;
      }
      return t;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** The encoder's parameters as live variables (HF names, e.g. `encoder.layer.0.attention.self.query.weight`). */
  parameters(): NamedParameter[] {
    return this.weights?.parameters() ?? [];
  }

  /** Python `get_config_dict()`: sentence_bert_config.json as 6.0.1 writes it. */
  getConfigDict(): SentenceBertConfig {
    return sentenceBertConfigFor(this.lmHead ? 'fill-mask' : 'feature-extraction', this.doLowerCase);
  }

  /**
   * Write the module as sentence-transformers 6.0.1's `Transformer.save` does: `config.json` (`dtype`), `model.safetensors`
   * (every checkpoint key, in PyTorch's names and [out, in] layout, from the current tensors; `__metadata__`
   * `{"format": "pt"}`), `tokenizer.json`, `tokenizer_config.json` (its `model_max_length` = `maxSeqLength`, where
   * 6.x keeps the max length) and `sentence_bert_config.json` (no `max_seq_length`). Needs a module built by
   * {@link Transformer.load} (it keeps the checkpoint's key map and the tokenizer files).
   */
  async save(dir: string): Promise<void> {
    if (!this.weights) throw new Error('Transformer.save: this module has no checkpoint to write (build it with Transformer.load)');
    if (!(this.tokenizer instanceof TokenizerAdapter)) throw new Error('Transformer.save: the tokenizer is not a TokenizerAdapter loaded from tokenizer.json');
    await saveModelFiles(dir, { raw: this.model.config.raw, text: this.configText }, this.weights, this.tokenizer, this._maxSeqLength);
    await writeJSONFile(await joinPath(dir, 'sentence_bert_config.json'), this.getConfigDict());
    if (this.weights.dtype === 'q8') await writeJSONFile(await joinPath(dir, Q8_MARKER_FILE), q8Marker());
  }

  /** 'q8' when the encoder's linear layers are int8 (loaded with `dtype: 'q8'` or from a quantized folder), else 'fp32'. */
  get dtype(): ModelDtype {
    return this.weights?.dtype ?? 'fp32';
  }

  /** `max_seq_length`: texts longer than this (in tokens, special tokens included) are truncated. */
  get maxSeqLength(): number | null {
    return this._maxSeqLength;
  }

  set maxSeqLength(value: number | null) {
    if (value === null) {
      this._maxSeqLength = null;
      return;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new RangeError(`maxSeqLength (max_seq_length) must be a positive integer, got ${JSON.stringify(value)}`);
    }
    const limit = this.model.maxPositionEmbeddings;
    if (value > limit) {
      throw new RangeError(`maxSeqLength (max_seq_length) ${value} exceeds what the ${this.model.modelType} model can embed (${limit} positions)`);
    }
    this._maxSeqLength = value;
  }

  /** Whether batches carry `token_type_ids`: the model reads them and Python's tokenizer returns them. */
  get usesTokenTypes(): boolean {
    return this.model.usesTokenTypes && (this.tokenizer.returnsTokenTypeIds ?? true);
  }

  /** The hidden size H of the token embeddings. */
  getWordEmbeddingDimension(): number {
    return this.model.hiddenSize;
  }

  /** Lower-case one text when `doLowerCase` (and strip it, Python whitespace, when `stripInputs`). */
  prepareText(text: string): string {
    const s = this.stripInputs ? pyStrip(text) : text;
    return this.doLowerCase ? s.toLowerCase() : s;
  }

  /**
   * `prompt_length` of a prompt (6.0.1 `Transformer._get_prompt_length`): its token count when tokenized alone,
   * less a trailing special token (the [SEP] / EOS the post-processor appends). Used by Pooling with
   * `include_prompt: false`.
   */
  promptLength(prompt: string): number {
    const [enc] = this.tokenizer.encodeInputs([this.prepareText(prompt)], this._maxSeqLength);
    const n = enc.ids.length;
    const trailingSpecial = enc.specialTokensMask === undefined || (n > 0 && enc.specialTokensMask[n - 1] === 1);
    return trailingSpecial && n > 0 ? n - 1 : n;
  }

  /**
   * Tokenize texts (or pairs) as 6.0.1's `Transformer.preprocess`: lower-case when configured, truncate
   * `longest_first` at `maxSeqLength`, pad to the longest row on the tokenizer's `padding_side`.
   */
  tokenize(texts: readonly string[] | readonly (readonly [string, string])[]): TokenizedBatch {
    let encodings;
    if (texts.length > 0 && Array.isArray(texts[0])) {
      const pairs = (texts as readonly (readonly [string, string])[]).map((p) => [this.prepareText(p[0]), this.prepareText(p[1])] as const);
      encodings = this.tokenizer.encodeInputs(pairs, this._maxSeqLength);
    } else {
      encodings = this.tokenizer.encodeInputs((texts as readonly string[]).map((t) => this.prepareText(t)), this._maxSeqLength);
    }
    return padBatch(encodings, this.tokenizer.padTokenId, this.usesTokenTypes, this.tokenizer.paddingSide ?? 'right');
  }

  /** Tensors for a tokenized batch (int32 [B, T]); the caller owns them. */
  toFeatures(batch: TokenizedBatch): Features {
    return batchToTensors(batch);
  }

  forward(features: Features, opts: PipelineForwardOptions = {}): Features {
    const out = this.model.forward(
      { inputIds: features.inputIds, attentionMask: features.attentionMask, tokenTypeIds: this.usesTokenTypes ? features.tokenTypeIds : undefined },
      { outputHiddenStates: opts.outputHiddenStates, outputAttentions: opts.outputAttentions, taps: opts.taps },
    );
    return {
      ...features,
      tokenEmbeddings: this.lmHead ? this.lmHead.apply(out.lastHiddenState) : out.lastHiddenState, // [B, T, V] logits for fill-mask
      allLayerEmbeddings: out.hiddenStates,
      attentions: out.attentions,
      intermediates: out.intermediates,
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** A copy of a JSON value with every object's keys sorted (transformers writes config.json with `sort_keys=True`). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = sortKeys(obj[k]);
  return out;
}

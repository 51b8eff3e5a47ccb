/**
 * The Transformer module: tokenizes texts as sentence-transformers does and runs the encoder, setting
 * `token_embeddings` (the last hidden state).
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Transformer.py
 *
 * Tokenization copies `Transformer.tokenize`: every text is `str.strip()`-ped (Python whitespace), lower-cased
 * when `do_lower_case`, then `tokenizer(texts, padding=True, truncation="longest_first", max_length=max_seq_length)`.
 * The truncation/padding settings stored in tokenizer.json are ignored, as Python ignores them.
 */
import { ModelConfigError } from '../formats/errors.js';
import { ConfigReader } from '../models/config.js';
import { createMaskedLM, createModel, createSequenceClassifier, type MaskedLMHead } from '../models/index.js';
import type { EncoderModel, SequenceClassificationModel } from '../models/types.js';
import { joinPath, makeDir, pathExists, readJSONFile, writeFileBytes, writeJSONFile } from '../platform/fs.js';
import { loadCheckpointDir, serializeSafetensors, WeightMap } from '../weights/index.js';
import { logger } from '../util/logger.js';
import { pyStrip } from './text.js';
import { batchToTensors, padBatch, type PipelineTokenizer, type TokenizedBatch } from './tokenized_batch.js';
import { TokenizerAdapter } from './tokenizer_adapter.js';
import type { Features, PipelineForwardOptions, RequiredFile, SentenceModule } from './types.js';

/** Options of the {@link Transformer} module (the `sentence_bert_config.json` keys, in camelCase). */
export interface TransformerOptions {
  /** `max_seq_length` (sentence_bert_config.json); default min(max_position_embeddings, tokenizer model_max_length). */
  maxSeqLength?: number | null;
  /** `do_lower_case` (sentence_bert_config.json). */
  doLowerCase?: boolean;
  /**
   * The checkpoint the model was built from, for {@link Transformer.save} (set by {@link Transformer.load}; the
   * model owns it and frees it on dispose).
   */
  weights?: WeightMap;
  /**
   * The masked-LM head for `transformer_task: "fill-mask"` (SPLADE): `forward` then sets `tokenEmbeddings` to the
   * token logits [B, T, vocab_size] instead of the last hidden state.
   */
  lmHead?: MaskedLMHead;
}

/** The `transformer_task` values a saved Transformer may name (sentence-transformers 6.x sentence_bert_config.json). */
const TRANSFORMER_TASKS = ['feature-extraction', 'fill-mask', 'sequence-classification'] as const;

/** sentence_bert_config.json: the Transformer module's own settings. */
export interface SentenceBertConfig {
  max_seq_length?: number | null;
  do_lower_case?: boolean;
  /** sentence-transformers 6.x: `fill-mask` for SPLADE's MLM logits (written only then). */
  transformer_task?: string;
}

/** A Hugging Face model folder opened for building: its parsed config.json and its checkpoint. */
async function openModelDir(dir: string): Promise<{ config: Record<string, unknown>; weights: WeightMap }> {
  const config = await readJSONFile<Record<string, unknown>>(await joinPath(dir, 'config.json'));
  return { config, weights: WeightMap.from(await loadCheckpointDir(dir)) };
}

/** The encoder in `dir` (config.json + model.safetensors or a sharded checkpoint). The caller disposes it. */
export async function loadTransformerFromDir(dir: string): Promise<EncoderModel> {
  const { config, weights } = await openModelDir(dir);
  return createModel(config, weights);
}

/** The `*ForSequenceClassification` model in `dir` (a cross-encoder). The caller disposes it. */
export async function loadSequenceClassifierFromDir(dir: string): Promise<SequenceClassificationModel> {
  const { config, weights } = await openModelDir(dir);
  return createSequenceClassifier(config, weights);
}

/**
 * The Transformer module: a Hugging Face encoder and its tokenizer. Its folder holds `config.json`, the weights
 * (`model.safetensors`, or a sharded checkpoint), `tokenizer.json`, `tokenizer_config.json` and
 * `sentence_bert_config.json` (`max_seq_length`, `do_lower_case`); in a saved model it is the root folder.
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
  /** The 3.x modules.json type. */
  static readonly typeName = 'sentence_transformers.models.Transformer';
  /** The files {@link Transformer.load} reads. */
  static readonly requiredFiles: readonly RequiredFile[] = [
    { name: 'config.json' },
    { name: 'model.safetensors', alternatives: ['model.safetensors.index.json'] },
    { name: 'tokenizer.json', note: 'the fast-tokenizer file; vocab.txt/merges.txt alone are not read' },
  ];
  /** Python's `config_keys`: the keys of sentence_bert_config.json. */
  static readonly configKeys = ['max_seq_length', 'do_lower_case'] as const;

  readonly typeName = Transformer.typeName;
  /** `do_lower_case`: texts are lower-cased before tokenization. */
  doLowerCase: boolean;
  private _maxSeqLength: number | null;
  private readonly weights?: WeightMap;
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
    this.lmHead = opts.lmHead;
    this.doLowerCase = opts.doLowerCase ?? false;
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
   * `config.json` + weights, the tokenizer from `tokenizer.json` + `tokenizer_config.json`.
   */
  static async load(
    dir: string,
    opts: Omit<TransformerOptions, 'weights' | 'lmHead'> & { readSentenceBertConfig?: boolean } = {},
    defaultTask: string = 'feature-extraction',
  ): Promise<Transformer> {
    const sbertPath = await joinPath(dir, 'sentence_bert_config.json');
    const readSbert = opts.readSentenceBertConfig !== false && (await pathExists(sbertPath));
    const sbert = new ConfigReader(readSbert ? await readJSONFile<Record<string, unknown>>(sbertPath) : {}, sbertPath);
    const maxSeqLength = sbert.raw.max_seq_length === null || sbert.raw.max_seq_length === undefined ? null : sbert.positiveInt('max_seq_length');
    const doLowerCase = sbert.bool('do_lower_case', false);
    const task = sbert.string('transformer_task', defaultTask);
    sbert.onlySupported('transformer_task', task, TRANSFORMER_TASKS);
    const { config, weights } = await openModelDir(dir);
    const mlm = task === 'fill-mask' ? createMaskedLM(config, weights) : undefined;
    const model = mlm ? mlm.encoder : createModel(config, weights);
    try {
      const tokenizer = await TokenizerAdapter.load(dir, model.modelType);
      const t = new Transformer(model, tokenizer, {
        maxSeqLength: opts.maxSeqLength !== undefined ? opts.maxSeqLength : maxSeqLength,
        doLowerCase: opts.doLowerCase ?? doLowerCase,
        weights,
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

  /** Python `get_config_dict()`: sentence_bert_config.json. */
  getConfigDict(): SentenceBertConfig {
    const cfg: SentenceBertConfig = { max_seq_length: this._maxSeqLength, do_lower_case: this.doLowerCase };
    if (this.lmHead) cfg.transformer_task = 'fill-mask';
    return cfg;
  }

  /**
   * Write the module as Python's `Transformer.save` does: `config.json` and `model.safetensors` (every checkpoint
   * key, in PyTorch's names and [out, in] layout, from the current tensors; `__metadata__` `{"format": "pt"}`),
   * `tokenizer.json` and `tokenizer_config.json`, and `sentence_bert_config.json`. Needs a module built by
   * {@link Transformer.load} (it keeps the checkpoint's key map and the tokenizer files).
   */
  async save(dir: string): Promise<void> {
    if (!this.weights) throw new Error('Transformer.save: this module has no checkpoint to write (build it with Transformer.load)');
    if (!(this.tokenizer instanceof TokenizerAdapter)) throw new Error('Transformer.save: the tokenizer is not a TokenizerAdapter loaded from tokenizer.json');
    const tokenizerFiles = this.tokenizer.savedFiles();
    await makeDir(dir);
    const config: Record<string, unknown> = { ...this.model.config.raw };
    // transformers' save_pretrained records the dtype it saves in; the weights are written as float32
    if ('torch_dtype' in config) config.torch_dtype = 'float32';
    await writeFileBytes(await joinPath(dir, 'config.json'), `${JSON.stringify(sortKeys(config), null, 2)}\n`);
    await writeFileBytes(await joinPath(dir, 'model.safetensors'), serializeSafetensors(await this.weights.stateDict(), { format: 'pt' }));
    for (const [name, text] of Object.entries(tokenizerFiles)) await writeFileBytes(await joinPath(dir, name), text);
    await writeJSONFile(await joinPath(dir, 'sentence_bert_config.json'), this.getConfigDict());
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

  /** Strip (Python whitespace) and optionally lower-case one text. */
  prepareText(text: string): string {
    const s = pyStrip(text);
    return this.doLowerCase ? s.toLowerCase() : s;
  }

  /**
   * Tokenize texts (or pairs) as Python's `Transformer.tokenize`: strip, lower-case when configured, truncate
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

/**
 * Building a model from a parsed config.json and a {@link WeightMap}, dispatching on `model_type`.
 * A new architecture is a new file plus one line in {@link ARCHITECTURES}.
 */
import type { WeightMap } from '../weights/index.js';
import { BERT_HEAD, BertModel, parseBertConfig } from './bert.js';
import { checkDeclaredSizes, numLabelsFromConfig } from './config.js';
import { ModelConfigError, previewValue } from '../formats/errors.js';
import { DISTILBERT_HEAD, DistilBertModel, parseDistilBertConfig } from './distilbert.js';
import { Gemma3TextModel, parseGemma3Config } from './gemma3.js';
import { ClassificationHead, SequenceClassifier, type HeadSpec } from './heads.js';
import { BERT_MLM_HEAD, MaskedLM, MaskedLMHead, type MaskedLMHeadSpec } from './mlm_head.js';
import { modernBertHead, ModernBertModel, parseModernBertConfig } from './modernbert.js';
import { MPNET_HEAD, MPNetModel, parseMPNetConfig } from './mpnet.js';
import { parseQwen3Config, Qwen3Model } from './qwen3.js';
import { parseRobertaConfig, ROBERTA_HEAD, RobertaModel } from './roberta.js';
import type { BaseConfig, EncoderModel, SequenceClassificationModel } from './types.js';

/** What the factories need of an encoder besides {@link EncoderModel} (every `ModelBase`: the BERT family via EncoderBase, ModernBertModel, Gemma3TextModel, Qwen3Model). */
interface BuiltEncoder extends EncoderModel {
  readonly config: BaseConfig;
  /** The view under the base-model prefix (heads read BERT's pooler there). */
  readonly baseWeights: WeightMap;
  /** Take the load report now (before a head reads more keys). */
  sealReport(): void;
}

/**
 * One architecture: its encoder from config.json and the checkpoint, and its classification head's names (or,
 * where the config shapes the head, a function of config.json giving them).
 */
interface Architecture {
  encoder: (raw: Record<string, unknown>, weights: WeightMap) => BuiltEncoder;
  /** Absent: no sequence-classification head is implemented for this model_type. */
  head?: HeadSpec | ((raw: Record<string, unknown>) => HeadSpec);
  /** Its `*ForMaskedLM` head, when supported. */
  mlm?: MaskedLMHeadSpec;
}

const ARCHITECTURES: Record<string, Architecture> = {
  bert: { encoder: (raw, w) => new BertModel(parseBertConfig(raw, 'bert'), w), head: BERT_HEAD, mlm: BERT_MLM_HEAD },
  roberta: { encoder: (raw, w) => new RobertaModel(parseRobertaConfig(raw, 'roberta'), w), head: ROBERTA_HEAD },
  'xlm-roberta': { encoder: (raw, w) => new RobertaModel(parseRobertaConfig(raw, 'xlm-roberta'), w), head: ROBERTA_HEAD },
  distilbert: { encoder: (raw, w) => new DistilBertModel(parseDistilBertConfig(raw), w), head: DISTILBERT_HEAD },
  mpnet: { encoder: (raw, w) => new MPNetModel(parseMPNetConfig(raw), w), head: MPNET_HEAD },
  gemma3_text: { encoder: (raw, w) => new Gemma3TextModel(parseGemma3Config(raw), w) },
  qwen3: { encoder: (raw, w) => new Qwen3Model(parseQwen3Config(raw), w) },
  modernbert: { encoder: (raw, w) => new ModernBertModel(parseModernBertConfig(raw), w), head: modernBertHead },
};

/** The `model_type` values {@link createModel} accepts. */
export function supportedModelTypes(): string[] {
  return Object.keys(ARCHITECTURES);
}

function architectureOf(config: Record<string, unknown>): Architecture {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ModelConfigError(`config must be the parsed config.json object, got ${previewValue(config)}`, 'config.json');
  }
  const t = config.model_type;
  if (typeof t !== 'string' || !Object.prototype.hasOwnProperty.call(ARCHITECTURES, t)) {
    throw new ModelConfigError(`unsupported model_type ${previewValue(t)} in config.json; supported: ${supportedModelTypes().join(', ')}`, 'config.json', 'model_type');
  }
  return ARCHITECTURES[t];
}

/** Run `build` over `weights`, freeing them when it throws (a failed load leaves no tensors behind). */
function owning<T>(weights: WeightMap, build: () => T): T {
  try {
    return build();
  } catch (e) {
    weights.dispose();
    throw e;
  }
}

/** The encoder with its load report taken (before a head reads more keys). */
function encoderOf(arch: Architecture, config: Record<string, unknown>, weights: WeightMap): BuiltEncoder {
  // Before anything is built: declared sizes the checkpoint cannot back are refused (no 1e9-layer loops).
  checkDeclaredSizes(config, weights, `${String(config.model_type)} config`);
  const encoder = arch.encoder(config, weights);
  encoder.sealReport();
  return encoder;
}

/**
 * The encoder for `config` (config.json, parsed) over `weights` (the checkpoint; owned by the model from now on:
 * `model.dispose()` frees it, and so does a failed load). Base-model prefixes (`bert.`, `roberta.`, ...) are detected.
 */
export function createModel(config: Record<string, unknown>, weights: WeightMap): EncoderModel {
  return owning(weights, () => encoderOf(architectureOf(config), config, weights));
}

/**
 * The `*ForSequenceClassification` model for `config` over `weights` (a cross-encoder checkpoint): the encoder
 * plus its head; `num_labels` comes from `id2label` (else `num_labels`, else 2) as in transformers.
 */
export function createSequenceClassifier(config: Record<string, unknown>, weights: WeightMap): SequenceClassificationModel {
  return owning(weights, () => {
    const arch = architectureOf(config);
    if (!arch.head) throw new ModelConfigError(`model_type ${JSON.stringify(config.model_type)} has no sequence-classification head in sentence-tfjs (supported: ${Object.keys(ARCHITECTURES).filter((k) => ARCHITECTURES[k].head).join(', ')})`, 'config.json', 'model_type');
    const numLabels = numLabelsFromConfig(config, String(config.model_type));
    const encoder = encoderOf(arch, config, weights);
    const spec = typeof arch.head === 'function' ? arch.head(config) : arch.head;
    const head = new ClassificationHead(spec, weights, encoder.baseWeights, encoder.hiddenSize, numLabels);
    return new SequenceClassifier(encoder, head, numLabels, weights);
  });
}

/**
 * The `*ForMaskedLM` model for `config` over `weights` (a fill-mask / SPLADE checkpoint): the encoder plus its MLM
 * head, token logits [B, T, vocab_size]. The decoder is tied to the word embeddings unless `tie_word_embeddings` is
 * false.
 */
export function createMaskedLM(config: Record<string, unknown>, weights: WeightMap): MaskedLM {
  return owning(weights, () => {
    const arch = architectureOf(config);
    if (!arch.mlm) {
      const ok = Object.keys(ARCHITECTURES).filter((k) => ARCHITECTURES[k].mlm);
      throw new ModelConfigError(`model_type ${JSON.stringify(config.model_type)}: no masked-LM (fill-mask) head is implemented; supported: ${ok.join(', ')}`, 'config.json', 'model_type');
    }
    const encoder = encoderOf(arch, config, weights);
    const head = new MaskedLMHead(arch.mlm, weights, encoder.baseWeights, encoder.config);
    return new MaskedLM(encoder, head, weights);
  });
}

export * from './types.js';
export { BertModel, type BertConfig } from './bert.js';
export { RobertaModel, type RobertaConfig } from './roberta.js';
export { DistilBertModel, type DistilBertConfig } from './distilbert.js';
export { ModernBertModel, type ModernBertConfig, type ModernBertLayerType } from './modernbert.js';
export { MPNetModel, relativePositionBucket, relativePositionBuckets, type MPNetConfig } from './mpnet.js';
export { SequenceClassifier } from './heads.js';
export { MaskedLM, MaskedLMHead, type MaskedLMOutput } from './mlm_head.js';

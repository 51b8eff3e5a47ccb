/**
 * BERT (and MiniLM, which is BERT): embeddings, the encoder stack, config parsing.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/configuration_bert.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation } from '../layers/activations.js';
import { SelfAttention } from '../layers/attention.js';
import { AttentionMask } from '../layers/attention_mask.js';
import { absolutePositionIds, Embeddings } from '../layers/embeddings.js';
import { FeedForward } from '../layers/feed_forward.js';
import { LayerNorm } from '../layers/layer_norm.js';
import { Linear } from '../layers/linear.js';
import type { WeightMap } from '../weights/index.js';
import { ConfigReader } from './config.js';
import { basePrefix, EncoderBase, type AttentionContext, type EncoderLayer, type LayerContext, type ResolvedInputs } from './encoder_base.js';
import type { BaseConfig } from './types.js';

/**
 * BERT's config.json keys (snake_case as-is). Shape-defining keys are required; the others take
 * `BertConfig`'s documented defaults when absent.
 */
export interface BertConfig extends BaseConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  /** Default "gelu" (exact erf). */
  hidden_act: string;
  /** Default 2. */
  type_vocab_size: number;
  /** Default 1e-12. */
  layer_norm_eps: number;
  /** Default 0. */
  pad_token_id: number;
  /** Only "absolute" is supported. */
  position_embedding_type: string;
}

/** Parse and validate a BERT-family config.json (`what` names the family in errors). */
export function parseBertConfig(raw: Record<string, unknown>, what = 'bert', defaults: { layer_norm_eps?: number; pad_token_id?: number; type_vocab_size?: number } = {}): BertConfig {
  const r = new ConfigReader(raw, `${what} config`);
  const cfg: BertConfig = {
    model_type: r.string('model_type', what),
    raw,
    vocab_size: r.positiveInt('vocab_size'),
    hidden_size: r.positiveInt('hidden_size'),
    num_hidden_layers: r.positiveInt('num_hidden_layers'),
    num_attention_heads: r.positiveInt('num_attention_heads'),
    intermediate_size: r.positiveInt('intermediate_size'),
    max_position_embeddings: r.positiveInt('max_position_embeddings'),
    hidden_act: r.string('hidden_act', 'gelu'),
    type_vocab_size: r.positiveInt('type_vocab_size', defaults.type_vocab_size ?? 2),
    layer_norm_eps: r.positiveNumber('layer_norm_eps', defaults.layer_norm_eps ?? 1e-12),
    pad_token_id: r.nonNegativeInt('pad_token_id', defaults.pad_token_id ?? 0),
    position_embedding_type: r.string('position_embedding_type', 'absolute'),
  };
  r.onlySupported('position_embedding_type', cfg.position_embedding_type, ['absolute']);
  r.onlySupported('is_decoder', r.bool('is_decoder', false), [false]);
  r.onlySupported('add_cross_attention', r.bool('add_cross_attention', false), [false]);
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new Error(`${what} config: hidden_size (${cfg.hidden_size}) must be a multiple of num_attention_heads (${cfg.num_attention_heads})`);
  }
  getActivation(cfg.hidden_act);
  return cfg;
}

/** `BertLayer`: self-attention + output dense + residual LayerNorm, then the feed-forward block + residual LayerNorm. */
export class BertLayer implements EncoderLayer {
  readonly attention: SelfAttention;
  readonly attentionOutput: Linear;
  readonly attentionNorm: LayerNorm;
  readonly ffn: FeedForward;
  readonly outputNorm: LayerNorm;

  constructor(wm: WeightMap, c: BertConfig) {
    const h = c.hidden_size;
    this.attention = SelfAttention.load(wm.pp('attention.self'), ['query', 'key', 'value'], h, c.num_attention_heads);
    this.attentionOutput = Linear.load(wm, 'attention.output.dense', h, h);
    this.attentionNorm = LayerNorm.load(wm, 'attention.output.LayerNorm', h, c.layer_norm_eps);
    this.ffn = new FeedForward(
      Linear.load(wm, 'intermediate.dense', h, c.intermediate_size),
      Linear.load(wm, 'output.dense', c.intermediate_size, h),
      getActivation(c.hidden_act),
    );
    this.outputNorm = LayerNorm.load(wm, 'output.LayerNorm', h, c.layer_norm_eps);
  }

  static readonly TAPS = ['attention', 'attention.self', 'attention.output', 'intermediate', 'output'] as const;

  apply(x: tf.Tensor3D, ctx: LayerContext, prefix: string): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { taps } = ctx;
    const { context, probs } = this.attention.apply(x, ctx); // [B, T, H]
    taps.put(`${prefix}.attention.self`, context);
    const attended = this.attentionNorm.apply(this.attentionOutput.apply(context), x); // [B, T, H]
    taps.put(`${prefix}.attention.output`, attended);
    taps.put(`${prefix}.attention`, attended);
    const inter = this.ffn.expand(attended); // [B, T, I]
    taps.put(`${prefix}.intermediate`, inter);
    const output = this.outputNorm.apply(this.ffn.contract(inter), attended); // [B, T, H]
    taps.put(`${prefix}.output`, output);
    return { output, probs };
  }
}

/** The optional `pooler`: dense + tanh on the first token (used by BertForSequenceClassification). */
export class BertPooler {
  readonly dense: Linear;
  constructor(wm: WeightMap, hidden: number) {
    this.dense = Linear.load(wm, 'dense', hidden, hidden);
  }
  /** hidden [B, T, H] -> [B, H]. */
  apply(hidden: tf.Tensor3D): tf.Tensor2D {
    const [b, , h] = hidden.shape;
    const first = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, h]), [b, h]); // [B, H]
    return tf.tanh(this.dense.apply(first)) as tf.Tensor2D;
  }
}

/**
 * `BertModel` without the pooler (loaded separately by heads). Accepts checkpoints with or without the `bert.` prefix.
 * Subclasses change the position ids (RoBERTa) through {@link BertModel.positionIds}.
 */
export class BertModel extends EncoderBase<BertConfig> {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly maxPositionEmbeddings: number;
  readonly padTokenId: number;
  readonly usesTokenTypes = true;
  readonly vocabSize: number;
  readonly typeVocabSize: number;
  protected readonly layerPath = 'encoder.layer';
  protected readonly layerTaps = BertLayer.TAPS;
  protected readonly layers: BertLayer[];
  readonly embeddings: Embeddings;

  /** Base-model prefixes accepted besides the root. */
  static readonly PREFIXES: readonly string[] = ['bert'];

  constructor(config: BertConfig, root: WeightMap, prefixes: readonly string[] = BertModel.PREFIXES) {
    super(config, root, root.pp(basePrefix(root, 'embeddings.word_embeddings.weight', prefixes, config.model_type)));
    this.hiddenSize = config.hidden_size;
    this.numLayers = config.num_hidden_layers;
    this.numHeads = config.num_attention_heads;
    this.maxPositionEmbeddings = this.usablePositions(config);
    this.padTokenId = config.pad_token_id;
    this.vocabSize = config.vocab_size;
    this.typeVocabSize = config.type_vocab_size;
    try {
      this.embeddings = new Embeddings(this.wm.pp('embeddings'), {
        vocabSize: config.vocab_size,
        hiddenSize: config.hidden_size,
        maxPositions: config.max_position_embeddings,
        typeVocabSize: config.type_vocab_size,
        layerNormEps: config.layer_norm_eps,
      });
      this.layers = Array.from({ length: config.num_hidden_layers }, (_, i) => new BertLayer(this.wm.pp(`encoder.layer.${i}`), config));
    } catch (e) {
      root.dispose();
      throw e;
    }
    this.sealReport();
  }

  /** The base-model view (`bert.` etc.), for heads that read the pooler. */
  get baseWeights(): WeightMap {
    return this.wm;
  }

  /** Longest sequence the position table supports. */
  protected usablePositions(c: BertConfig): number {
    return c.max_position_embeddings;
  }

  /** BERT: `position_ids = arange(T)` -> [1, T]. */
  protected positionIds(inputIds: tf.Tensor2D): tf.Tensor2D {
    return absolutePositionIds(inputIds.shape[1]); // [1, T]
  }

  protected embed(inputs: ResolvedInputs): tf.Tensor3D {
    // BertEmbeddings: (word + token_type) + position, LayerNorm.
    return this.embeddings.apply(inputs.inputIds, this.positionIds(inputs.inputIds), inputs.tokenTypeIds);
  }

  /** HF's additive mask, `(1 - mask) * finfo.min`. */
  protected attentionContext(inputs: ResolvedInputs): AttentionContext {
    return { mask: AttentionMask.additive(inputs.attentionMask) };
  }
}

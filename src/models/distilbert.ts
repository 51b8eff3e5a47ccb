/**
 * DistilBERT: learned positions without token types, queries scaled before the matmul, the mask applied with
 * `masked_fill(mask == 0, finfo(float32).min)`, post-LayerNorm blocks `sa_layer_norm` / `output_layer_norm`.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/configuration_distilbert.py
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

/** DistilBERT's LayerNorms use a fixed eps (not configurable). */
export const DISTILBERT_LAYER_NORM_EPS = 1e-12;

/** DistilBERT's config.json keys (its own names: `dim`, `n_layers`, `n_heads`, `hidden_dim`, `activation`). */
export interface DistilBertConfig extends BaseConfig {
  vocab_size: number;
  dim: number;
  n_layers: number;
  n_heads: number;
  hidden_dim: number;
  max_position_embeddings: number;
  /** Default "gelu". */
  activation: string;
  /** Default 0. */
  pad_token_id: number;
  /** Default false; either way the position table comes from the checkpoint. */
  sinusoidal_pos_embds: boolean;
}

/** Parse and validate a `distilbert` config.json. */
export function parseDistilBertConfig(raw: Record<string, unknown>): DistilBertConfig {
  const r = new ConfigReader(raw, 'distilbert config');
  const cfg: DistilBertConfig = {
    model_type: r.string('model_type', 'distilbert'),
    raw,
    vocab_size: r.positiveInt('vocab_size'),
    dim: r.positiveInt('dim'),
    n_layers: r.positiveInt('n_layers'),
    n_heads: r.positiveInt('n_heads'),
    hidden_dim: r.positiveInt('hidden_dim'),
    max_position_embeddings: r.positiveInt('max_position_embeddings'),
    activation: r.string('activation', 'gelu'),
    pad_token_id: r.nonNegativeInt('pad_token_id', 0),
    sinusoidal_pos_embds: r.bool('sinusoidal_pos_embds', false),
  };
  if (cfg.dim % cfg.n_heads !== 0) throw new Error(`distilbert config: dim (${cfg.dim}) must be a multiple of n_heads (${cfg.n_heads})`);
  getActivation(cfg.activation, 'activation');
  return cfg;
}

/** `TransformerBlock`: attention -> out_lin -> sa_layer_norm(+x) -> ffn (lin1, activation, lin2) -> output_layer_norm(+sa). */
export class DistilBertLayer implements EncoderLayer {
  readonly attention: SelfAttention;
  readonly outLin: Linear;
  readonly saLayerNorm: LayerNorm;
  readonly ffn: FeedForward;
  readonly outputLayerNorm: LayerNorm;

  static readonly TAPS = ['attention', 'sa_layer_norm', 'ffn', 'output_layer_norm'] as const;

  constructor(wm: WeightMap, c: DistilBertConfig) {
    const d = c.dim;
    this.attention = SelfAttention.load(wm.pp('attention'), ['q_lin', 'k_lin', 'v_lin'], d, c.n_heads, { scaleQuery: true });
    this.outLin = Linear.load(wm, 'attention.out_lin', d, d);
    this.saLayerNorm = LayerNorm.load(wm, 'sa_layer_norm', d, DISTILBERT_LAYER_NORM_EPS);
    this.ffn = FeedForward.load(wm, 'ffn.lin1', 'ffn.lin2', d, c.hidden_dim, getActivation(c.activation, 'activation'));
    this.outputLayerNorm = LayerNorm.load(wm, 'output_layer_norm', d, DISTILBERT_LAYER_NORM_EPS);
  }

  apply(x: tf.Tensor3D, ctx: LayerContext, prefix: string): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { taps } = ctx;
    const { context, probs } = this.attention.apply(x, ctx); // [B, T, D]
    const sa = this.outLin.apply(context); // [B, T, D]
    taps.put(`${prefix}.attention`, sa);
    const normed = this.saLayerNorm.apply(sa, x); // [B, T, D]
    taps.put(`${prefix}.sa_layer_norm`, normed);
    const ffn = this.ffn.contract(this.ffn.expand(normed)); // [B, T, D]
    taps.put(`${prefix}.ffn`, ffn);
    const output = this.outputLayerNorm.apply(ffn, normed); // [B, T, D]
    taps.put(`${prefix}.output_layer_norm`, output);
    return { output, probs };
  }
}

/** `DistilBertModel`; accepts checkpoints with the `distilbert.` prefix. */
export class DistilBertModel extends EncoderBase<DistilBertConfig> {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly maxPositionEmbeddings: number;
  readonly padTokenId: number;
  readonly usesTokenTypes = false;
  readonly vocabSize: number;
  readonly typeVocabSize = 0;
  protected readonly layerPath = 'transformer.layer';
  protected readonly layerTaps = DistilBertLayer.TAPS;
  protected readonly layers: DistilBertLayer[];
  readonly embeddings: Embeddings;

  constructor(config: DistilBertConfig, root: WeightMap) {
    super(config, root, root.pp(basePrefix(root, 'embeddings.word_embeddings.weight', ['distilbert'], 'distilbert')));
    this.hiddenSize = config.dim;
    this.numLayers = config.n_layers;
    this.numHeads = config.n_heads;
    this.maxPositionEmbeddings = config.max_position_embeddings;
    this.padTokenId = config.pad_token_id;
    this.vocabSize = config.vocab_size;
    try {
      this.embeddings = new Embeddings(this.wm.pp('embeddings'), {
        vocabSize: config.vocab_size,
        hiddenSize: config.dim,
        maxPositions: config.max_position_embeddings,
        typeVocabSize: 0,
        layerNormEps: DISTILBERT_LAYER_NORM_EPS,
      });
      this.layers = Array.from({ length: config.n_layers }, (_, i) => new DistilBertLayer(this.wm.pp(`transformer.layer.${i}`), config));
    } catch (e) {
      root.dispose();
      throw e;
    }
    this.sealReport();
  }

  /** word + position (arange(T)), then LayerNorm. */
  protected embed(inputs: ResolvedInputs): tf.Tensor3D {
    return this.embeddings.apply(inputs.inputIds, absolutePositionIds(inputs.inputIds.shape[1]));
  }

  /** `masked_fill(mask == 0, finfo.min)`. */
  protected attentionContext(inputs: ResolvedInputs): AttentionContext {
    return { mask: AttentionMask.fill(inputs.attentionMask) };
  }
}

/**
 * DistilBERT: learned positions without token types, queries scaled before the matmul, the mask applied with
 * `masked_fill(mask == 0, finfo(float32).min)`, post-LayerNorm blocks `sa_layer_norm` / `output_layer_norm`.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/configuration_distilbert.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { encoderLayer } from '../kernels/ops.js';
import { gelu, getActivation, type Activation } from '../layers/activations.js';
import { SelfAttention } from '../layers/attention.js';
import { dropoutActive, hiddenDropout } from '../layers/dropout.js';
import { AttentionMask } from '../layers/attention_mask.js';
import type { LayerNorm } from '../layers/layer_norm.js';
import type { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import { ConfigReader, ownKeys, readEncoderShape, type AttributeMap } from './config.js';
import { EncoderBase, type AttentionContext, type EncoderLayer, type LayerContext, type ResolvedInputs } from './encoder_base.js';
import type { HeadSpec } from './heads.js';
import type { BaseConfig, EncoderShape } from './types.js';

/** DistilBERT's LayerNorms use a fixed eps (not configurable). */
const DISTILBERT_LAYER_NORM_EPS = 1e-12;

/** `DistilBertConfig.attribute_map`, plus `activation` and `hidden_dim` (which transformers reads by their own names). */
const DISTILBERT_ATTRIBUTE_MAP = {
  hidden_size: 'dim',
  num_hidden_layers: 'n_layers',
  num_attention_heads: 'n_heads',
  intermediate_size: 'hidden_dim',
  hidden_act: 'activation',
} as const satisfies AttributeMap;

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
  const model_type = r.string('model_type', 'distilbert');
  const s = readEncoderShape(r, { keys: DISTILBERT_ATTRIBUTE_MAP, fixed: { type_vocab_size: 0, layer_norm_eps: DISTILBERT_LAYER_NORM_EPS } });
  return { model_type, raw, shape: s, ...ownKeys(s, DISTILBERT_ATTRIBUTE_MAP), sinusoidal_pos_embds: r.bool('sinusoidal_pos_embds', false) };
}

/** `MultiHeadSelfAttention` (`attention`): `q_lin`, `k_lin`, `v_lin` (queries scaled first), then `out_lin`. */
class DistilBertAttention extends Module {
  /** The `q_lin`, `k_lin`, `v_lin` projections and the head split. */
  readonly attention: SelfAttention;
  readonly out_lin: Linear;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.attention = SelfAttention.load(wm, ['q_lin', 'k_lin', 'v_lin'], c.hidden_size, c.num_attention_heads, { scaleQuery: true });
    this.out_lin = this.linear('out_lin', c.hidden_size, c.hidden_size, c.hidden_size / c.num_attention_heads); // int8: per-head activation scales
  }

  /** x [B, T, D] -> [B, T, D] (and the probabilities when asked). */
  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { context, probs } = this.attention.apply(x, ctx); // [B, T, D]
    return { output: this.record(ctx.taps, this.out_lin.apply(context)), probs };
  }
}

/** `FFN` (`ffn`): `lin1`, the activation, `lin2`. */
class DistilBertFFN extends Module {
  readonly lin1: Linear;
  readonly lin2: Linear;
  readonly activation: Activation;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.lin1 = this.linear('lin1', c.hidden_size, c.intermediate_size);
    this.lin2 = this.linear('lin2', c.intermediate_size, c.hidden_size);
    this.activation = getActivation(c.hidden_act, DISTILBERT_ATTRIBUTE_MAP.hidden_act);
  }

  /** x [B, T, D] -> [B, T, D]. */
  apply(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    const inter = this.activation(this.lin1.apply(x)) as tf.Tensor3D; // [B, T, hidden_dim]
    return this.record(taps, hiddenDropout(this.lin2.apply(inter))); // dropout: training mode only
  }
}

/** `TransformerBlock`: attention -> sa_layer_norm(+x) -> ffn -> output_layer_norm(+sa). */
class DistilBertLayer extends Module implements EncoderLayer {
  readonly attention: DistilBertAttention;
  readonly sa_layer_norm: LayerNorm;
  readonly ffn: DistilBertFFN;
  readonly output_layer_norm: LayerNorm;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.attention = this.module('attention', (w) => new DistilBertAttention(w, c));
    this.sa_layer_norm = this.layerNorm('sa_layer_norm', c.hidden_size, c.layer_norm_eps, true);
    this.ffn = this.module('ffn', (w) => new DistilBertFFN(w, c));
    this.output_layer_norm = this.layerNorm('output_layer_norm', c.hidden_size, c.layer_norm_eps, true);
  }

  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    // Nothing to inspect inside the layer: the whole layer as one kernel call where it applies (wasm).
    if (!ctx.needProbs && !ctx.taps.active && this.ffn.activation === gelu && !dropoutActive()) {
      const { attention: sa, out_lin } = this.attention;
      const { lin1, lin2 } = this.ffn;
      const lins = [sa.query, sa.key, sa.value, out_lin, lin1, lin2];
      // int8 layers run their own kernel (the fused layer is float32 only)
      if (lins.every((l) => l.bias !== undefined && !l.q8)) {
        const lin = (l: Linear) => ({ weight: l.weight, bias: l.bias! });
        const norm = (n: LayerNorm) => ({ weight: n.weight, bias: n.bias, eps: n.eps });
        const w = { q: lin(sa.query), k: lin(sa.key), v: lin(sa.value), o: lin(out_lin), norm1: norm(this.sa_layer_norm), up: lin(lin1), down: lin(lin2), norm2: norm(this.output_layer_norm) };
        const fused = encoderLayer(x, ctx.mask, w, sa.numHeads, true);
        if (fused) return { output: fused };
      }
    }
    const { output: sa, probs } = this.attention.apply(x, ctx); // [B, T, D]
    const normed = this.record(ctx.taps, this.sa_layer_norm.apply(sa, x), 'sa_layer_norm'); // [B, T, D]
    const ffn = this.ffn.apply(normed, ctx.taps); // [B, T, D]
    return { output: this.record(ctx.taps, this.output_layer_norm.apply(ffn, normed), 'output_layer_norm'), probs };
  }
}

/** `DistilBertForSequenceClassification`: `pre_classifier` + ReLU on [CLS], then `classifier`. */
export const DISTILBERT_HEAD: HeadSpec = { dense: 'pre_classifier', activation: 'relu', out: 'classifier' };

/** `DistilBertModel`; accepts checkpoints with the `distilbert.` prefix. */
export class DistilBertModel extends EncoderBase<DistilBertConfig> {
  constructor(config: DistilBertConfig, root: WeightMap) {
    super(config, root, { prefixes: ['distilbert'], encoder: 'transformer', layer: (wm, c) => new DistilBertLayer(wm, c.shape) });
  }

  /** `masked_fill(mask == 0, finfo.min)`. */
  protected attentionContext(inputs: ResolvedInputs): AttentionContext {
    return { mask: AttentionMask.fill(inputs.attentionMask) };
  }
}

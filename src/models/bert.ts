/**
 * BERT (and MiniLM, which is BERT): the layer's modules under their checkpoint names, config parsing, the
 * classification head's names.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/configuration_bert.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { denseQ8Gelu, encoderLayer, feedForwardQ8 } from '../kernels/ops.js';
import { gelu, getActivation, type Activation } from '../layers/activations.js';
import { SelfAttention } from '../layers/attention.js';
import { dropoutActive, hiddenDropout } from '../layers/dropout.js';
import { AttentionMask } from '../layers/attention_mask.js';
import type { LayerNorm } from '../layers/layer_norm.js';
import type { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import { ConfigReader, readEncoderShape } from './config.js';
import { EncoderBase, type AttentionContext, type EncoderLayer, type EncoderSpec, type LayerContext, type ResolvedInputs } from './encoder_base.js';
import type { HeadSpec } from './heads.js';
import type { BaseConfig, EncoderShape } from './types.js';

/**
 * BERT's config.json keys (snake_case as-is; the standard names, so `shape` holds the same values). Shape-defining
 * keys are required; the others take {@link EncoderShape}'s documented defaults when absent.
 */
export interface BertConfig extends BaseConfig, EncoderShape {
  /** Only "absolute" is supported. */
  position_embedding_type: string;
}

/** Parse and validate a BERT-family config.json (`what` names the family in errors; RoBERTa's pad id defaults to 1). */
export function parseBertConfig(raw: Record<string, unknown>, what = 'bert', defaults: { pad_token_id?: number } = {}): BertConfig {
  const r = new ConfigReader(raw, `${what} config`);
  const model_type = r.string('model_type', what);
  const shape = readEncoderShape(r, { padTokenId: defaults.pad_token_id });
  const cfg: BertConfig = { model_type, raw, shape, ...shape, position_embedding_type: r.string('position_embedding_type', 'absolute') };
  r.onlySupported('position_embedding_type', cfg.position_embedding_type, ['absolute']);
  r.onlySupported('is_decoder', r.bool('is_decoder', false), [false]);
  r.onlySupported('add_cross_attention', r.bool('add_cross_attention', false), [false]);
  return cfg;
}

/** `BertSelfOutput` (`attention.output`) and `BertOutput` (`output`): `dense`, then `LayerNorm` over it + the residual. */
class BertOutput extends Module {
  readonly dense: Linear;
  readonly LayerNorm: LayerNorm;

  /** `q8ActGroup`: the attention output's head size (int8 with per-head activation scales; see Linear.load). */
  constructor(wm: WeightMap, inFeatures: number, c: EncoderShape, q8ActGroup = 0) {
    super(wm);
    this.dense = this.linear('dense', inFeatures, c.hidden_size, q8ActGroup);
    this.LayerNorm = this.layerNorm('LayerNorm', c.hidden_size, c.layer_norm_eps);
  }

  /** x [B, T, in], residual [B, T, H] -> [B, T, H]. */
  apply(x: tf.Tensor3D, residual: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, this.LayerNorm.apply(hiddenDropout(this.dense.apply(x)), residual)); // dropout: training mode only
  }
}

/** `BertIntermediate` (`intermediate`): `dense` to the feed-forward width, then the activation. */
class BertIntermediate extends Module {
  readonly dense: Linear;
  readonly act: Activation;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.dense = this.linear('dense', c.hidden_size, c.intermediate_size);
    this.act = getActivation(c.hidden_act);
  }

  /** x [B, T, H] -> [B, T, I]. */
  apply(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    // int8 weights and exact GELU: one int8 kernel call with the GELU fused in (the same bits).
    if (this.dense.q8 && this.act === gelu) return this.record(taps, denseQ8Gelu(x, this.dense.q8, this.dense.bias));
    return this.record(taps, this.act(this.dense.apply(x)) as tf.Tensor3D);
  }
}

/** `BertAttention` (`attention`): `self` (query, key, value -> context), then `output` (dense + LayerNorm(+x)). */
class BertAttention extends Module {
  readonly self: SelfAttention;
  readonly output: BertOutput;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.self = this.leaf('self', (w, n) => SelfAttention.load(w.pp(n), ['query', 'key', 'value'], c.hidden_size, c.num_attention_heads), true);
    this.output = this.module('output', (w) => new BertOutput(w, c.hidden_size, c, c.hidden_size / c.num_attention_heads));
  }

  /** x [B, T, H] -> [B, T, H] (and the probabilities when asked). */
  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { context, probs } = this.self.apply(x, ctx); // [B, T, H]
    this.record(ctx.taps, context, 'self');
    return { output: this.record(ctx.taps, this.output.apply(context, x, ctx.taps)), probs };
  }

  fusable(): FusableAttention {
    return { self: this.self, o: this.output.dense, norm: this.output.LayerNorm };
  }
}

/** What the fused layer reads of an attention block: projections (and options), output projection, LayerNorm. */
export interface FusableAttention {
  self: SelfAttention;
  o: Linear;
  norm: LayerNorm;
}

/**
 * What a layer's `attention` module is: x [B, T, H] -> [B, T, H] after its residual LayerNorm; `fusable` gives its
 * parts when it is BERT's block (attention, plus any position bias; dense; dropout; LayerNorm over it + x), which
 * the fused layer kernel then runs.
 */
interface AttentionModule extends Module {
  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D };
  fusable?(): FusableAttention;
}

/** Rows per chunk of an int8 layer's feed-forward block (see {@link BertLayer}'s feedForwardInRows). */
const Q8_FFN_ROWS = 512;

/**
 * `BertLayer`: `attention`, then `intermediate` and `output` (dense + LayerNorm(+attention)). MPNet's layer is this
 * with its own `attention` module.
 */
export class BertLayer extends Module implements EncoderLayer {
  readonly attention: AttentionModule;
  readonly intermediate: BertIntermediate;
  readonly output: BertOutput;

  constructor(wm: WeightMap, c: EncoderShape, attention: (wm: WeightMap) => AttentionModule = (w) => new BertAttention(w, c)) {
    super(wm);
    this.attention = this.module('attention', attention);
    this.intermediate = this.module('intermediate', (w) => new BertIntermediate(w, c));
    this.output = this.module('output', (w) => new BertOutput(w, c.intermediate_size, c));
  }

  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    // Nothing to inspect inside the layer: the whole layer as one kernel call where it applies (wasm).
    if (!ctx.needProbs && !ctx.taps.active && !dropoutActive()) {
      const fused = this.fused(x, ctx);
      if (fused) return { output: fused };
    }
    const { output: attended, probs } = this.attention.apply(x, ctx); // [B, T, H]
    const up = this.intermediate.dense;
    const down = this.output.dense;
    if (up.q8 && down.q8 && this.intermediate.act === gelu && !ctx.taps.active && !dropoutActive()) {
      // int8 FFN with exact GELU: one kernel call over Q8_FFN_ROWS rows at a time (the same bits as the two ops)
      const y = feedForwardQ8(attended, up.q8, up.bias, down.q8, down.bias, Q8_FFN_ROWS); // [B, T, H]
      const out = this.output.LayerNorm.apply(y, attended);
      y.dispose();
      return { output: out, probs };
    }
    if (this.intermediate.dense.q8 && !ctx.taps.active && attended.shape[0] * attended.shape[1] > Q8_FFN_ROWS) {
      return { output: this.feedForwardInRows(attended, ctx.taps), probs };
    }
    const inter = this.intermediate.apply(attended, ctx.taps); // [B, T, I]
    return { output: this.output.apply(inter, attended, ctx.taps), probs }; // [B, T, H]
  }

  /**
   * The feed-forward block over {@link Q8_FFN_ROWS} rows at a time (int8 layers): its rows are independent (per-row
   * activation quantization included), so the result is the same, while the [rows, I] temporaries (up projection,
   * activation, quantized activations) stay those of one chunk: the wasm heap, which never shrinks, is not grown to
   * the batch's [B * T, I].
   */
  private feedForwardInRows(attended: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    const [b, t, h] = attended.shape;
    const m = b * t;
    const flat = tf.reshape(attended, [1, m, h]); // [1, B * T, H]
    const parts: tf.Tensor3D[] = [];
    for (let r = 0; r < m; r += Q8_FFN_ROWS) {
      const n = Math.min(Q8_FFN_ROWS, m - r);
      parts.push(
        tf.tidy(() => {
          const rows = tf.slice(flat, [0, r, 0], [1, n, h]) as tf.Tensor3D; // [1, n, H]
          return this.output.apply(this.intermediate.apply(rows, taps), rows, taps); // [1, n, H]
        }),
      );
    }
    const out = tf.reshape(tf.concat(parts, 1), [b, t, h]) as tf.Tensor3D; // [B, T, H]
    tf.dispose(parts);
    return out;
  }

  /** The layer by {@link encoderLayer} (a fusable attention block, MPNet's position bias, exact GELU), or undefined. */
  private fused(x: tf.Tensor3D, ctx: LayerContext): tf.Tensor3D | undefined {
    const att = this.attention.fusable?.();
    if (!att || this.intermediate.act !== gelu) return undefined;
    const { query, key, value, numHeads, options } = att.self;
    if (options.scaleQuery || options.numKvHeads !== undefined || options.causal || options.window !== undefined || options.scale !== undefined) return undefined;
    const biases = [query.bias, key.bias, value.bias, att.o.bias, this.intermediate.dense.bias, this.output.dense.bias];
    if (biases.some((b) => b === undefined)) return undefined;
    // int8 layers run their own kernel (the fused layer is float32 only)
    if ([query, key, value, att.o, this.intermediate.dense, this.output.dense].some((l) => l.q8)) return undefined;
    const lin = (l: Linear) => ({ weight: l.weight, bias: l.bias! });
    const norm = (n: LayerNorm) => ({ weight: n.weight, bias: n.bias, eps: n.eps });
    return encoderLayer(x, ctx.mask, {
      q: lin(query), k: lin(key), v: lin(value), o: lin(att.o), norm1: norm(att.norm),
      up: lin(this.intermediate.dense), down: lin(this.output.dense), norm2: norm(this.output.LayerNorm),
    }, numHeads, false, ctx.positionBias);
  }
}

/** `BertForSequenceClassification`: `bert.pooler.dense` + tanh on [CLS], then `classifier`. */
export const BERT_HEAD: HeadSpec = { dense: 'pooler.dense', denseInBase: true, activation: 'tanh', out: 'classifier' };

/**
 * `BertModel` without the pooler (read by the classification head). Accepts checkpoints with or without the
 * `bert.` prefix. RoBERTa changes the prefixes and the position ids through `spec`.
 */
export class BertModel extends EncoderBase<BertConfig> {
  constructor(config: BertConfig, root: WeightMap, spec: Partial<EncoderSpec<BertConfig>> = {}) {
    super(config, root, { prefixes: ['bert'], encoder: 'encoder', layer: (wm, c) => new BertLayer(wm, c.shape), ...spec });
  }

  /** HF's additive mask, `(1 - mask) * finfo.min`. */
  protected attentionContext(inputs: ResolvedInputs): AttentionContext {
    return { mask: AttentionMask.additive(inputs.attentionMask) };
  }
}

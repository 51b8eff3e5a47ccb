/**
 * MPNet: BERT-like layers (`attention.attn.{q,k,v,o}` + `attention.LayerNorm`) with a relative position bias
 * shared by all layers (`encoder.relative_attention_bias`, T5-style buckets), positions counted from
 * `padding_idx` = 1 like RoBERTa, and no token types.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/mpnet/modeling_mpnet.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/mpnet/configuration_mpnet.py
 */
import { configError } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { SelfAttention } from '../layers/attention.js';
import { AttentionMask } from '../layers/attention_mask.js';
import { hiddenDropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import type { LayerNorm } from '../layers/layer_norm.js';
import type { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import type { WeightMap } from '../weights/index.js';
import { BertLayer, type FusableAttention } from './bert.js';
import { ConfigReader, readEncoderShape } from './config.js';
import { EncoderBase, type AttentionContext, type LayerContext, type ResolvedInputs } from './encoder_base.js';
import type { HeadSpec } from './heads.js';
import type { BaseConfig, EncoderShape } from './types.js';

/** `MPNetEmbeddings.padding_idx` is hard-coded to 1 in transformers (whatever `pad_token_id` says). */
export const MPNET_PADDING_IDX = 1;

/** `compute_position_bias` always uses 32 buckets and `relative_position_bucket`'s max_distance 128. */
export const MPNET_NUM_BUCKETS = 32;
export const MPNET_MAX_DISTANCE = 128;

/** MPNet's config.json keys: the standard names (no token types), and the relative attention buckets. */
export interface MPNetConfig extends BaseConfig, Omit<EncoderShape, 'type_vocab_size'> {
  /** Rows of `relative_attention_bias`; default 32. */
  relative_attention_num_buckets: number;
}

/** Parse and validate an `mpnet` config.json (`pad_token_id` defaults to 1). */
export function parseMPNetConfig(raw: Record<string, unknown>): MPNetConfig {
  const r = new ConfigReader(raw, 'mpnet config');
  const model_type = r.string('model_type', 'mpnet');
  const shape = readEncoderShape(r, { padTokenId: 1, fixed: { type_vocab_size: 0 } });
  const cfg: MPNetConfig = { model_type, raw, shape, ...shape, relative_attention_num_buckets: r.positiveInt('relative_attention_num_buckets', 32) };
  if (cfg.relative_attention_num_buckets < MPNET_NUM_BUCKETS) {
    throw configError(`mpnet config: relative_attention_num_buckets must be at least ${MPNET_NUM_BUCKETS} (transformers always computes ${MPNET_NUM_BUCKETS} buckets), got ${cfg.relative_attention_num_buckets}`);
  }
  return cfg;
}

const f32 = Math.fround;

/**
 * `MPNetEncoder.relative_position_bucket` for one relative position (memory - context), in float32 as torch
 * computes it: `log(n / max_exact)` in float32, divided by float32(log(max_distance / max_exact)), truncated.
 */
export function relativePositionBucket(relativePosition: number, numBuckets = MPNET_NUM_BUCKETS, maxDistance = MPNET_MAX_DISTANCE): number {
  let n = -relativePosition;
  const half = Math.floor(numBuckets / 2);
  let ret = n < 0 ? half : 0;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return ret + n;
  const ratio = f32(f32(Math.log(f32(n / maxExact))) / f32(Math.log(maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f32(ratio * (half - maxExact)));
  ret += Math.min(large, half - 1);
  return ret;
}

/** Bucket ids [T, T] (row = query position i, column = key position j, relative position j - i). */
export function relativePositionBuckets(t: number): Int32Array {
  const byOffset = new Int32Array(2 * t - 1); // bucket of relative position r at r + t - 1
  for (let r = -(t - 1); r < t; r++) byOffset[r + t - 1] = relativePositionBucket(r);
  const out = new Int32Array(t * t);
  for (let i = 0; i < t; i++) out.set(byOffset.subarray(t - 1 - i, 2 * t - 1 - i), i * t);
  return out;
}

/** `MPNetSelfAttention` (`attention.attn`): `q`, `k`, `v`, then `o`. */
class MPNetSelfAttention extends Module {
  /** The `q`, `k`, `v` projections and the head split. */
  readonly attention: SelfAttention;
  readonly o: Linear;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.attention = SelfAttention.load(wm, ['q', 'k', 'v'], c.hidden_size, c.num_attention_heads);
    this.o = this.linear('o', c.hidden_size, c.hidden_size, c.hidden_size / c.num_attention_heads); // int8: per-head activation scales
  }

  /** x [B, T, H] -> [B, T, H] (and the probabilities when asked). */
  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { context, probs } = this.attention.apply(x, ctx); // [B, T, H]
    return { output: this.record(ctx.taps, this.o.apply(context)), probs };
  }
}

/** `MPNetAttention` (`attention`): `attn`, then `LayerNorm`(+x). */
class MPNetAttention extends Module {
  readonly attn: MPNetSelfAttention;
  readonly LayerNorm: LayerNorm;

  constructor(wm: WeightMap, c: EncoderShape) {
    super(wm);
    this.attn = this.module('attn', (w) => new MPNetSelfAttention(w, c));
    this.LayerNorm = this.layerNorm('LayerNorm', c.hidden_size, c.layer_norm_eps);
  }

  apply(x: tf.Tensor3D, ctx: LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { output: attn, probs } = this.attn.apply(x, ctx); // [B, T, H]
    return { output: this.record(ctx.taps, this.LayerNorm.apply(hiddenDropout(attn), x)), probs }; // dropout: training mode only
  }

  /** BERT's block with the position bias: the layer runs as one kernel call where it can. */
  fusable(): FusableAttention {
    return { self: this.attn.attention, o: this.attn.o, norm: this.LayerNorm };
  }
}

/** `MPNetClassificationHead`: `classifier.dense` + tanh on `<s>`, then `classifier.out_proj`. */
export const MPNET_HEAD: HeadSpec = { dense: 'classifier.dense', activation: 'tanh', out: 'classifier.out_proj' };

/**
 * `MPNetModel` without the pooler; accepts the `mpnet.` prefix. `MPNetLayer` is `BertLayer` with
 * `MPNetAttention`; positions count from `padding_idx` 1.
 */
export class MPNetModel extends EncoderBase<MPNetConfig> {
  /** `encoder.relative_attention_bias` [num_buckets, heads]. */
  readonly relativeAttentionBias: Embedding;
  /** Buckets of the last sequence length seen (batches of one length usually follow each other). */
  private lastBuckets?: { t: number; buckets: Int32Array };

  constructor(config: MPNetConfig, root: WeightMap) {
    super(config, root, {
      prefixes: ['mpnet'],
      encoder: 'encoder',
      layer: (wm, c) => new BertLayer(wm, c.shape, (w) => new MPNetAttention(w, c.shape)),
      paddingIdx: MPNET_PADDING_IDX,
    });
    this.relativeAttentionBias = this.encoder.leaf('relative_attention_bias', (wm, n) => Embedding.load(wm, n, config.relative_attention_num_buckets, config.num_attention_heads));
  }

  /** `compute_position_bias`: bias [1, heads, T, T] (broadcast over the batch), then the additive mask. */
  protected attentionContext(inputs: ResolvedInputs): AttentionContext {
    const t = inputs.inputIds.shape[1];
    if (this.lastBuckets?.t !== t) this.lastBuckets = { t, buckets: relativePositionBuckets(t) };
    const buckets = this.lastBuckets.buckets;
    const values = this.relativeAttentionBias.apply(tf.tensor2d(buckets, [t, t], 'int32')); // [T, T, heads]
    const bias = tf.expandDims(tf.transpose(values, [2, 0, 1]), 0); // [1, heads, T, T]
    return { mask: AttentionMask.additive(inputs.attentionMask), positionBias: bias as tf.Tensor4D };
  }
}

/**
 * MPNet: BERT-like layers (`attention.attn.{q,k,v,o}` + `attention.LayerNorm`) with a relative position bias
 * shared by all layers (`encoder.relative_attention_bias`, T5-style buckets), positions counted from
 * `padding_idx` = 1 like RoBERTa, and no token types.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/mpnet/modeling_mpnet.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/mpnet/configuration_mpnet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation } from '../layers/activations.js';
import { SelfAttention } from '../layers/attention.js';
import { AttentionMask } from '../layers/attention_mask.js';
import { Embedding } from '../layers/embedding.js';
import { Embeddings } from '../layers/embeddings.js';
import { FeedForward } from '../layers/feed_forward.js';
import { LayerNorm } from '../layers/layer_norm.js';
import { Linear } from '../layers/linear.js';
import type { WeightMap } from '../weights/index.js';
import { ConfigReader } from './config.js';
import { basePrefix, EncoderBase, type AttentionContext, type EncoderLayer, type LayerContext, type ResolvedInputs } from './encoder_base.js';
import { positionIdsFromInputIds } from './roberta.js';
import type { BaseConfig } from './types.js';

/** `MPNetEmbeddings.padding_idx` is hard-coded to 1 in transformers (whatever `pad_token_id` says). */
export const MPNET_PADDING_IDX = 1;

/** `compute_position_bias` always uses 32 buckets and `relative_position_bucket`'s max_distance 128. */
export const MPNET_NUM_BUCKETS = 32;
export const MPNET_MAX_DISTANCE = 128;

/** MPNet's config.json keys. */
export interface MPNetConfig extends BaseConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  /** Default "gelu". */
  hidden_act: string;
  /** Default 1e-12. */
  layer_norm_eps: number;
  /** Rows of `relative_attention_bias`; default 32. */
  relative_attention_num_buckets: number;
  /** Default 1. */
  pad_token_id: number;
}

/** Parse and validate an `mpnet` config.json. */
export function parseMPNetConfig(raw: Record<string, unknown>): MPNetConfig {
  const r = new ConfigReader(raw, 'mpnet config');
  const cfg: MPNetConfig = {
    model_type: r.string('model_type', 'mpnet'),
    raw,
    vocab_size: r.positiveInt('vocab_size'),
    hidden_size: r.positiveInt('hidden_size'),
    num_hidden_layers: r.positiveInt('num_hidden_layers'),
    num_attention_heads: r.positiveInt('num_attention_heads'),
    intermediate_size: r.positiveInt('intermediate_size'),
    max_position_embeddings: r.positiveInt('max_position_embeddings'),
    hidden_act: r.string('hidden_act', 'gelu'),
    layer_norm_eps: r.positiveNumber('layer_norm_eps', 1e-12),
    relative_attention_num_buckets: r.positiveInt('relative_attention_num_buckets', 32),
    pad_token_id: r.nonNegativeInt('pad_token_id', 1),
  };
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new Error(`mpnet config: hidden_size (${cfg.hidden_size}) must be a multiple of num_attention_heads (${cfg.num_attention_heads})`);
  }
  if (cfg.relative_attention_num_buckets < MPNET_NUM_BUCKETS) {
    throw new Error(`mpnet config: relative_attention_num_buckets must be at least ${MPNET_NUM_BUCKETS} (transformers always computes ${MPNET_NUM_BUCKETS} buckets), got ${cfg.relative_attention_num_buckets}`);
  }
  getActivation(cfg.hidden_act);
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

/** `MPNetLayer`: attn (q, k, v, o) -> LayerNorm(+x) -> intermediate -> output dense -> LayerNorm(+attention). */
export class MPNetLayer implements EncoderLayer {
  readonly attention: SelfAttention;
  readonly o: Linear;
  readonly attentionNorm: LayerNorm;
  readonly ffn: FeedForward;
  readonly outputNorm: LayerNorm;

  static readonly TAPS = ['attention', 'attention.attn', 'intermediate', 'output'] as const;

  constructor(wm: WeightMap, c: MPNetConfig) {
    const h = c.hidden_size;
    this.attention = SelfAttention.load(wm.pp('attention.attn'), ['q', 'k', 'v'], h, c.num_attention_heads);
    this.o = Linear.load(wm, 'attention.attn.o', h, h);
    this.attentionNorm = LayerNorm.load(wm, 'attention.LayerNorm', h, c.layer_norm_eps);
    this.ffn = FeedForward.load(wm, 'intermediate.dense', 'output.dense', h, c.intermediate_size, getActivation(c.hidden_act));
    this.outputNorm = LayerNorm.load(wm, 'output.LayerNorm', h, c.layer_norm_eps);
  }

  apply(x: tf.Tensor3D, ctx: LayerContext, prefix: string): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { taps } = ctx;
    const { context, probs } = this.attention.apply(x, ctx); // [B, T, H]
    const attn = this.o.apply(context); // [B, T, H]
    taps.put(`${prefix}.attention.attn`, attn);
    const attended = this.attentionNorm.apply(attn, x); // [B, T, H]
    taps.put(`${prefix}.attention`, attended);
    const inter = this.ffn.expand(attended); // [B, T, I]
    taps.put(`${prefix}.intermediate`, inter);
    const output = this.outputNorm.apply(this.ffn.contract(inter), attended); // [B, T, H]
    taps.put(`${prefix}.output`, output);
    return { output, probs };
  }
}

/** `MPNetModel` without the pooler; accepts the `mpnet.` prefix. */
export class MPNetModel extends EncoderBase<MPNetConfig> {
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly maxPositionEmbeddings: number;
  readonly padTokenId: number;
  readonly usesTokenTypes = false;
  readonly vocabSize: number;
  readonly typeVocabSize = 0;
  protected readonly layerPath = 'encoder.layer';
  protected readonly layerTaps = MPNetLayer.TAPS;
  protected readonly layers: MPNetLayer[];
  readonly embeddings: Embeddings;
  /** `encoder.relative_attention_bias` [num_buckets, heads]. */
  readonly relativeAttentionBias: Embedding;
  /** Buckets of the last sequence length seen (batches of one length usually follow each other). */
  private lastBuckets?: { t: number; buckets: Int32Array };

  constructor(config: MPNetConfig, root: WeightMap) {
    super(config, root, root.pp(basePrefix(root, 'embeddings.word_embeddings.weight', ['mpnet'], 'mpnet')));
    this.hiddenSize = config.hidden_size;
    this.numLayers = config.num_hidden_layers;
    this.numHeads = config.num_attention_heads;
    this.maxPositionEmbeddings = config.max_position_embeddings - MPNET_PADDING_IDX - 1;
    this.padTokenId = config.pad_token_id;
    this.vocabSize = config.vocab_size;
    try {
      this.embeddings = new Embeddings(this.wm.pp('embeddings'), {
        vocabSize: config.vocab_size,
        hiddenSize: config.hidden_size,
        maxPositions: config.max_position_embeddings,
        typeVocabSize: 0,
        layerNormEps: config.layer_norm_eps,
      });
      this.relativeAttentionBias = Embedding.load(this.wm.pp('encoder'), 'relative_attention_bias', config.relative_attention_num_buckets, config.num_attention_heads);
      this.layers = Array.from({ length: config.num_hidden_layers }, (_, i) => new MPNetLayer(this.wm.pp(`encoder.layer.${i}`), config));
    } catch (e) {
      root.dispose();
      throw e;
    }
    this.sealReport();
  }

  /** word + position (from padding_idx 1), then LayerNorm. */
  protected embed(inputs: ResolvedInputs): tf.Tensor3D {
    return this.embeddings.apply(inputs.inputIds, positionIdsFromInputIds(inputs.inputIds, MPNET_PADDING_IDX));
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

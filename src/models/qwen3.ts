/**
 * Qwen3 as an embedder (Qwen3-Embedding): `Qwen3Model`, a decoder-only stack read as an encoder. Token
 * embeddings, then per layer a pre-norm causal self-attention block (RMSNorm, q/k/v projections, a per-head
 * RMSNorm on q and k before RoPE, grouped-query attention, o_proj) and a pre-norm SwiGLU block, each added to
 * its residual; a final RMSNorm. Positions are `arange(T)` over the padded row (left padding: a text's first
 * real token sits at position n_pad; RoPE makes that invisible up to rounding); the attention mask combines the
 * causal mask with the padding mask. Module and weight names are HF's, so taps are too.
 * https://github.com/huggingface/transformers/blob/9ee3f431c32e9e5f6c0888f6b2b0ca3f6c289dd6/src/transformers/models/qwen3/modeling_qwen3.py
 * https://github.com/huggingface/transformers/blob/1f3ae2b3ac7e5b32262588602ff42efb372a6232/src/transformers/models/qwen3/configuration_qwen3.py
 * https://github.com/huggingface/transformers/blob/9ee3f431c32e9e5f6c0888f6b2b0ca3f6c289dd6/src/transformers/masking_utils.py
 */
import { configError, previewValue } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { getActivation } from '../layers/activations.js';
import { dropoutAt, trainingModeOn } from '../layers/dropout.js';
import { AttentionMask } from '../layers/attention_mask.js';
import { Embedding } from '../layers/embedding.js';
import { GatedFeedForward } from '../layers/gated_feed_forward.js';
import { Module } from '../layers/module.js';
import { QkNormAttention } from '../layers/qk_norm_attention.js';
import { RMSNorm } from '../layers/rms_norm.js';
import { rotaryCosSinRange } from '../layers/rotary.js';
import type { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import { ConfigReader, rmsNormShape } from './config.js';
import { basePrefix, ModelBase, type ForwardContext, type ModelLayerContext } from './model_base.js';
import type { BaseConfig, EncoderInputs } from './types.js';

/** Qwen3's config.json, validated, under its own keys (defaults: `Qwen3Config`'s). */
export interface Qwen3Config extends BaseConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Default num_attention_heads; must divide it. */
  num_key_value_heads: number;
  /** Default 128 (Qwen3Config's, not hidden / heads). */
  head_dim: number;
  intermediate_size: number;
  /** Default 32768. */
  max_position_embeddings: number;
  /** Default "silu". */
  hidden_act: string;
  /** Default 1e-6. */
  rms_norm_eps: number;
  /** `rope_parameters.rope_theta` (transformers 5) or `rope_theta` (4.x); default 10000. */
  rope_theta: number;
  /** Biases on q/k/v/o (default false). */
  attention_bias: boolean;
  /** Default 0 when absent (only used to report the model's pad id). */
  pad_token_id: number;
  /** `attention_dropout` (default 0.0): dropout of the attention probabilities, training mode only. */
  attention_dropout: number;
}

const show = (v: unknown) => previewValue(v);

/** The rope type of a `rope_parameters` / `rope_scaling` object: only "default" (plain RoPE) is implemented. */
function checkRopeType(r: ConfigReader, key: string): void {
  const v = r.raw[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'object' || Array.isArray(v)) throw configError(`${r.what}: config.json key "${key}" must be an object, got ${show(v)}`);
  const o = v as Record<string, unknown>;
  const typeKey = 'rope_type' in o ? 'rope_type' : 'type' in o ? 'type' : undefined;
  const type = typeKey ? o[typeKey] : 'default';
  if (type !== 'default') {
    throw configError(`${r.what}: config.json "${key}.${typeKey}": ${show(type)} is not supported (supported: "default", plain RoPE)`);
  }
}

/** Parse and validate a Qwen3 config.json; a feature this port does not implement is an error naming key and value. */
export function parseQwen3Config(raw: Record<string, unknown>): Qwen3Config {
  const r = new ConfigReader(raw, 'qwen3 config');
  const model_type = r.string('model_type', 'qwen3');
  const num_attention_heads = r.positiveInt('num_attention_heads');
  const num_key_value_heads = r.positiveInt('num_key_value_heads', num_attention_heads);
  if (num_attention_heads % num_key_value_heads !== 0) {
    throw configError(`qwen3 config: num_attention_heads (${num_attention_heads}) must be a multiple of num_key_value_heads (${num_key_value_heads})`);
  }
  checkRopeType(r, 'rope_parameters');
  checkRopeType(r, 'rope_scaling');
  const params = (raw.rope_parameters ?? {}) as Record<string, unknown>;
  const rope_theta = params.rope_theta !== undefined ? new ConfigReader(params, 'qwen3 config rope_parameters').positiveNumber('rope_theta', 10000) : r.positiveNumber('rope_theta', 10000);
  const num_hidden_layers = r.positiveInt('num_hidden_layers');
  // Sliding-window layers (use_sliding_window, layer_types "sliding_attention") are not implemented.
  const useSliding = r.bool('use_sliding_window', false);
  const types = Array.isArray(raw.layer_types)
    ? (raw.layer_types as unknown[])
    : Array.from({ length: num_hidden_layers }, (_, i) => (useSliding && i >= r.nonNegativeInt('max_window_layers', 28) ? 'sliding_attention' : 'full_attention'));
  types.forEach((t, i) => {
    if (t !== 'full_attention') {
      const key = Array.isArray(raw.layer_types) ? `layer_types[${i}]` : 'use_sliding_window';
      throw configError(`qwen3 config: config.json "${key}": ${show(Array.isArray(raw.layer_types) ? t : useSliding)} is not supported (sliding-window attention is not implemented; supported: "full_attention" layers)`);
    }
  });
  const cfg = {
    model_type,
    raw,
    vocab_size: r.positiveInt('vocab_size'),
    hidden_size: r.positiveInt('hidden_size'),
    num_hidden_layers,
    num_attention_heads,
    num_key_value_heads,
    head_dim: r.positiveInt('head_dim', 128),
    intermediate_size: r.positiveInt('intermediate_size'),
    max_position_embeddings: r.positiveInt('max_position_embeddings', 32768),
    hidden_act: r.string('hidden_act', 'silu'),
    rms_norm_eps: r.positiveNumber('rms_norm_eps', 1e-6),
    rope_theta,
    attention_bias: r.bool('attention_bias', false),
    pad_token_id: r.nonNegativeInt('pad_token_id', 0),
    attention_dropout: r.probability('attention_dropout', 0),
  };
  if (cfg.head_dim % 2 !== 0) throw configError(`qwen3 config: head_dim must be even for RoPE, got ${cfg.head_dim}`);
  getActivation(cfg.hidden_act, 'hidden_act');
  const shape = rmsNormShape(cfg, cfg.hidden_act);
  return { ...cfg, shape };
}

/** What a layer receives besides its input. */
interface Qwen3Context extends ModelLayerContext {
  /** RoPE cos, sin [T, head_dim]. */
  rotary: { cos: tf.Tensor; sin: tf.Tensor };
}

/** `Qwen3DecoderLayer` (`layers.i`): x + self_attn(input_layernorm(x)), then + mlp(post_attention_layernorm(.)). */
class Qwen3DecoderLayer extends Module {
  readonly input_layernorm: RMSNorm;
  /** `Qwen3Attention`: q/k/v projections, q_norm / k_norm per head (taps), RoPE, causal GQA, `o_proj`. */
  readonly self_attn: QkNormAttention;
  readonly post_attention_layernorm: RMSNorm;
  /** `Qwen3MLP`: down_proj(act(gate_proj(x)) * up_proj(x)), no biases. */
  readonly mlp: GatedFeedForward;

  constructor(
    wm: WeightMap,
    readonly c: Qwen3Config,
  ) {
    super(wm);
    this.input_layernorm = this.leaf('input_layernorm', (w, n) => RMSNorm.load(w, n, c.hidden_size, c.rms_norm_eps), true);
    this.self_attn = this.module(
      'self_attn',
      (w) =>
        new QkNormAttention(w, {
          hiddenSize: c.hidden_size,
          numHeads: c.num_attention_heads,
          numKvHeads: c.num_key_value_heads,
          headDim: c.head_dim,
          bias: c.attention_bias,
          normEps: c.rms_norm_eps,
          tapNorms: true,
        }),
    );
    this.post_attention_layernorm = this.leaf('post_attention_layernorm', (w, n) => RMSNorm.load(w, n, c.hidden_size, c.rms_norm_eps), true);
    this.mlp = this.leaf('mlp', (w, n) => GatedFeedForward.load(w.pp(n), ['gate_proj', 'up_proj', 'down_proj'], c.hidden_size, c.intermediate_size, getActivation(c.hidden_act)), true);
  }

  /** x [B, T, H] -> [B, T, H]. */
  apply(x: tf.Tensor3D, ctx: Qwen3Context): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const normed0 = this.record(ctx.taps, this.input_layernorm.apply(x), 'input_layernorm');
    // scale head_dim^-0.5 (the op's default 1 / sqrt(d))
    const p = this.c.attention_dropout; // training mode: dropout of the probabilities (the op then takes its per-op path)
    const probsDropout = trainingModeOn() && p > 0 ? (x: tf.Tensor4D) => dropoutAt(x, p, this.self_attn.path) : undefined;
    const { output: attended, probs } = this.self_attn.apply(normed0, ctx.taps, { mask: ctx.mask, causal: true, rotary: ctx.rotary, outputProbs: ctx.needProbs, probsDropout });
    const h = tf.add(x, attended) as tf.Tensor3D; // [B, T, H]
    const normed = this.record(ctx.taps, this.post_attention_layernorm.apply(h), 'post_attention_layernorm');
    const out = tf.add(h, this.record(ctx.taps, this.mlp.apply(normed), 'mlp')) as tf.Tensor3D;
    return { output: out, probs };
  }
}

/**
 * `Qwen3Model`: `embed_tokens`, `layers.i`, `norm`. Accepts checkpoints with or without `Qwen3ForCausalLM`'s
 * `model.` prefix. `hiddenStates` follows transformers 5: the embeddings, the outputs of layers 0 .. n-2, and the
 * final norm's output (= lastHiddenState); the last layer's raw output is the tap `layers.{n-1}`.
 */
export class Qwen3Model extends ModelBase<Qwen3Config, Qwen3Context> {
  readonly embed_tokens: Embedding;
  readonly layers: Qwen3DecoderLayer[];
  readonly norm: RMSNorm;

  constructor(config: Qwen3Config, root: WeightMap) {
    super(config, root, basePrefix(root, 'embed_tokens.weight', ['model'], 'qwen3'));
    const c = config;
    this.embed_tokens = this.leaf('embed_tokens', (w, n) => Embedding.load(w, n, c.vocab_size, c.hidden_size), true);
    const list = this.module('layers', (w) => new Module(w), false);
    this.layers = Array.from({ length: c.num_hidden_layers }, (_, i) => list.module(i, (w) => new Qwen3DecoderLayer(w, c)));
    this.norm = this.leaf('norm', (w, n) => RMSNorm.load(w, n, c.hidden_size, c.rms_norm_eps), true);
  }

  protected get stack(): readonly Qwen3DecoderLayer[] {
    return this.layers;
  }

  protected embed(inputs: EncoderInputs, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, this.embed_tokens.apply(inputs.inputIds) as tf.Tensor3D, 'embed_tokens'); // [B, T, H]
  }

  /** The padding mask and the RoPE tables cos, sin [T, head_dim] of `arange(T)`. */
  protected forwardContext(inputs: EncoderInputs): ForwardContext<Qwen3Context> {
    // Host-built (as ModernBERT's): WGSL cos / sin on large angles are off by ~5.7e-4 on webgpu.
    const rotary = rotaryCosSinRange(inputs.inputIds.shape[1], this.config.head_dim, this.config.rope_theta); // [T, d] each
    return { ctx: { mask: AttentionMask.additive(inputs.attentionMask), rotary }, tensors: [rotary.cos, rotary.sin] };
  }

  protected override finalNorm(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, this.norm.apply(x), 'norm'); // [B, T, H]
  }
}

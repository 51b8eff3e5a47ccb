/**
 * Gemma 3's text model (`Gemma3TextModel`, config `model_type` "gemma3_text") as EmbeddingGemma uses it: token
 * embeddings scaled by sqrt(hidden_size) (a float32 scalar), decoder layers with four Gemma RMSNorms each
 * (`(1 + w)` scaling, float32), grouped-query attention with per-head q/k RMSNorm, RoPE with one base per layer type,
 * scores scaled by `query_pre_attn_scalar^-0.5`, sliding-window layers interleaved with full-attention layers,
 * causal or (EmbeddingGemma: `use_bidirectional_attention`) bidirectional masks, GeGLU feed-forward, a final norm.
 * Module names and taps are HF's (`embed_tokens`, `layers.i.self_attn`, `layers.i.mlp`, `norm`, ...).
 * https://github.com/huggingface/transformers/blob/0018aa647bb13801f061e2d1027c326f531b59fb/src/transformers/models/gemma3/modeling_gemma3.py
 * https://github.com/huggingface/transformers/blob/008f5c8c29be84d4721dc6d1e0fcd72300580be4/src/transformers/models/gemma3/configuration_gemma3.py
 * https://github.com/huggingface/transformers/blob/0018aa647bb13801f061e2d1027c326f531b59fb/src/transformers/masking_utils.py
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

type LayerType = 'sliding_attention' | 'full_attention';
const LAYER_TYPES: readonly LayerType[] = ['sliding_attention', 'full_attention'];

/** Gemma3TextConfig's keys this port reads (snake_case as in config.json), defaults as transformers'. */
export interface Gemma3Config extends BaseConfig {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  /** Default 4 (HF). */
  readonly num_key_value_heads: number;
  /** Default 256; independent of hidden_size / num_attention_heads. */
  readonly head_dim: number;
  /** Default "gelu_pytorch_tanh". */
  readonly hidden_activation: string;
  /** Default 131072. */
  readonly max_position_embeddings: number;
  /** Default 1e-6. */
  readonly rms_norm_eps: number;
  readonly pad_token_id: number;
  /** Default false: q/k/v/o projections without biases. */
  readonly attention_bias: boolean;
  /** Default 256: scores are multiplied by query_pre_attn_scalar^-0.5. */
  readonly query_pre_attn_scalar: number;
  /** Default 4096 (as written in config.json; see {@link gemma3Window} for what a layer sees). */
  readonly sliding_window: number;
  /** One per layer; default from `sliding_window_pattern` (every 6th layer full). */
  readonly layer_types: readonly LayerType[];
  /** Default false (causal). EmbeddingGemma: true. */
  readonly use_bidirectional_attention: boolean;
  /** RoPE base per layer type (rope_parameters, or the legacy rope_theta / rope_local_base_freq). */
  readonly rope_theta: Readonly<Record<LayerType, number>>;
  /** `attention_dropout` (default 0.0; null reads as 0): dropout of the attention probabilities, training mode only. */
  readonly attention_dropout: number;
}

/**
 * Parse and validate a Gemma 3 text config. Features this port does not implement (attention logit softcapping,
 * a rope type other than "default") are errors naming the key and value.
 */
export function parseGemma3Config(raw: Record<string, unknown>): Gemma3Config {
  const r = new ConfigReader(raw, 'gemma3_text config');
  const model_type = r.string('model_type', 'gemma3_text');
  const num_attention_heads = r.positiveInt('num_attention_heads', 8);
  const num_hidden_layers = r.positiveInt('num_hidden_layers', 26);
  const cfg = {
    vocab_size: r.positiveInt('vocab_size', 262208),
    hidden_size: r.positiveInt('hidden_size', 2304),
    intermediate_size: r.positiveInt('intermediate_size', 9216),
    num_hidden_layers,
    num_attention_heads,
    num_key_value_heads: r.positiveInt('num_key_value_heads', 4),
    head_dim: r.positiveInt('head_dim', 256),
    hidden_activation: r.string('hidden_activation', 'gelu_pytorch_tanh'),
    max_position_embeddings: r.positiveInt('max_position_embeddings', 131072),
    rms_norm_eps: r.positiveNumber('rms_norm_eps', 1e-6),
    pad_token_id: r.nonNegativeInt('pad_token_id', 0),
    attention_bias: r.bool('attention_bias', false),
    query_pre_attn_scalar: r.positiveNumber('query_pre_attn_scalar', 256),
    sliding_window: r.positiveInt('sliding_window', 4096),
    use_bidirectional_attention: r.bool('use_bidirectional_attention', false),
    attention_dropout: r.probability('attention_dropout', 0),
  };
  getActivation(cfg.hidden_activation, 'hidden_activation');
  if (cfg.num_attention_heads % cfg.num_key_value_heads !== 0) {
    throw configError(`gemma3_text config: num_attention_heads (${cfg.num_attention_heads}) must be a multiple of num_key_value_heads (${cfg.num_key_value_heads})`);
  }
  if (cfg.head_dim % 2 !== 0) throw configError(`gemma3_text config: head_dim must be even (rotary), got ${cfg.head_dim}`);
  const softcap = raw.attn_logit_softcapping;
  if (softcap !== undefined && softcap !== null) {
    throw configError(`gemma3_text config: config.json "attn_logit_softcapping": ${previewValue(softcap)} is not supported (supported: null)`);
  }
  const layer_types = readLayerTypes(raw, r, num_hidden_layers);
  const rope_theta = readRopeBases(raw, r);
  // The encoder shape under the standard names, for what reads it generically (no token types, no LayerNorm).
  const shape = rmsNormShape(cfg, cfg.hidden_activation);
  return { model_type, raw, shape, ...cfg, layer_types, rope_theta };
}

/** `layer_types`, or HF's default: layer i is full attention when (i + 1) % sliding_window_pattern == 0. */
function readLayerTypes(raw: Record<string, unknown>, r: ConfigReader, n: number): LayerType[] {
  const given = raw.layer_types;
  if (given === undefined || given === null) {
    const pattern = raw._sliding_window_pattern !== undefined ? r.positiveInt('_sliding_window_pattern') : r.positiveInt('sliding_window_pattern', 6);
    return Array.from({ length: n }, (_, i) => ((i + 1) % pattern ? 'sliding_attention' : 'full_attention'));
  }
  if (!Array.isArray(given) || given.length !== n) {
    throw configError(`gemma3_text config: config.json "layer_types" must be an array of ${n} layer types (num_hidden_layers), got ${previewValue(given)}`);
  }
  return given.map((t, i) => {
    if (!LAYER_TYPES.includes(t as LayerType)) {
      throw configError(`gemma3_text config: config.json "layer_types"[${i}]: ${previewValue(t)} is not supported (supported: ${LAYER_TYPES.map((x) => previewValue(x)).join(', ')})`);
    }
    return t as LayerType;
  });
}

/**
 * The RoPE base of each layer type: transformers 5's `rope_parameters` ({full_attention: {rope_type, rope_theta},
 * sliding_attention: {...}}), else the v4 keys `rope_theta` (default 1e6, full layers), `rope_local_base_freq`
 * (default 1e4, sliding layers) and `rope_scaling` (only null or type "default").
 */
function readRopeBases(raw: Record<string, unknown>, r: ConfigReader): Record<LayerType, number> {
  const checkType = (key: string, params: unknown) => {
    if (params === null || params === undefined) return;
    if (typeof params !== 'object' || Array.isArray(params)) throw configError(`gemma3_text config: config.json "${key}" must be an object, got ${previewValue(params)}`);
    const p = params as Record<string, unknown>;
    const type = p.rope_type ?? p.type ?? 'default';
    if (type !== 'default') throw configError(`gemma3_text config: config.json "${key}.rope_type": ${previewValue(type)} is not supported (supported: "default")`);
  };
  // transformers 5 fills a missing entry or rope_theta from the v4 keys, then from its defaults.
  checkType('rope_scaling', raw.rope_scaling);
  const legacy: Record<LayerType, number> = { full_attention: r.positiveNumber('rope_theta', 1_000_000), sliding_attention: r.positiveNumber('rope_local_base_freq', 10_000) };
  const rp = raw.rope_parameters;
  if (rp === undefined || rp === null) return legacy;
  if (typeof rp !== 'object' || Array.isArray(rp)) throw configError(`gemma3_text config: config.json "rope_parameters" must be an object, got ${previewValue(rp)}`);
  const out = {} as Record<LayerType, number>;
  for (const lt of LAYER_TYPES) {
    const p = (rp as Record<string, unknown>)[lt];
    if (p === undefined || p === null) {
      out[lt] = legacy[lt];
      continue;
    }
    checkType(`rope_parameters.${lt}`, p);
    const theta = (p as Record<string, unknown>).rope_theta ?? legacy[lt];
    if (typeof theta !== 'number' || !(theta > 0)) throw configError(`gemma3_text config: config.json "rope_parameters.${lt}.rope_theta" must be a positive number, got ${previewValue(theta)}`);
    out[lt] = theta;
  }
  return out;
}

/**
 * The attention op's window for a sliding layer. Causal (Gemma 3 LM): the `sliding_window` most recent keys, itself
 * included (i - w < j <= i). Bidirectional (EmbeddingGemma): Gemma3TextConfig turns `sliding_window` W into
 * W // 2 + 1 and the mask keeps |i - j| < W // 2 + 1, i.e. the op's |i - j| <= W // 2.
 */
export function gemma3Window(c: Pick<Gemma3Config, 'sliding_window' | 'use_bidirectional_attention'>): number {
  return c.use_bidirectional_attention ? Math.floor(c.sliding_window / 2) : c.sliding_window;
}

/** What a layer receives besides its input. */
interface Gemma3LayerContext extends ModelLayerContext {
  /** cos, sin [T, head_dim] per layer type. */
  rotary: Record<LayerType, { cos: tf.Tensor; sin: tf.Tensor }>;
}

/** A Gemma RMSNorm leaf: `x * rsqrt(mean(x^2) + eps) * (1 + w)` in float32. */
function gemmaNorm(m: Module, name: string, size: number, eps: number, tap = true): RMSNorm {
  return m.leaf(name, (wm, n) => RMSNorm.load(wm, n, size, eps, { offset: 1 }), tap);
}

/** `Gemma3MLP` (`mlp`): `down_proj(act(gate_proj(x)) * up_proj(x))`. */
class Gemma3MLP extends Module {
  readonly ffn: GatedFeedForward;

  constructor(wm: WeightMap, c: Gemma3Config) {
    super(wm);
    const act = getActivation(c.hidden_activation, 'hidden_activation');
    // Registered under this module's own path: the three projections are its children gate_proj, up_proj, down_proj.
    this.ffn = GatedFeedForward.load(wm, ['gate_proj', 'up_proj', 'down_proj'], c.hidden_size, c.intermediate_size, act);
  }

  /** x [B, T, H] -> [B, T, H]. */
  apply(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, this.ffn.apply(x));
  }
}

/**
 * `Gemma3DecoderLayer` (`layers.i`): x + post_attention_layernorm(self_attn(input_layernorm(x))), then
 * h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h))).
 */
class Gemma3DecoderLayer extends Module {
  readonly input_layernorm: RMSNorm;
  /** `Gemma3Attention`: q/k/v projections, per-head q_norm / k_norm, RoPE, GQA attention, `o_proj`. */
  readonly self_attn: QkNormAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly pre_feedforward_layernorm: RMSNorm;
  readonly mlp: Gemma3MLP;
  readonly post_feedforward_layernorm: RMSNorm;

  constructor(
    wm: WeightMap,
    private readonly c: Gemma3Config,
    readonly layerType: LayerType,
  ) {
    super(wm);
    const h = c.hidden_size;
    const eps = c.rms_norm_eps;
    this.input_layernorm = gemmaNorm(this, 'input_layernorm', h, eps);
    this.self_attn = this.module(
      'self_attn',
      (w) =>
        new QkNormAttention(w, {
          hiddenSize: h,
          numHeads: c.num_attention_heads,
          numKvHeads: c.num_key_value_heads,
          headDim: c.head_dim,
          bias: c.attention_bias,
          normEps: eps,
          norm: { offset: 1 },
          tapNorms: false,
        }),
    );
    this.post_attention_layernorm = gemmaNorm(this, 'post_attention_layernorm', h, eps);
    this.pre_feedforward_layernorm = gemmaNorm(this, 'pre_feedforward_layernorm', h, eps);
    this.mlp = this.module('mlp', (w) => new Gemma3MLP(w, c));
    this.post_feedforward_layernorm = gemmaNorm(this, 'post_feedforward_layernorm', h, eps);
  }

  private norm(n: RMSNorm, name: string, x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, n.apply(x), name);
  }

  apply(x: tf.Tensor3D, ctx: Gemma3LayerContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const { taps } = ctx;
    const normed = this.norm(this.input_layernorm, 'input_layernorm', x, taps); // [B, T, H]
    const c = this.c;
    const p = c.attention_dropout; // training mode: dropout of the probabilities (the op then takes its per-op path)
    const { output: attended, probs } = this.self_attn.apply(normed, taps, {
      probsDropout: trainingModeOn() && p > 0 ? (probs4: tf.Tensor4D) => dropoutAt(probs4, p, this.self_attn.path) : undefined,
      mask: ctx.mask,
      causal: !c.use_bidirectional_attention,
      window: this.layerType === 'sliding_attention' ? gemma3Window(c) : undefined,
      rotary: ctx.rotary[this.layerType],
      scale: Math.pow(c.query_pre_attn_scalar, -0.5),
      outputProbs: ctx.needProbs,
    }); // [B, T, H]
    const h = tf.add(x, this.norm(this.post_attention_layernorm, 'post_attention_layernorm', attended, taps)) as tf.Tensor3D;
    const ff = this.mlp.apply(this.norm(this.pre_feedforward_layernorm, 'pre_feedforward_layernorm', h, taps), taps); // [B, T, H]
    return { output: tf.add(h, this.norm(this.post_feedforward_layernorm, 'post_feedforward_layernorm', ff, taps)) as tf.Tensor3D, probs };
  }

  dispose(): void {
    for (const n of [this.input_layernorm, this.post_attention_layernorm, this.pre_feedforward_layernorm, this.post_feedforward_layernorm, this.self_attn.q_norm, this.self_attn.k_norm]) n.dispose();
  }
}

/**
 * `Gemma3TextModel`: `embed_tokens` (x sqrt(hidden_size)), `layers.i`, `norm`. Hidden states as HF records them:
 * the scaled embeddings, each layer's output but the last, then the final norm's output (= last_hidden_state).
 * Build it with `createModel`, which also frees the weights when loading fails.
 */
export class Gemma3TextModel extends ModelBase<Gemma3Config, Gemma3LayerContext> {
  readonly embed_tokens: Embedding;
  readonly layers: Gemma3DecoderLayer[];
  readonly norm: RMSNorm;

  constructor(config: Gemma3Config, root: WeightMap) {
    super(config, root, basePrefix(root, 'embed_tokens.weight', ['model'], 'gemma3_text')); // `model.`: a Gemma3ForCausalLM checkpoint
    const c = config;
    this.embed_tokens = this.leaf('embed_tokens', (wm, n) => Embedding.load(wm, n, c.vocab_size, c.hidden_size), true);
    const list = this.module('layers', (wm) => new Module(wm), false);
    this.layers = c.layer_types.map((lt, i) => list.module(i, (wm) => new Gemma3DecoderLayer(wm, c, lt)));
    this.norm = gemmaNorm(this, 'norm', c.hidden_size, c.rms_norm_eps);
  }

  protected get stack(): readonly Gemma3DecoderLayer[] {
    return this.layers;
  }

  protected embed(inputs: EncoderInputs, taps: TapRecorder): tf.Tensor3D {
    // HF multiplies by `torch.tensor(hidden_size ** 0.5)` cast to the weight dtype: a float32 scalar.
    return this.record(taps, tf.mul(this.embed_tokens.apply(inputs.inputIds), tf.scalar(Math.sqrt(this.hiddenSize), 'float32')) as tf.Tensor3D, 'embed_tokens'); // [B, T, H]
  }

  /** The padding mask and the RoPE tables cos, sin [T, head_dim] per layer type (positions: cache_position, `arange(T)`). */
  protected forwardContext(inputs: EncoderInputs): ForwardContext<Gemma3LayerContext> {
    // Host-built (as ModernBERT's): WGSL cos / sin on large angles are off by ~5.7e-4 on webgpu.
    const rotary = {} as Gemma3LayerContext['rotary'];
    for (const lt of LAYER_TYPES) rotary[lt] = rotaryCosSinRange(inputs.inputIds.shape[1], this.config.head_dim, this.config.rope_theta[lt]); // [T, head_dim] each
    const tensors = LAYER_TYPES.flatMap((lt) => [rotary[lt].cos, rotary[lt].sin]);
    return { ctx: { mask: AttentionMask.additive(inputs.attentionMask), rotary }, tensors };
  }

  /** HF records each layer's input: the last layer's output is not a hidden state, its norm is. */
  protected override finalNorm(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, this.norm.apply(x), 'norm'); // [B, T, H]
  }

  override dispose(): void {
    for (const l of this.layers) l.dispose();
    this.norm.dispose();
    super.dispose();
  }
}

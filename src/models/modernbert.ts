/**
 * ModernBERT: token embeddings + LayerNorm (no positions), pre-norm layers with rotary attention that alternates
 * global layers and local (sliding-window) ones, each with its own RoPE base, a GeGLU feed-forward, bias-free
 * linears and norms (as the config says), and a final LayerNorm. Eager attention, as the references record it.
 * https://github.com/huggingface/transformers/blob/000c33fdfde12e1ffafbfcdb3c926df5727a00b6/src/transformers/models/modernbert/modeling_modernbert.py
 * https://github.com/huggingface/transformers/blob/000c33fdfde12e1ffafbfcdb3c926df5727a00b6/src/transformers/models/modernbert/configuration_modernbert.py
 * (transformers 5.18 wrote the fixtures: `layer_types` and per-type `rope_parameters`; 4.48-style configs give
 * `global_attn_every_n_layers`, `global_rope_theta` and `local_rope_theta` instead, read here too.)
 */
import { configError, previewValue } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { attention } from '../kernels/ops.js';
import { getActivation } from '../layers/activations.js';
import { dropoutAt, trainingModeOn } from '../layers/dropout.js';
import { AttentionMask } from '../layers/attention_mask.js';
import { Embedding } from '../layers/embedding.js';
import { FusedGatedFeedForward } from '../layers/gated_feed_forward.js';
import { LayerNorm } from '../layers/layer_norm.js';
import { Linear } from '../layers/linear.js';
import { Module } from '../layers/module.js';
import { rotaryCosSinRange } from '../layers/rotary.js';
import type { TapRecorder } from '../layers/taps.js';
import type { WeightMap } from '../weights/index.js';
import { ConfigReader, readEncoderShape } from './config.js';
import type { HeadSpec } from './heads.js';
import { basePrefix, ModelBase, type ForwardContext, type ModelLayerContext } from './model_base.js';
import type { BaseConfig, EncoderInputs, EncoderShape } from './types.js';

/** The attention kind of one ModernBERT layer (config.json `layer_types` entries). */
export type ModernBertLayerType = 'full_attention' | 'sliding_attention';

/** ModernBertConfig, normalized: the shape under the standard names plus ModernBERT's own keys. */
export interface ModernBertConfig extends BaseConfig, EncoderShape {
  /** `hidden_activation` (default "gelu"), the GeGLU's activation; also `shape.hidden_act`. */
  readonly hidden_activation: string;
  /** `norm_eps` (default 1e-5). */
  readonly norm_eps: number;
  /** `norm_bias`, `attention_bias`, `mlp_bias`, `classifier_bias` (all default false). */
  readonly norm_bias: boolean;
  readonly attention_bias: boolean;
  readonly mlp_bias: boolean;
  readonly classifier_bias: boolean;
  /** `classifier_activation` (default "gelu"). */
  readonly classifier_activation: string;
  /** `classifier_pooling`: "cls" (default) or "mean". */
  readonly classifier_pooling: 'cls' | 'mean';
  /** `local_attention` (default 128): a sliding layer attends |i - j| <= local_attention // 2. */
  readonly local_attention: number;
  /** Per layer: `layer_types`, else global when i % `global_attn_every_n_layers` (default 3) == 0. */
  readonly layer_types: readonly ModernBertLayerType[];
  /** RoPE base per layer type (`rope_parameters[type].rope_theta`, else `global_rope_theta` 160000 / `local_rope_theta` 10000). */
  readonly rope_theta: Readonly<Record<ModernBertLayerType, number>>;
  /**
   * Dropout probabilities (training mode only; all default 0.0, as transformers): `embedding_dropout` after the
   * embedding norm, `attention_dropout` on the attention probabilities and after `Wo` (`out_drop`), `mlp_dropout`
   * between the GeGLU and `Wo`, `classifier_dropout` before the classifier.
   */
  readonly embedding_dropout: number;
  readonly attention_dropout: number;
  readonly mlp_dropout: number;
  readonly classifier_dropout: number;
}

const LAYER_TYPES: readonly ModernBertLayerType[] = ['full_attention', 'sliding_attention'];

/** Parse and validate a ModernBERT config.json; features not implemented here are errors naming key and value. */
export function parseModernBertConfig(raw: Record<string, unknown>): ModernBertConfig {
  const r = new ConfigReader(raw, 'modernbert config');
  const normEps = r.positiveNumber('norm_eps', 1e-5);
  const shape = readEncoderShape(r, { keys: { hidden_act: 'hidden_activation' }, padTokenId: 50283, fixed: { type_vocab_size: 0, layer_norm_eps: normEps } });
  const n = shape.num_hidden_layers;
  const every = r.positiveInt('global_attn_every_n_layers', 3);
  const derived = Array.from({ length: n }, (_, i): ModernBertLayerType => (i % every === 0 ? 'full_attention' : 'sliding_attention'));
  let layerTypes = derived;
  if (raw.layer_types !== undefined && raw.layer_types !== null) {
    const lt = raw.layer_types;
    if (!Array.isArray(lt) || lt.length !== n || !lt.every((t) => LAYER_TYPES.includes(t as ModernBertLayerType))) {
      throw configError(`modernbert config: config.json key "layer_types" must list ${n} entries of ${LAYER_TYPES.map((t) => previewValue(t)).join(' / ')}, got ${previewValue(lt)}`);
    }
    layerTypes = lt as ModernBertLayerType[];
    // transformers has read the window from one key and the RoPE base from the other: they must agree.
    if (raw.global_attn_every_n_layers !== undefined && raw.global_attn_every_n_layers !== null && layerTypes.some((t, i) => t !== derived[i])) {
      throw configError(
        `modernbert config: config.json keys "layer_types" ${previewValue(layerTypes)} and "global_attn_every_n_layers" ${every} disagree (${previewValue(derived)}); only layouts where both agree are supported`,
      );
    }
  }
  const pooling = r.string('classifier_pooling', 'cls');
  r.onlySupported('classifier_pooling', pooling, ['cls', 'mean']);
  const cfg: ModernBertConfig = {
    model_type: r.string('model_type', 'modernbert'),
    raw,
    shape,
    ...shape,
    hidden_activation: shape.hidden_act,
    norm_eps: normEps,
    norm_bias: r.bool('norm_bias', false),
    attention_bias: r.bool('attention_bias', false),
    mlp_bias: r.bool('mlp_bias', false),
    classifier_bias: r.bool('classifier_bias', false),
    classifier_activation: r.string('classifier_activation', 'gelu'),
    classifier_pooling: pooling as 'cls' | 'mean',
    local_attention: r.positiveInt('local_attention', 128),
    layer_types: layerTypes,
    rope_theta: readRopeThetas(r, raw),
    embedding_dropout: r.probability('embedding_dropout', 0),
    attention_dropout: r.probability('attention_dropout', 0),
    mlp_dropout: r.probability('mlp_dropout', 0),
    classifier_dropout: r.probability('classifier_dropout', 0),
  };
  getActivation(cfg.classifier_activation, 'classifier_activation');
  const headDim = shape.hidden_size / shape.num_attention_heads;
  if (raw.head_dim !== undefined && raw.head_dim !== null) r.onlySupported('head_dim', raw.head_dim, [headDim]);
  if (headDim % 2 !== 0) throw configError(`modernbert config: hidden_size / num_attention_heads (${headDim}) must be even for rotary embeddings`);
  r.onlySupported('rope_scaling', raw.rope_scaling ?? null, [null]);
  return cfg;
}

/** The RoPE base of each layer type; only default (unscaled) RoPE is implemented. */
function readRopeThetas(r: ConfigReader, raw: Record<string, unknown>): Record<ModernBertLayerType, number> {
  const fallback = { full_attention: r.positiveNumber('global_rope_theta', 160000), sliding_attention: r.positiveNumber('local_rope_theta', 10000) };
  const params = raw.rope_parameters;
  if (params === undefined || params === null) return fallback;
  if (typeof params !== 'object' || Array.isArray(params)) throw configError(`modernbert config: config.json key "rope_parameters" must be an object, got ${previewValue(params)}`);
  const out = { ...fallback };
  for (const t of LAYER_TYPES) {
    const p = (params as Record<string, unknown>)[t];
    if (p === undefined || p === null) continue;
    const sub = new ConfigReader(p as Record<string, unknown>, `modernbert config rope_parameters.${t}`);
    sub.onlySupported('rope_type', sub.string('rope_type', 'default'), ['default']);
    out[t] = sub.positiveNumber('rope_theta', fallback[t]);
  }
  return out;
}

/** What every layer of one forward pass shares. */
interface ModernBertContext extends ModelLayerContext {
  /** cos, sin [T, head_dim] per layer type. */
  rotary: Record<ModernBertLayerType, { cos: tf.Tensor; sin: tf.Tensor }>;
}

/** `ModernBertEmbeddings` (`embeddings`): `drop(norm(tok_embeddings(ids)))`, no positions, no token types. */
class ModernBertEmbeddings extends Module {
  readonly tok_embeddings: Embedding;
  readonly norm: LayerNorm;

  constructor(
    wm: WeightMap,
    readonly c: ModernBertConfig,
  ) {
    super(wm);
    this.tok_embeddings = this.leaf('tok_embeddings', (w, n) => Embedding.load(w, n, c.vocab_size, c.hidden_size));
    this.norm = this.leaf('norm', (w, n) => LayerNorm.load(w, n, c.hidden_size, c.norm_eps, c.norm_bias));
  }

  /** ids int32 [B, T] -> [B, T, H]. */
  apply(ids: tf.Tensor2D, taps: TapRecorder): tf.Tensor3D {
    const normed = this.norm.apply(this.tok_embeddings.apply(ids)) as tf.Tensor3D;
    return this.record(taps, dropoutAt(normed, this.c.embedding_dropout, `${this.path}.drop`)); // dropout: training mode only
  }
}

/** `ModernBertAttention` (`attn`): fused `Wqkv`, rotary, global or windowed attention, `Wo`. */
class ModernBertAttention extends Module {
  readonly Wqkv: Linear;
  readonly Wo: Linear;
  constructor(
    wm: WeightMap,
    readonly c: ModernBertConfig,
    readonly layerType: ModernBertLayerType,
  ) {
    super(wm);
    const h = c.hidden_size;
    this.Wqkv = this.leaf('Wqkv', (w, n) => Linear.load(w, n, h, 3 * h, c.attention_bias), true);
    this.Wo = this.leaf('Wo', (w, n) => Linear.load(w, n, h, h, c.attention_bias, h / c.num_attention_heads)); // int8: per-head activation scales
  }

  /** x [B, T, H] -> [B, T, H] (and the probabilities [B, heads, T, T] when asked). */
  apply(x: tf.Tensor3D, ctx: ModernBertContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const p = this.c.attention_dropout;
    // [B, T, 3H]: each row is q | k | v (HF views it as [B, T, 3, heads, d]), the fused layout attention() reads.
    const qkv = this.record(ctx.taps, this.Wqkv.apply(x), 'Wqkv');
    const { context, probs } = attention(
      { qkv },
      {
        numHeads: this.c.num_attention_heads,
        mask: ctx.mask,
        rotary: ctx.rotary[this.layerType],
        // Local layers: HF's sliding_window_mask, keys with |i - j| <= local_attention // 2.
        window: this.layerType === 'sliding_attention' ? Math.floor(this.c.local_attention / 2) : undefined,
        // Scale: the op's default divides the scores by sqrt(head_dim); HF multiplies by head_dim ** -0.5. The two
        // differ by at most one float32 rounding of a score, and the default lets global layers use the wasm kernel.
        outputProbs: ctx.needProbs,
        // Training mode with attention_dropout > 0: dropout of the probabilities (the op then takes its per-op path).
        probsDropout: trainingModeOn() && p > 0 ? (x) => dropoutAt(x, p, this.path) : undefined,
      },
    ); // context [B, T, H]
    // `out_drop`: nn.Dropout(attention_dropout) after Wo (nn.Identity when attention_dropout is 0)
    const out = p > 0 ? dropoutAt(this.Wo.apply(context), p, `${this.path}.out_drop`) : this.Wo.apply(context);
    return { output: this.record(ctx.taps, out), probs };
  }
}

/**
 * `ModernBertEncoderLayer` (`layers.i`): `x + attn(attn_norm(x))`, then `+ mlp(mlp_norm(.))`. Layer 0's `attn_norm`
 * is `nn.Identity` (the embedding norm just ran), as HF builds it.
 */
class ModernBertLayer extends Module {
  readonly attn_norm?: LayerNorm;
  readonly attn: ModernBertAttention;
  readonly mlp_norm: LayerNorm;
  readonly mlp: FusedGatedFeedForward;

  constructor(
    wm: WeightMap,
    readonly c: ModernBertConfig,
    index: number,
  ) {
    super(wm);
    const h = c.hidden_size;
    this.attn_norm = this.leaf('attn_norm', (w, n) => (index === 0 ? undefined : LayerNorm.load(w, n, h, c.norm_eps, c.norm_bias)), true);
    this.attn = this.module('attn', (w) => new ModernBertAttention(w, c, c.layer_types[index]));
    this.mlp_norm = this.leaf('mlp_norm', (w, n) => LayerNorm.load(w, n, h, c.norm_eps, c.norm_bias), true);
    // `mlp`: Wi [2I, H] -> (input, gate) halves -> Wo(act(input) * gate).
    const act = getActivation(c.hidden_activation, 'hidden_activation');
    this.mlp = this.leaf('mlp', (w, n) => FusedGatedFeedForward.load(w.pp(n), 'Wi', 'Wo', h, c.intermediate_size, act, c.mlp_bias), true);
  }

  get norms(): LayerNorm[] {
    return this.attn_norm ? [this.attn_norm, this.mlp_norm] : [this.mlp_norm];
  }

  apply(x: tf.Tensor3D, ctx: ModernBertContext): { output: tf.Tensor3D; probs?: tf.Tensor4D } {
    const normed = this.record(ctx.taps, this.attn_norm ? this.attn_norm.apply(x) : x, 'attn_norm');
    const { output: attended, probs } = this.attn.apply(normed, ctx);
    const h = tf.add(x, attended) as tf.Tensor3D; // [B, T, H]
    const m = this.record(ctx.taps, this.mlp_norm.apply(h), 'mlp_norm');
    // `mlp.drop`: nn.Dropout(mlp_dropout) between act(input) * gate and Wo (training mode only)
    const mlpDrop = trainingModeOn() ? (x: tf.Tensor) => dropoutAt(x, this.c.mlp_dropout, `${this.path}.mlp.drop`) : undefined;
    const out = tf.add(h, this.record(ctx.taps, this.mlp.apply(m, mlpDrop), 'mlp')) as tf.Tensor3D;
    return { output: out, probs }; // tap `layers.i`: recorded by the model's loop
  }
}

/** `ModernBertForSequenceClassification`: pooled (`classifier_pooling`) -> `head` (dense, act, norm) -> `classifier`. */
export function modernBertHead(raw: Record<string, unknown>): HeadSpec {
  const c = parseModernBertConfig(raw);
  return {
    dense: 'head.dense',
    denseBias: c.classifier_bias,
    activation: c.classifier_activation,
    norm: { name: 'head.norm', eps: c.norm_eps, bias: c.norm_bias },
    out: 'classifier',
    pooling: c.classifier_pooling === 'mean' ? 'mean' : 'first',
    dropout: { p: c.classifier_dropout, site: 'drop' },
  };
}

/**
 * `ModernBertModel` (keys at the root or under `model.`): `embeddings`, `layers.i`, `final_norm`. Hidden states are
 * transformers 5.18's: the embedding output, layers 0 .. n-2, then the final norm's output (= last_hidden_state).
 */
export class ModernBertModel extends ModelBase<ModernBertConfig, ModernBertContext> {
  readonly embeddings: ModernBertEmbeddings;
  readonly layers: ModernBertLayer[];
  readonly final_norm: LayerNorm;

  constructor(config: ModernBertConfig, root: WeightMap) {
    super(config, root, basePrefix(root, 'embeddings.tok_embeddings.weight', ['model'], 'modernbert'));
    try {
      this.embeddings = this.module('embeddings', (wm) => new ModernBertEmbeddings(wm, config));
      const list = this.module('layers', (wm) => new Module(wm), false);
      this.layers = Array.from({ length: config.num_hidden_layers }, (_, i) => list.module(i, (wm) => new ModernBertLayer(wm, config, i)));
      this.final_norm = this.leaf('final_norm', (w, n) => LayerNorm.load(w, n, config.hidden_size, config.norm_eps, config.norm_bias), true);
    } catch (e) {
      this.disposeNorms();
      throw e;
    }
  }

  protected get stack(): readonly ModernBertLayer[] {
    return this.layers;
  }

  protected embed(inputs: EncoderInputs, taps: TapRecorder): tf.Tensor3D {
    return this.embeddings.apply(inputs.inputIds, taps); // [B, T, H]
  }

  /** The padding mask and the RoPE tables (position_ids = arange(T); cos, sin [T, d] per layer type, host-built). */
  protected forwardContext(inputs: EncoderInputs): ForwardContext<ModernBertContext> {
    const t = inputs.inputIds.shape[1];
    const d = this.hiddenSize / this.numHeads;
    const rotary = {
      full_attention: rotaryCosSinRange(t, d, this.config.rope_theta.full_attention),
      sliding_attention: rotaryCosSinRange(t, d, this.config.rope_theta.sliding_attention),
    };
    const tensors = [rotary.full_attention.cos, rotary.full_attention.sin, rotary.sliding_attention.cos, rotary.sliding_attention.sin];
    return { ctx: { mask: AttentionMask.additive(inputs.attentionMask), rotary }, tensors };
  }

  /** The last layer's output is replaced by the final norm's in hidden_states, as transformers 5.18. */
  protected override finalNorm(x: tf.Tensor3D, taps: TapRecorder): tf.Tensor3D {
    return this.record(taps, this.final_norm.apply(x), 'final_norm'); // [B, T, H]
  }

  /** Rank and dtype in one message: `<name> must be int32 [batch, seq]`. */
  protected override checkInput(t: tf.Tensor | undefined, name: string, inputIds: tf.Tensor): void {
    if (!(t instanceof tf.Tensor)) throw new Error(`${name} must be a tf.Tensor, got ${String(t)}`);
    if (t.rank !== 2 || t.dtype !== 'int32') throw new Error(`${name} must be int32 [batch, seq], got ${t.dtype} [${t.shape.join(', ')}]`);
    this.checkSameShape(t, name, inputIds);
  }

  private disposeNorms(): void {
    const norms = [this.embeddings?.norm, ...(this.layers ?? []).flatMap((l) => l.norms), this.final_norm];
    for (const n of norms) n?.dispose();
  }

  /** Free the weights (and the zero biases of the bias-free norms). */
  override dispose(): void {
    this.disposeNorms();
    super.dispose();
  }
}

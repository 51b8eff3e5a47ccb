/**
 * Reading config.json values with the error messages this project promises: a missing required key or a value of
 * the wrong type names the key, what was expected and what was got.
 */

import { ModelConfigError, previewValue } from '../formats/errors.js';
import { getActivation } from '../layers/activations.js';
import type { WeightMap } from '../weights/index.js';
import type { EncoderShape } from './types.js';

type Raw = Readonly<Record<string, unknown>>;

const show = (v: unknown) => previewValue(v);

/** Typed access to one model's config.json (`what` names it in errors, e.g. `bert config`). */
export class ConfigReader {
  constructor(
    readonly raw: Raw,
    readonly what: string,
  ) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ModelConfigError(`${what}: config.json must be a JSON object, got ${show(raw)}`, what);
    }
  }

  private present(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.raw, key) && this.raw[key] !== null && this.raw[key] !== undefined;
  }

  private missing(key: string, expected: string): Error {
    return new ModelConfigError(`${this.what}: config.json is missing required key "${key}" (expected ${expected})`, this.what, key);
  }

  private invalid(key: string, expected: string): Error {
    return new ModelConfigError(`${this.what}: config.json key "${key}" must be ${expected}, got ${show(this.raw[key])}`, this.what, key);
  }

  /** A positive integer, required. */
  positiveInt(key: string): number;
  /** A positive integer, `fallback` when absent. */
  positiveInt(key: string, fallback: number): number;
  positiveInt(key: string, fallback?: number): number {
    return this.int(key, 1, fallback);
  }

  /** A non-negative integer, `fallback` when absent (required when no fallback). */
  nonNegativeInt(key: string, fallback?: number): number {
    return this.int(key, 0, fallback);
  }

  private int(key: string, min: number, fallback?: number): number {
    const expected = min > 0 ? 'a positive integer' : 'a non-negative integer';
    if (!this.present(key)) {
      if (fallback === undefined) throw this.missing(key, expected);
      return fallback;
    }
    const v = this.raw[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw this.invalid(key, expected);
    return v;
  }

  /** A finite positive number, `fallback` when absent. */
  positiveNumber(key: string, fallback: number): number {
    if (!this.present(key)) return fallback;
    const v = this.raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw this.invalid(key, 'a positive number');
    return v;
  }

  /** A dropout probability: a number in [0, 1], `fallback` when absent or null. */
  probability(key: string, fallback: number): number {
    if (!this.present(key)) return fallback;
    const v = this.raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw this.invalid(key, 'a probability (a number in [0, 1])');
    return v;
  }

  /** A string, `fallback` when absent. */
  string(key: string, fallback: string): string {
    if (!this.present(key)) return fallback;
    const v = this.raw[key];
    if (typeof v !== 'string') throw this.invalid(key, 'a string');
    return v;
  }

  /** A boolean, `fallback` when absent. */
  bool(key: string, fallback: boolean): boolean {
    if (!this.present(key)) return fallback;
    const v = this.raw[key];
    if (typeof v !== 'boolean') throw this.invalid(key, 'true or false');
    return v;
  }

  /** Throw when `key` is present with a value other than one of `supported` (e.g. relative position types). */
  onlySupported(key: string, value: unknown, supported: readonly unknown[]): void {
    if (!supported.includes(value)) {
      throw new ModelConfigError(`${this.what}: config.json "${key}": ${show(value)} is not supported (supported: ${supported.map(show).join(', ')})`, this.what, key);
    }
  }
}

/** transformers' `attribute_map`: a standard name -> this architecture's config.json key (DistilBERT: `dim`, ...). */
export type AttributeMap = Partial<Record<keyof EncoderShape, string>>;

/** {@link EncoderShape} under the architecture's own keys (`M`: its attribute map, `as const`). */
export type OwnKeys<M extends AttributeMap> = {
  [K in keyof EncoderShape as K extends keyof M ? (M[K] extends string ? M[K] : K) : K]: EncoderShape[K];
};

/** `s` under the architecture's own keys (DistilBERT: `dim`, `n_layers`, ...): the attribute map read backwards. */
export function ownKeys<M extends AttributeMap>(s: EncoderShape, map: M): OwnKeys<M> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[map[k as keyof EncoderShape] ?? k] = v;
  return out as OwnKeys<M>;
}

/** How an architecture's config.json holds the {@link EncoderShape}. */
export interface ShapeKeys {
  /** Keys that the architecture names differently (errors name its own key). */
  keys?: AttributeMap;
  /** Default of `pad_token_id` when absent (0). */
  padTokenId?: number;
  /** Values the architecture fixes instead of reading them (DistilBERT's LayerNorm eps; 0 token types). */
  fixed?: Partial<Pick<EncoderShape, 'type_vocab_size' | 'layer_norm_eps'>>;
}

/**
 * Read and validate the {@link EncoderShape} from `r`'s config.json: the sizes are required, the rest take the
 * documented defaults; the head count must divide the hidden size and the activation must be known.
 */
export function readEncoderShape(r: ConfigReader, opts: ShapeKeys = {}): EncoderShape {
  const { keys = {}, fixed = {} } = opts;
  const key = (name: keyof EncoderShape) => keys[name] ?? name;
  const s: EncoderShape = {
    vocab_size: r.positiveInt(key('vocab_size')),
    hidden_size: r.positiveInt(key('hidden_size')),
    num_hidden_layers: r.positiveInt(key('num_hidden_layers')),
    num_attention_heads: r.positiveInt(key('num_attention_heads')),
    intermediate_size: r.positiveInt(key('intermediate_size')),
    max_position_embeddings: r.positiveInt(key('max_position_embeddings')),
    hidden_act: r.string(key('hidden_act'), 'gelu'),
    type_vocab_size: fixed.type_vocab_size ?? r.positiveInt(key('type_vocab_size'), 2),
    layer_norm_eps: fixed.layer_norm_eps ?? r.positiveNumber(key('layer_norm_eps'), 1e-12),
    pad_token_id: r.nonNegativeInt(key('pad_token_id'), opts.padTokenId ?? 0),
  };
  if (s.hidden_size % s.num_attention_heads !== 0) {
    throw new ModelConfigError(
      `${r.what}: ${key('hidden_size')} (${s.hidden_size}) must be a multiple of ${key('num_attention_heads')} (${s.num_attention_heads})`,
      r.what,
      key('hidden_size'),
    );
  }
  getActivation(s.hidden_act, key('hidden_act'));
  return s;
}

/** The sizes a decoder-style config (Qwen3, Gemma 3) reads under its own keys, as {@link rmsNormShape} takes them. */
interface RmsNormSizes {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  pad_token_id: number;
}

/** The encoder shape under the standard names of a model with RMSNorms (`layer_norm_eps`: its eps) and no token types. */
export function rmsNormShape(c: RmsNormSizes, hidden_act: string): EncoderShape {
  return {
    vocab_size: c.vocab_size,
    hidden_size: c.hidden_size,
    num_hidden_layers: c.num_hidden_layers,
    num_attention_heads: c.num_attention_heads,
    intermediate_size: c.intermediate_size,
    max_position_embeddings: c.max_position_embeddings,
    hidden_act,
    type_vocab_size: 0,
    layer_norm_eps: c.rms_norm_eps,
    pad_token_id: c.pad_token_id,
  };
}

/** `id2label` as an array indexed by label id (`LABEL_i` where absent), for `numLabels` labels. */
export function labelsFromConfig(raw: Raw, numLabels: number): string[] {
  const map = (raw.id2label ?? {}) as Record<string, unknown>;
  return Array.from({ length: numLabels }, (_, i) => (typeof map[String(i)] === 'string' ? (map[String(i)] as string) : `LABEL_${i}`));
}

/** HF `PretrainedConfig.num_labels`: `len(id2label)` when given, else `num_labels`, else 2. */
export function numLabelsFromConfig(raw: Raw, what: string): number {
  const r = new ConfigReader(raw, what);
  if (raw.id2label && typeof raw.id2label === 'object') {
    const n = Object.keys(raw.id2label as object).length;
    if (n > 0) return n;
  }
  return r.positiveInt('num_labels', 2);
}

/** config.json keys that count layers: each layer has at least one tensor in the checkpoint. */
const LAYER_COUNT_KEYS = ['num_hidden_layers', 'n_layers', 'num_layers'];
/** config.json keys that size a tensor dimension: none can exceed the checkpoint's element count. */
const DIMENSION_KEYS = [
  'vocab_size', 'hidden_size', 'dim', 'intermediate_size', 'hidden_dim', 'max_position_embeddings', 'num_attention_heads', 'n_heads',
  'num_key_value_heads', 'head_dim', 'type_vocab_size', 'relative_attention_num_buckets', 'num_labels', 'embedding_size',
];

/**
 * Check the sizes config.json declares against the checkpoint before anything is allocated: a layer count above
 * the checkpoint's tensor count, or a dimension (vocab, hidden, intermediate, positions, heads) above its element
 * count, cannot be backed by weights, so it is a {@link ModelConfigError} naming the key (a `num_hidden_layers`
 * or `vocab_size` of 1e9 would otherwise size arrays and loops before the first missing tensor is noticed).
 */
export function checkDeclaredSizes(raw: Raw, weights: WeightMap, what: string): void {
  const names = weights.source.names();
  let elements = 0;
  for (const n of names) elements += weights.source.info(n).shape.reduce((a, b) => a * b, 1);
  const check = (keys: readonly string[], limit: number, unit: string) => {
    for (const k of keys) {
      if (!Object.prototype.hasOwnProperty.call(raw, k)) continue;
      const v = raw[k];
      if (typeof v === 'number' && v > limit) {
        throw new ModelConfigError(
          `${what}: config.json key "${k}" declares ${v}, more than the checkpoint ${weights.source.source} can back (it holds ${limit} ${unit})`,
          what,
          k,
        );
      }
    }
  };
  check(LAYER_COUNT_KEYS, names.length, 'tensors');
  check(DIMENSION_KEYS, elements, 'elements');
}

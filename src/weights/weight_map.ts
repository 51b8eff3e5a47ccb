/**
 * WeightMap: named access to a checkpoint's tensors as tfjs tensors, with prefixes, shape checks and
 * used-key tracking (after candle's VarBuilder: `vb.pp("encoder.layer.0")`).
 *
 * Module paths equal the safetensors keys, so `root.pp('encoder.layer.3').pp('attention.self').get('query.weight')`
 * reads `encoder.layer.3.attention.self.query.weight`.
 *
 * PyTorch layout: `nn.Linear` stores its weight as [out_features, in_features] and computes `x @ W^T + b`.
 * {@link WeightMap.linear} is the ONE place that handles it: it transposes once at load time to [in, out]
 * so forward code is a plain `matMul(x, w)` with no per-call transpose, and {@link WeightMap.stateDict} transposes
 * it back to [out, in] when the weights are saved.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError } from '../formats/errors.js';
import type { Dtype, TensorSource, TensorToWrite } from '../formats/safetensors.js';

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The cache key of a linear weight handed out transposed ([in, out]) by {@link WeightMap.linear}. */
const TRANSPOSED = '.T';

/** Stored dtypes that load as float32 (as PyTorch loads every floating parameter in the default dtype). */
const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set<Dtype>(['F16', 'BF16', 'F32', 'F64']);

/** A linear layer's parameters: `weight` is [in, out] (already transposed), `bias` is [out]. */
export interface LinearParams {
  weight: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

interface Shared {
  source: TensorSource;
  used: Set<string>;
  cache: Map<string, tf.Tensor>;
}

/**
 * Named checkpoint tensors, read lazily from safetensors and cached as tfjs tensors. `pp(prefix)` gives a view on a
 * sub-module (as PyTorch's module prefixes), `get(name, shape)` checks the shape it expects.
 *
 * @example
 * ```ts
 * const layer0 = weights.pp('encoder.layer.0');
 * const w = layer0.get('attention.self.query.weight', [384, 384]);
 * ```
 */
export class WeightMap {
  private constructor(
    private readonly shared: Shared,
    /** The full prefix of this view, '' at the root, else ending with '.'. */
    readonly prefix: string,
  ) {}

  /** A root weight map over a tensor source (a safetensors file or a sharded checkpoint). */
  static from(source: TensorSource): WeightMap {
    return new WeightMap({ source, used: new Set(), cache: new Map() }, '');
  }

  /** The underlying tensor source. */
  get source(): TensorSource {
    return this.shared.source;
  }

  /** A view under `prefix` (segments joined with '.'). */
  pp(prefix: string | number): WeightMap {
    const p = String(prefix);
    if (!p) return this;
    return new WeightMap(this.shared, `${this.prefix}${p}.`);
  }

  /** `cannot find tensor X`: the config asks for a tensor the checkpoint lacks. */
  private missing(key: string): ModelConfigError {
    return new ModelConfigError(`cannot find tensor ${key}`, this.shared.source.source, key);
  }

  /** The full checkpoint key of `name` in this view. */
  key(name: string): string {
    return this.prefix + name;
  }

  /** Whether the checkpoint has `name` under this view. */
  has(name: string): boolean {
    return this.shared.source.has(this.key(name));
  }

  /** Checkpoint shape of `name` (throws `cannot find tensor X` when absent). */
  shape(name: string): number[] {
    const key = this.key(name);
    if (!this.shared.source.has(key)) throw this.missing(key);
    return [...this.shared.source.info(key).shape];
  }

  /**
   * The tensor `name` as float32. When `shape` is given it must match exactly:
   * `shape mismatch for X: expected [..], got [..]`. Tensors are created once and shared (tied weights).
   */
  get<R extends tf.Rank = tf.Rank>(name: string, shape?: readonly number[]): tf.Tensor<R> {
    const key = this.key(name);
    const src = this.shared.source;
    if (!src.has(key)) throw this.missing(key);
    const got = src.info(key).shape;
    if (shape && (shape.length !== got.length || shape.some((d, i) => d !== got[i]))) {
      throw new ModelConfigError(`shape mismatch for ${key}: expected ${fmt(shape)}, got ${fmt(got)}`, this.shared.source.source, key);
    }
    this.shared.used.add(key);
    let t = this.shared.cache.get(key);
    if (!t) {
      t = tf.tensor(src.float32(key), [...got], 'float32');
      tf.keep(t);
      this.shared.cache.set(key, t);
    }
    return t as tf.Tensor<R>;
  }

  /**
   * A tensor derived from the checkpoint at load time (a bias-free norm's zeros, a norm's `1 + weight`), made once
   * by `make` and held with the checkpoint's tensors, so that {@link dispose} frees it too (a load that fails
   * half-way frees everything it made by disposing the map). `name` must not be a checkpoint key.
   */
  derived<R extends tf.Rank = tf.Rank>(name: string, make: () => tf.Tensor<R>): tf.Tensor<R> {
    const key = `${this.key(name)}#derived`;
    let t = this.shared.cache.get(key);
    if (!t) {
      t = tf.keep(tf.tidy(make));
      this.shared.cache.set(key, t);
    }
    return t as tf.Tensor<R>;
  }

  /**
   * An `nn.Linear(inFeatures, outFeatures)` under this view (`weight` [out, in] in the checkpoint, `bias` [out]).
   * Returns the weight transposed to [in, out]: the single place where PyTorch's layout is handled.
   */
  linear(name: string, inFeatures: number, outFeatures: number, bias = true): LinearParams {
    const sub = this.pp(name);
    const key = sub.key(`weight${TRANSPOSED}`);
    let w = this.shared.cache.get(key) as tf.Tensor2D | undefined;
    if (!w) {
      const wkey = sub.key('weight');
      const src = this.shared.source;
      if (!src.has(wkey)) throw this.missing(wkey);
      const got = src.info(wkey).shape;
      if (got.length !== 2 || got[0] !== outFeatures || got[1] !== inFeatures) {
        throw new ModelConfigError(`shape mismatch for ${wkey}: expected ${fmt([outFeatures, inFeatures])}, got ${fmt(got)}`, this.shared.source.source, wkey);
      }
      this.shared.used.add(wkey);
      w = tf.tidy(() => tf.transpose(tf.tensor2d(src.float32(wkey), [outFeatures, inFeatures]))); // [in, out]
      tf.keep(w);
      this.shared.cache.set(key, w);
    }
    return { weight: w, bias: bias ? sub.get<tf.Rank.R1>('bias', [outFeatures]) : undefined };
  }

  /**
   * The checkpoint as PyTorch's `state_dict()` would save it: every key of the source, in the checkpoint's names and
   * layout. A tensor handed out by {@link get} is written from the live tensor, a linear weight handed out by
   * {@link linear} is transposed back to [out, in] (here, the counterpart of the one place that transposes it), so
   * the values are the current ones, not the file's. Floating tensors are written as F32 (as Python, which computes
   * in float32, saves them); other dtypes (e.g. I64 `position_ids` buffers) are copied as stored. Keys no module
   * read are copied from the source.
   */
  async stateDict(): Promise<Record<string, TensorToWrite>> {
    const src = this.shared.source;
    const out: Record<string, TensorToWrite> = {};
    for (const key of src.names()) {
      const info = src.info(key);
      const shape = [...info.shape];
      const live = this.shared.cache.get(key);
      const transposed = key.endsWith('.weight') ? this.shared.cache.get(key + TRANSPOSED) : undefined;
      let data: Float32Array;
      if (live) {
        data = (await live.data()) as Float32Array;
      } else if (transposed) {
        const w = tf.transpose(transposed); // [in, out] -> [out, in]
        try {
          data = (await w.data()) as Float32Array;
        } finally {
          w.dispose();
        }
      } else if (FLOAT_DTYPES.has(info.dtype)) {
        data = src.float32(key);
      } else {
        out[key] = { dtype: info.dtype, shape, data: src.typed(key) };
        continue;
      }
      out[key] = { dtype: 'F32', shape, data };
    }
    return out;
  }

  /** Checkpoint keys that no module has read (reported after loading). */
  unusedKeys(): string[] {
    return this.shared.source.names().filter((k) => !this.shared.used.has(k)).sort();
  }

  /** Keys under this view's prefix. */
  keys(): string[] {
    return this.shared.source.names().filter((k) => k.startsWith(this.prefix));
  }

  /** Number of tensors this map created and still holds. */
  get numTensors(): number {
    return this.shared.cache.size;
  }

  /** Free every tensor this map (and all its prefixed views) created. */
  dispose(): void {
    for (const t of this.shared.cache.values()) t.dispose();
    this.shared.cache.clear();
  }
}

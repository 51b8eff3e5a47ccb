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
import { DTYPE_SIZES, toFloat32, type Dtype, type StoredArray, type TensorInfo, type TensorSource, type TensorToWrite } from '../formats/safetensors.js';
import { freeArrayNow, Q8_FLOAT_LINEARS, Q8_MAX_SCALE, Q8_SCALES_SUFFIX, Q8_VALUES_SUFFIX, Q8LinearWeight, type ModelDtype } from './q8.js';

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

/** A quantized linear layer's parameters (see {@link WeightMap.linearQ8}): the int8 weight, the float bias [out]. */
export interface Q8LinearParams {
  q8: Q8LinearWeight;
  bias?: tf.Tensor1D;
}

/** Options of {@link WeightMap.from}. */
export interface WeightMapOptions {
  /** 'q8': `Linear` layers load their weights int8 ({@link WeightMap.linearQ8}). Default 'fp32'. */
  dtype?: ModelDtype;
}

/** One trainable parameter: its checkpoint key, the live variable, and whether it is held transposed ([in, out]). */
export interface NamedParameter {
  /** The checkpoint key (PyTorch's `named_parameters()` name under the checkpoint's prefix). */
  key: string;
  /** The variable every layer computes with; training assigns it in place. */
  variable: tf.Variable;
  /** True for a linear weight handed out as [in, out] (PyTorch stores [out, in]). */
  transposed: boolean;
}

/**
 * A float32 weight as a trainable `tf.Variable` sharing the tensor's data (no copy); the tensor itself is freed.
 * Layers hold the variable, so an optimizer's `assign` updates every user of the weight (tied weights included).
 */
function asVariable<T extends tf.Tensor>(t: T): T {
  const v = tf.variable(t, true);
  t.dispose();
  return v as unknown as T;
}

interface Shared {
  source: TensorSource;
  used: Set<string>;
  cache: Map<string, tf.Tensor>;
  dtype: ModelDtype;
  /** Quantized linear weights by their module path (`<name>`, without `.weight`). */
  q8: Map<string, Q8LinearWeight>;
  /**
   * The block buffers of quantize-at-load (raw file bytes, their float32 conversion), shared by every layer of a
   * load and dropped by {@link WeightMap.detachSource}: a pair per layer left ~37 pairs of 2-8 MB garbage buffers
   * per model, whose freed memory glibc's malloc kept (its mmap threshold rises to the size of a freed block, so
   * later blocks of that size came from the heap and stayed in RSS: +35-55 MB after the load, docs/q8.md).
   */
  scratch?: { raw: ArrayBuffer; f32: Float32Array };
}

/**
 * The tensors of a source that a model did not read, copied out of it, as a small source of its own (what a
 * quantized map keeps after {@link WeightMap.detachSource}, so the file's bytes can go).
 */
class KeptTensors implements TensorSource {
  private readonly infos = new Map<string, TensorInfo>();
  private readonly data = new Map<string, StoredArray>();
  private readonly floats = new Map<string, Float32Array>();
  constructor(
    readonly source: string,
    private readonly order: string[],
    from: TensorSource,
    keep: (key: string) => boolean,
  ) {
    for (const k of order) {
      this.infos.set(k, from.info(k));
      if (keep(k)) {
        // one read per tensor; an array of its own (a copy unless the source reads copies)
        const d = from.readsCopies ? from.typed(k) : from.typed(k).slice();
        this.data.set(k, d);
        const dtype = from.info(k).dtype;
        if (FLOAT_DTYPES.has(dtype)) this.floats.set(k, toFloat32(d, dtype)); // (F32: the same array)
      }
    }
  }
  names(): string[] {
    return [...this.order];
  }
  has(name: string): boolean {
    return this.infos.has(name);
  }
  info(name: string): TensorInfo {
    const i = this.infos.get(name);
    if (!i) throw new Error(`cannot find tensor ${name}`);
    return i;
  }
  float32(name: string): Float32Array {
    const f = this.floats.get(name);
    if (!f) throw new Error(`${this.source}: tensor ${name} was released after loading (a quantized model keeps only what it uses)`);
    return f;
  }
  typed(name: string): StoredArray {
    const d = this.data.get(name);
    if (!d) throw new Error(`${this.source}: tensor ${name} was released after loading (a quantized model keeps only what it uses)`);
    return d;
  }
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
  static from(source: TensorSource, opts: WeightMapOptions = {}): WeightMap {
    return new WeightMap({ source, used: new Set(), cache: new Map(), dtype: opts.dtype ?? 'fp32', q8: new Map() }, '');
  }

  /** 'q8' when `Linear` layers load int8 weights, else 'fp32'. */
  get dtype(): ModelDtype {
    return this.shared.dtype;
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

  /**
   * Whether the checkpoint has `name` under this view. In a quantized checkpoint `X.weight` counts as present when
   * `X.weight_q8` is (see {@link get}).
   */
  has(name: string): boolean {
    return this.shared.source.has(this.key(name)) || this.quantizedAlias(name) !== undefined;
  }

  /** For `X.weight` stored as `X.weight_q8` (+ `X.weight_scale`), the view of `X`; else undefined. */
  private quantizedAlias(name: string): WeightMap | undefined {
    if (!name.endsWith('weight') || this.shared.source.has(this.key(name))) return undefined;
    const base = name === 'weight' ? '' : name.slice(0, -'.weight'.length);
    if (name !== 'weight' && !name.endsWith('.weight')) return undefined;
    const view = base ? this.pp(base) : this;
    return this.shared.source.has(view.key(Q8_VALUES_SUFFIX)) ? view : undefined;
  }

  /** Checkpoint shape of `name` (throws `cannot find tensor X` when absent). */
  shape(name: string): number[] {
    const key = this.key(name);
    const alias = this.quantizedAlias(name);
    if (alias) return [...this.shared.source.info(alias.key(Q8_VALUES_SUFFIX)).shape];
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
    const alias = this.quantizedAlias(name);
    if (alias) {
      // A quantized checkpoint's `X.weight` read as float: the dequantized values (e.g. a tied decoder).
      let t = this.shared.cache.get(key);
      if (!t) {
        const [rows, cols] = src.info(alias.key(Q8_VALUES_SUFFIX)).shape;
        if (shape && (shape.length !== 2 || shape[0] !== rows || shape[1] !== cols)) throw new Error(`shape mismatch for ${key}: expected ${fmt(shape)}, got ${fmt([rows, cols])}`);
        t = tf.tensor2d(alias.readQ8(cols, rows).dequantize(), [rows, cols]);
        tf.keep(t);
        this.shared.cache.set(key, t);
      }
      return t as tf.Tensor<R>;
    }
    if (!src.has(key)) throw this.missing(key);
    const got = src.info(key).shape;
    if (shape && (shape.length !== got.length || shape.some((d, i) => d !== got[i]))) {
      throw new ModelConfigError(`shape mismatch for ${key}: expected ${fmt(shape)}, got ${fmt(got)}`, this.shared.source.source, key);
    }
    this.shared.used.add(key);
    let t = this.shared.cache.get(key);
    if (!t) {
      t = asVariable(tf.tensor(src.float32(key), [...got], 'float32'));
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
      if (!src.has(wkey) && src.has(sub.key(Q8_VALUES_SUFFIX))) {
        // A quantized checkpoint loaded as fp32: the dequantized weight.
        const q = sub.readQ8(inFeatures, outFeatures);
        w = tf.tidy(() => tf.transpose(tf.tensor2d(q.dequantize(), [outFeatures, inFeatures]))); // [in, out]
        tf.keep(w);
        this.shared.cache.set(key, w);
        return { weight: w, bias: bias ? sub.get<tf.Rank.R1>('bias', [outFeatures]) : undefined };
      }
      if (!src.has(wkey)) throw this.missing(wkey);
      const got = src.info(wkey).shape;
      if (got.length !== 2 || got[0] !== outFeatures || got[1] !== inFeatures) {
        throw new ModelConfigError(`shape mismatch for ${wkey}: expected ${fmt([outFeatures, inFeatures])}, got ${fmt(got)}`, this.shared.source.source, wkey);
      }
      this.shared.used.add(wkey);
      w = asVariable(tf.tidy(() => tf.transpose(tf.tensor2d(src.float32(wkey), [outFeatures, inFeatures])))); // [in, out]
      this.shared.cache.set(key, w);
    }
    return { weight: w, bias: bias ? sub.get<tf.Rank.R1>('bias', [outFeatures]) : undefined };
  }

  /**
   * Whether `Linear.load` makes `name` int8: dtype 'q8', and either the checkpoint holds `name.weight_q8` (a file
   * written by `quantize`, any version) or the layer is not one of {@link Q8_FLOAT_LINEARS}.
   */
  quantizesLinear(name: string): boolean {
    if (this.shared.dtype !== 'q8') return false;
    return this.shared.source.has(this.pp(name).key(Q8_VALUES_SUFFIX)) || !Q8_FLOAT_LINEARS.test(this.key(name));
  }

  /**
   * An `nn.Linear(inFeatures, outFeatures)` under this view with an int8 weight: read from `name.weight_q8` and
   * `name.weight_scale` when the checkpoint holds them (a model written by `quantize`), else quantized from
   * `name.weight` [out, in] per output channel (see ./q8.ts). No float copy of the weight is kept.
   */
  linearQ8(name: string, inFeatures: number, outFeatures: number, bias = true): Q8LinearParams {
    const sub = this.pp(name);
    const path = this.key(name);
    let q = this.shared.q8.get(path);
    if (!q) {
      const src = this.shared.source;
      const wkey = sub.key('weight');
      if (src.has(sub.key(Q8_VALUES_SUFFIX))) {
        q = sub.readQ8(inFeatures, outFeatures);
      } else {
        if (!src.has(wkey)) throw new ModelConfigError(`cannot find tensor ${wkey} (nor ${sub.key(Q8_VALUES_SUFFIX)})`, src.source, wkey);
        const got = src.info(wkey).shape;
        if (got.length !== 2 || got[0] !== outFeatures || got[1] !== inFeatures) {
          throw new ModelConfigError(`shape mismatch for ${wkey}: expected ${fmt([outFeatures, inFeatures])}, got ${fmt(got)}`, src.source, wkey);
        }
        this.shared.used.add(wkey);
        q = this.quantizeAtLoad(wkey, inFeatures, outFeatures);
      }
      this.shared.q8.set(path, q);
    }
    return { q8: q, bias: bias ? sub.get<tf.Rank.R1>('bias', [outFeatures]) : undefined };
  }

  /** The float weight `wkey` [out, in] quantized per row (a row with a NaN or an infinity: a ModelConfigError naming it). */
  private quantizeAtLoad(wkey: string, inFeatures: number, outFeatures: number): Q8LinearWeight {
    const src = this.shared.source;
    let q: Q8LinearWeight;
    try {
      const dtype = src.info(wkey).dtype;
      if (src.typedRange && src.readsCopies && FLOAT_DTYPES.has(dtype)) {
        // a file read tensor by tensor: read and convert a block of rows at a time into two buffers reused block
        // after block (no whole copy of the table, no garbage left for the collector to catch up with)
        const range = src.typedRange.bind(src);
        const block = Math.max(1, Math.min(outFeatures, Math.floor(2 ** 20 / inFeatures)));
        const { raw, f32: conv } = this.scratch(block * inFeatures * DTYPE_SIZES[dtype], block * inFeatures);
        const f32 = dtype === 'F32' ? undefined : conv;
        q = Q8LinearWeight.quantizeBlocks((a, b) => toFloat32(range(wkey, a * inFeatures, b * inFeatures, raw), dtype, f32?.subarray(0, (b - a) * inFeatures)), outFeatures, inFeatures, block);
      } else if (dtype === 'F32') {
        q = Q8LinearWeight.quantize(src.float32(wkey), outFeatures, inFeatures); // a view of the file: no copy
      } else {
        // float16 / bfloat16 / float64: converted a block of rows at a time, so no whole float32 copy is made
        const raw = src.typed(wkey) as Uint16Array | Float64Array;
        q = Q8LinearWeight.quantizeBlocks((a, b) => toFloat32(raw.subarray(a * inFeatures, b * inFeatures), dtype), outFeatures, inFeatures);
      }
    } catch (e) {
      if (e instanceof RangeError) throw new ModelConfigError(`${wkey}: ${e.message}`, src.source, wkey);
      throw e;
    }
    return q;
  }

  /**
   * Block buffers of at least `bytes` raw bytes and `floats` float32s, reused across the layers of one load. Made
   * for a whole block (2^20 elements, 4-byte raw) at once, so layers of different widths share the first pair.
   */
  private scratch(bytes: number, floats: number): { raw: ArrayBuffer; f32: Float32Array } {
    let s = this.shared.scratch;
    if (!s || s.raw.byteLength < bytes || s.f32.length < floats) {
      const raw = Math.max(bytes, s?.raw.byteLength ?? 0, 2 ** 22);
      const old = s;
      s = { raw: new ArrayBuffer(raw), f32: new Float32Array(Math.max(floats, s?.f32.length ?? 0, 2 ** 20)) };
      if (old) {
        freeArrayNow(new Uint8Array(old.raw)); // (no block of the smaller pair is in use between layers)
        freeArrayNow(old.f32);
      }
      this.shared.scratch = s;
    }
    return s;
  }

  /** `weight_q8` and `weight_scale` under this view, checked and copied out of the source. */
  private readQ8(inFeatures: number, outFeatures: number): Q8LinearWeight {
    const src = this.shared.source;
    const vkey = this.key(Q8_VALUES_SUFFIX);
    const skey = this.key(Q8_SCALES_SUFFIX);
    const vi = src.info(vkey);
    const fail = (key: string, msg: string) => new ModelConfigError(`${key}: ${msg}`, src.source, key);
    if (vi.dtype !== 'I8' || vi.shape.length !== 2 || vi.shape[0] !== outFeatures || vi.shape[1] !== inFeatures) {
      throw fail(vkey, `expected I8 ${fmt([outFeatures, inFeatures])}, got ${vi.dtype} ${fmt(vi.shape)}`);
    }
    if (!src.has(skey)) throw new ModelConfigError(`cannot find tensor ${skey} (the scales of ${vkey})`, src.source, skey);
    const si = src.info(skey);
    if (si.dtype !== 'F32' || si.shape.length !== 1 || si.shape[0] !== outFeatures) throw fail(skey, `expected F32 [${outFeatures}], got ${si.dtype} ${fmt(si.shape)}`);
    this.shared.used.add(vkey);
    this.shared.used.add(skey);
    // (copied out of a buffer the source keeps; a file read tensor by tensor hands out arrays of their own)
    const values = src.readsCopies ? (src.typed(vkey) as Int8Array) : (src.typed(vkey) as Int8Array).slice();
    const scales = src.readsCopies ? src.float32(skey) : src.float32(skey).slice();
    for (let i = 0; i < values.length; i++) {
      if (values[i] === -128) throw fail(vkey, `values must lie in [-127, 127], got -128 at ${i}`);
    }
    for (let i = 0; i < scales.length; i++) {
      // (above Q8_MAX_SCALE, no finite float32 row quantizes to it, and the dequantized weight overflows float32)
      if (!(scales[i] > 0 && scales[i] <= Q8_MAX_SCALE)) throw fail(skey, `scales must be finite, > 0 and at most ${Q8_MAX_SCALE} (max |float32| / 127), got ${scales[i]} at ${i}`);
    }
    return new Q8LinearWeight(values, scales, inFeatures, outFeatures, true); // (its own array either way)
  }

  /**
   * Let the source go (its file bytes or its open file with it) once the model is built: the tensors no module
   * read are copied into a small source of their own, so {@link stateDict} still writes them, and the source is
   * closed. Every model load does it (a float32 model's used weights live in its tensors; a quantized model's float
   * linear weights must not stay resident); the tensors handed out stay valid.
   */
  detachSource(): void {
    const scratch = this.shared.scratch;
    this.shared.scratch = undefined;
    if (scratch) {
      // (blocks of the file and their conversion, 4 + 4 MB: nothing else holds them once the model is built)
      freeArrayNow(new Uint8Array(scratch.raw));
      freeArrayNow(scratch.f32);
    }
    const src = this.shared.source;
    if (src instanceof KeptTensors) return;
    const used = this.shared.used;
    const kept = new KeptTensors(src.source, src.names(), src, (k) => !used.has(k) && !this.shared.cache.has(k));
    this.shared.source = kept;
    src.close?.(); // a file read tensor by tensor: its descriptor goes now
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
      const base = key.endsWith(`.${Q8_VALUES_SUFFIX}`) ? key.slice(0, -Q8_VALUES_SUFFIX.length - 1) : key.endsWith('.weight') ? key.slice(0, -'.weight'.length) : undefined;
      const q = base !== undefined ? this.shared.q8.get(base) : undefined;
      if (q) {
        // A quantized linear: its int8 values and scales (in place of the float weight).
        out[`${base}.${Q8_VALUES_SUFFIX}`] = { dtype: 'I8', shape: [q.outFeatures, q.inFeatures], data: q.values };
        out[`${base}.${Q8_SCALES_SUFFIX}`] = { dtype: 'F32', shape: [q.outFeatures], data: q.scales };
        continue;
      }
      if (key.endsWith(`.${Q8_SCALES_SUFFIX}`) && this.shared.q8.has(key.slice(0, -Q8_SCALES_SUFFIX.length - 1))) continue;
      if (base !== undefined && key.endsWith(`.${Q8_VALUES_SUFFIX}`)) {
        // A quantized checkpoint loaded as fp32: the (dequantized) float weight under its PyTorch name.
        const t = this.shared.cache.get(`${base}.weight${TRANSPOSED}`);
        if (t) {
          const w = tf.transpose(t); // [in, out] -> [out, in]
          try {
            out[`${base}.weight`] = { dtype: 'F32', shape: [...w.shape], data: (await w.data()) as Float32Array };
          } finally {
            w.dispose();
          }
          continue;
        }
      }
      if (key.endsWith(`.${Q8_SCALES_SUFFIX}`) && this.shared.cache.has(`${key.slice(0, -Q8_SCALES_SUFFIX.length - 1)}.weight${TRANSPOSED}`)) continue;
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

  /**
   * The parameters the model has read, as live variables, in the order they were first read (PyTorch's
   * `named_parameters()` order for the encoders, which read their weights in module order). Keys no module read
   * (a pooler under mean pooling) are not parameters of the computation and are not listed: they stay as stored.
   */
  parameters(): NamedParameter[] {
    const out: NamedParameter[] = [];
    for (const [cacheKey, t] of this.shared.cache) {
      if (!(t instanceof tf.Variable)) continue;
      const transposed = cacheKey.endsWith(TRANSPOSED);
      out.push({ key: transposed ? cacheKey.slice(0, -TRANSPOSED.length) : cacheKey, variable: t, transposed });
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

  /** Free every tensor (and quantized weight) this map (and all its prefixed views) created. */
  dispose(): void {
    for (const t of this.shared.cache.values()) t.dispose();
    this.shared.cache.clear();
    for (const q of this.shared.q8.values()) q.dispose();
    this.shared.q8.clear();
  }
}

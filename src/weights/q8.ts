/**
 * int8 ("q8") linear weights: symmetric, one scale per output channel (per row of PyTorch's [out, in] weight),
 * quantized once when a model loads with `dtype: 'q8'`, or read from a model written by `sentence-tfjs quantize`.
 *
 * The values are [-127, 127] (scale = max|row| / 127). The activations, quantized per row at run time, are the
 * 7-bit side that the wasm kernel's relaxed-SIMD dot product needs (see the int8 section of
 * src/kernels/wasm/kernels.c for the choice and its measured accuracy).
 *
 * Saved layout (safetensors keys, next to the float tensors the model keeps: embeddings, norms, biases):
 *   `<linear>.weight_q8`    I8  [out, in]  the values in [-127, 127]
 *   `<linear>.weight_scale` F32 [out]      the scales: weight ~= weight_q8 * weight_scale[:, None]
 * (`<linear>.weight` itself is absent), and {@link Q8_MARKER_FILE} in the model folder says the folder is
 * quantized.
 *
 * Pure typed-array code: no tfjs.
 */

/** Largest quantized magnitude of a weight (symmetric int8). */
export const Q8_WEIGHT_QMAX = 127;
/**
 * The largest per-row scale a finite float32 weight row gives (max|row| / 127 <= FLT_MAX / 127): a file holding a
 * larger one was not written by `quantize`, and its dequantized weight overflows float32.
 */
export const Q8_MAX_SCALE = Math.fround(3.4028234663852886e38 / Q8_WEIGHT_QMAX);
/** Key suffix of the int8 values of a quantized linear weight (replacing `weight`). */
export const Q8_VALUES_SUFFIX = 'weight_q8';
/** Key suffix of the per-output-channel scales of a quantized linear weight. */
export const Q8_SCALES_SUFFIX = 'weight_scale';
/** The file (in a Transformer's folder) marking a quantized model; its contents: {@link Q8Marker}. */
export const Q8_MARKER_FILE = 'sentence_tfjs_quantization.json';

/**
 * The attention output projections (BERT / RoBERTa `attention.output.dense`, MPNet `attention.attn.o`, DistilBERT
 * `attention.out_lin`, ModernBERT `attn.Wo`, Qwen3 / Gemma `self_attn.o_proj`). Their input is the attention
 * context, each row the concatenation of heads of very different magnitudes, which one per-row 7-bit scale resolves
 * worst. Measured on minilm-l6-full (scripts/q8-sensitivity.py, table in docs/q8.md): int8 with one activation scale
 * per row gives a min cosine with fp32 over the fixture texts of 0.99899; float32, 0.99934; int8 with one scale per
 * row and head (`actGroup` = head_dim), 0.99910. So a 'q8' load makes them int8 with per-head scales where the model
 * passes its head size (`Linear.load`'s q8ActGroup: BERT, RoBERTa, MPNet, DistilBERT, ModernBERT) and otherwise
 * (Qwen3, Gemma: tiny-qwen3's min cosine fell to 0.99889 with it) keeps the ones this pattern matches float32
 * unless the checkpoint already holds them int8.
 */
export const Q8_FLOAT_LINEARS = /(^|\.)(attention\.output\.dense|attention\.attn\.o|attention\.out_lin|attn\.Wo|self_attn\.o_proj)$/;

/** The contents of {@link Q8_MARKER_FILE}. */
export interface Q8Marker {
  /** Always 'q8'. */
  dtype: 'q8';
  /**
   * Format version: 3 (this library) stores the BERT-family and ModernBERT attention output projections int8 (run
   * with per-head activation scales) and keeps Qwen3 / Gemma's float32 (`X.weight`); 2 kept every one of them
   * float32; 1 quantized every linear layer. All load alike: a layer is int8 when the file holds `X.weight_q8`, and
   * a BERT-family / ModernBERT attention output projection is int8 whatever the file holds (quantized at load if
   * float32).
   */
  format_version: number;
  /** Linear layers left float32 (informative; version 2). */
  float_linears?: string;
  /** How the weights were quantized (informative). */
  weights: string;
  /** How activations are quantized at run time (informative). */
  activations: string;
}

/** The marker written by `quantize`. */
export function q8Marker(): Q8Marker {
  return {
    dtype: 'q8',
    format_version: 3,
    float_linears: `attention output projections (${Q8_FLOAT_LINEARS.source}) of models that do not run them with per-head activation scales (Qwen3, Gemma), stored as <linear>.weight F32`,
    weights: `int8 symmetric per output channel (per row of the word-embedding table), values in [-${Q8_WEIGHT_QMAX}, ${Q8_WEIGHT_QMAX}]: <linear or word embeddings>.${Q8_VALUES_SUFFIX} I8 [out, in], <linear or word embeddings>.${Q8_SCALES_SUFFIX} F32 [out]`,
    activations: '7-bit asymmetric per row (zero point), dynamic (at run time), int32 accumulation; attention output projections of BERT, RoBERTa, MPNet, DistilBERT and ModernBERT: per row and head',
  };
}

/** Quantize `count` rows of `w` (rows of `inFeatures` floats) into rows `first`.. of `values` / `scales`. */
function quantizeRowsInto(w: Float32Array, values: Int8Array, scales: Float32Array, first: number, count: number, inFeatures: number): void {
  for (let i = 0; i < count; i++) {
    const row = i * inFeatures;
    const out = (first + i) * inFeatures;
    let amax = 0;
    let nan = false;
    for (let k = 0; k < inFeatures; k++) {
      const a = Math.abs(w[row + k]);
      if (a > amax) amax = a;
      else if (a !== a) nan = true; // (a NaN is never > amax: without this it was quantized to 0)
    }
    if (nan || !Number.isFinite(amax)) throw new RangeError(`Q8LinearWeight.quantize: row ${first + i} holds a non-finite value`);
    const s = amax > 0 ? Math.fround(amax / Q8_WEIGHT_QMAX) : 1;
    scales[first + i] = s;
    for (let k = 0; k < inFeatures; k++) {
      const q = Math.fround(w[row + k] / s) + ROUND - ROUND; // fround(a / b) is float32 division
      values[out + k] = q > Q8_WEIGHT_QMAX ? Q8_WEIGHT_QMAX : q < -Q8_WEIGHT_QMAX ? -Q8_WEIGHT_QMAX : q;
    }
  }
}

/** The model dtypes a load accepts: 'fp32' (default) or 'q8' (int8 linear weights, dynamic int8 activations). */
export type ModelDtype = 'fp32' | 'q8';
const MODEL_DTYPES: readonly ModelDtype[] = ['fp32', 'q8'];

/** Check a `dtype` load option: undefined, 'fp32' or 'q8' (else a TypeError naming `argName`). */
export function checkModelDtype(dtype: unknown, argName = 'dtype'): ModelDtype | undefined {
  if (dtype === undefined) return undefined;
  if (typeof dtype === 'string' && (MODEL_DTYPES as readonly string[]).includes(dtype)) return dtype as ModelDtype;
  throw new TypeError(`${argName}: expected one of ${MODEL_DTYPES.map((d) => `'${d}'`).join(', ')}, got ${JSON.stringify(dtype)}`);
}

/**
 * Free the memory of `a` now, when it is the whole of its own ArrayBuffer: `transfer(0)` (ES2024; Node 21+, current
 * browsers) detaches the buffer, and V8 releases its backing store at once instead of at the collector's next full
 * pass (which, during an encode, may come after the peak: the int8 values of every packed layer, 9.7 MB on
 * minilm-l6, were still resident at the end of a 300-sentence encode, docs/q8.md "Memory"). Use only on arrays no
 * one else holds: every view of the buffer becomes empty. Returns whether it was freed (false on older engines).
 */
export function freeArrayNow(a: ArrayBufferView): boolean {
  const buf = a.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer; detached?: boolean };
  if (typeof buf.transfer !== 'function' || buf.detached || a.byteOffset !== 0 || a.byteLength !== buf.byteLength) return false;
  if (typeof SharedArrayBuffer !== 'undefined' && (a.buffer as unknown) instanceof SharedArrayBuffer) return false;
  buf.transfer(0);
  return true;
}

/**
 * 1.5 * 2^52: for |v| < 2^51, `(v + ROUND) - ROUND` is v rounded to the nearest integer, ties to even (as f32.nearest
 * and tf.round), by float64 addition's own rounding (about 10x faster than Math.round plus a tie fix-up).
 */
const ROUND = 6755399441055744;

/**
 * A quantized `nn.Linear` weight: `values` [out, in] row-major in [-127, 127] and `scales` [out]. Holds plain typed
 * arrays; kernels may keep packed copies in their own memory and free them through {@link onDispose}.
 */
export class Q8LinearWeight {
  /**
   * Activation group size along the input: 0 (default), one 7-bit activation scale per row; G > 0 (a multiple of 4
   * dividing inFeatures), one per row and group of G consecutive inputs. The attention output projections run with
   * G = head_dim (set by their model at load): each head of the context gets its own scale. A run-time setting, not
   * stored in a quantized file (the weights are the same).
   */
  actGroup = 0;
  private disposers: (() => void)[] = [];
  private isDisposed = false;
  /** The JS copy of the values, until a kernel holding a packed copy releases it ({@link releaseValues}). */
  private held?: Int8Array;
  /** Re-derives the values from that packed copy, and which packing it is. */
  private source?: { unpack: () => Int8Array; token: object };

  constructor(
    /** int8 values [out, in] (PyTorch layout), in [-127, 127]. */
    values: Int8Array,
    /** Per-output-channel scales [out]. */
    readonly scales: Float32Array,
    readonly inFeatures: number,
    readonly outFeatures: number,
    /**
     * Whether `values` belongs to this weight alone (made by {@link quantize} or read by a weight map): its memory is
     * then freed at once when a packed copy stands in for it ({@link releaseValues}). Default false: a caller's
     * array is only dropped.
     */
    private readonly ownsValues = false,
  ) {
    if (values.length !== inFeatures * outFeatures) throw new Error(`Q8LinearWeight: values must hold ${outFeatures} x ${inFeatures} = ${inFeatures * outFeatures} entries, got ${values.length}`);
    if (scales.length !== outFeatures) throw new Error(`Q8LinearWeight: scales must hold ${outFeatures} entries, got ${scales.length}`);
    this.held = values;
  }

  /**
   * The int8 values [out, in] (PyTorch layout), in [-127, 127]. Once a kernel keeps a packed copy (the wasm
   * GEMM), the JS copy is dropped and this re-derives a fresh array from the packed one on each read: read it
   * once into a local, not per element.
   */
  get values(): Int8Array {
    return this.held ?? this.source!.unpack();
  }

  /** Whether the JS copy of the values is held (false once a packed copy stands in for it). */
  get holdsValues(): boolean {
    return this.held !== undefined;
  }

  /**
   * Drop the JS copy of the values: `unpack` re-derives them from a packed copy (identified by `token`) that lives
   * until this weight is disposed or {@link restoreValues} is called with the same token. No-op if already dropped.
   */
  releaseValues(unpack: () => Int8Array, token: object): void {
    if (this.held === undefined || this.isDisposed) return;
    this.source = { unpack, token };
    const held = this.held;
    this.held = undefined;
    if (this.ownsValues) freeArrayNow(held);
  }

  /** Take the JS copy back from the packed copy `token` (before that copy is freed while this weight lives on). */
  restoreValues(token: object): void {
    if (this.held !== undefined || this.source?.token !== token) return;
    this.held = this.source.unpack();
    this.source = undefined;
  }

  /** Quantize a float weight [out, in] (row-major, PyTorch layout) per output channel. */
  static quantize(w: Float32Array, outFeatures: number, inFeatures: number): Q8LinearWeight {
    if (w.length !== outFeatures * inFeatures) throw new Error(`Q8LinearWeight.quantize: w must hold ${outFeatures} x ${inFeatures} floats, got ${w.length}`);
    const values = new Int8Array(w.length);
    const scales = new Float32Array(outFeatures);
    quantizeRowsInto(w, values, scales, 0, outFeatures, inFeatures);
    return new Q8LinearWeight(values, scales, inFeatures, outFeatures, true);
  }

  /**
   * Quantize a weight [out, in] handed out in blocks of rows: `rows(start, end)` returns rows [start, end) as float32
   * (so a float16 checkpoint is converted a block at a time, never whole).
   */
  static quantizeBlocks(rows: (start: number, end: number) => Float32Array, outFeatures: number, inFeatures: number, block = 4096): Q8LinearWeight {
    const values = new Int8Array(outFeatures * inFeatures);
    const scales = new Float32Array(outFeatures);
    for (let r0 = 0; r0 < outFeatures; r0 += block) {
      const r1 = Math.min(outFeatures, r0 + block);
      const w = rows(r0, r1);
      if (w.length !== (r1 - r0) * inFeatures) throw new Error(`Q8LinearWeight.quantizeBlocks: rows ${r0}..${r1} must hold ${(r1 - r0) * inFeatures} floats, got ${w.length}`);
      quantizeRowsInto(w, values, scales, r0, r1 - r0, inFeatures);
    }
    return new Q8LinearWeight(values, scales, inFeatures, outFeatures, true);
  }


  /** The dequantized weight [out, in]: values * scales per row. */
  dequantize(): Float32Array {
    const v = this.values;
    const out = new Float32Array(v.length);
    for (let n = 0; n < this.outFeatures; n++) {
      const s = this.scales[n];
      const row = n * this.inFeatures;
      for (let k = 0; k < this.inFeatures; k++) out[row + k] = v[row + k] * s;
    }
    return out;
  }

  /** Whether {@link dispose} ran. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Run `fn` when this weight is disposed (frees copies held elsewhere, e.g. packed in a wasm heap). */
  onDispose(fn: () => void): void {
    if (this.isDisposed) fn();
    else this.disposers.push(fn);
  }

  /** Free what others hold for this weight (the typed arrays go with the garbage collector). */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.held = undefined;
    this.source = undefined;
    const fns = this.disposers;
    this.disposers = [];
    for (const f of fns) f();
  }
}

/**
 * quantize_embeddings of sentence-transformers v3.4.1, bit for bit.
 *
 * Reference: https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/quantization.py
 *
 * - ranges: explicit `ranges` [2, D] win; else the calibration embeddings' per-dimension (min, max); else the
 *   embeddings' own (min, max).
 * - int8 / uint8: float32 arithmetic as numpy on float32 arrays: steps = (max - min) / 255,
 *   uint8 = ((x - min) / steps) cast, int8 = ((x - min) / steps - 128) cast. `Math.fround(a op b)` is the
 *   correctly rounded float32 result for + - * / (double has more than 2 * 24 + 2 bits), so each step is exact.
 *   The casts truncate toward zero and keep the low 8 bits of out-of-range values, as numpy on x86-64 and as
 *   JS Int8Array / Uint8Array assignment (ToInt8 / ToUint8). NaN and infinities (e.g. a constant dimension,
 *   where steps = 0) become 0 on both.
 * - binary / ubinary: bits = x > 0 (0 and -0 give 0), numpy.packbits over the FLATTENED [N, D] array (bit 7 of
 *   a byte = the first value), reshaped to N rows: when D % 8 != 0 consecutive rows share bytes, and the
 *   reshape fails (as numpy's ValueError) when the byte count is not a multiple of N.
 *   binary = packed - 128 as int8, ubinary = packed as uint8.
 */
import { logger } from './logger.js';
import { toMatrix, type EmbeddingsInput, type Matrix } from './matrix.js';

/** The precisions of sentence-transformers' `quantize_embeddings`. */
export type QuantizationPrecision = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';

/** Every {@link QuantizationPrecision}, for validating user input. */
export const QUANTIZATION_PRECISIONS: readonly QuantizationPrecision[] = ['float32', 'int8', 'uint8', 'binary', 'ubinary'];

/** Per-dimension [min row, max row], i.e. numpy's ranges of shape [2, D]. */
export type QuantizationRanges = readonly [ArrayLike<number>, ArrayLike<number>] | readonly ArrayLike<number>[];

/** Options of {@link quantizeEmbeddings}: where the int8/uint8 ranges come from. */
export interface QuantizeOptions {
  /** Explicit per-dimension [mins, maxs] ([2, D]); used as float32. Wins over calibrationEmbeddings. */
  ranges?: QuantizationRanges;
  /** Embeddings whose per-dimension min/max give the ranges (instead of the embeddings' own). */
  calibrationEmbeddings?: EmbeddingsInput;
}

/** A quantized matrix: row-major `data` of the output dtype, `cols` values per row. */
export interface QuantizedMatrix<A extends Int8Array | Uint8Array | Float32Array = Int8Array | Uint8Array | Float32Array> {
  readonly precision: QuantizationPrecision;
  /** safetensors / numpy dtype of `data`: 'I8' (int8, binary), 'U8' (uint8, ubinary) or 'F32'. */
  readonly dtype: 'I8' | 'U8' | 'F32';
  readonly rows: number;
  readonly cols: number;
  readonly data: A;
  /** The [mins, maxs] used by int8 / uint8 (diagnostic; null otherwise). */
  readonly ranges: [Float32Array, Float32Array] | null;
}

type RowsOf<P extends QuantizationPrecision> = P extends 'int8' | 'binary' ? Int8Array : P extends 'uint8' | 'ubinary' ? Uint8Array : Float32Array;

function isIntegerRows(x: unknown): boolean {
  const isInt = (v: unknown): boolean => v instanceof Int8Array || v instanceof Uint8Array;
  return isInt(x) || (Array.isArray(x) && x.length > 0 && isInt(x[0]));
}

/** Per-dimension (min, max) of a matrix, as numpy min/max over axis 0 (float32 values). */
export function computeQuantizationRanges(embeddings: EmbeddingsInput): [Float32Array, Float32Array] {
  const m = toMatrix(embeddings, 'computeQuantizationRanges: embeddings');
  return columnMinMax(m, 'computeQuantizationRanges');
}

function columnMinMax(m: Matrix, where: string): [Float32Array, Float32Array] {
  if (m.rows === 0) throw new RangeError(`${where}: cannot compute ranges of 0 embeddings (numpy: zero-size array to reduction operation minimum)`);
  const mins = m.data.slice(0, m.cols);
  const maxs = m.data.slice(0, m.cols);
  for (let i = 1; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[o + j];
      // numpy's minimum / maximum propagate NaN.
      if (v < mins[j] || v !== v) mins[j] = v;
      if (v > maxs[j] || v !== v) maxs[j] = v;
    }
  }
  return [mins, maxs];
}

function resolveRanges(m: Matrix, precision: string, options: QuantizeOptions): [Float32Array, Float32Array] {
  const where = 'quantizeEmbeddings';
  if (options.ranges !== undefined && options.ranges !== null) {
    const r = options.ranges;
    if (r.length !== 2 || r[0].length !== m.cols || r[1].length !== m.cols) {
      const shape = r.length === 2 ? `[2, ${r[0].length}${r[1].length !== r[0].length ? `/${r[1].length}` : ''}]` : `[${r.length}, ...]`;
      throw new RangeError(`${where}: ranges must have shape [2, ${m.cols}] (mins, maxs per dimension) for embeddings [${m.rows}, ${m.cols}], got ${shape}`);
    }
    return [Float32Array.from(r[0]), Float32Array.from(r[1])];
  }
  if (options.calibrationEmbeddings !== undefined && options.calibrationEmbeddings !== null) {
    const cal = toMatrix(options.calibrationEmbeddings, `${where}: calibrationEmbeddings`);
    if (cal.cols !== m.cols) {
      throw new RangeError(
        `${where}: embeddings have shape [${m.rows}, ${m.cols}] and calibrationEmbeddings have shape [${cal.rows}, ${cal.cols}]: the dimensions must match`,
      );
    }
    return columnMinMax(cal, `${where}: calibrationEmbeddings`);
  }
  if (m.rows < 100) {
    logger.warn(
      `Computing ${precision} quantization buckets based on ${m.rows} embedding${m.rows !== 1 ? 's' : ''}. ${precision} quantization is ` +
        'more stable with `ranges` calculated from more embeddings or a `calibrationEmbeddings` that can be used to calculate the buckets.',
    );
  }
  return columnMinMax(m, where);
}

/** numpy.packbits of (x > 0) over the flattened matrix, then reshape(N, -1). */
function packSignBits(m: Matrix): Uint8Array {
  const total = m.rows * m.cols;
  const nbytes = Math.ceil(total / 8);
  if (m.rows === 0 || nbytes % m.rows !== 0) {
    throw new RangeError(
      `quantizeEmbeddings: cannot reshape array of size ${nbytes} into shape (${m.rows},newaxis) ` +
        `(numpy ValueError: ${m.rows} x ${m.cols} sign bits pack into ${nbytes} bytes, not a multiple of ${m.rows} rows)`,
    );
  }
  const out = new Uint8Array(nbytes);
  const d = m.data;
  for (let t = 0; t < total; t++) if (d[t] > 0) out[t >> 3] |= 0x80 >> (t & 7);
  return out;
}

/**
 * Quantize embeddings (`quantize_embeddings`) and return the matrix with its dtype; see the module notes for
 * the exact semantics. Throws for integer inputs, as Python does.
 */
export function quantizeEmbeddingsMatrix(
  embeddings: EmbeddingsInput,
  precision: QuantizationPrecision,
  options: QuantizeOptions = {},
): QuantizedMatrix {
  const where = 'quantizeEmbeddings';
  if (!QUANTIZATION_PRECISIONS.includes(precision)) {
    throw new RangeError(`${where}: precision must be one of ${QUANTIZATION_PRECISIONS.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(precision)}`);
  }
  if (isIntegerRows(embeddings)) throw new TypeError(`${where}: embeddings to quantize must be float rather than int8 or uint8`);
  const m = toMatrix(embeddings, `${where}: embeddings`);
  const { rows, cols } = m;
  if (precision === 'float32') return { precision, dtype: 'F32', rows, cols, data: m.data.slice(), ranges: null };
  if (precision === 'binary' || precision === 'ubinary') {
    const packed = packSignBits(m);
    const packedCols = rows ? packed.length / rows : 0;
    if (precision === 'ubinary') return { precision, dtype: 'U8', rows, cols: packedCols, data: packed, ranges: null };
    const out = new Int8Array(packed.length);
    for (let t = 0; t < packed.length; t++) out[t] = packed[t] - 128;
    return { precision, dtype: 'I8', rows, cols: packedCols, data: out, ranges: null };
  }
  const [starts, ends] = resolveRanges(m, precision, options);
  const steps = new Float32Array(cols);
  for (let j = 0; j < cols; j++) steps[j] = Math.fround(ends[j] - starts[j]) / 255;
  const f = Math.fround;
  const d = m.data;
  if (precision === 'uint8') {
    const out = new Uint8Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) out[o + j] = f(f(d[o + j] - starts[j]) / steps[j]);
    }
    return { precision, dtype: 'U8', rows, cols, data: out, ranges: [starts, ends] };
  }
  const out = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = f(f(f(d[o + j] - starts[j]) / steps[j]) - 128);
  }
  return { precision, dtype: 'I8', rows, cols, data: out, ranges: [starts, ends] };
}

/** Split a quantized matrix into per-row views sharing its buffer. */
export function quantizedRows<A extends Int8Array | Uint8Array | Float32Array>(q: QuantizedMatrix<A>): A[] {
  const out: A[] = new Array(q.rows);
  for (let i = 0; i < q.rows; i++) out[i] = q.data.subarray(i * q.cols, (i + 1) * q.cols) as A;
  return out;
}

/**
 * Quantize embeddings to 'int8' | 'uint8' | 'binary' | 'ubinary' (or copy as 'float32'), exactly as
 * sentence-transformers' `quantize_embeddings`. Returns one typed-array row per embedding (views sharing one
 * buffer): Int8Array for int8 / binary, Uint8Array for uint8 / ubinary, Float32Array for float32.
 * binary / ubinary rows hold ceil(D / 8) packed bytes (see the module notes when D % 8 != 0).
 */
export function quantizeEmbeddings<P extends QuantizationPrecision>(
  embeddings: EmbeddingsInput,
  precision: P,
  options: QuantizeOptions = {},
): RowsOf<P>[] {
  return quantizedRows(quantizeEmbeddingsMatrix(embeddings, precision, options)) as RowsOf<P>[];
}

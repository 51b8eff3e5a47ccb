/**
 * NumPy `.npy` reader and writer, tfjs-free (typed arrays in, bytes out), so it runs anywhere.
 *
 * Format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *   6 bytes  magic `\x93NUMPY`
 *   2 bytes  version major, minor
 *   2 bytes  u16 little-endian header length (version 1.0), or 4 bytes u32 (2.0 and 3.0)
 *   header   a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, padded with
 *            spaces and ended by '\n' so the data starts at a multiple of 64 bytes
 *   rest     the data, C order.
 *
 * Written: version 1.0 as `numpy.save` writes it, dtypes '<f4' / '|i1' / '|u1', C order, any rank.
 * Read: versions 1.0 / 2.0 / 3.0 with those dtypes plus '<f8' (converted to float32), C order only.
 *
 * @example
 * ```ts
 * const bytes = serializeNpyArray({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
 * parseNpyArray(bytes).shape; // [2, 3]
 * ```
 */

/** The element types the writer produces (safetensors dtype names). */
export type NpyDtype = 'F32' | 'I8' | 'U8';

/** A typed array of one of the {@link NpyDtype}s. */
export type NpyData = Float32Array | Int8Array | Uint8Array;

/** An n-dimensional C-order array: `data` holds prod(shape) elements. */
export interface NpyArray {
  data: NpyData;
  shape: readonly number[];
}

/** An array read from a .npy file, with its element type. */
export interface ParsedNpy {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PREAMBLE_V1 = 10; // magic (6) + version (2) + u16 header length (2)

/** The dtype of a typed array. */
export function npyDtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new TypeError(`npy data: expected a Float32Array, Int8Array or Uint8Array, got ${Object.prototype.toString.call(data)}`);
}

/** NumPy `descr` per dtype (little-endian float32; one-byte integers have no byte order). */
const DESCR: Record<NpyDtype, string> = { F32: '<f4', I8: '|i1', U8: '|u1' };

/** Python's tuple literal for a shape: `(3,)` for one dimension, `(2, 3)` otherwise, `()` for a scalar. */
function shapeLiteral(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The header of a .npy file (magic, version 1.0, header length, the dict padded with spaces and ended by '\n'):
 * `data` follows it. Its length is a multiple of 64, and at least `minBytes` (a streaming writer reserves room
 * for a header whose row count is not known yet, {@link NPY_STREAM_HEADER_BYTES}, and rewrites it at the end).
 */
export function serializeNpyHeader(dtype: NpyDtype, shape: readonly number[], minBytes = 0, where = 'serializeNpyHeader'): Uint8Array {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${where}: shape must hold non-negative integers, got [${shape.join(', ')}]`);
  }
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  const natural = Math.ceil((PREAMBLE_V1 + dict.length + 1) / 64) * 64;
  const total = Math.max(natural, Math.ceil(minBytes / 64) * 64);
  const header = dict + ' '.repeat(total - PREAMBLE_V1 - dict.length - 1) + '\n';
  if (header.length > 0xffff) throw new RangeError(`${where}: a header of ${header.length} bytes does not fit format version 1.0 (at most 65535)`);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1; // version 1.0
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE_V1 + i] = header.charCodeAt(i);
  return out;
}

/**
 * The header size a streaming .npy writer reserves: room for any 2-D shape with up to 16-digit dimensions, so the
 * header written before the rows are known can be rewritten in place with the final row count.
 */
export const NPY_STREAM_HEADER_BYTES = 128;

/** Serialize an array as a .npy file, format version 1.0, byte for byte what `numpy.save` writes. */
export function serializeNpyArray(array: NpyArray, where = 'serializeNpyArray'): Uint8Array {
  const { data, shape } = array;
  const dtype = npyDtypeOf(data);
  const header = serializeNpyHeader(dtype, shape, 0, where);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`${where}: shape [${shape.join(', ')}] needs ${count} values, data has ${data.length}`);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
}

function parseHeader(text: string, source: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new RangeError(`${source}: malformed .npy header ${JSON.stringify(text.trim())}`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${source}: bad shape entry ${JSON.stringify(s)} in .npy header`);
      return v;
    });
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: dims };
}

/** Element size per accepted `descr`. */
const SIZES: Record<string, number> = { '<f4': 4, '<f8': 8, '|i1': 1, '|u1': 1, i1: 1, u1: 1, '<i1': 1, '<u1': 1 };

/**
 * Parse a .npy file of float32 / int8 / uint8 (or float64, converted to float32) in C order, any rank.
 * `source` names the file in errors. The data is copied (aligned, detached from `bytes`).
 */
export function parseNpyArray(bytes: ArrayBuffer | Uint8Array, source = '<npy>'): ParsedNpy {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < PREAMBLE_V1 || MAGIC.some((v, i) => b[i] !== v)) throw new RangeError(`${source}: not a .npy file (missing the \\x93NUMPY magic)`);
  const major = b[6];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = PREAMBLE_V1;
  } else if (major === 2 || major === 3) {
    if (b.length < 12) throw new RangeError(`${source}: truncated .npy header`);
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    throw new RangeError(`${source}: unsupported .npy format version ${major}.${b[7]} (expected 1.0, 2.0 or 3.0)`);
  }
  if (start + headerLen > b.length) throw new RangeError(`${source}: .npy header runs past the end of the file`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(b.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(text, source);
  if (fortran) throw new RangeError(`${source}: fortran_order True is not supported; save a C-ordered array (numpy.ascontiguousarray)`);
  const count = shape.reduce((a, c) => a * c, 1);
  const size = SIZES[descr];
  if (size === undefined) {
    throw new RangeError(`${source}: unsupported dtype ${JSON.stringify(descr)} (expected '<f4', '|i1', '|u1' or '<f8'; big-endian data is not supported)`);
  }
  const body = b.subarray(start + headerLen);
  if (body.length < count * size) throw new RangeError(`${source}: data has ${body.length} bytes, shape (${shape.join(', ')}) x ${descr} needs ${count * size}`);
  const raw = body.slice(0, count * size); // copy: aligned and detached from the input
  if (descr === '<f4') return { dtype: 'F32', shape, data: new Float32Array(raw.buffer, 0, count) };
  if (descr === '<f8') return { dtype: 'F32', shape, data: Float32Array.from(new Float64Array(raw.buffer, 0, count)) };
  if (descr.endsWith('i1')) return { dtype: 'I8', shape, data: new Int8Array(raw.buffer, 0, count) };
  return { dtype: 'U8', shape, data: raw };
}

/**
 * safetensors reader and writer, tfjs-free (typed arrays only), so it runs anywhere.
 *
 * Format (https://github.com/huggingface/safetensors/blob/v0.4.3/README.md#format):
 *   8 bytes  u64 little-endian N = header length
 *   N bytes  UTF-8 JSON object: { "__metadata__"?: {str: str}, name: { dtype, shape, data_offsets: [begin, end] } }
 *   rest     the data buffer; offsets are relative to its start.
 *
 * Every header is validated before any tensor is touched, and every view is bounds-checked, so a corrupt or
 * hostile file raises a {@link SafetensorsError} that names the file and the tensor and never reads out of bounds.
 */

/** Every dtype the reader understands, with its element size in bytes. */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  /** float8 e4m3 ("fn": no infinities, one NaN pattern), as PyTorch's `float8_e4m3fn`. */
  F8_E4M3: 1,
  /** float8 e5m2 (IEEE-like: the high byte of a float16), as PyTorch's `float8_e5m2`. */
  F8_E5M2: 1,
} as const;

/** A safetensors dtype name (a key of {@link DTYPE_SIZES}). */
export type Dtype = keyof typeof DTYPE_SIZES;

/** Largest header accepted (the reference implementation's limit is 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** A typed array as stored: F16/BF16 come back as raw Uint16Array bits, F8 as raw Uint8Array bits, BOOL as Uint8Array. */
export type StoredArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** Raised for any malformed safetensors file; the message names the file and, where relevant, the tensor. */
export class SafetensorsError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly tensor?: string,
  ) {
    super(`${source}: ${tensor !== undefined ? `tensor ${JSON.stringify(tensor)}: ` : ''}${message}`);
    this.name = 'SafetensorsError';
  }
}

/** One tensor's header entry. `begin`/`end` are absolute byte offsets into the file. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** Anything that can hand out tensors by name: one file, or a sharded checkpoint. */
export interface TensorSource {
  /** Where the tensors come from (a path or a description), for error messages. */
  readonly source: string;
  /** Names of every tensor held. */
  names(): string[];
  /** Whether a tensor of that name is held. */
  has(name: string): boolean;
  /** Dtype, shape and byte range of a tensor; throws {@link SafetensorsError} when absent. */
  info(name: string): TensorInfo;
  /**
   * The tensor converted to float32 (exact for F16/BF16/F8; F64 and integers are cast). A 64-bit integer tensor
   * holding a value beyond 2^53 raises a {@link SafetensorsError} naming the tensor.
   */
  float32(name: string): Float32Array;
  /** The tensor in its stored dtype (zero-copy view where the data is aligned). */
  typed(name: string): StoredArray;
  /**
   * Release what the source holds open (a file read tensor by tensor); reading a tensor afterwards throws. Optional:
   * in-memory sources have nothing to release.
   */
  close?(): void;
  /** True when typed() / float32() return arrays of their own (read from a file), not views of a kept buffer. */
  readonly readsCopies?: boolean;
  /**
   * Elements [begin, end) of the flattened tensor in its stored dtype (a run of rows of a row-major matrix), read
   * alone (a large table is converted a block at a time without ever being whole in memory). Optional.
   */
  typedRange?(name: string, begin: number, end: number, scratch?: ArrayBuffer): StoredArray;
}

/**
 * Random access to the bytes of a file that is not read whole (src/platform/fs.ts opens one on a local path), so
 * that a checkpoint is read one tensor at a time and only the tensors asked for are ever resident.
 */
export interface RangeReader {
  /** The file's size in bytes. */
  readonly size: number;
  /**
   * Bytes [begin, end) as a fresh array (offset 0), or into `into` (exactly end - begin bytes) when given; throws when
   * the file yields fewer bytes.
   */
  read(begin: number, end: number, into?: Uint8Array): Uint8Array;
  /** Release the file; read() throws afterwards. Idempotent. */
  close(): void;
}

const isDtype = (d: unknown): d is Dtype => typeof d === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, d);

/** A parsed safetensors file held in memory. */
export class SafetensorsFile implements TensorSource {
  /** `__metadata__` (string to string), or null when the file has none. */
  readonly metadata: Readonly<Record<string, string>> | null;
  private readonly tensors: Map<string, TensorInfo>;

  private constructor(
    readonly source: string,
    /** The whole file in memory (parse), or null when it is read a tensor at a time (open). */
    private readonly bytes: Uint8Array | null,
    private readonly reader: RangeReader | null,
    tensors: Map<string, TensorInfo>,
    metadata: Record<string, string> | null,
  ) {
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Parse and validate a safetensors buffer. `source` names it in errors (a path or URL).
   * The buffer is kept and tensors are views into it where alignment allows.
   */
  static parse(data: ArrayBuffer | Uint8Array, source = '<buffer>'): SafetensorsFile {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const headerLen = readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, source);
    const { tensors, metadata } = parseHeader(bytes.subarray(8, 8 + headerLen), bytes.byteLength, source);
    return new SafetensorsFile(source, bytes, null, tensors, metadata);
  }

  /**
   * Validate a safetensors file's header through `reader` (its data is not read): each tensor is read from the file
   * when asked for, into an array of its own, so a model holds only what it keeps. {@link close} releases the file.
   *
   * @example
   * ```ts
   * const file = SafetensorsFile.open(await openFileReader('model.safetensors'), 'model.safetensors');
   * const w = file.float32('embeddings.word_embeddings.weight'); // reads that tensor only
   * file.close();
   * ```
   */
  static open(reader: RangeReader, source = '<reader>'): SafetensorsFile {
    try {
      const size = reader.size;
      const headerLen = readHeaderLength(reader.read(0, Math.min(8, size)), size, source);
      const { tensors, metadata } = parseHeader(reader.read(8, 8 + headerLen), size, source);
      return new SafetensorsFile(source, null, reader, tensors, metadata);
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** Release the file of a source made by {@link open} (tensors already read stay valid); no-op for {@link parse}. */
  close(): void {
    this.reader?.close();
  }

  /** True for a file read tensor by tensor ({@link open}): each read is an array of its own. */
  get readsCopies(): boolean {
    return this.reader !== null;
  }

  /**
   * Elements [begin, end) of the flattened tensor, stored dtype: a view (parse) or a read of that range only (open),
   * into `scratch` when given (at least the range's bytes; reused block after block, so reads make no garbage).
   */
  typedRange(name: string, begin: number, end: number, scratch?: ArrayBuffer): StoredArray {
    const t = this.info(name);
    const size = DTYPE_SIZES[t.dtype];
    const n = (t.end - t.begin) / size;
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && 0 <= begin && begin <= end && end <= n)) {
      throw new SafetensorsError(`typedRange: expected 0 <= begin <= end <= ${n}, got [${begin}, ${end})`, this.source, name);
    }
    const range = { ...t, begin: t.begin + begin * size, end: t.begin + end * size };
    if (this.bytes || !scratch) return this.stored(range);
    const len = range.end - range.begin;
    if (scratch.byteLength < len) throw new RangeError(`typedRange: scratch must hold ${len} bytes, got ${scratch.byteLength}`);
    this.reader!.read(range.begin, range.end, new Uint8Array(scratch, 0, len));
    return new CTORS[t.dtype](scratch as ArrayBuffer, 0, end - begin) as StoredArray;
  }

  /** Names of every tensor in the file. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Whether the file holds a tensor of that name. */
  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Dtype, shape and byte range of a tensor; throws {@link SafetensorsError} when absent. */
  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError('cannot find tensor', this.source, name);
    return t;
  }

  /** The raw bytes of a tensor (a view, no copy). */
  raw(name: string): Uint8Array {
    const t = this.info(name);
    return this.bytes ? this.bytes.subarray(t.begin, t.end) : this.reader!.read(t.begin, t.end);
  }

  typed(name: string): StoredArray {
    return this.stored(this.info(name));
  }

  /** A tensor's data in its stored dtype: a view of the buffer (parse), or read from the file (open). */
  private stored(t: TensorInfo): StoredArray {
    if (this.bytes) return view(this.bytes, t);
    return view(this.reader!.read(t.begin, t.end), { ...t, begin: 0, end: t.end - t.begin }); // fresh, offset 0: aligned
  }

  float32(name: string): Float32Array {
    const t = this.info(name);
    const a = this.stored(t);
    if (t.dtype === 'I64' || t.dtype === 'U64') {
      // 64-bit integers beyond 2^53 have no exact number (nor float32): name the tensor rather than round silently.
      const big = a as BigInt64Array | BigUint64Array;
      for (let i = 0; i < big.length; i++) {
        const v = big[i];
        if (v > 9007199254740991n || v < -9007199254740991n) {
          throw new SafetensorsError(`${t.dtype} element ${i} is ${v}, beyond 2^53: it cannot be used as a number`, this.source, name);
        }
      }
    }
    return toFloat32(a, t.dtype);
  }
}

/** The u64 header length from the first 8 bytes of a file of `fileBytes` bytes, checked against the limit and the file. */
function readHeaderLength(first: Uint8Array, fileBytes: number, source: string): number {
  if (fileBytes < 8 || first.byteLength < 8) throw new SafetensorsError(`file is ${fileBytes} bytes, too short for the 8-byte header length`, source);
  const n = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${n} is above the ${MAX_HEADER_BYTES}-byte limit`, source);
  const headerLen = Number(n);
  if (8 + headerLen > fileBytes) throw new SafetensorsError(`header length ${headerLen} runs beyond the end of the file (${fileBytes} bytes)`, source);
  return headerLen;
}

/** Validate the JSON header (`headerBytes`, after the 8-byte length) of a file of `fileBytes` bytes. */
function parseHeader(headerBytes: Uint8Array, fileBytes: number, source: string): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> | null } {
  const fail = (msg: string, tensor?: string): never => {
    throw new SafetensorsError(msg, source, tensor);
  };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(`header must be a JSON object, got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}`);
  }
  const dataStart = 8 + headerBytes.byteLength;
  const dataLen = fileBytes - dataStart;
  const entries = Object.entries(header as Record<string, unknown>);
  // JSON.parse keeps the last of duplicate keys silently; detect duplicates by re-scanning the raw header.
  checkDuplicateKeys(headerBytes, source);

  let metadata: Record<string, string> | null = null;
  const tensors = new Map<string, TensorInfo>();
  for (const [name, value] of entries) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__[${JSON.stringify(k)}] must be a string, got ${typeof v}`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (value === null || typeof value !== 'object') fail('entry must be an object with dtype, shape, data_offsets', name);
    const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(dtype)) fail(`unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_SIZES).join(', ')})`, name);
    if (!Array.isArray(shape)) fail(`shape must be an array, got ${JSON.stringify(shape)}`, name);
    for (const d of shape as unknown[]) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        fail(`shape must hold non-negative integers, got ${JSON.stringify(shape)}`, name);
      }
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`data_offsets [${begin}, ${end}] has begin after end`, name);
    if (end > dataLen) fail(`data_offsets [${begin}, ${end}] out of range: the data buffer is ${dataLen} bytes`, name);
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * DTYPE_SIZES[dtype as Dtype];
    if (end - begin !== expected) {
      fail(`data_offsets span ${end - begin} bytes but shape ${JSON.stringify(shape)} x ${dtype} needs ${expected}`, name);
    }
    tensors.set(name, {
      name,
      dtype: dtype as Dtype,
      shape: Object.freeze([...(shape as number[])]),
      begin: dataStart + begin,
      end: dataStart + end,
    });
  }
  // Tensors must not overlap (empty tensors occupy nothing).
  const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      fail(`data_offsets overlap with tensor ${JSON.stringify(sorted[i - 1].name)}`, sorted[i].name);
    }
  }
  return { tensors, metadata };
}

/** Reject headers that repeat a key (JSON.parse would keep the last silently). */
function checkDuplicateKeys(headerBytes: Uint8Array, source: string): void {
  const text = new TextDecoder().decode(headerBytes);
  // Walk only the top-level object: track nesting depth and strings.
  const seen = new Set<string>();
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) throw new SafetensorsError('duplicate tensor name in header', source, key);
        seen.add(key);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
    i++;
  }
}

const CTORS = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
  F8_E4M3: Uint8Array,
  F8_E5M2: Uint8Array,
} as const;

/** Zero-copy typed view when the absolute offset is aligned to the element size; a copy otherwise. */
function view(bytes: Uint8Array, t: TensorInfo): StoredArray {
  const Ctor = CTORS[t.dtype];
  const size = DTYPE_SIZES[t.dtype];
  const n = (t.end - t.begin) / size;
  const abs = bytes.byteOffset + t.begin;
  if (abs % size === 0) return new Ctor(bytes.buffer as ArrayBuffer, abs, n) as StoredArray;
  const copy = bytes.slice(t.begin, t.end); // fresh buffer, offset 0: aligned
  return new Ctor(copy.buffer as ArrayBuffer, 0, n) as StoredArray;
}

let f16Table: Float32Array | undefined;

/** float16 bit pattern -> float32, exactly (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function f16ToF32(src: Uint16Array, into?: Float32Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = halfToFloat(i);
  }
  const out = into ?? new Float32Array(src.length);
  const table = f16Table;
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

let e4m3Table: Float32Array | undefined;

/** float8 e4m3fn bit pattern -> float32, exactly: bias 7, subnormals m * 2^-9, S.1111.111 is NaN, no infinities. */
export function e4m3ToFloat(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 7;
  if (e === 0) return s * m * 2 ** -9;
  if (e === 15 && m === 7) return NaN;
  return s * (1 + m / 8) * 2 ** (e - 7);
}

function f8ToF32(src: Uint8Array, dtype: 'F8_E4M3' | 'F8_E5M2'): Float32Array {
  let table: Float32Array;
  if (dtype === 'F8_E4M3') {
    if (!e4m3Table) {
      e4m3Table = new Float32Array(256);
      for (let i = 0; i < 256; i++) e4m3Table[i] = e4m3ToFloat(i);
    }
    table = e4m3Table;
  } else {
    // e5m2 is the high byte of a float16 (same sign, exponent and bias; two mantissa bits).
    table = new Float32Array(256);
    for (let i = 0; i < 256; i++) table[i] = halfToFloat(i << 8);
  }
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

function bf16ToF32(src: Uint16Array, into?: Float32Array): Float32Array {
  const f = into ?? new Float32Array(src.length);
  const out = new Uint32Array(f.buffer, f.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return f;
}

/**
 * Convert a stored array to float32. F32 is returned as is (a view); everything else is converted, F16 / BF16 /
 * F64 into `into` when given (exactly `a.length` floats: a buffer reused block after block), else a new array.
 */
export function toFloat32(a: StoredArray, dtype: Dtype, into?: Float32Array): Float32Array {
  if (into && dtype !== 'F32' && into.length !== a.length) throw new RangeError(`toFloat32: into must hold ${a.length} floats, got ${into.length}`);
  switch (dtype) {
    case 'F32':
      return a as Float32Array;
    case 'F16':
      return f16ToF32(a as Uint16Array, into);
    case 'BF16':
      return bf16ToF32(a as Uint16Array, into);
    case 'F64':
      if (into) {
        into.set(a as Float64Array);
        return into;
      }
      return Float32Array.from(a as Float64Array);
    case 'F8_E4M3':
    case 'F8_E5M2':
      return f8ToF32(a as Uint8Array, dtype);
    case 'I64':
    case 'U64': {
      const src = a as BigInt64Array | BigUint64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default:
      return Float32Array.from(a as ArrayLike<number>);
  }
}

/** One tensor to write. `data` must hold exactly prod(shape) elements of the dtype's array type. */
export interface TensorToWrite {
  dtype: Dtype;
  shape: readonly number[];
  data: StoredArray;
}

/** The layout of one tensor in a safetensors header (its data comes later, or is streamed). */
export interface TensorLayout {
  dtype: Dtype;
  shape: readonly number[];
}

/**
 * The header of a safetensors file: the u64 little-endian length, then the JSON (`__metadata__` first, tensors in
 * sorted name order with contiguous `data_offsets`) padded with spaces to a multiple of 8 and to at least
 * `minBytes` in all (a streaming writer reserves room this way and rewrites the header when the shape is final).
 * Returns the header and the number of data bytes that must follow it.
 */
export function serializeSafetensorsHeader(
  tensors: Record<string, TensorLayout>,
  metadata?: Record<string, string> | null,
  minBytes = 0,
): { header: Uint8Array; dataBytes: number } {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`metadata[${JSON.stringify(k)}]: expected a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new TypeError('tensors: "__metadata__" is reserved and cannot be a tensor name');
    const t = tensors[name];
    if (!isDtype(t.dtype)) throw new TypeError(`tensors[${JSON.stringify(name)}].dtype: expected one of ${Object.keys(DTYPE_SIZES).join(', ')}, got ${JSON.stringify(t.dtype)}`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const bytes = numel * DTYPE_SIZES[t.dtype];
    header[name] = { dtype: t.dtype, shape: Array.from(t.shape), data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.max(Math.ceil(json.length / 8) * 8, Math.ceil((minBytes - 8) / 8) * 8);
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return { header: out, dataBytes: offset };
}

/**
 * Serialize tensors as safetensors, byte-compatible with what Python's `safetensors` reads:
 * tensors laid out in sorted name order, `__metadata__` first, header padded with spaces to a multiple of 8
 * so the data buffer starts 8-byte aligned.
 */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string> | null,
): Uint8Array {
  const { header, dataBytes } = serializeSafetensorsHeader(tensors, metadata);
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    const want = t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZES[t.dtype];
    if (t.data.byteLength !== want) {
      throw new RangeError(`tensors[${JSON.stringify(name)}]: shape ${JSON.stringify(t.shape)} x ${t.dtype} needs ${want} bytes, data has ${t.data.byteLength}`);
    }
  }
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header, 0);
  let pos = header.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

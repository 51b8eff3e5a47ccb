/**
 * Storing embeddings, browser-safe (bytes in, bytes out; the Node path wrappers live in platform/embeddings_fs.ts).
 *
 * - safetensors (https://github.com/huggingface/safetensors/blob/v0.4.3/README.md#format): one tensor
 *   `embeddings` [N, D] of dtype F32, or I8 / U8 for quantized embeddings; the sentences, when given, are a JSON
 *   array string under the `__metadata__` key "sentences", beside any string metadata. Python reads it with
 *   `safetensors.numpy.load_file(path)["embeddings"]` and `safe_open(path, "np").metadata()`.
 * - .npy: the [N, D] matrix through formats/npy.ts (written as format 1.0, '<f4' / '|i1' / '|u1'; a 1-D array
 *   reads as one row).
 *
 * This is the one embeddings file writer: the CLI's `encode` writes through it too, in pieces, with
 * {@link EmbeddingsStreamWriter} (bounded memory for any number of rows).
 */
import { NPY_STREAM_HEADER_BYTES, npyDtypeOf, parseNpyArray, serializeNpyArray, serializeNpyHeader, type NpyDtype } from '../formats/npy.js';
import { SafetensorsFile, serializeSafetensors, serializeSafetensorsHeader } from '../formats/safetensors.js';
import { toMatrix, type EmbeddingsInput } from './matrix.js';
import type { QuantizedMatrix } from './quantization.js';

/** Element type of stored embeddings (the safetensors dtype name). */
export type EmbeddingsDtype = NpyDtype;

/**
 * A dense row-major matrix of float32, int8 or uint8 values: element (i, j) is `data[i * cols + j]`. A
 * {@link QuantizedMatrix} is one; the dtype follows the array type.
 */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array | Int8Array | Uint8Array;
}

/** What can be stored: float embeddings, quantized rows, or a dense (e.g. quantized) matrix. */
export type StorableEmbeddings = EmbeddingsInput | Int8Array[] | Uint8Array[] | DenseMatrix | QuantizedMatrix;

/** A dense row-major matrix of stored embeddings with its dtype. */
export interface StoredEmbeddings {
  dtype: EmbeddingsDtype;
  /** [N, D] (a 1-D .npy array gives [D] and one row). */
  shape: number[];
  data: Float32Array | Int8Array | Uint8Array;
  /** Row views sharing `data`'s buffer. */
  rows: Float32Array[] | Int8Array[] | Uint8Array[];
}

/** What {@link saveEmbeddings} stores: the embedding rows, optionally the texts and extra string metadata. */
export interface SaveEmbeddingsInput {
  embeddings: StorableEmbeddings;
  /** The texts of the rows (same count); stored as a JSON array under `__metadata__.sentences`. */
  sentences?: string[];
  /** Extra string metadata (the key "sentences" is reserved). */
  metadata?: Record<string, string>;
}

export interface LoadedEmbeddings extends StoredEmbeddings {
  sentences?: string[];
  metadata: Record<string, string>;
}

/** Name of the tensor that holds the embeddings in a stored `.safetensors` file. */
export const EMBEDDINGS_TENSOR = 'embeddings';
/** `__metadata__` key under which the texts are stored (a JSON array of strings). */
export const SENTENCES_METADATA_KEY = 'sentences';

function isDenseMatrix(x: unknown): x is DenseMatrix {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  const m = x as DenseMatrix;
  return typeof m.rows === 'number' && typeof m.cols === 'number' &&
    (m.data instanceof Float32Array || m.data instanceof Int8Array || m.data instanceof Uint8Array);
}

function rowViews<A extends Float32Array | Int8Array | Uint8Array>(data: A, n: number, d: number): A[] {
  return Array.from({ length: n }, (_, i) => data.subarray(i * d, (i + 1) * d) as A);
}

/** Normalize anything storable to a dense matrix with its dtype. */
export function toStoredEmbeddings(embeddings: StorableEmbeddings, where = 'embeddings'): StoredEmbeddings {
  if (isDenseMatrix(embeddings)) {
    const { rows, cols, data } = embeddings;
    if (data.length !== rows * cols) throw new RangeError(`${where}: matrix [${rows}, ${cols}] needs ${rows * cols} values, data has ${data.length}`);
    return { dtype: npyDtypeOf(data), shape: [rows, cols], data, rows: rowViews(data, rows, cols) as StoredEmbeddings['rows'] };
  }
  const intRows = Array.isArray(embeddings) && embeddings.length > 0 && (embeddings[0] instanceof Int8Array || embeddings[0] instanceof Uint8Array);
  if (intRows) {
    const rowsIn = embeddings as (Int8Array | Uint8Array)[];
    const isI8 = rowsIn[0] instanceof Int8Array;
    const d = rowsIn[0].length;
    const data = isI8 ? new Int8Array(rowsIn.length * d) : new Uint8Array(rowsIn.length * d);
    rowsIn.forEach((r, i) => {
      if ((r instanceof Int8Array) !== isI8 || !(r instanceof Int8Array || r instanceof Uint8Array)) {
        throw new TypeError(`${where}[${i}]: all rows must have the same type (${isI8 ? 'Int8Array' : 'Uint8Array'})`);
      }
      if (r.length !== d) throw new RangeError(`${where}: rows have different lengths (row 0 has ${d}, row ${i} has ${r.length})`);
      data.set(r as never, i * d);
    });
    return { dtype: isI8 ? 'I8' : 'U8', shape: [rowsIn.length, d], data, rows: rowViews(data, rowsIn.length, d) as StoredEmbeddings['rows'] };
  }
  if (embeddings instanceof Int8Array || embeddings instanceof Uint8Array) {
    const data = embeddings;
    return { dtype: data instanceof Int8Array ? 'I8' : 'U8', shape: [1, data.length], data, rows: [data] as StoredEmbeddings['rows'] };
  }
  const m = toMatrix(embeddings as EmbeddingsInput, where);
  return { dtype: 'F32', shape: [m.rows, m.cols], data: m.data, rows: rowViews(m.data, m.rows, m.cols) };
}

/** User metadata checked (string values, "sentences" reserved) and copied. */
function checkedMetadata(metadata: Record<string, string> | undefined, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (k === SENTENCES_METADATA_KEY) throw new RangeError(`${where}: metadata key "${SENTENCES_METADATA_KEY}" is reserved for the sentences`);
    if (typeof v !== 'string') throw new TypeError(`${where}: metadata[${JSON.stringify(k)}] must be a string, got ${typeof v}`);
    out[k] = v;
  }
  return out;
}

/** Serialize embeddings (and optionally their sentences and metadata) as a safetensors file. */
export function serializeEmbeddings(input: SaveEmbeddingsInput): Uint8Array {
  const where = 'serializeEmbeddings';
  const stored = toStoredEmbeddings(input.embeddings, `${where}: embeddings`);
  const metadata = checkedMetadata(input.metadata, where);
  if (input.sentences !== undefined) {
    const s = input.sentences;
    if (!Array.isArray(s) || s.some((t) => typeof t !== 'string')) throw new TypeError(`${where}: sentences must be an array of strings`);
    if (s.length !== stored.shape[0]) {
      throw new RangeError(`${where}: ${s.length} sentences for ${stored.shape[0]} embeddings (shape [${stored.shape.join(', ')}])`);
    }
    metadata[SENTENCES_METADATA_KEY] = JSON.stringify(s);
  }
  return serializeSafetensors(
    { [EMBEDDINGS_TENSOR]: { dtype: stored.dtype, shape: stored.shape, data: stored.data } },
    Object.keys(metadata).length ? metadata : null,
  );
}

/** Read embeddings written by {@link serializeEmbeddings} (or any safetensors file with an `embeddings` tensor). */
export function deserializeEmbeddings(bytes: ArrayBuffer | Uint8Array, source = '<embeddings>'): LoadedEmbeddings {
  const file = SafetensorsFile.parse(bytes, source);
  if (!file.has(EMBEDDINGS_TENSOR)) {
    throw new RangeError(`${source}: no "${EMBEDDINGS_TENSOR}" tensor (found: ${file.names().join(', ') || 'none'})`);
  }
  const info = file.info(EMBEDDINGS_TENSOR);
  if (info.shape.length !== 2) throw new RangeError(`${source}: "${EMBEDDINGS_TENSOR}" must be 2-D [N, D], got shape [${info.shape.join(', ')}]`);
  const [n, d] = info.shape;
  let dtype: EmbeddingsDtype;
  let data: Float32Array | Int8Array | Uint8Array;
  if (info.dtype === 'I8' || info.dtype === 'U8') {
    dtype = info.dtype;
    data = (file.typed(EMBEDDINGS_TENSOR) as Int8Array | Uint8Array).slice();
  } else {
    dtype = 'F32';
    data = file.float32(EMBEDDINGS_TENSOR).slice();
  }
  const metadata: Record<string, string> = { ...(file.metadata ?? {}) };
  let sentences: string[] | undefined;
  if (metadata[SENTENCES_METADATA_KEY] !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata[SENTENCES_METADATA_KEY]);
    } catch (e) {
      throw new RangeError(`${source}: __metadata__.sentences is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed) || parsed.some((t) => typeof t !== 'string') || parsed.length !== n) {
      throw new RangeError(`${source}: __metadata__.sentences must be a JSON array of ${n} strings`);
    }
    sentences = parsed as string[];
    delete metadata[SENTENCES_METADATA_KEY];
  }
  return { dtype, shape: [n, d], data, rows: rowViews(data, n, d) as StoredEmbeddings['rows'], sentences, metadata };
}

/** Serialize embeddings as a .npy file (format 1.0, C order, [N, D]). */
export function serializeNpy(embeddings: StorableEmbeddings): Uint8Array {
  const stored = toStoredEmbeddings(embeddings, 'serializeNpy: embeddings');
  return serializeNpyArray(stored, 'serializeNpy');
}

/** Parse a .npy file holding a 1-D or 2-D float32 / int8 / uint8 (or float64, converted) array in C order. */
export function parseNpy(bytes: ArrayBuffer | Uint8Array, source = '<npy>'): StoredEmbeddings {
  const { dtype, shape, data } = parseNpyArray(bytes, source);
  if (shape.length !== 1 && shape.length !== 2) throw new RangeError(`${source}: expected a 1-D or 2-D array, got shape (${shape.join(', ')})`);
  const [n, d] = shape.length === 1 ? [1, shape[0]] : shape;
  return { dtype, shape, data, rows: rowViews(data, n, d) as StoredEmbeddings['rows'] };
}

/** Positional writes into a file (or any byte store) that a streaming writer fills; platform/ provides files. */
export interface ByteSink {
  /** Write `bytes` at byte `position` (overwriting what is there). */
  write(bytes: Uint8Array, position: number): Promise<void>;
}

/** The embeddings file formats written in pieces. */
export type StreamFormat = 'npy' | 'safetensors';

/**
 * Writes an embeddings matrix of unknown row count in pieces, in bounded memory: a header with room to spare is
 * written first, then each block of rows at its offset, and {@link finish} rewrites the header with the final
 * shape. The file is then byte for byte what {@link serializeNpy} / {@link serializeEmbeddings} would write for
 * the whole matrix, except for the header's padding (a wider header, still what numpy and Python's safetensors
 * read: numpy's header is space-padded to a multiple of 64, safetensors' JSON to a multiple of 8).
 *
 * @example
 * ```ts
 * const w = new EmbeddingsStreamWriter(sink, 'npy');
 * await w.append({ rows: 2, cols: 3, data: new Float32Array(6) });
 * await w.append({ rows: 1, cols: 3, data: new Float32Array(3) });
 * await w.finish(); // { rows: 3, cols: 3, dtype: 'F32' }
 * ```
 */
export class EmbeddingsStreamWriter {
  private headerBytes = 0;
  private rows = 0;
  private cols: number | undefined;
  private dtype: EmbeddingsDtype | undefined;
  private readonly metadata: Record<string, string>;

  constructor(
    private readonly sink: ByteSink,
    readonly format: StreamFormat,
    /** safetensors only: string metadata (the key "sentences" is reserved). */
    metadata?: Record<string, string>,
  ) {
    if (format !== 'npy' && format !== 'safetensors') throw new TypeError(`format: expected 'npy' or 'safetensors', got ${JSON.stringify(format)}`);
    this.metadata = checkedMetadata(metadata, 'EmbeddingsStreamWriter');
  }

  /** The header for `rows` rows, padded to at least `minBytes`. */
  private header(rows: number, cols: number, dtype: EmbeddingsDtype, minBytes: number): Uint8Array {
    if (this.format === 'npy') return serializeNpyHeader(dtype, [rows, cols], minBytes, 'EmbeddingsStreamWriter');
    return serializeSafetensorsHeader({ [EMBEDDINGS_TENSOR]: { dtype, shape: [rows, cols] } }, Object.keys(this.metadata).length ? this.metadata : null, minBytes).header;
  }

  /** Reserve the header: for npy a fixed size, for safetensors the 0-row header plus room for two 20-digit numbers. */
  private async begin(cols: number, dtype: EmbeddingsDtype): Promise<void> {
    this.cols = cols;
    this.dtype = dtype;
    const first = this.header(0, cols, dtype, this.format === 'npy' ? NPY_STREAM_HEADER_BYTES : 0);
    this.headerBytes = this.format === 'npy' ? first.length : first.length + 48;
    await this.sink.write(this.format === 'npy' ? first : this.header(0, cols, dtype, this.headerBytes), 0);
  }

  /** Append a block of rows (every block has the same cols and dtype as the first). */
  async append(block: DenseMatrix): Promise<void> {
    const stored = toStoredEmbeddings(block, 'EmbeddingsStreamWriter.append: block');
    const [n, d] = stored.shape;
    if (this.cols === undefined) await this.begin(d, stored.dtype);
    else if (d !== this.cols || stored.dtype !== this.dtype) {
      throw new RangeError(`EmbeddingsStreamWriter.append: expected blocks of [n, ${this.cols}] ${this.dtype}, got [${n}, ${d}] ${stored.dtype}`);
    }
    const elem = stored.data.BYTES_PER_ELEMENT;
    const at = this.headerBytes + this.rows * d * elem;
    await this.sink.write(new Uint8Array(stored.data.buffer, stored.data.byteOffset, n * d * elem), at);
    this.rows += n;
  }

  /**
   * Rewrite the header with the final row count. With no rows appended, `empty` gives the shape's columns and the
   * dtype (default F32) of the [0, cols] file.
   */
  async finish(empty: { cols: number; dtype?: EmbeddingsDtype } = { cols: 0 }): Promise<{ rows: number; cols: number; dtype: EmbeddingsDtype }> {
    if (this.cols === undefined) await this.begin(empty.cols, empty.dtype ?? 'F32');
    const final = this.header(this.rows, this.cols!, this.dtype!, this.headerBytes);
    if (final.length !== this.headerBytes) {
      throw new RangeError(`EmbeddingsStreamWriter: the final header needs ${final.length} bytes, ${this.headerBytes} were reserved`);
    }
    await this.sink.write(final, 0);
    return { rows: this.rows, cols: this.cols!, dtype: this.dtype! };
  }
}

/**
 * The message protocol between the encode pool (pool.ts) and its workers, and the worker's side of it
 * ({@link serveEncodeWorker}), shared by Node worker_threads and browser Web Workers.
 *
 * parent -> worker: `init` (load the model once), `encode` (one chunk of texts), `exit` (test hook: end the worker
 * abruptly, as a crash would). worker -> parent: `ready` / `init-error` after `init`; `result` (with the worker's own encode time) / `error`
 * per chunk.
 * Embeddings travel as one Float32Array [count * dim] whose buffer is transferred, not copied.
 */
import type { ParentPort } from '../platform/workers.js';
import type { LogThreshold } from '../util/logger.js';

/** What a worker needs to load the model: plain, structured-cloneable data. */
export interface PoolLoadSpec {
  /** The model directory (or whatever `SentenceTransformer.load` takes as its first argument). */
  modelDir: string;
  /** Options for `SentenceTransformer.load` (structured-cloneable; `device` defaults to 'wasm' in workers). */
  options?: Record<string, unknown>;
  /** Where the tfjs .wasm binaries are served from (browsers; `initBackend`'s `wasmPaths`). Unused under Node. */
  wasmPaths?: string | Record<string, string>;
  /**
   * The worker's log level (see `setLogLevel`). The parent sets it from its own: `'error'` (the parent already gave
   * the load's warnings once), or `'silent'` when the parent is silent.
   */
  logLevel?: LogThreshold;
}

/** Options forwarded to the worker's `encode` for one chunk (structured-cloneable). */
export type ChunkEncodeOptions = Record<string, unknown>;

/** An error as it crosses the worker boundary. */
export interface WireError {
  name: string;
  message: string;
}

export type ToWorker =
  | { type: 'init'; spec: PoolLoadSpec }
  | { type: 'encode'; id: number; texts: unknown[]; options: ChunkEncodeOptions }
  | { type: 'exit'; code: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: WireError }
  | { type: 'result'; id: number; count: number; dim: number; data: Float32Array; /** the worker's encode time, ms */ ms: number }
  | { type: 'error'; id: number; error: WireError };

/** What a worker runs: an encoder loaded from the spec. */
export interface ChunkEncoder {
  encode(texts: string[], options: ChunkEncodeOptions): Promise<ArrayLike<number>[]>;
}

/** Loads the worker's encoder from the spec (once per worker). */
export type EncoderLoader = (spec: PoolLoadSpec) => Promise<ChunkEncoder>;

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

const ERROR_CLASSES: Record<string, ErrorConstructor> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
};

/** Rebuild an error on the parent's side, keeping the worker's class (TypeError, RangeError...) and message. */
export function fromWireError(w: WireError): Error {
  const Cls = ERROR_CLASSES[w.name] ?? Error;
  const e = new Cls(w.message);
  if (!(w.name in ERROR_CLASSES) && w.name !== 'Error') e.name = w.name;
  return e;
}

/** Pack per-text embeddings into one Float32Array [count * dim]. Every row must have the same length. */
export function packRows(rows: ArrayLike<number>[]): { count: number; dim: number; data: Float32Array } {
  const count = rows.length;
  const dim = count ? rows[0]!.length : 0;
  const data = new Float32Array(count * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim) throw new Error(`embedding ${i} has length ${r.length}, expected ${dim} like the first one`);
    data.set(r, i * dim);
  });
  return { count, dim, data };
}

/**
 * The worker's message loop: loads the encoder on `init`, then encodes chunks one at a time, in arrival order.
 * Errors thrown by `encode` go back to the parent as `error` messages with their class and message.
 */
export function serveEncodeWorker(port: ParentPort, load: EncoderLoader): void {
  let encoder: ChunkEncoder | undefined;
  let queue: Promise<void> = Promise.resolve();
  port.onMessage((raw) => {
    const msg = raw as ToWorker;
    if (msg.type === 'exit') {
      port.exit(msg.code);
      return;
    }
    queue = queue.then(async () => {
      if (msg.type === 'init') {
        try {
          encoder = await load(msg.spec);
          port.post({ type: 'ready' } satisfies FromWorker);
        } catch (e) {
          port.post({ type: 'init-error', error: toWireError(e) } satisfies FromWorker);
        }
        return;
      }
      if (msg.type === 'encode') {
        try {
          if (!encoder) throw new Error('encode before init: the worker has no model loaded');
          const t0 = performance.now();
          const rows = await encoder.encode(msg.texts as string[], msg.options);
          const ms = performance.now() - t0;
          const packed = packRows(rows);
          port.post({ type: 'result', id: msg.id, ...packed, ms } satisfies FromWorker, [packed.data.buffer as ArrayBuffer]);
        } catch (e) {
          port.post({ type: 'error', id: msg.id, error: toWireError(e) } satisfies FromWorker);
        }
      }
    });
  });
}

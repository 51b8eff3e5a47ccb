/**
 * Parallel encoding over a pool of workers: sentence-transformers' `start_multi_process_pool`,
 * `encode_multi_process` and `stop_multi_process_pool`, with worker_threads (Node) or Web Workers (browsers)
 * instead of processes.
 * Reference: https://github.com/huggingface/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py
 * (`start_multi_process_pool`, `encode_multi_process`, `_encode_multi_process_worker`).
 *
 * Each worker loads the model once (wasm backend, single-threaded), texts go out in chunks to whichever worker is
 * free and come back in input order. An error thrown in a worker rejects the call with the worker's error class
 * and message; a worker that dies is replaced and its chunk retried (once by default).
 */
import { isNode } from '../platform/fs.js';
import { spawnWorker, type WorkerHandle } from '../platform/workers.js';
import { DEFAULT_BATCH_SIZE } from '../util/defaults.js';
import { type ChunkEncodeOptions, type FromWorker, fromWireError, type PoolLoadSpec, type ToWorker } from './pool_protocol.js';
import { getLogLevel } from '../util/logger.js';

export type { PoolLoadSpec } from './pool_protocol.js';

/** Options of {@link EncodePool.start}. */
export interface PoolStartOptions {
  /** Number of workers (default 2). */
  workers?: number;
  /**
   * The worker's ES module entry. Default: `pool_worker.js` beside this module (`pool_worker.ts` when running the
   * TypeScript sources through tsx). A custom entry must call `serveEncodeWorker` (pool_protocol.ts).
   * In a browser with a bundled library, pass the URL of a browser bundle of the worker
   * (`node scripts/build-browser.mjs --pool-worker` writes `pool-worker.js` beside the library bundle).
   */
  workerUrl?: URL | string;
  /**
   * Browsers: where the workers fetch the tfjs .wasm binaries (a URL prefix ending in '/', or a map file name ->
   * URL), as `initBackend`'s `wasmPaths`; usually the same value the page itself uses. Ignored under Node.
   */
  wasmPaths?: string | Record<string, string>;
  /** How many times a chunk is retried on a replacement worker after its worker died (default 1). */
  maxRetries?: number;
}

/** Options of {@link EncodePool.encode}: the chunking plus the `encode` options each worker applies. */
export interface PoolEncodeOptions {
  /** Texts per chunk sent to a worker. Default: the rule of `planChunks` in pool.ts (every worker gets work,
   * chunks of equal size, tiny calls stay whole). */
  chunkSize?: number;
  /** `batch_size` inside each worker's `encode` (default {@link DEFAULT_BATCH_SIZE}, 32). */
  batchSize?: number;
  /** `normalize_embeddings` (default false). */
  normalizeEmbeddings?: boolean;
  /** `prompt`, prepended to every text. */
  prompt?: string;
  /** `prompt_name`: a key of the model's prompts. */
  promptName?: string;
  /** `truncate_dim`. */
  truncateDim?: number | null;
  /** Called in the parent after every finished chunk with (texts done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The fewest characters (summed over its texts) a chunk of the default rule holds: a call with less than
 * 2 × this goes whole to one worker. Measured with `scripts/bench-pool.ts` (minilm-l6-full, wasm, CPU time of all
 * threads, under load): a forward has a fixed cost of a few ms (kernel calls, set-up) beside its per-text work, so
 * one ~10-token query (~36 characters) costs 7.6 ms of CPU and a batch of 2 costs 12.5; split into two chunks of
 * one, 2 queries cost +29% CPU (16.1 ms), while 4 queries split 2 + 2 cost +2% (25.4 vs 24.9 ms) and 8 split 4 + 4
 * +3%. So a chunk holds at least two short queries, ~64 characters: one or two queries are one message to one
 * worker.
 */
export const MIN_CHUNK_CHARS = 64;

/**
 * The chunks of one pool call, as `[start, end)` offsets into `texts`, in order.
 *
 * - `chunkSize` given: consecutive chunks of that many texts (the last one shorter), as sentence-transformers'
 *   `encode_multi_process(chunk_size=...)`.
 * - Default: sentence-transformers' size, `min(ceil(n / workers / 10), 5000)` (about ten chunks per worker, so a
 *   worker that finishes early takes the next), raised to `min(batchSize, ceil(n / workers))` so that a chunk fills a
 *   batch when it can; then the chunk count is rounded up to a multiple of `workers` and the texts are dealt into
 *   chunks of equal size (±1). So a call with fewer batches than workers still uses every worker (32 texts at
 *   batch 32 on 2 workers: 2 × 16; 96: 4 × 24 instead of 32 + 32 then 32 alone), and large calls keep ~10 chunks per
 *   worker. Tiny calls: every chunk holds at least {@link MIN_CHUNK_CHARS} characters, so one short query is one
 *   chunk (one message) and two are not scattered over workers that would each pay a forward's fixed cost.
 *
 * Batches inside a worker are the chunk's own (sentence-transformers sorts each chunk by length), so padding differs
 * from a single-process `encode` of the whole call; with attention masks the embeddings agree within float32
 * rounding (test/pool.test.ts checks 1e-6).
 *
 * @example
 * planChunks(new Array(32).fill('a passage of a few hundred words ...'), 2, 32); // [[0, 16], [16, 32]]
 */
export function planChunks(texts: readonly unknown[], workers: number, batchSize: number, chunkSize?: number): [number, number][] {
  const n = texts.length;
  const out: [number, number][] = [];
  if (chunkSize !== undefined) {
    for (let s = 0; s < n; s += chunkSize) out.push([s, Math.min(n, s + chunkSize)]);
    return out;
  }
  if (n === 0) return out;
  const perWorker = Math.ceil(n / workers);
  const size = Math.max(Math.min(Math.ceil(perWorker / 10), 5000), Math.min(batchSize, perWorker), 1);
  let k = Math.ceil(n / size);
  k = Math.ceil(k / workers) * workers;
  let chars = 0;
  for (const t of texts) chars += typeof t === 'string' ? t.length : 0;
  k = Math.max(1, Math.min(k, n, Math.floor(chars / MIN_CHUNK_CHARS)));
  const base = Math.floor(n / k);
  const extra = n % k;
  for (let i = 0, s = 0; i < k; i++) {
    const e = s + base + (i < extra ? 1 : 0);
    out.push([s, e]);
    s = e;
  }
  return out;
}

const WORKER_OPTIONS = ['batchSize', 'normalizeEmbeddings', 'prompt', 'promptName', 'truncateDim'] as const;

interface CallState {
  results: Float32Array[];
  remaining: number;
  total: number;
  doneTexts: number;
  onProgress?: (done: number, total: number) => void;
  done: boolean;
  resolve: (rows: Float32Array[]) => void;
  reject: (e: Error) => void;
}

interface Job {
  call: CallState;
  start: number;
  texts: unknown[];
  options: ChunkEncodeOptions;
  attempts: number;
}

interface Slot {
  index: number;
  handle: WorkerHandle;
  ready: boolean;
  job?: Job;
  jobId?: number;
}

/**
 * Relative wasm URLs resolved against the page: a worker would resolve them against its own script's URL
 * (tfjs-wasm fetches `wasmPaths` + file name as given).
 */
function absoluteWasmPaths(p: string | Record<string, string>, base: string | undefined): string | Record<string, string> {
  const abs = (u: string): string => {
    try {
      return base === undefined ? u : new URL(u, base).href;
    } catch {
      return u;
    }
  };
  return typeof p === 'string' ? abs(p) : Object.fromEntries(Object.entries(p).map(([k, v]) => [k, abs(v)]));
}

function defaultWorkerUrl(): URL {
  const ts = import.meta.url.endsWith('.ts');
  return new URL(ts ? './pool_worker.ts' : './pool_worker.js', import.meta.url);
}

/** A pool of encoding workers. Create with {@link EncodePool.start}; always {@link EncodePool.stop} it. */
export class EncodePool {
  private readonly slots: (Slot | undefined)[];
  /** Chunks waiting for a worker, in order: calls of one chunk first ({@link EncodePool.encode}), then the rest. */
  private readonly urgent: Job[] = [];
  private readonly queue: Job[] = [];
  private nextJobId = 1;
  private stopped = false;
  private readonly workerUrl: URL;
  private readonly maxRetries: number;
  /** How many replacement workers were started after crashes (diagnostics, tests). */
  restarts = 0;
  /** Chunks encoded so far (in all, and per worker slot), and the workers' own encode time for them in ms
   * (diagnostics: the rest of a call's wall time is messaging and waiting; scripts/bench-pool.ts). */
  readonly chunkStats: { chunks: number; workerMs: number; byWorker: number[] };

  private constructor(
    private readonly spec: PoolLoadSpec,
    workers: number,
    workerUrl: URL,
    maxRetries: number,
  ) {
    this.slots = new Array<Slot | undefined>(workers).fill(undefined);
    this.chunkStats = { chunks: 0, workerMs: 0, byWorker: new Array<number>(workers).fill(0) };
    this.workerUrl = workerUrl;
    this.maxRetries = maxRetries;
  }

  /**
   * Start `workers` workers, each loading the model described by `spec`; resolves once all are ready.
   * If any worker fails to load, every worker is stopped and the promise rejects with that worker's error.
   */
  static async start(spec: PoolLoadSpec, opts: PoolStartOptions = {}): Promise<EncodePool> {
    if (!spec || typeof spec.modelDir !== 'string') {
      throw new TypeError(`EncodePool.start: spec.modelDir must be a string, got ${spec ? typeof spec.modelDir : String(spec)}`);
    }
    const workers = opts.workers ?? 2;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`EncodePool.start: workers must be a positive integer, got ${String(workers)}`);
    }
    const maxRetries = opts.maxRetries ?? 1;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new RangeError(`EncodePool.start: maxRetries must be a non-negative integer, got ${String(maxRetries)}`);
    }
    const base = typeof location === 'object' && location !== null ? (location as { href?: string }).href : undefined;
    const url = opts.workerUrl === undefined ? defaultWorkerUrl() : new URL(String(opts.workerUrl), base);
    const wasmPaths = opts.wasmPaths ?? spec.wasmPaths;
    const pool = new EncodePool(
      {
        modelDir: spec.modelDir,
        options: { device: 'wasm', ...spec.options },
        ...(wasmPaths !== undefined ? { wasmPaths: absoluteWasmPaths(wasmPaths, base) } : {}),
        logLevel: spec.logLevel ?? (getLogLevel() === 'silent' ? 'silent' : 'error'),
      },
      workers,
      url,
      maxRetries,
    );
    try {
      await Promise.all(pool.slots.map((_, i) => pool.startWorker(i)));
    } catch (e) {
      await pool.stop();
      throw e;
    }
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  /** Whether {@link stop} was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Encode `texts` across the workers; resolves to one embedding per text, in input order.
   * The call is cut into chunks (`chunkSize`, or by default so that every worker gets a share while tiny calls stay
   * one chunk); a call of one chunk goes ahead of the waiting chunks of larger calls.
   * Rejects with the worker's error (class and message) if encoding a chunk throws.
   *
   * @example
   * const pool = await EncodePool.start({ modelDir: 'models/all-MiniLM-L6-v2' }, { workers: 2 });
   * const passages = await pool.encode(texts, { batchSize: 32 }); // 32 texts: 16 on each worker
   * const [query] = await pool.encode(['where is the bank?']);     // one chunk, ahead of queued work
   * await pool.stop();
   */
  encode(texts: readonly unknown[], opts: PoolEncodeOptions = {}): Promise<Float32Array[]> {
    if (this.stopped) return Promise.reject(new Error('EncodePool.encode: the pool has been stopped'));
    if (!Array.isArray(texts)) return Promise.reject(new TypeError(`EncodePool.encode: texts must be an array, got ${typeof texts}`));
    const { chunkSize: cs, onProgress } = opts;
    const unknown = Object.keys(opts).filter((k) => k !== 'chunkSize' && k !== 'onProgress' && !(WORKER_OPTIONS as readonly string[]).includes(k));
    if (unknown.length) {
      return Promise.reject(
        new RangeError(`EncodePool.encode: unsupported option(s) ${unknown.join(', ')}; expected chunkSize, onProgress, ${WORKER_OPTIONS.join(', ')} (quantize or convert the returned float32 embeddings afterwards)`),
      );
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      return Promise.reject(new TypeError(`EncodePool.encode: onProgress must be a function, got ${typeof onProgress}`));
    }
    const options: ChunkEncodeOptions = {};
    for (const k of WORKER_OPTIONS) if (opts[k] !== undefined) options[k] = opts[k];
    const n = texts.length;
    if (n === 0) return Promise.resolve([]);
    if (cs !== undefined && (!Number.isInteger(cs) || cs < 1)) {
      return Promise.reject(new RangeError(`EncodePool.encode: chunkSize must be a positive integer, got ${String(cs)}`));
    }
    const batchSize = typeof opts.batchSize === 'number' && opts.batchSize >= 1 ? opts.batchSize : DEFAULT_BATCH_SIZE;
    const chunks = planChunks(texts, this.size, batchSize, cs);
    return new Promise<Float32Array[]>((resolve, reject) => {
      const call: CallState = { results: new Array<Float32Array>(n), remaining: chunks.length, total: n, doneTexts: 0, onProgress, done: false, resolve, reject };
      // A call of one chunk (a query, a few short texts) goes ahead of the waiting chunks of larger calls, so that it
      // waits for at most one running chunk per worker rather than for a whole corpus queued before it.
      const q = chunks.length === 1 ? this.urgent : this.queue;
      for (const [s, e] of chunks) q.push({ call, start: s, texts: texts.slice(s, e), options, attempts: 0 });
      this.dispatch();
    });
  }

  /** Terminate every worker; pending calls reject. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped && this.slots.every((s) => s === undefined)) return;
    this.stopped = true;
    const err = new Error('EncodePool: the pool was stopped before the call finished');
    for (const job of this.urgent.splice(0).concat(this.queue.splice(0))) this.fail(job.call, err);
    const live = this.slots.filter((s): s is Slot => s !== undefined);
    for (const s of live) if (s.job) this.fail(s.job.call, err);
    this.slots.fill(undefined);
    await Promise.all(live.map((s) => s.handle.terminate()));
  }

  /** @internal Test hook: make worker `index` exit abruptly with `code`, as a crash would. */
  crashWorkerForTesting(index: number, code = 1): void {
    const s = this.slots[index];
    if (!s) throw new RangeError(`crashWorkerForTesting: no live worker at index ${index}`);
    s.handle.post({ type: 'exit', code } satisfies ToWorker);
  }

  /** Start (or restart) the worker of slot `index`; resolves when it has loaded the model. */
  private async startWorker(index: number): Promise<void> {
    const handle = await spawnWorker(this.workerUrl);
    const slot: Slot = { index, handle, ready: false };
    this.slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      handle.onMessage((raw) => {
        const msg = raw as FromWorker;
        if (msg.type === 'ready') {
          slot.ready = true;
          settled = true;
          resolve();
          this.dispatch();
        } else if (msg.type === 'init-error') {
          settled = true;
          reject(fromWireError(msg.error));
          void handle.terminate();
        } else {
          this.onJobMessage(slot, msg);
        }
      });
      handle.onExit((code, error) => {
        const why = error ? `${error.name}: ${error.message}` : `exit code ${code}`;
        if (!settled) {
          settled = true;
          const hint = isNode() || this.workerUrl.href !== defaultWorkerUrl().href ? '' : '; in a browser, pass workerUrl: the URL of a browser bundle of the pool worker (scripts/build-browser.mjs --pool-worker)';
          reject(new Error(`pool worker ${index} ended while loading the model (${why})${hint}`));
        }
        this.onWorkerExit(slot, why);
      });
      handle.post({ type: 'init', spec: this.spec } satisfies ToWorker);
    });
  }

  private onJobMessage(slot: Slot, msg: FromWorker): void {
    const job = slot.job;
    if (!job || (msg.type !== 'result' && msg.type !== 'error') || msg.id !== slot.jobId) return;
    slot.job = undefined;
    slot.jobId = undefined;
    const call = job.call;
    if (msg.type === 'error') {
      this.fail(call, fromWireError(msg.error));
    } else if (!call.done) {
      for (let i = 0; i < msg.count; i++) call.results[job.start + i] = msg.data.subarray(i * msg.dim, (i + 1) * msg.dim);
      call.doneTexts += msg.count;
      this.chunkStats.chunks++;
      this.chunkStats.workerMs += msg.ms;
      this.chunkStats.byWorker[slot.index]!++;
      try {
        call.onProgress?.(call.doneTexts, call.total);
      } catch {
        // a throwing progress callback must not break the pool's bookkeeping
      }
      if (--call.remaining === 0) {
        call.done = true;
        call.resolve(call.results);
      }
    }
    this.dispatch();
  }

  private onWorkerExit(slot: Slot, why: string): void {
    if (this.stopped || this.slots[slot.index] !== slot) return;
    this.slots[slot.index] = undefined;
    const job = slot.job;
    if (job && !job.call.done) {
      job.attempts++;
      if (job.attempts > this.maxRetries) {
        this.fail(job.call, new Error(`pool worker ${slot.index} died (${why}) while encoding texts ${job.start}..${job.start + job.texts.length - 1}, after ${job.attempts} attempt(s)`));
      } else {
        this.urgent.unshift(job); // it was running: it goes first again
      }
    }
    if (!slot.ready) return; // died while loading: start() reports it, do not loop on a model that cannot load
    this.restarts++;
    this.startWorker(slot.index).catch((e: unknown) => {
      // The replacement could not load the model: fail everything waiting if no worker is left.
      if (this.slots.every((s) => s === undefined || !s.ready)) {
        const err = new Error(`EncodePool: a replacement worker failed to start: ${(e as Error).message}`);
        for (const j of this.urgent.splice(0).concat(this.queue.splice(0))) this.fail(j.call, err);
      }
    });
  }

  private fail(call: CallState, e: Error): void {
    if (call.done) return;
    call.done = true;
    call.reject(e);
    // Drop the call's chunks that have not started.
    for (const q of [this.urgent, this.queue]) for (let i = q.length - 1; i >= 0; i--) if (q[i]!.call === call) q.splice(i, 1);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot || !slot.ready) continue;
      if (!slot.job) {
        const job = this.urgent.shift() ?? this.queue.shift();
        if (job) {
          slot.job = job;
          slot.jobId = this.nextJobId++;
          slot.handle.post({ type: 'encode', id: slot.jobId, texts: job.texts, options: job.options } satisfies ToWorker);
        }
      }
      slot.handle.keepAlive(slot.job !== undefined);
    }
  }
}

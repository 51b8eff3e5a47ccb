/**
 * Data-parallel training (PyTorch DDP, as sentence-transformers runs under `torchrun --nproc_per_node N`) over
 * worker threads: N replicas of the model, rank 0 in the calling thread (the coordinator: its model is the user's,
 * so evaluation, checkpoints and save see rank 0's weights) and ranks 1..N-1 each in its own worker
 * (platform/workers.ts: worker_threads under Node; module Web Workers in browsers, running the bundle of
 * api/train_worker.ts that `scripts/build-browser.mjs --train-worker` writes: see ./replica_spec.ts).
 * https://github.com/pytorch/pytorch/blob/v2.5.0/torch/nn/parallel/distributed.py (`DistributedDataParallel`:
 * parameters broadcast from rank 0 at construction, gradients all-reduced and divided by the world size in backward)
 * https://github.com/huggingface/transformers/blob/v4.41.2/src/transformers/trainer.py (`_inner_training_loop`: each
 * rank clips and steps its own optimizer on the all-reduced gradients; the logged loss is the mean over ranks)
 *
 * One optimizer step: the global batch of every micro-step is cut into N equal contiguous shards; each replica runs
 * forward + backward on its shard alone (MNRL's in-batch negatives are the shard's, as per-device batches are in
 * Python; with `gather_across_devices` the shards' embeddings are first exchanged, ./gather.ts), with its own dropout seed, and sums its micro-steps' gradients (scaled by 1 / accumulation steps) into
 * its flat float32 gradient buffer (every parameter at a fixed offset, {@link gradLayout}); the buffers are summed
 * in rank order and divided by N (the all-reduce); EVERY replica then measures the clip norm on the same averaged
 * float32 gradients (the same ops on the same values: the same bits; the coordinator checks each replica's norm
 * against its own), clips and takes the same AdamW step. Nothing else is broadcast after start, so the replicas stay
 * bit-identical (checked by {@link DataParallelGroup.checksums} in the tests).
 *
 * The exchange ({@link exchangeMode}, chosen in that one place): where SharedArrayBuffer is usable (Node; pages
 * that are cross-origin isolated), every rank's gradient buffer is a shared arena allocated once at start; the
 * all-reduce is a reduce-scatter in place (rank r sums its 1/N of the vector over all ranks, in rank order, into
 * rank 0's arena) and every replica reads the averaged gradients from rank 0's arena: no gradient crosses a
 * postMessage. Elsewhere (`transfer`): each worker transfers its gradients to the coordinator, which averages them
 * all and transfers a copy of the average to each worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DropoutProbs } from '../layers/dropout.js';
import type { Loss } from '../losses/types.js';
import { float32HeapView } from '../kernels/index.js';
import { spawnWorker, workersAvailable, type WorkerHandle } from '../platform/workers.js';
import type { NamedParameter } from '../weights/index.js';
import type { Example } from './datasets.js';

/** What a replica worker loads: the model's directory and load options (structured-cloneable). */
export interface ReplicaSpec {
  /** The worker's ES module entry (api/train_worker.ts: it loads the model and serves {@link ToReplica} messages). */
  workerUrl: string;
  /** The model's resolved directory (a path, or an http(s) URL in browsers). */
  modelDir: string;
  /** `SentenceTransformer.load` (or `CrossEncoder.load`) options (the backend device among them). */
  options: Record<string, unknown>;
  /** Browsers: where the worker fetches the tfjs .wasm binaries (`initBackend`'s `wasmPaths`, absolute URLs). */
  wasmPaths?: string | Record<string, string>;
  /** Which class the worker loads (default `'sentence-transformer'`). */
  kind?: 'sentence-transformer' | 'cross-encoder';
}

/**
 * Data-parallel training (`TrainingArguments.dataParallel`, `FitOptions.dataParallel`, `sentence-tfjs train
 * --workers N`).
 * @example
 * ```ts
 * // Two replicas (this thread + one worker thread) of 16 rows each: 32 rows per optimizer step.
 * await new SentenceTransformerTrainer({ model, trainDataset, loss, args: { perDeviceTrainBatchSize: 16, dataParallel: { workers: 2 } } }).train();
 * ```
 */
export interface DataParallelOptions {
  /**
   * Replicas (torchrun's `nproc_per_node`; default 2): rank 0 runs in the calling thread, the others in worker
   * threads. The batch size given to the trainer is per replica, as Python's `per_device_train_batch_size`: one
   * step takes `workers` consecutive batches of the sampler's order, one per replica (what accelerate's batch
   * sampler shard hands the ranks), i.e. a global batch of batch × workers rows.
   */
  workers?: number;
  /**
   * The options `createLoss(loss.name, lossOptions)` rebuilds each worker's loss from. Default: the loss's
   * `getConfigDict()` camelCased; a loss that cannot be rebuilt from it is refused at start, naming this option.
   */
  lossOptions?: Record<string, unknown>;
  /**
   * Every N optimizer steps, compare a checksum of every replica's parameters with rank 0's and throw if one
   * differs (a check that the replicas stayed bit-identical; costs one pass over the parameters per replica).
   * Default 0: never.
   */
  verifyEvery?: number;
  /**
   * The workers' ES module entry. Browsers: required, the URL of the bundled training worker (`node
   * scripts/build-browser.mjs --train-worker` writes `train-worker.js` beside the library bundle), resolved against
   * the page. Node: default the library's own api/train_worker.
   */
  workerUrl?: URL | string;
  /**
   * Browsers: where the workers fetch the tfjs .wasm binaries (`initBackend`'s `wasmPaths`); default the
   * `wasmPaths` the page gave `initBackend`. Ignored under Node.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * @internal Test hook: at step `step`, rank `rank` throws, ends its thread (`exit`), or nudges its first
   * parameter (`perturb`, which {@link verifyEvery} must catch).
   */
  faultForTesting?: Fault;
  /** @internal Test hook: force the gradient exchange (default: {@link exchangeMode}). */
  exchangeForTesting?: Exchange;
}

/** How replicas exchange gradients: shared arenas (reduce-scatter in place) or transferred buffers. */
export type Exchange = 'shared' | 'transfer';

/**
 * The gradient exchange this environment allows (the one place it is chosen): `shared` where SharedArrayBuffer
 * exists and, in a page, the page is cross-origin isolated (`crossOriginIsolated`; without isolation browsers
 * withhold or refuse to share it); `transfer` otherwise.
 */
export function exchangeMode(): Exchange {
  if (typeof SharedArrayBuffer === 'undefined') return 'transfer';
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false ? 'transfer' : 'shared';
}

/** `dataParallel.workers`, checked (default 2). */
export function dataParallelWorkers(dp: DataParallelOptions): number {
  const n = dp.workers ?? 2;
  if (!Number.isInteger(n) || n < 1) throw new Error(`dataParallel.workers must be a positive integer, got ${JSON.stringify(dp.workers)}`);
  if (n > 1 && !workersAvailable()) throw new Error(`dataParallel.workers = ${n} needs workers (Node worker_threads or Web Workers), and this environment has no Worker constructor: train with dataParallel.workers = 1 (or no dataParallel)`);
  return n;
}

/** A test fault (see {@link DataParallelOptions.faultForTesting}). */
export interface Fault {
  rank: number;
  step: number;
  kind: 'throw' | 'exit' | 'perturb';
}

/** A loss as a worker rebuilds it (losses/registry.ts `createLoss`). */
export interface LossRecipe {
  name: string;
  options: Record<string, unknown>;
  /** The coordinator's loss, every field (nested losses too) as JSON: the rebuilt loss must give the same. */
  fingerprint: string;
}

/** A loss's fields as JSON (nested losses included, functions and tensors left out): equal for equal losses. */
export function lossFingerprint(loss: Loss): string {
  return JSON.stringify(loss, (_k, v: unknown) => (typeof v === 'function' || (typeof v === 'object' && v !== null && 'dataId' in v) ? undefined : v));
}

/** One micro-step of one replica: its shard of the global batch. */
export interface ShardWork {
  objective: number;
  examples: Example[];
  /** The replica's dropout seed for this shard. */
  seed: number;
  /** Loss scaling (1 / accumulation steps). */
  scale: number;
  /**
   * A gathered micro-step (the loss's gather_across_devices, ./gather.ts): the key its embeddings and loss were
   * exchanged under, and the summed gradients of this rank's rows (one `[rows * dim]` array per column).
   */
  gather?: { key: number; own: Float32Array[] };
}

/** An error as it crosses the worker boundary. */
interface WireError {
  name: string;
  message: string;
}

/** coordinator -> replica. */
export type ToReplica =
  | {
      type: 'init';
      rank: number;
      spec: ReplicaSpec;
      losses: LossRecipe[];
      dropout: DropoutProbs;
      adamw: { lr: number; weightDecay: number; betas?: [number, number]; eps?: number };
      /** Rank 0's parameters (keys in modelParameters() order), broadcast as DDP does at construction. */
      params: { keys: string[]; data: Float32Array };
      /** The shared exchange: every rank's gradient arena (SharedArrayBuffer views, index = rank); absent: transfer. */
      arenas?: Float32Array[];
      optimizerState?: { steps: Record<string, number>; tensors: Record<string, { shape: number[]; data: Float32Array }> };
      fault?: Fault;
    }
  | { type: 'step'; id: number; step: number; shards: ShardWork[] }
  /** Gathered micro-step `key`, phase 1 (./gather.ts): embed the shard off the tape; answer its embeddings. */
  | { type: 'gather-embed'; id: number; key: number; work: ShardWork }
  /** Phase 2: the rank's loss on the gathered columns; answer its gradient with respect to all of them. */
  | { type: 'gather-loss'; id: number; key: number; gathered: Float32Array[] }
  /** Shared exchange: sum elements [lo, hi) of every rank's arena in rank order, / N, into rank 0's arena. */
  | { type: 'reduce'; id: number; lo: number; hi: number }
  /** Clip (measuring the norm) and step the averaged gradients: `grads` (transfer) or rank 0's arena (shared). */
  | { type: 'apply'; id: number; keys: string[]; grads?: Float32Array; maxGradNorm: number; lr: number }
  | { type: 'checksum'; id: number };

/** replica -> coordinator. */
export type FromReplica =
  | { type: 'ready' }
  | { type: 'init-error'; error: WireError }
  /** `data`: the transfer exchange only (shared: the gradients are in the rank's arena). */
  | { type: 'grads'; id: number; losses: number[]; keys: string[]; data?: Float32Array }
  | { type: 'reduced'; id: number }
  | { type: 'gather-embedded'; id: number; embeddings: Float32Array[] }
  | { type: 'gather-grads'; id: number; grads: Float32Array[] }
  /** `norm`: the gradient norm this replica measured (it skipped the update when not finite). */
  | { type: 'applied'; id: number; norm: number }
  | { type: 'checksum'; id: number; value: string }
  | { type: 'error'; id: number; error: WireError };

export function toWireError(e: unknown): WireError {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

const ERROR_CLASSES: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError };

function fromWireError(w: WireError, where: string): Error {
  const Cls = ERROR_CLASSES[w.name] ?? Error;
  const e = new Cls(`${where}: ${w.message}`);
  if (!(w.name in ERROR_CLASSES) && w.name !== 'Error') e.name = w.name;
  return e;
}

/** snake_case keys -> camelCase (getConfigDict() -> createLoss options). */
function camelKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

/**
 * The recipe a worker rebuilds `loss` from: `options`, else the loss's own `replicaOptions()`, else its
 * `getConfigDict()` camelCased. A loss with its own variables (SoftmaxLoss's classifier) is rebuilt with any initial
 * values: its variables are parameters of the run, and the workers take rank 0's values with the model's.
 */
export function lossRecipe(loss: Pick<Loss, 'name' | 'getConfigDict' | 'replicaOptions' | 'gatherAcrossReplicas'>, options: Record<string, unknown> | undefined): LossRecipe {
  const fingerprint = lossFingerprint(loss as Loss);
  if (!loss.gatherAcrossReplicas?.() && (loss.getConfigDict().gather_across_devices === true || fingerprint.includes('"gatherAcrossDevices":true'))) {
    // a wrapper (MatryoshkaLoss, …) around a gathering loss: its inner loss sees only the wrapper's embeddings
    throw new Error(`${loss.name}: dataParallel gathers embeddings across replicas only for MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss and CachedMultipleNegativesRankingLoss used directly; gather_across_devices (gatherAcrossDevices) must be false in ${loss.name}, got true`);
  }
  return { name: loss.name, options: options ?? loss.replicaOptions?.() ?? camelKeys(loss.getConfigDict()), fingerprint };
}

/** Check that a loss a worker rebuilt from `recipe` is rank 0's (same fields); returns it. */
export function checkRebuiltLoss<L extends object>(loss: L, recipe: LossRecipe): L {
  const got = lossFingerprint(loss as unknown as Loss);
  if (got !== recipe.fingerprint) {
    throw new Error(`${recipe.name} rebuilt from ${JSON.stringify(recipe.options)} is ${got}, not rank 0's ${recipe.fingerprint}; pass dataParallel.lossOptions (createLoss options)`);
  }
  return loss;
}

/** Where each parameter's gradient lives in a flat gradient buffer: every parameter, in order, at a fixed offset. */
export interface GradLayout {
  params: readonly NamedParameter[];
  offsets: number[];
  /** parameter key -> index in `params`. */
  index: Map<string, number>;
  /** Values in the buffer. */
  total: number;
}

export function gradLayout(params: readonly NamedParameter[]): GradLayout {
  const offsets: number[] = [];
  let total = 0;
  for (const p of params) {
    offsets.push(total);
    total += p.variable.size;
  }
  return { params, offsets, index: new Map(params.map((p, i) => [p.key, i])), total };
}

/**
 * Write (`add` false) or add in float32 (`add` true) `grads` (keyed by variable name) into `dst` at the layout's
 * offsets, reading each gradient once (straight from the wasm heap where it lives there). Returns the keys of the
 * parameters that have a gradient, in order (the others' slots are left as they are).
 */
export function accumulateGrads(grads: Record<string, tf.Tensor>, layout: GradLayout, dst: Float32Array, add: boolean): string[] {
  const keys: string[] = [];
  layout.params.forEach((p, i) => {
    const g = grads[p.variable.name];
    if (!g) return;
    if (g.size !== p.variable.size) throw new Error(`dataParallel: the gradient of ${p.key} has ${g.size} values, its parameter ${p.variable.size}`);
    keys.push(p.key);
    const off = layout.offsets[i];
    const src = float32HeapView(g) ?? (g.dataSync() as Float32Array);
    if (!add) dst.set(src, off);
    else for (let j = 0; j < src.length; j++) dst[off + j] += src[j];
  });
  return keys;
}

/** The gradients of `keys` read from a buffer in {@link gradLayout}: one tensor per key (by variable name); the caller owns them. */
export function unflattenGrads(keys: readonly string[], data: Float32Array, layout: GradLayout): Record<string, tf.Tensor> {
  if (data.length !== layout.total) throw new Error(`dataParallel: ${data.length} gradient values for parameters of ${layout.total} values`);
  const out: Record<string, tf.Tensor> = {};
  for (const k of keys) {
    const i = layout.index.get(k);
    if (i === undefined) throw new Error(`dataParallel: gradient for unknown parameter ${k}`);
    const p = layout.params[i];
    out[p.variable.name] = tf.tensor(data.subarray(layout.offsets[i], layout.offsets[i] + p.variable.size), p.variable.shape, 'float32');
  }
  return out;
}

/**
 * The all-reduce of elements [lo, hi): `bufs[0][j] = (((bufs[0][j] + bufs[1][j]) + …) + bufs[N-1][j]) / N`, each
 * operation rounded to float32 (as torch's), ranks summed in order.
 */
export function reduceRange(bufs: readonly Float32Array[], lo: number, hi: number): void {
  const n = bufs.length;
  const out = bufs[0];
  if (n === 2) {
    const b = bufs[1];
    for (let j = lo; j < hi; j++) out[j] = Math.fround(out[j] + b[j]) / 2;
    return;
  }
  const last = bufs[n - 1];
  for (let j = lo; j < hi; j++) {
    let x = out[j];
    for (let r = 1; r < n - 1; r++) x = Math.fround(x + bufs[r][j]);
    out[j] = Math.fround(x + last[j]) / n;
  }
}

/** Rank `rank`'s share [lo, hi) of a reduce-scatter over `total` values and `n` ranks. */
function reduceShare(total: number, n: number, rank: number): [number, number] {
  return [Math.floor((rank * total) / n), Math.floor(((rank + 1) * total) / n)];
}

/** Every parameter's values in order, flat (the initial broadcast). */
export function flattenParams(params: readonly NamedParameter[]): { keys: string[]; data: Float32Array } {
  const data = new Float32Array(params.reduce((n, p) => n + p.variable.size, 0));
  let off = 0;
  for (const p of params) {
    data.set(p.variable.dataSync() as Float32Array, off);
    off += p.variable.size;
  }
  return { keys: params.map((p) => p.key), data };
}

/** FNV-1a over the float32 bits of every parameter, in order: equal checksums = bit-identical replicas (hex). */
export function paramsChecksum(params: readonly NamedParameter[]): string {
  let h = 0x811c9dc5;
  for (const p of params) {
    const v = p.variable.dataSync() as Float32Array;
    const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
    for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 16777619) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

interface Pending {
  rank: number;
  resolve: (msg: FromReplica) => void;
  reject: (e: Error) => void;
}

function missing(rank: number): never {
  throw new Error(`dataParallel: worker rank ${rank} sent no gradients (transfer exchange)`);
}

/** Options of {@link DataParallelGroup.start}. */
export interface GroupStart {
  spec: ReplicaSpec;
  /** Total replicas, rank 0 included. */
  workers: number;
  params: readonly NamedParameter[];
  losses: LossRecipe[];
  dropout: DropoutProbs;
  adamw: { lr: number; weightDecay: number; betas?: [number, number]; eps?: number };
  optimizerState?: { steps: Record<string, number>; tensors: Record<string, { shape: number[]; data: Float32Array }> };
  fault?: Fault;
  /** Default {@link exchangeMode}(). */
  exchange?: Exchange;
}

/** The coordinator's handle on replicas 1..N-1. Create with {@link DataParallelGroup.start}; always {@link stop} it. */
export class DataParallelGroup {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private stopped = false;

  private constructor(
    private readonly handles: WorkerHandle[],
    /** Replicas, rank 0 included. */
    readonly size: number,
    readonly layout: GradLayout,
    /** Shared exchange: every rank's arena (index = rank); undefined: transfer. */
    private readonly arenas: Float32Array[] | undefined,
    /** Rank 0's gradient buffer (its arena when shared). */
    readonly buffer: Float32Array,
  ) {}

  /** Start the workers (ranks 1..N-1), each loading the model and taking rank 0's parameters; resolves when all are ready. */
  static async start(o: GroupStart): Promise<DataParallelGroup> {
    const url = new URL(o.spec.workerUrl);
    const handles: WorkerHandle[] = [];
    const layout = gradLayout(o.params);
    const arenas = (o.exchange ?? exchangeMode()) === 'shared' ? Array.from({ length: o.workers }, () => new Float32Array(new SharedArrayBuffer(layout.total * 4))) : undefined;
    const group = new DataParallelGroup(handles, o.workers, layout, arenas, arenas?.[0] ?? new Float32Array(layout.total));
    try {
      for (let rank = 1; rank < o.workers; rank++) handles.push(await spawnWorker(url));
      const params = flattenParams(o.params);
      await Promise.all(
        handles.map((h, i) => {
          const rank = i + 1;
          return new Promise<void>((resolve, reject) => {
            let loaded = false;
            h.onMessage((raw) => {
              const msg = raw as FromReplica;
              if (msg.type === 'ready') {
                loaded = true;
                resolve();
              } else if (msg.type === 'init-error') {
                reject(fromWireError(msg.error, `dataParallel: worker rank ${rank} could not start`));
              } else group.onMessage(msg);
            });
            h.onExit((code, error) => {
              const why = error ? `${error.name}: ${error.message}` : `exit code ${code}`;
              if (!loaded) reject(new Error(`dataParallel: worker rank ${rank} ended while loading the model (${why})`));
              else group.onExit(rank, why);
            });
            const fault = o.fault && o.fault.rank === rank ? o.fault : undefined;
            h.post({ type: 'init', rank, spec: o.spec, losses: o.losses, dropout: o.dropout, adamw: o.adamw, params, arenas, optimizerState: o.optimizerState, fault } satisfies ToReplica);
            h.keepAlive(true);
          });
        }),
      );
    } catch (e) {
      await group.stop();
      throw e;
    }
    return group;
  }

  private onMessage(msg: FromReplica): void {
    if (!('id' in msg)) return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(fromWireError(msg.error, `dataParallel: worker rank ${p.rank} failed`));
    else p.resolve(msg);
  }

  private onExit(rank: number, why: string): void {
    if (this.stopped) return;
    const e = new Error(`dataParallel: worker rank ${rank} ended (${why}) during training`);
    this.failure ??= e;
    for (const [id, p] of this.pending) {
      if (p.rank === rank) {
        this.pending.delete(id);
        p.reject(e);
      }
    }
  }

  private request(rank: number, make: (id: number) => ToReplica, transfer?: ArrayBuffer[]): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<FromReplica>((resolve, reject) => {
      this.pending.set(id, { rank, resolve, reject });
      this.handles[rank - 1].post(make(id), transfer);
    });
  }

  /**
   * Send ranks 1..N-1 their shards (`shards[rank - 1]`); resolves to each rank's per-shard losses, the keys of its
   * gradients and (transfer exchange) its summed flat gradients. Call before computing rank 0's shards into
   * {@link buffer} in this thread (the workers run meanwhile).
   */
  computeShards(step: number, shards: ShardWork[][]): Promise<{ losses: number[]; keys: string[]; data?: Float32Array }[]> {
    return Promise.all(
      this.handles.map((_, i) =>
        this.request(i + 1, (id) => ({ type: 'step', id, step, shards: shards[i] })).then((m) => {
          if (m.type !== 'grads') throw new Error(`dataParallel: worker rank ${i + 1} answered ${m.type} to a step`);
          return m;
        }),
      ),
    );
  }

  /**
   * The all-reduce, once every rank's gradients are in: shared, a reduce-scatter (each rank sums its share in place,
   * this thread too); transfer, this thread sums the workers' `data` into {@link buffer}. Resolves to the averaged
   * gradients ({@link buffer}).
   */
  async allReduce(others: { data?: Float32Array }[]): Promise<Float32Array> {
    const n = this.size;
    if (!this.arenas) {
      reduceRange([this.buffer].concat(others.map((o, i) => o.data ?? missing(i + 1))), 0, this.layout.total);
      return this.buffer;
    }
    const done = Promise.all(
      this.handles.map((_, i) => {
        const [lo, hi] = reduceShare(this.layout.total, n, i + 1);
        return this.request(i + 1, (id) => ({ type: 'reduce', id, lo, hi }));
      }),
    );
    done.catch(() => undefined); // awaited below
    const [lo, hi] = reduceShare(this.layout.total, n, 0);
    reduceRange(this.arenas, lo, hi);
    await done;
    return this.buffer;
  }

  /**
   * Every worker measures the norm of the averaged gradients (`grads`, from {@link allReduce}), clips to
   * `maxGradNorm` and takes the AdamW step at `lr` (no step when the norm is not finite); resolves to the norms they
   * measured, rank order. Rank 0 does the same meanwhile; the buffer must not change until this resolves.
   */
  apply(keys: string[], grads: Float32Array, maxGradNorm: number, lr: number): Promise<number[]> {
    return Promise.all(
      this.handles.map((_, i) => {
        if (this.arenas) return this.request(i + 1, (id) => ({ type: 'apply', id, keys, maxGradNorm, lr }));
        // Each worker gets its own copy (transferred, not copied again by postMessage).
        const copy = grads.slice();
        return this.request(i + 1, (id) => ({ type: 'apply', id, keys, grads: copy, maxGradNorm, lr }), [copy.buffer]);
      }),
    ).then((answers) => answers.map((m) => (m.type === 'applied' ? m.norm : NaN)));
  }

  /** Gathered micro-step `key`, phase 1 (./gather.ts): ranks 1..N-1 embed `works[rank - 1]`; resolves to their embeddings, rank order. */
  gatherEmbed(key: number, works: ShardWork[]): Promise<Float32Array[][]> {
    return Promise.all(
      this.handles.map((_, i) =>
        this.request(i + 1, (id) => ({ type: 'gather-embed', id, key, work: works[i] })).then((m) => {
          if (m.type !== 'gather-embedded') throw new Error(`dataParallel: worker rank ${i + 1} answered ${m.type} to gather-embed`);
          return m.embeddings;
        }),
      ),
    );
  }

  /** Phase 2: ranks 1..N-1 compute their losses on `gathered`; resolves to their gradients with respect to it, rank order. */
  gatherLoss(key: number, gathered: Float32Array[]): Promise<Float32Array[][]> {
    return Promise.all(
      this.handles.map((_, i) =>
        this.request(i + 1, (id) => ({ type: 'gather-loss', id, key, gathered })).then((m) => {
          if (m.type !== 'gather-grads') throw new Error(`dataParallel: worker rank ${i + 1} answered ${m.type} to gather-loss`);
          return m.grads;
        }),
      ),
    );
  }

  /** The parameter checksums of ranks 1..N-1 ({@link paramsChecksum}). */
  async checksums(): Promise<string[]> {
    const answers = await Promise.all(this.handles.map((_, i) => this.request(i + 1, (id) => ({ type: 'checksum', id }))));
    return answers.map((m) => (m.type === 'checksum' ? m.value : ''));
  }

  /** Terminate every worker; pending requests reject. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const e = new Error('dataParallel: the replicas were stopped');
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    await Promise.all(this.handles.map((h) => h.terminate()));
  }
}

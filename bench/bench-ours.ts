/**
 * Our runtimes for `npm run bench`: SentenceTransformer (fp32, or q8 where `load` implements it) and SparseEncoder
 * on a tfjs backend, the worker pool, and the practical
 * ceiling (a large tf.matMul on the same backend, in the same process).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchEncoder } from './bench-common.js';
import { EncodePool } from '../src/api/pool.js';
import { SentenceTransformer, type SentenceTransformerLoadOptions } from '../src/api/sentence_transformer.js';
import { SparseEncoder } from '../src/api/sparse_encoder.js';
import type { SparseVector } from '../src/util/sparse.js';
import { linearKernel, wasmKernelsFlavor, wasmLinearActive } from '../src/kernels/index.js';
import type { DeviceName } from '../src/backends/index.js';

/**
 * Whether `SentenceTransformer.load` implements `dtype`: an implemented option rejects a value it does not know,
 * naming it; an option that is silently ignored would make a "q8" row measure fp32. Returns undefined when
 * q8 can be asked for, else the reason it cannot.
 */
export async function q8Unavailable(modelDir: string, loadWith: (opts: Record<string, unknown>) => Promise<{ dispose: () => unknown }>): Promise<string | undefined> {
  try {
    const probe = await loadWith({ device: 'wasm', dtype: 'no-such-dtype' });
    await probe.dispose();
    return `skipped: q8 not available (load accepted dtype 'no-such-dtype' for ${modelDir}: the dtype option is not implemented)`;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!/dtype/i.test(msg)) return `skipped: q8 not available (${msg.split('\n')[0]})`;
    return undefined;
  }
}

/** SentenceTransformer.load on `device` (with `dtype` when given); each call encodes one batch, normalized. */
export async function loadOurs(modelDir: string, device: string, dtype?: 'q8'): Promise<{ encode: BatchEncoder; backend: string; close: () => Promise<void> } | string> {
  const loadWith = (opts: Record<string, unknown>) => SentenceTransformer.load(modelDir, opts as SentenceTransformerLoadOptions);
  if (dtype) {
    const why = await q8Unavailable(modelDir, loadWith);
    if (why) return why;
  }
  let model: SentenceTransformer;
  try {
    model = await loadWith({ device: device as DeviceName, ...(dtype ? { dtype } : {}) });
  } catch (e) {
    if (!dtype) throw e;
    return `skipped: q8 not available (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
  }
  return {
    encode: (texts) => model.encode(texts, { batchSize: texts.length, normalizeEmbeddings: true }),
    backend: (wasmKernelsFlavor() === 'none' ? tf.getBackend() : `${tf.getBackend()} (${wasmKernelsFlavor()} kernels)`) + (dtype ? `, dtype ${dtype}` : ''),
    close: async () => model.dispose(),
  };
}

/** SparseEncoder.load on wasm; each call encodes one batch, the sparse vectors written out dense (for the agreement check). */
export async function loadOursSparse(modelDir: string): Promise<{ encode: BatchEncoder; backend: string; close: () => Promise<void> }> {
  const model = await SparseEncoder.load(modelDir, { device: 'wasm' });
  return {
    encode: async (texts) => {
      const rows = (await model.encode(texts, { batchSize: texts.length })) as SparseVector[];
      return rows.map((r) => {
        const d = new Float32Array(r.dim);
        r.indices.forEach((i, k) => (d[i] = r.values[k]!));
        return d;
      });
    },
    backend: wasmKernelsFlavor() === 'none' ? tf.getBackend() : `${tf.getBackend()} (${wasmKernelsFlavor()} kernels)`,
    close: async () => model.dispose(),
  };
}

/**
 * The worker pool with `workers` wasm workers. `encodeMany` hands each batch to the pool as one chunk (chunkSize =
 * the batch), all at once, so the workers run exactly the batches every other runtime runs.
 */
export async function loadOursPool(
  modelDir: string,
  workers: number,
  dtype?: 'q8',
): Promise<{ encode: BatchEncoder; encodeMany: (batches: string[][]) => Promise<Float32Array[][]>; close: () => Promise<void> } | string> {
  const start = (options: Record<string, unknown>, n: number) => EncodePool.start({ modelDir, options }, { workers: n });
  if (dtype) {
    const why = await q8Unavailable(modelDir, async (opts) => {
      const p = await start(opts, 1);
      return { dispose: () => p.stop() };
    });
    if (why) return why;
  }
  let pool: EncodePool;
  try {
    pool = await start({ device: 'wasm', ...(dtype ? { dtype } : {}) }, workers);
  } catch (e) {
    if (!dtype) throw e;
    return `skipped: q8 not available (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
  }
  const one = (texts: string[]) => pool.encode(texts, { batchSize: texts.length, chunkSize: texts.length, normalizeEmbeddings: true });
  return {
    encode: one,
    encodeMany: (batches) => Promise.all(batches.map(one)),
    close: () => pool.stop(),
  };
}

/**
 * The practical ceiling: best GFLOP/s of a large matmul over a few shapes (the encoder's own FFN shapes
 * [1024 x 384] x [384 x 1536], [1024 x 1536] x [1536 x 384] and a square 1024^3), on the backend in use, by
 * both the stock `tf.matMul` and, where it runs (wasm), sentence-tfjs' own dense kernel (which the encoder
 * uses there). Median of 5 timed runs each; the best of all is the ceiling.
 */
export async function matmulCeiling(): Promise<{ gflops: number; shape: string }> {
  const shapes: [number, number, number][] = [
    [1024, 384, 1536],
    [1024, 1536, 384],
    [1024, 1024, 1024],
  ];
  const ops: [string, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor][] = [['tf.matMul', (a, b) => tf.matMul(a, b)]];
  if (wasmLinearActive()) ops.push(['sentence-tfjs dense kernel', (a, b) => linearKernel(a, b)!]);
  let best = { gflops: 0, shape: '' };
  for (const [name, op] of ops) {
    for (const [m, k, n] of shapes) {
      const a = tf.randomNormal([m, k]) as tf.Tensor2D;
      const b = tf.randomNormal([k, n]) as tf.Tensor2D;
      op(a, b).dispose();
      const times: number[] = [];
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        const c = op(a, b);
        await c.data();
        times.push(performance.now() - t);
        c.dispose();
      }
      a.dispose();
      b.dispose();
      times.sort((x, y) => x - y);
      const gflops = (2 * m * k * n) / (times[2]! * 1e6);
      if (gflops > best.gflops) best = { gflops, shape: `${name} [${m}x${k}]x[${k}x${n}]` };
    }
  }
  return best;
}

/**
 * Our runtimes for `npm run bench`: SentenceTransformer on a tfjs backend, the worker pool, and the practical
 * ceiling (a large tf.matMul on the same backend, in the same process).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchEncoder } from './bench-peers.js';
import { EncodePool } from '../src/api/pool.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { linearKernel, wasmKernelsFlavor, wasmLinearActive } from '../src/kernels/index.js';
import type { DeviceName } from '../src/backends/index.js';

/** SentenceTransformer.load on `device`; each call encodes one batch, normalized. */
export async function loadOurs(modelDir: string, device: string): Promise<{ encode: BatchEncoder; backend: string; close: () => Promise<void> }> {
  const model = await SentenceTransformer.load(modelDir, { device: device as DeviceName });
  return {
    encode: (texts) => model.encode(texts, { batchSize: texts.length, normalizeEmbeddings: true }),
    backend: wasmKernelsFlavor() === 'none' ? tf.getBackend() : `${tf.getBackend()} (${wasmKernelsFlavor()} kernels)`,
    close: async () => model.dispose(),
  };
}

/** The worker pool with `workers` wasm workers, default chunking (256 texts per call -> 8 chunks of 32). */
export async function loadOursPool(modelDir: string, workers: number): Promise<{ encode: BatchEncoder; close: () => Promise<void> }> {
  const pool = await EncodePool.start({ modelDir, options: { device: 'wasm' } }, { workers });
  return {
    encode: (texts) => pool.encode(texts, { batchSize: 32, normalizeEmbeddings: true }),
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

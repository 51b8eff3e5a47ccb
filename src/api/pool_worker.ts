/**
 * The entry module of every encode-pool worker (see pool.ts): loads the SentenceTransformer once, on the wasm
 * backend with a single thread per worker, then serves `encode` chunks (pool_protocol.ts).
 * Runs as compiled JS from dist/, in development and tests as TypeScript through tsx, and in browsers as a module
 * Web Worker from a browser bundle (`node scripts/build-browser.mjs --pool-worker` -> pool-worker.js).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backends/index.js';
import { parentPort } from '../platform/workers.js';
import { type ChunkEncoder, type PoolLoadSpec, serveEncodeWorker } from './pool_protocol.js';
import { SentenceTransformer, type SentenceTransformerLoadOptions } from './sentence_transformer.js';
import type { EncodeOptions } from './encode_options.js';
import { setLogLevel } from '../util/logger.js';

// The parent sends its model's already-resolved directory: a path, or an http(s) URL (a model served to a
// browser), which the default resolver passes through as it is.

async function loadModel(spec: PoolLoadSpec): Promise<ChunkEncoder> {
  // One thread per worker: the pool's parallelism comes from its workers.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (spec.logLevel !== undefined) setLogLevel(spec.logLevel);
  // Browsers: the worker's own script URL says nothing about where the .wasm binaries are served.
  if (spec.wasmPaths !== undefined && (spec.options?.device ?? 'wasm') === 'wasm') await initBackend('wasm', { wasmPaths: spec.wasmPaths });
  const model = await SentenceTransformer.load(spec.modelDir, (spec.options ?? {}) as SentenceTransformerLoadOptions);
  return { encode: (texts, options) => model.encode(texts, options as EncodeOptions) as Promise<Float32Array[]> };
}

serveEncodeWorker(await parentPort(), loadModel);

/**
 * What `SentenceTransformer.load` and `CrossEncoder.load` do before reading a model: check the id, bring up the
 * tfjs backend (and its kernels), and resolve the id to a local directory (or an http(s) folder URL).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, installBackendKernels, type DeviceName } from '../backends/index.js';

/** Resolves a model id or path to a local directory. Replace `SentenceTransformer.resolveModel` / `CrossEncoder.resolveModel` to plug another resolver in. */
export type ModelResolver = (modelIdOrDir: string, hubOptions: Record<string, unknown>) => Promise<string>;

/** The default resolver: a local directory or URL as it is, else the hub cache (downloading when allowed). */
export async function defaultResolver(modelIdOrDir: string, hubOptions: Record<string, unknown>): Promise<string> {
  const hub = await import('../hub/index.js');
  return hub.resolveModelPath(modelIdOrDir, hubOptions);
}

/** The load options the preamble reads. */
export interface LoadPreambleOptions {
  /** tfjs device; calls `initBackend(device)`. Default: the current backend, or initBackend's default. */
  device?: DeviceName;
  /** Options passed to the model-id resolver (hub revision, cache folder, token, local files only, ...). */
  hub?: Record<string, unknown>;
}

/**
 * Check `modelIdOrDir` (named `pythonName` in errors), initialize the backend and its kernels, and resolve the id
 * with `resolve`; returns the model directory.
 */
export async function prepareLoad(modelIdOrDir: string, opts: LoadPreambleOptions, resolve: ModelResolver, pythonName: string): Promise<string> {
  if (typeof modelIdOrDir !== 'string' || modelIdOrDir === '') {
    throw new TypeError(`modelIdOrDir (${pythonName}) must be a non-empty string, got ${JSON.stringify(modelIdOrDir)}`);
  }
  if (opts.device !== undefined) await initBackend(opts.device);
  else if (!tf.engine().backendName) await initBackend();
  await installBackendKernels();
  return resolve(modelIdOrDir, opts.hub ?? {});
}

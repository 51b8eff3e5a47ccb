/**
 * What a backend can do that callers ask about, by backend name (no backend is initialised here).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Backends whose `dataSync` is a plain memory read (no GPU round trip; Dawn in Node has no sync path at all). */
const SYNC_READ_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu', 'tensorflow']);

/**
 * Whether `backend` (default: the active one) can read a tensor back synchronously and cheaply: true for
 * wasm, cpu and tensorflow (tfjs-node); false for webgpu and webgl.
 * @example
 * if (canReadSync()) checkIds(ids.dataSync());
 */
export function canReadSync(backend: string = tf.getBackend()): boolean {
  return SYNC_READ_BACKENDS.has(backend);
}

/**
 * Backend selection for tfjs: WASM by default (exact float32, SIMD where available), CPU as the fallback;
 * in a browser with a WebGPU adapter, WebGPU by default. Also 'webgpu' (browser, or Node via Dawn: webgpu.ts),
 * 'webgl' (browser: webgl.ts), 'tensorflow' / 'cuda' (tfjs-node / tfjs-node-gpu: tensorflow.ts).
 *
 * Under Node the .wasm binaries are found in the installed `@tensorflow/tfjs-backend-wasm` package;
 * in browsers pass `wasmPaths` (a URL prefix ending in '/', or a map file name -> URL), as tfjs' own
 * `setWasmPaths` takes. Calling `initBackend` again with the same device is a no-op.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmKernels } from '../kernels/wasm_kernels.js';
import { nodeWasmDir } from '../platform/wasm_paths.js';
import { isNode } from '../platform/fs.js';
import { logger } from '../util/logger.js';
import { initTensorflow } from './tensorflow.js';
import { initWebGL } from './webgl.js';
import { initWebGPU, webgpuAdapterAvailable } from './webgpu.js';
import { patchWasmSlice } from './wasm_slice.js';

/** Devices `initBackend` can select. */
export type DeviceName = 'wasm' | 'cpu' | 'webgpu' | 'webgl' | 'tensorflow' | 'cuda';

/** Supported device names, for error messages and CLIs. */
export const SUPPORTED_DEVICES: readonly DeviceName[] = ['wasm', 'cpu', 'webgpu', 'webgl', 'tensorflow', 'cuda'];

/** The tfjs backend name each device runs on ('cuda' is tfjs-node-gpu's 'tensorflow' backend). */
const BACKEND_OF: Record<DeviceName, string> = { wasm: 'wasm', cpu: 'cpu', webgpu: 'webgpu', webgl: 'webgl', tensorflow: 'tensorflow', cuda: 'tensorflow' };

/** The default device: 'webgpu' in a browser whose navigator.gpu gives an adapter, else 'wasm' (always 'wasm' in Node). */
export async function defaultDevice(): Promise<DeviceName> {
  return !isNode() && (await webgpuAdapterAvailable()) ? 'webgpu' : 'wasm';
}

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /** Where the WASM binaries are served from (browsers); defaults to the installed package under Node. */
  wasmPaths?: string | Record<string, string>;
  /** When WASM fails to initialise: fall back to 'cpu' (default true) or throw. */
  fallbackToCpu?: boolean;
}

let wasmPathsSet = false;
let wasmPathsGiven: string | Record<string, string> | undefined;

/** The `wasmPaths` this page gave {@link initBackend} (browsers; undefined when none was given): workers reuse them. */
export function configuredWasmPaths(): string | Record<string, string> | undefined {
  return wasmPathsGiven;
}
let pending: Promise<DeviceName> | undefined;

async function configureWasm(opts: BackendOptions): Promise<void> {
  if (wasmPathsSet) return;
  const paths = opts.wasmPaths ?? (await nodeWasmDir());
  try {
    if (paths !== undefined) setWasmPaths(paths);
    wasmPathsGiven = opts.wasmPaths;
  } catch {
    // tfjs refuses once the wasm backend is initialised (by someone else): its paths are settled then.
  }
  wasmPathsSet = true;
}

async function select(device: DeviceName, opts: BackendOptions): Promise<DeviceName> {
  if (tf.getBackend() === BACKEND_OF[device]) return device;
  if (device === 'webgpu') return (await initWebGPU(), device);
  if (device === 'webgl') return (await initWebGL(), device);
  if (device === 'tensorflow' || device === 'cuda') return (await initTensorflow(device), device);
  if (device === 'wasm') {
    try {
      await configureWasm(opts);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
      throw new Error('tf.setBackend("wasm") returned false');
    } catch (e) {
      if (opts.fallbackToCpu === false) throw new Error(`cannot initialise the wasm backend: ${(e as Error).message ?? String(e)}`);
      logger.warn(`wasm backend unavailable (${(e as Error).message ?? String(e)}); using cpu`);
      device = 'cpu';
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('cannot initialise the cpu backend');
  await tf.ready();
  return 'cpu';
}

/**
 * Select and initialise the tfjs backend (default: {@link defaultDevice}). Idempotent; concurrent calls are
 * serialised. Returns the device actually in use (`'cpu'` when WASM failed and `fallbackToCpu` is not false).
 * 'webgpu', 'webgl', 'tensorflow' and 'cuda' never fall back: they throw an error saying what is missing.
 */
export async function initBackend(device?: DeviceName, opts: BackendOptions = {}): Promise<DeviceName> {
  device ??= await defaultDevice();
  if (!SUPPORTED_DEVICES.includes(device)) {
    throw new Error(`initBackend: unsupported device ${JSON.stringify(device)}; expected one of ${SUPPORTED_DEVICES.join(', ')}`);
  }
  const prev = pending ?? Promise.resolve<DeviceName>('cpu');
  const next = prev
    .catch(() => 'cpu' as DeviceName)
    .then(() => select(device, opts))
    .then(async (d) => (await installBackendKernels(), d));
  pending = next;
  return next;
}

/**
 * Register sentence-tfjs' custom kernels for the current backend when it has some (wasm: fused attention, GELU,
 * residual + LayerNorm; see src/kernels). Idempotent; `initBackend` and the model loaders call it, so only code
 * that sets a backend with `tf.setBackend` itself and then runs a model it built by hand needs to.
 */
export async function installBackendKernels(): Promise<void> {
  if (tf.getBackend() !== 'wasm') return;
  patchWasmSlice(); // tfjs' Slice copies its whole input out of the heap on each call (wasm_slice.ts)
  await installWasmKernels();
}

/** The name of the tfjs backend in use (e.g. 'wasm', 'cpu'). */
export function currentBackend(): string {
  return tf.getBackend();
}

/**
 * The `webgpu` device: `@tensorflow/tfjs-backend-webgpu` on the browser's `navigator.gpu`, or in Node.js on
 * Dawn through the optional `webgpu` package (see `platform/node_webgpu.ts`).
 *
 * Precision: tfjs-backend-webgpu 4.22 stores every float tensor as WGSL `f32` and has no f16 code path (it never
 * requests the `shader-f16` feature), so there is no flag to set; results differ from the CPU only by
 * summation order and by the GPU's built-in `exp`/`tanh`/... accuracy (see docs/backends.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isNode } from '../platform/fs.js';
import { installNodeWebGPU, NODE_WEBGPU_HINT, type GPUAdapterLike, type GPULike } from '../platform/node_webgpu.js';
import { GPU_DEVICE_PACKAGES, loadWebGPUBackend } from './gpu_peers.js';

function navigatorGpu(): GPULike | undefined {
  return (globalThis as { navigator?: { gpu?: GPULike } }).navigator?.gpu;
}

/**
 * Whether WebGPU can be used here without installing anything: a browser (or worker) whose `navigator.gpu`
 * returns an adapter. Always false in Node.js (Dawn is opt-in there: ask for device 'webgpu').
 */
export async function webgpuAdapterAvailable(): Promise<boolean> {
  if (isNode()) return false;
  const gpu = navigatorGpu();
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** Description of the adapter tfjs will use (vendor/architecture), for logs and reports. */
export function describeAdapter(adapter: GPUAdapterLike): string {
  const i = adapter.info ?? {};
  return [i.vendor, i.architecture, i.device, i.description].filter((s) => s).join(' ') || 'unknown adapter';
}

let castPatched = false;

/**
 * tfjs-backend-webgpu 4.22 casts int32/bool to float32 by relabelling the same GPU buffer (i32 bits). Element-wise
 * shaders convert on read, but the Transpose shader that reductions over a non-inner axis use does not, so e.g.
 * `sum(reshape(cast(mask, 'float32'), [B, T, 1]), 1)` (mean pooling's token count) fails to compile and yields
 * zeros. Replace that cast with a real conversion: `x * 1.0f`, an element-wise op whose output buffer is f32.
 */
function patchIntToFloatCast(): void {
  if (castPatched) return;
  const cast = tf.getKernel('Cast', 'webgpu');
  const mul = tf.getKernel('Multiply', 'webgpu');
  if (!cast || !mul) return;
  const original = cast.kernelFunc;
  tf.unregisterKernel('Cast', 'webgpu');
  tf.registerKernel({
    ...cast,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if ((args.attrs as { dtype?: string }).dtype !== 'float32' || (x.dtype !== 'int32' && x.dtype !== 'bool')) return original(args);
      const backend = args.backend as unknown as { makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo; disposeData(id: object): void };
      const one = backend.makeTensorInfo([], 'float32', new Float32Array([1]));
      try {
        return mul.kernelFunc({ inputs: { a: x, b: one }, backend: args.backend, attrs: {} }) as tf.TensorInfo;
      } finally {
        backend.disposeData(one.dataId);
      }
    },
  });
  castPatched = true;
}

/**
 * Make `webgpu` the active tfjs backend. In Node.js this first installs Dawn's `navigator.gpu`.
 * @throws when the `webgpu` package is missing (Node), when there is no WebGPU or no adapter, or when tfjs fails
 *   to initialize the backend; each error says what to do.
 * @returns a description of the adapter in use
 */
export async function initWebGPU(): Promise<string> {
  const node = isNode();
  if (node) await installNodeWebGPU([], GPU_DEVICE_PACKAGES.webgpuNode);
  const gpu = navigatorGpu();
  if (!gpu) {
    throw new Error("device 'webgpu': this browser has no WebGPU (navigator.gpu is undefined; it needs a secure context, " +
      "https or localhost, and a browser with WebGPU enabled); use device 'webgl' or 'wasm' instead");
  }
  // The same request tfjs makes (its WEBGPU_USE_LOW_POWER_GPU flag exists only once the backend is imported).
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) {
    throw new Error(`device 'webgpu': navigator.gpu.requestAdapter() returned no adapter. ${node ? NODE_WEBGPU_HINT : "The browser has WebGPU but no usable GPU (in headless Chromium pass --enable-unsafe-webgpu); use device 'webgl' or 'wasm' instead"}`);
  }
  // Registers the backend at import time, only because navigator.gpu now exists.
  await loadWebGPUBackend(node);
  if (!tf.findBackendFactory('webgpu')) {
    throw new Error("device 'webgpu': @tensorflow/tfjs-backend-webgpu did not register with this copy of @tensorflow/tfjs-core " +
      '(it was imported before navigator.gpu existed, or two tfjs-core versions are installed; run `npm ls @tensorflow/tfjs-core`)');
  }
  patchIntToFloatCast();
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error("device 'webgpu': tfjs could not initialize the webgpu backend (see the warning printed above)");
  }
  await tf.ready();
  return describeAdapter(adapter);
}

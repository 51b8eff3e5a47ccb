/**
 * WebGPU in Node.js through Dawn (the `webgpu` npm package, an optional peer).
 *
 * `@tensorflow/tfjs-backend-webgpu` registers its backend at import time only when `globalThis.navigator.gpu`
 * exists, so {@link installNodeWebGPU} must run before that import: it puts the package's WebGPU classes
 * (`GPUBufferUsage`, `GPUMapMode`, ...) onto `globalThis` and sets `navigator.gpu = create(flags)`.
 *
 * Dawn picks a Vulkan driver on Linux. Without a GPU, use SwiftShader (software Vulkan), e.g. the one Chromium
 * ships: `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`. Dawn loads `libvulkan.so.1` itself; if the
 * system has none (Debian package `libvulkan1`), `LD_LIBRARY_PATH=/usr/lib/chromium` makes it use Chromium's copy.
 * Both variables must be set before Node starts.
 */
import { isNode } from './fs.js';
import { importOptionalPeer } from './optional_peer.js';

/** The part of the WebGPU `GPU` object (navigator.gpu) that sentence-tfjs touches. */
export interface GPULike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GPUAdapterLike | null>;
}

/** The part of a `GPUAdapter` used for diagnostics. */
export interface GPUAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  readonly features: { has(name: string): boolean };
}

interface WebGPUPackage {
  create(flags: string[]): GPULike;
  globals: Record<string, unknown>;
}

let installed: GPULike | undefined;

/**
 * Make `navigator.gpu` available in Node from the `webgpu` package. Idempotent; a no-op (returning the
 * existing object) when `navigator.gpu` is already defined.
 * @param flags Dawn toggles passed to `create()`, e.g. `['backend=vulkan']`
 * @param packages every optional package the caller needs, named by the error when `webgpu` is missing
 * @returns the `GPU` object now at `navigator.gpu`
 */
export async function installNodeWebGPU(flags: string[] = [], packages?: readonly string[]): Promise<GPULike> {
  const nav = (globalThis as { navigator?: { gpu?: GPULike } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (installed) return installed;
  if (!isNode()) throw new Error('installNodeWebGPU() is for Node.js; in a browser WebGPU comes from navigator.gpu');
  const pkg = await importOptionalPeer<WebGPUPackage>('webgpu', "device 'webgpu' in Node.js (Dawn)", packages);
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(pkg.globals)) if (!(k in g)) g[k] = v;
  const gpu = pkg.create(flags);
  if (nav) {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, enumerable: false, writable: true });
  }
  installed = gpu;
  return gpu;
}

/** Advice printed when Dawn finds no adapter in Node. */
export const NODE_WEBGPU_HINT =
  'Dawn found no WebGPU adapter. On Linux it needs Vulkan: a GPU driver, or SwiftShader for software rendering ' +
  '(start node with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json, the file Debian\'s chromium package ships), ' +
  'and libvulkan.so.1 (Debian package libvulkan1, or LD_LIBRARY_PATH=/usr/lib/chromium to use Chromium\'s copy)';

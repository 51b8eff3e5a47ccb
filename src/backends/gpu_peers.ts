/**
 * The optional tfjs GPU backends (`@tensorflow/tfjs-backend-webgl`, `@tensorflow/tfjs-backend-webgpu`), loaded when
 * their device is asked for. This variant imports them by name, so that Node resolves them at run time and the
 * project's own browser bundles (scripts/build-browser.mjs) include them as lazy chunks. A browser app bundling the
 * installed package gets gpu_peers.browser.ts instead (package.json `browser` field), which needs no package to
 * be installed at build time.
 */
import { isModuleNotFound, MissingPeerError } from '../platform/optional_peer.js';

/** The optional packages each GPU device needs, all named by its error when one is missing. */
export const GPU_DEVICE_PACKAGES = {
  webgl: ['@tensorflow/tfjs-backend-webgl'],
  /** In Node.js, Dawn (`webgpu`) provides navigator.gpu; browsers have their own. */
  webgpuNode: ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
  webgpuBrowser: ['@tensorflow/tfjs-backend-webgpu'],
} as const;

async function load(pkg: string, purpose: string, packages: readonly string[], importer: () => Promise<unknown>): Promise<void> {
  try {
    await importer();
  } catch (e) {
    if (isModuleNotFound(e, pkg)) throw new MissingPeerError(pkg, purpose, e, packages);
    throw e;
  }
}

/** Import `@tensorflow/tfjs-backend-webgl` (registers the `webgl` backend). @throws {MissingPeerError} when missing */
export async function loadWebGLBackend(): Promise<void> {
  await load('@tensorflow/tfjs-backend-webgl', "device 'webgl'", GPU_DEVICE_PACKAGES.webgl, () => import('@tensorflow/tfjs-backend-webgl'));
}

/**
 * Import `@tensorflow/tfjs-backend-webgpu` (registers the `webgpu` backend if navigator.gpu exists by then).
 * @param node whether Node.js runs it (the error then also names `webgpu`)
 * @throws {MissingPeerError} when missing
 */
export async function loadWebGPUBackend(node: boolean): Promise<void> {
  const packages = node ? GPU_DEVICE_PACKAGES.webgpuNode : GPU_DEVICE_PACKAGES.webgpuBrowser;
  await load('@tensorflow/tfjs-backend-webgpu', node ? "device 'webgpu' in Node.js" : "device 'webgpu'", packages, () => import('@tensorflow/tfjs-backend-webgpu'));
}

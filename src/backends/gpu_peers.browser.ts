/**
 * Browser variant of gpu_peers.ts (package.json `browser` field), for apps that bundle the installed package with
 * a stock bundler: the GPU backends are optional peers, so this file never names them in an import a bundler
 * would resolve. A backend the app has imported itself (`import '@tensorflow/tfjs-backend-webgl'`) is found in
 * tfjs' registry; otherwise the package is imported by a variable specifier (it works with an import map), and
 * failing that the error says what to install and import.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MissingPeerError } from '../platform/optional_peer.js';
import type { GPU_DEVICE_PACKAGES as Packages } from './gpu_peers.js';

/** The optional packages each GPU device needs (the same table as gpu_peers.ts). */
export const GPU_DEVICE_PACKAGES: typeof Packages = {
  webgl: ['@tensorflow/tfjs-backend-webgl'],
  webgpuNode: ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
  webgpuBrowser: ['@tensorflow/tfjs-backend-webgpu'],
};

class MissingBrowserPeerError extends MissingPeerError {
  constructor(pkg: string, purpose: string, cause: unknown) {
    super(pkg, purpose, cause);
    this.message = `${purpose} needs the optional package '${pkg}', which this app does not include: ` +
      `run \`npm install ${pkg}\` and add \`import '${pkg}';\` to your app before choosing the device`;
  }
}

async function load(backend: string, pkg: string, purpose: string): Promise<void> {
  if (tf.findBackendFactory(backend)) return;
  const specifier: string = pkg;
  try {
    await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
  } catch (e) {
    throw new MissingBrowserPeerError(pkg, purpose, e);
  }
}

/** Make sure `@tensorflow/tfjs-backend-webgl` is loaded. @throws {MissingPeerError} when the app lacks it */
export async function loadWebGLBackend(): Promise<void> {
  await load('webgl', '@tensorflow/tfjs-backend-webgl', "device 'webgl'");
}

/** Make sure `@tensorflow/tfjs-backend-webgpu` is loaded. @throws {MissingPeerError} when the app lacks it */
export async function loadWebGPUBackend(_node: boolean): Promise<void> {
  await load('webgpu', '@tensorflow/tfjs-backend-webgpu', "device 'webgpu'");
}

/**
 * The `webgl` device: `@tensorflow/tfjs-backend-webgl` (browsers only; WebGL 2, or WebGL 1 with float textures).
 *
 * Precision: tfjs-webgl keeps tensors in textures, and silently falls back to **half-float** textures
 * (fp16 storage, ~3 decimal digits) when the GPU cannot render to float32 textures or when
 * `WEBGL_FORCE_F16_TEXTURES` is set. {@link initWebGL} forces the flag off and refuses to run when
 * `WEBGL_RENDER_FLOAT32_ENABLED` ends up false, so results are fp32 or an error, never quietly fp16.
 * Shaders are compiled with `precision highp float` (IEEE fp32 on desktop GPUs and SwiftShader).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isNode } from '../platform/fs.js';
import { loadWebGLBackend } from './gpu_peers.js';

/** The tfjs flags that decide WebGL's float precision, as they are after {@link initWebGL}. */
export interface WebGLPrecision {
  webglVersion: number;
  renderFloat32Capable: boolean;
  renderFloat32Enabled: boolean;
  forceF16Textures: boolean;
}

/** Read the current WebGL precision flags (evaluates them, which probes the GL context). */
export function webglPrecision(): WebGLPrecision {
  const env = tf.env();
  return {
    webglVersion: env.getNumber('WEBGL_VERSION'),
    renderFloat32Capable: env.getBool('WEBGL_RENDER_FLOAT32_CAPABLE'),
    renderFloat32Enabled: env.getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
    forceF16Textures: env.getBool('WEBGL_FORCE_F16_TEXTURES'),
  };
}

/**
 * Make `webgl` the active tfjs backend, in fp32.
 * @throws in Node.js (no WebGL there), when the browser has no WebGL, or when it can only compute in fp16
 * @returns the precision flags in effect
 */
export async function initWebGL(): Promise<WebGLPrecision> {
  if (isNode()) {
    throw new Error("device 'webgl' is for browsers; Node.js has no WebGL. Use 'wasm', 'cpu', 'webgpu' (Dawn) or 'tensorflow' instead");
  }
  await loadWebGLBackend();
  const env = tf.env();
  env.set('WEBGL_FORCE_F16_TEXTURES', false);
  if (!(await tf.setBackend('webgl'))) {
    throw new Error("device 'webgl': tfjs could not create a WebGL context (see the warning printed above); use 'wasm' instead");
  }
  await tf.ready();
  const p = webglPrecision();
  if (!p.renderFloat32Enabled) {
    throw new Error(`device 'webgl': this GPU cannot render to float32 textures (WEBGL_RENDER_FLOAT32_CAPABLE=${p.renderFloat32Capable}, ` +
      `WebGL ${p.webglVersion}), so tfjs would compute in float16 and miss fp32 parity; use 'webgpu' or 'wasm' instead`);
  }
  return p;
}

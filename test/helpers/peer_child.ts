/**
 * Child process of test/optional_peers.test.ts: initializes one device with some packages hidden (see
 * hide_packages.mjs) and prints `RESULT {"name", "message", "packageName", "packages"}` for the error, or
 * `RESULT {"ok": true, "backend"}` when it succeeded.
 *   node --import tsx --import ./test/helpers/hide_packages.mjs test/helpers/peer_child.ts <device | webgl-package>
 */
import { initBackend, type DeviceName } from '../../src/backends/index.js';
import { loadWebGLBackend } from '../../src/backends/gpu_peers.js';
import { MissingPeerError } from '../../src/platform/optional_peer.js';

const what = process.argv[2] ?? '';
try {
  // 'webgl-package': the loader itself (device 'webgl' refuses Node before it gets there).
  const backend = what === 'webgl-package' ? (await loadWebGLBackend(), 'loaded') : await initBackend(what as DeviceName, { fallbackToCpu: false });
  console.log(`RESULT ${JSON.stringify({ ok: true, backend })}`);
} catch (e) {
  const err = e as Error;
  const peer = e instanceof MissingPeerError ? { packageName: e.packageName, packages: e.packages } : {};
  console.log(`RESULT ${JSON.stringify({ name: err.name, message: err.message, ...peer })}`);
}
process.exit(0);

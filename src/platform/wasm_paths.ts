/**
 * Where the tfjs WASM binaries live under Node: the `dist/` folder of the installed
 * `@tensorflow/tfjs-backend-wasm` package (resolved from this module, so it works from any cwd).
 * Browsers return undefined: they serve the .wasm files themselves (see `initBackend`'s `wasmPaths`).
 */
import { isNode, nodePath } from './fs.js';
import { nodeBuiltins } from './node_builtins.js';

/** The directory (with a trailing separator) holding `tfjs-backend-wasm*.wasm` under Node, else undefined. */
export async function nodeWasmDir(): Promise<string | undefined> {
  if (!isNode()) return undefined;
  const { createRequire } = await nodeBuiltins.module();
  const path = await nodePath();
  const req = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = req.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  } catch (e) {
    throw new Error(`cannot locate @tensorflow/tfjs-backend-wasm (is it installed?): ${(e as Error).message}`);
  }
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

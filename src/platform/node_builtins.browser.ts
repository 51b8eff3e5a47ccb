/**
 * Browser variant of node_builtins.ts (package.json `browser` field): the same loaders, each throwing, so that
 * a browser bundle contains no Node module. Code that reaches one in a browser has a path that needs Node.
 */
import type { nodeBuiltins as NodeBuiltins } from './node_builtins.js';

function unavailable(name: string): () => Promise<never> {
  return () => Promise.reject(new Error(`'${name}' is not available in a browser (sentence-tfjs browser build): load models from a URL instead of a local path`));
}

/** Lazy loaders of the Node built-ins: in a browser, each rejects with a message naming the module. */
export const nodeBuiltins: typeof NodeBuiltins = {
  fs: unavailable('node:fs'),
  fsPromises: unavailable('node:fs/promises'),
  path: unavailable('node:path'),
  os: unavailable('node:os'),
  crypto: unavailable('node:crypto'),
  module: unavailable('node:module'),
  url: unavailable('node:url'),
  workerThreads: unavailable('node:worker_threads'),
};

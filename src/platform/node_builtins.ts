/**
 * The one place that loads Node built-ins (`node:fs`, `node:path`, `node:worker_threads`, …), each lazily, on
 * first use. Browser builds never load them: package.json's `browser` field swaps this file for
 * `node_builtins.browser.ts`, whose loaders throw, so a stock bundler (esbuild, Vite, webpack) building a
 * browser app from the installed package needs no plugin and resolves no `node:` module.
 */

/** Lazy loaders of the Node built-ins that platform/ uses. */
export const nodeBuiltins = {
  fs: () => import('node:fs'),
  fsPromises: () => import('node:fs/promises'),
  path: () => import('node:path'),
  os: () => import('node:os'),
  crypto: () => import('node:crypto'),
  module: () => import('node:module'),
  url: () => import('node:url'),
  workerThreads: () => import('node:worker_threads'),
};

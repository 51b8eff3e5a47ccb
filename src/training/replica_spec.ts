/**
 * Where a data-parallel replica worker comes from (./data_parallel.ts): the model's own {@link ReplicaSpec}
 * (`SentenceTransformer.replicaSpec()`: its directory and load options) with the run's `dataParallel.workerUrl` and,
 * in browsers, the `wasmPaths` the workers fetch the tfjs .wasm binaries from.
 *
 * Browsers: a worker's relative URLs resolve against its own script, not the page, so the worker entry and the wasm
 * paths are made absolute here against the page's location; the model directory is passed as it is (an http(s) URL,
 * whose files the workers read from the Cache API where the page's own load put them, as the encode pool's do).
 */
import { configuredWasmPaths } from '../backends/index.js';
import { isNode } from '../platform/fs.js';
import type { DataParallelOptions, ReplicaSpec } from './data_parallel.js';

function absolute(u: string, base: string | undefined, what: string): string {
  try {
    return new URL(u, base).href;
  } catch {
    throw new Error(`${what} must be a URL${base === undefined ? ' (absolute under Node: a file: URL)' : ''}, got ${JSON.stringify(u)}`);
  }
}

/** The spec the workers load: `spec` with `dp.workerUrl` and (browsers, wasm) the wasm paths applied. */
export function replicaSpecFor(spec: ReplicaSpec, dp: DataParallelOptions): ReplicaSpec {
  if (isNode()) return dp.workerUrl === undefined ? spec : { ...spec, workerUrl: absolute(String(dp.workerUrl), undefined, 'dataParallel.workerUrl') };
  const base = typeof location === 'object' && location !== null ? location.href : undefined;
  if (dp.workerUrl === undefined) {
    throw new Error(
      `dataParallel.workers = ${dp.workers ?? 2} in a browser needs dataParallel.workerUrl: the URL of the bundled training worker (node scripts/build-browser.mjs --train-worker writes train-worker.js beside the library bundle), got none`,
    );
  }
  const out: ReplicaSpec = { ...spec, workerUrl: absolute(String(dp.workerUrl), base, 'dataParallel.workerUrl') };
  const paths = dp.wasmPaths ?? configuredWasmPaths();
  if (paths !== undefined && spec.options.device === 'wasm') {
    out.wasmPaths = typeof paths === 'string' ? absolute(paths, base, 'dataParallel.wasmPaths') : Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, absolute(v, base, `dataParallel.wasmPaths[${JSON.stringify(k)}]`)]));
  }
  return out;
}

#!/usr/bin/env node
// Browser build: one ESM bundle of the library with no Node built-ins, for <script type="module"> or a bundler.
//
//   node scripts/build-browser.mjs                       -> dist/browser/sentence-tfjs.js (+ lazily loaded chunks)
//   node scripts/build-browser.mjs --external-tfjs       -> same, with @tensorflow/* left as bare imports (size of our code alone)
//   node scripts/build-browser.mjs --entry test/browser/entry.ts --outdir test-output/browser --name entry
//   node scripts/build-browser.mjs --pool-worker         -> also <outdir>/pool-worker.js, the encode pool's Web Worker
//                                                          entry (src/api/pool_worker.ts), sharing chunks with the bundle
//   node scripts/build-browser.mjs --train-worker        -> also <outdir>/train-worker.js, the data-parallel training
//                                                          replica's Web Worker entry (src/api/train_worker.ts; pass its
//                                                          URL as the trainers' dataParallel.workerUrl)
//   options: --minify, --sourcemap, --metafile (writes <outdir>/meta.json), --quiet
//
// Node built-ins: only src/platform/ may import them, and only lazily (`await import('node:fs/promises')` inside a
// function). Such dynamic imports are replaced by a stub that throws "not available in a browser" if it is ever
// reached; a STATIC import of a built-in anywhere fails the build. Node-only optional peers (`webgpu` = Dawn,
// `@tensorflow/tfjs-node`, `@tensorflow/tfjs-node-gpu`, and the terminal progress bar `cli-progress`) are stubbed the same way. The output is then scanned: it
// must not contain any `node:` import or require. The tfjs .wasm binaries are not bundled: serve the
// @tensorflow/tfjs-backend-wasm/dist/*.wasm files and pass their URL prefix as `wasmPaths`.
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Terminal/Node-only packages that src/ loads lazily: the progress bar on stderr, Dawn, TensorFlow's native library.
const NODE_ONLY_PACKAGES = ['cli-progress', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
/** Output name of the encode pool's worker entry (--pool-worker). */
export const POOL_WORKER_NAME = 'pool-worker';
/** Output name of the data-parallel training worker entry (--train-worker). */
const TRAIN_WORKER_NAME = 'train-worker';
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function isNodeOnly(path) {
  return BUILTINS.has(path) || path.startsWith('node:') || NODE_ONLY_PACKAGES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** esbuild plugin: lazy imports of Node-only modules become throwing stubs; static ones are build errors. */
const nodeOnlyPlugin = {
  name: 'sentence-tfjs-node-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (!isNodeOnly(args.path)) return undefined;
      // Dependencies map their Node modules away in their package.json "browser" field (tfjs: fs, util, crypto,
      // worker_threads -> false); esbuild applies those itself, and fails on any it cannot resolve.
      if (/[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
      if (args.kind === 'dynamic-import') {
        return { path: args.path, namespace: 'node-only-stub' };
      }
      return { errors: [{ text: `static import of the Node-only module '${args.path}' in ${relative(ROOT, args.importer)}: only src/platform/ may use Node modules, and only through a lazy await import() inside a function` }] };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-only-stub' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`'${args.path}' is not available in a browser (sentence-tfjs browser build)`)});`,
      loader: 'js',
    }));
  },
};

function parseArgs(argv) {
  const o = { entry: 'src/index.ts', outdir: 'dist/browser', name: 'sentence-tfjs', externalTfjs: false, poolWorker: false, trainWorker: false, minify: false, sourcemap: false, metafile: false, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--entry') o.entry = argv[++i];
    else if (a === '--outdir') o.outdir = argv[++i];
    else if (a === '--name') o.name = argv[++i];
    else if (a === '--external-tfjs') o.externalTfjs = true;
    else if (a === '--pool-worker') o.poolWorker = true;
    else if (a === '--train-worker') o.trainWorker = true;
    else if (a === '--minify') o.minify = true;
    else if (a === '--sourcemap') o.sourcemap = true;
    else if (a === '--metafile') o.metafile = true;
    else if (a === '--quiet') o.quiet = true;
    else throw new Error(`build-browser: unknown argument ${JSON.stringify(a)}`);
  }
  return o;
}

function listFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** Fail when an output file still imports or requires a Node built-in. */
export function assertNoNodeImports(outdir) {
  const bad = [];
  const pattern = /\b(?:import|require)\s*\(\s*["'`](node:[^"'`]+)["'`]|\bfrom\s*["'](node:[^"']+)["']|\bimport\s*["'](node:[^"']+)["']/g;
  for (const f of listFiles(outdir).filter((p) => p.endsWith('.js'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(pattern)) bad.push(`${relative(ROOT, f)}: ${m[1] ?? m[2] ?? m[3]}`);
  }
  if (bad.length) throw new Error(`browser bundle imports Node built-ins:\n  ${bad.join('\n  ')}`);
}

/** Build the browser bundle; returns the output files with their sizes in bytes. */
export async function buildBrowser(opts = {}) {
  const o = { ...parseArgs([]), ...opts };
  const outdir = resolve(ROOT, o.outdir);
  const result = await build({
    absWorkingDir: ROOT,
    // --pool-worker: the worker entry of the encode pool (pass its URL as startMultiProcessPool's workerUrl).
    // --train-worker: the data-parallel training replica (pass its URL as the trainers' dataParallel.workerUrl).
    entryPoints: {
      [o.name]: resolve(ROOT, o.entry),
      ...(o.poolWorker ? { [POOL_WORKER_NAME]: resolve(ROOT, 'src/api/pool_worker.ts') } : {}),
      ...(o.trainWorker ? { [TRAIN_WORKER_NAME]: resolve(ROOT, 'src/api/train_worker.ts') } : {}),
    },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome113', 'firefox121', 'safari17'],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    minify: o.minify,
    sourcemap: o.sourcemap,
    metafile: true,
    logLevel: o.quiet ? 'error' : 'warning',
    external: o.externalTfjs ? ['@tensorflow/*'] : [],
    plugins: [nodeOnlyPlugin],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  if (o.metafile) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  assertNoNodeImports(outdir);
  return Object.entries(result.metafile.outputs)
    .filter(([f]) => f.endsWith('.js'))
    .map(([f, m]) => ({ file: relative(ROOT, resolve(ROOT, f)), bytes: m.bytes }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  buildBrowser(o).then(
    (files) => {
      if (o.quiet) return;
      const total = files.reduce((s, f) => s + f.bytes, 0);
      for (const f of files) console.log(`${f.file}  ${(f.bytes / 1024).toFixed(1)} KiB`);
      console.log(`total ${(total / 1024).toFixed(1)} KiB${o.externalTfjs ? ' (tfjs external)' : ''}`);
    },
    (e) => {
      console.error(e.message ?? e);
      process.exit(1);
    },
  );
}

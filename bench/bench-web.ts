/**
 * `npm run bench:web`: sentence-tfjs in headless Chromium (tfjs wasm backend) against transformers.js' browser
 * build (onnxruntime-web, wasm) and onnxruntime-web used directly, on minilm-l6-full (the all-MiniLM-L6-v2
 * architecture): same machine, same run, same weights (model.safetensors for us, its onnx/model.onnx export for
 * the peers), same texts and batches as `npm run bench` (bench/bench-workloads.ts).
 *
 *   npm run bench:web -- [--quick] [--workloads sentences,queries,passages] [--batch-sizes 1,32]
 *                        [--passage-batch-sizes 1,8] [--runtimes ours,tjs-web,ort-web] [--threads N]
 *                        [--budget SECONDS] [--model DIR] [--json results.json] [--out table.md]
 *
 * --quick: 256 sentences / 128 queries / 32 passages, 6 s per cell.
 * --batch-sizes: default 1 and 32 (passages: those <= 32, unless --passage-batch-sizes).
 * --budget: stop each (runtime, workload, batch size) cell after that many seconds of timed batches (default 20;
 *   6 with --quick; 0 = the whole workload). Budgeted cells visit the batches spread over the length range
 *   (bit-reversed order, the same for every runtime); the table says how many texts each cell encoded.
 * --threads: ask every runtime for N threads (default 0: each runtime's own default; the table reports what each
 *   actually used). The page is served cross-origin isolated (COOP/COEP), so every runtime can use threads.
 *
 * One Chromium (Debian's /usr/bin/chromium, or $SENTENCE_TFJS_CHROMIUM) with a fresh profile in a temp dir; one fresh page per
 * runtime; a local static server on 127.0.0.1 serves the bundle (built here with scripts/build-browser.mjs into
 * dist/bench-web/), the .wasm binaries (tfjs: /tfwasm/, onnxruntime-web: /ort/) and the model folder (/models/).
 * Load times are cold (no Cache API for either side). Every batch is timed inside the page; embeddings come back
 * to Node for the agreement check (min cosine against ours, required >= 0.9999).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { agreementRow, flagReader, percentile, requireBenchPeers } from './bench-common.js';
import { batches, lengthSortedOrder, makeWorkload, spreadOrder, WORKLOAD_NAMES, type WorkloadName } from './bench-workloads.js';
import { rustTokenCounts } from './bench-peers.js';
import { startStaticServer, type StaticServer } from '../scripts/static_server.js';
import type { BenchWebApi, WebCellResult, WebLoadConfig, WebLoadResult, WebRuntime } from './bench-web-page.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_SEQ = 256;
const RUNTIMES: readonly WebRuntime[] = ['ours', 'tjs-web', 'ort-web'];
const LABELS: Record<WebRuntime, string> = {
  ours: 'sentence-tfjs (tfjs wasm)',
  'tjs-web': 'transformers.js-web (fp32 ONNX, wasm)',
  'ort-web': 'onnxruntime-web direct (fp32 ONNX, wasm)',
};
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Args {
  quick: boolean;
  workloads: WorkloadName[];
  batchSizes: number[];
  passageBatchSizes: number[];
  runtimes: WebRuntime[];
  threads: number;
  budgetSec: number;
  modelDir: string;
  json?: string;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const get = flagReader(argv);
  const known = new Set(['--quick', '--workloads', '--batch-sizes', '--passage-batch-sizes', '--runtimes', '--threads', '--budget', '--model', '--json', '--out']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown flag ${a}; expected one of ${[...known].join(', ')}`);
  const quick = argv.includes('--quick');
  const list = (flag: string, def: readonly string[], allowed: readonly string[]): string[] => {
    const v = get(flag);
    const items = v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [...def];
    for (const it of items) if (!allowed.includes(it)) throw new Error(`${flag}: expected some of ${allowed.join(', ')}, got ${JSON.stringify(it)}`);
    return items;
  };
  const ints = (flag: string, v: string): number[] => {
    const xs = v.split(',').map((s) => Number(s));
    for (const b of xs) if (!Number.isInteger(b) || b < 1) throw new Error(`${flag}: expected positive integers, got ${v}`);
    return xs;
  };
  const bs = get('--batch-sizes');
  const batchSizes = bs ? ints('--batch-sizes', bs) : [1, 32];
  const pbs = get('--passage-batch-sizes');
  const passageBatchSizes = pbs ? ints('--passage-batch-sizes', pbs) : batchSizes.filter((b) => b <= 32);
  const budget = get('--budget');
  const budgetSec = budget !== undefined ? Number(budget) : quick ? 6 : 20;
  if (!Number.isFinite(budgetSec) || budgetSec < 0) throw new Error(`--budget: expected seconds >= 0, got ${budget}`);
  const th = get('--threads');
  const threads = th !== undefined ? Number(th) : 0;
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`--threads: expected an integer >= 0, got ${th}`);
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
  return {
    quick,
    workloads: list('--workloads', WORKLOAD_NAMES, WORKLOAD_NAMES) as WorkloadName[],
    batchSizes,
    passageBatchSizes,
    runtimes: list('--runtimes', RUNTIMES, RUNTIMES) as WebRuntime[],
    threads,
    budgetSec,
    modelDir: resolve(get('--model') ?? join(fixtures, 'models', 'minilm-l6-full')),
    json: get('--json'),
    out: get('--out'),
  };
}

const sizesFor = (a: Args, w: string): number[] => (w === 'passages' ? a.passageBatchSizes : a.batchSizes);
const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

interface WebCell {
  workload: string;
  batchSize: number;
  texts: number;
  tokens: number;
  totalMs: number;
  p50Ms: number;
  p95Ms: number;
}

interface WebResult {
  runtime: WebRuntime;
  label: string;
  skipped?: string;
  loadMs: number;
  backend?: string;
  threads?: number;
  /** .wasm (and ORT .mjs) files the page fetched while loading this runtime. */
  wasmFiles: string[];
  notes: string[];
  cells: WebCell[];
  /** workload -> text index -> embedding (not serialized). */
  embeddings: Record<string, Map<number, Float32Array>>;
}

/** The folder of an installed package, resolved from `from` (its entry, then up to its package.json). */
function packageDir(name: string, from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(createRequire(from).resolve(name));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the package folder of ${name}`);
    dir = up;
  }
}

/** ORT's dist folder: the copy that transformers.js resolves (it may be nested under @huggingface/transformers). */
function ortDistDir(): string {
  return join(packageDir('onnxruntime-web', join(packageDir('@huggingface/transformers'), 'package.json')), 'dist');
}

function buildBundle(): string {
  const outdir = join('dist', 'bench-web');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build-browser.mjs'), '--entry', 'bench/bench-web-page.ts', '--outdir', outdir, '--name', 'bench-web', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the benchmark page failed:\n${r.stdout}${r.stderr}`);
  return join(ROOT, outdir);
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>sentence-tfjs bench:web</title></head><body>
<script type="module">
import('/bundle/bench-web.js').then(() => { window.__loaded = true; }, (e) => { window.__loadError = String(e && e.stack || e); });
</script></body></html>`;

/** The static server, with COOP/COEP on every response so that pages are cross-origin isolated (wasm threads). */
async function startServer(bundleDir: string, modelDir: string, onRequest: (path: string) => void): Promise<StaticServer> {
  const server = await startStaticServer({
    mounts: {
      '/bundle/': bundleDir,
      '/tfwasm/': join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist'),
      '/ort/': ortDistDir(),
      '/models/': dirname(modelDir),
    },
    routes: { '/': ['text/html; charset=utf-8', PAGE] },
    onRequest: (p, status) => onRequest(status === 200 ? p : `${status} ${p}`),
  });
  // Headers set here are merged into the static server's own writeHead.
  server.server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  });
  return server;
}

function decodeEmbeddings(r: WebCellResult): Map<number, Float32Array> {
  const buf = Buffer.from(r.embB64, 'base64');
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const out = new Map<number, Float32Array>();
  r.embIdx.forEach((i, k) => out.set(i, data.subarray(k * r.embDim, (k + 1) * r.embDim)));
  return out;
}

async function openPage(browser: BrowserContext, url: string, logs: string[], hardwareConcurrency?: number): Promise<Page> {
  const page = await browser.newPage();
  if (hardwareConcurrency) {
    // A string, not a function: tsx's transform would add helpers (__name) that do not exist in the page.
    await page.addInitScript({ content: `Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${hardwareConcurrency}, configurable: true });` });
  }
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logs.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => (window as { __loaded?: boolean }).__loaded || (window as { __loadError?: string }).__loadError, null, { timeout: 60_000 });
  const err = await page.evaluate(() => (window as { __loadError?: string }).__loadError);
  if (err) throw new Error(`bundle failed to load in Chromium: ${err}`);
  return page;
}

async function runRuntime(browser: BrowserContext, server: StaticServer, args: Args, runtime: WebRuntime, tokenCounts: Record<string, number[]>, requests: string[]): Promise<WebResult> {
  const result: WebResult = { runtime, label: LABELS[runtime], loadMs: 0, wasmFiles: [], notes: [], cells: [], embeddings: {} };
  const logs: string[] = [];
  process.stderr.write(`[bench:web] ${runtime}: ${LABELS[runtime]}\n`);
  // tfjs-backend-wasm sizes its pthread pool once, at startup, to min(4, hardwareConcurrency / 2) (1 on 2 cores),
  // and setThreadsCount cannot go beyond it: to give it N threads, this page reports 2N cores.
  const fakeCores = runtime === 'ours' && args.threads > 1 ? 2 * args.threads : undefined;
  const page = await openPage(browser, `${server.url}/`, logs, fakeCores);
  if (fakeCores) result.notes.push(`navigator.hardwareConcurrency reported as ${fakeCores} so that tfjs' pthread pool (min(4, cores / 2)) has ${args.threads} threads`);
  try {
    requests.length = 0;
    const cfg: WebLoadConfig = {
      runtime,
      modelUrl: `${server.url}/models/${basename(args.modelDir)}`,
      modelsBase: `${server.url}/models/`,
      modelName: basename(args.modelDir),
      tfjsWasmPaths: `${server.url}/tfwasm/`,
      ortWasmPaths: `${server.url}/ort/`,
      threads: args.threads,
      maxSeqLength: MAX_SEQ,
    };
    let loaded: WebLoadResult;
    try {
      loaded = await page.evaluate((c) => (globalThis as unknown as { benchWeb: BenchWebApi }).benchWeb.load(c), cfg);
    } catch (e) {
      result.skipped = `load failed: ${(e as Error).message.split('\n')[0]}`;
      result.notes.push(...logs.slice(0, 5));
      return result;
    }
    result.loadMs = loaded.loadMs;
    result.backend = loaded.backend;
    result.threads = loaded.threads;
    result.notes.push(...loaded.notes);
    for (const w of args.workloads) {
      const texts = makeWorkload(w, args.quick).texts;
      const counts = tokenCounts[w]!;
      const order = lengthSortedOrder(texts);
      const emb = new Map<number, Float32Array>();
      for (const b of sizesFor(args, w)) {
        const inOrder = batches(order, b);
        const calls = args.budgetSec > 0 ? spreadOrder(inOrder.length).map((k) => inOrder[k]!) : inOrder;
        const warmup = inOrder[inOrder.length >> 1]!;
        const r = await page.evaluate(
          ([t, c, wu, bud]) => (globalThis as unknown as { benchWeb: BenchWebApi }).benchWeb.runCell(t, c, wu, bud),
          [texts, calls, warmup, args.budgetSec] as [string[], number[][], number[], number],
        );
        for (const [i, e] of decodeEmbeddings(r)) if (!emb.has(i)) emb.set(i, e);
        let tokens = 0;
        let seen = 0;
        for (const call of calls) {
          if (seen >= r.texts) break;
          for (const i of call) tokens += counts[i]!;
          seen += call.length;
        }
        const cell: WebCell = { workload: w, batchSize: b, texts: r.texts, tokens, totalMs: r.lat.reduce((a, x) => a + x, 0), p50Ms: percentile(r.lat, 50), p95Ms: percentile(r.lat, 95) };
        result.cells.push(cell);
        process.stderr.write(`  ${runtime} ${w} b${b}: ${cell.texts} texts in ${(cell.totalMs / 1000).toFixed(1)} s\n`);
      }
      result.embeddings[w] = emb;
    }
  } finally {
    result.wasmFiles = [...new Set(requests.filter((p) => /^\/.*\.(wasm|mjs)$/.test(p)).map((p) => p.replace(/^\/(tfwasm|ort)\//, '$1/')))];
    const missing = [...new Set(requests.filter((p) => /^\d{3} /.test(p)))];
    // The page logs each of those as "Failed to load resource"; name the files instead.
    if (missing.length) result.notes.push(`not found (probed): ${missing.map((p) => p.replace(/^(\d{3}) \/models\/[^/]+\//, '$1 ')).join(', ')}`);
    const bad = logs.filter((l) => !/Failed to load resource: the server responded with a status of 404/.test(l));
    if (bad.length) result.notes.push(`console: ${bad.slice(0, 3).join(' | ').slice(0, 300)}`);
    await page.close().catch(() => undefined);
  }
  return result;
}

function cellOf(r: WebResult | undefined, w: string, b: number): WebCell | undefined {
  return r?.cells.find((c) => c.workload === w && c.batchSize === b);
}
const sps = (c: WebCell): number => c.texts / (c.totalMs / 1000);

function report(args: Args, results: WebResult[], tokenCounts: Record<string, number[]>, env: { chromium: string; revision: string; load: { before: number[]; after: number[] } }): string {
  const L: string[] = [];
  const by = new Map(results.map((r) => [r.runtime, r]));
  const ours = by.get('ours');
  L.push(`# sentence-tfjs browser benchmark: ${basename(args.modelDir)}`);
  L.push('');
  L.push(`${new Date().toISOString()} · sentence-tfjs ${env.revision} · ${env.chromium} (headless) · node ${process.version} · ${cpus().length} x ${cpus()[0]?.model ?? '?'} · load average before ${env.load.before.map((x) => x.toFixed(2)).join(' ')}, after ${env.load.after.map((x) => x.toFixed(2)).join(' ')}`);
  L.push(`mode: ${args.quick ? 'quick' : 'full'} · budget per cell: ${args.budgetSec ? `${args.budgetSec} s` : 'none'} · threads asked: ${args.threads || 'each runtime\'s default'} · page cross-origin isolated (COOP/COEP) · texts in sentence-transformers order (longest first), same batches for every runtime; timed in the page, including tokenization, pooling and normalization`);
  L.push('');
  L.push('| workload | texts | mean tokens | max tokens | batch sizes |');
  L.push('| --- | ---: | ---: | ---: | --- |');
  for (const w of args.workloads) {
    const c = tokenCounts[w]!;
    L.push(`| ${w} | ${c.length} | ${f(c.reduce((a, x) => a + x, 0) / c.length)} | ${Math.max(...c)} | ${sizesFor(args, w).join(', ')} |`);
  }
  L.push('');
  L.push('## Runtimes');
  L.push('');
  L.push('| runtime | backend | threads | load ms | wasm files fetched | notes |');
  L.push('| --- | --- | ---: | ---: | --- | --- |');
  for (const r of results) {
    L.push(`| ${r.label} | ${r.backend ?? '—'} | ${r.threads ?? '—'} | ${r.skipped ? '—' : f(r.loadMs, 0)} | ${r.wasmFiles.join(', ') || '—'} | ${[r.skipped, ...r.notes].filter(Boolean).join('; ')} |`);
  }
  L.push('');
  L.push('Load ms: from the first call into the runtime to a ready model (backend/ORT init, wasm compile, model and tokenizer fetched from 127.0.0.1, session/graph creation), cold: no Cache API.');
  L.push('');
  L.push('## Throughput and latency');
  L.push('');
  L.push('| workload | batch | runtime | texts | sentences/s | tokens/s | p50 ms | p95 ms |');
  L.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const w of args.workloads) {
    for (const b of sizesFor(args, w)) {
      for (const r of results) {
        const c = cellOf(r, w, b);
        if (!c) continue;
        const s = c.totalMs / 1000;
        L.push(`| ${w} | ${b} | ${r.label} | ${c.texts} | ${f(c.texts / s)} | ${f(c.tokens / s, 0)} | ${f(c.p50Ms)} | ${f(c.p95Ms)} |`);
      }
    }
  }
  L.push('');
  const peers: WebRuntime[] = ['tjs-web', 'ort-web'];
  if (ours && !ours.skipped) {
    L.push('## Speed ratios (sentences/s of sentence-tfjs / peer; > 1 = we are faster; target vs transformers.js-web >= 1.2)');
    L.push('');
    L.push(`| workload | batch | ${peers.map((p) => `vs ${LABELS[p]}`).join(' | ')} | >= 1.2 vs transformers.js-web |`);
    L.push(`| --- | ---: | ${peers.map(() => '---:').join(' | ')} | --- |`);
    for (const w of args.workloads) {
      for (const b of sizesFor(args, w)) {
        const c = cellOf(ours, w, b);
        if (!c) continue;
        const ratios = peers.map((p) => {
          const pc = cellOf(by.get(p), w, b);
          return pc ? sps(c) / sps(pc) : NaN;
        });
        const t = ratios[0]!;
        L.push(`| ${w} | ${b} | ${ratios.map((x) => f(x, 2)).join(' | ')} | ${Number.isFinite(t) ? (t >= 1.2 ? 'yes' : `**no** (${f(t, 3)})`) : '—'} |`);
      }
    }
    L.push('');
  }
  L.push('## Agreement (cosine of embeddings, sentence-tfjs vs each runtime; required >= 0.9999)');
  L.push('');
  L.push('| runtime | workload | texts compared | min cosine | 1 - min cosine | max abs diff | ok |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    if (r.runtime === 'ours' || r.skipped || !ours || ours.skipped) continue;
    for (const w of args.workloads) {
      const A = ours.embeddings[w];
      const B = r.embeddings[w];
      if (!A || !B) continue;
      // transformers.js truncates after adding special tokens (its last id is a word piece, not [SEP]):
      // texts that reach the limit are different inputs there, so they are not compared.
      L.push(agreementRow(r.label, w, A, B, (i) => r.runtime === 'tjs-web' && tokenCounts[w]![i]! >= MAX_SEQ));
    }
  }
  L.push('');
  return L.join('\n');
}

/** The commit measured (short hash, "+dirty" when src/ has uncommitted changes), or "unknown" outside git. */
function gitRevision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout?.trim() ? '+dirty' : ''}`;
}

function chromiumPath(): string {
  return process.env.SENTENCE_TFJS_CHROMIUM ?? '/usr/bin/chromium';
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(join(args.modelDir, 'config.json'))) throw new Error(`--model: no config.json in ${args.modelDir}`);
  const exe = chromiumPath();
  if (!existsSync(exe)) {
    throw new Error(`Chromium not found at ${exe}. Install Debian's: apt-get install -y chromium (or set SENTENCE_TFJS_CHROMIUM to a Chromium binary)`);
  }
  const peers = [
    ...(args.runtimes.includes('tjs-web') ? ['@huggingface/transformers'] : []),
    ...(args.runtimes.includes('ort-web') ? ['onnxruntime-web', '@huggingface/tokenizers'] : []),
  ];
  await requireBenchPeers(peers, 'or measure sentence-tfjs alone with `--runtimes ours`');
  for (const r of args.runtimes) {
    if (r !== 'ours' && !existsSync(join(args.modelDir, 'onnx', 'model.onnx'))) throw new Error(`${r}: no onnx/model.onnx in ${args.modelDir}`);
  }
  const before = loadavg();
  const tokenCounts: Record<string, number[]> = {};
  for (const w of args.workloads) tokenCounts[w] = await rustTokenCounts(args.modelDir, MAX_SEQ, makeWorkload(w, args.quick).texts);
  process.stderr.write('[bench:web] building the page bundle (scripts/build-browser.mjs)\n');
  const bundleDir = buildBundle();
  const requests: string[] = [];
  const server = await startServer(bundleDir, args.modelDir, (p) => requests.push(p));
  const profile = mkdtempSync(join(tmpdir(), 'sentence-tfjs-bench-web-'));
  let browser: BrowserContext | undefined;
  const results: WebResult[] = [];
  let version = 'Chromium';
  try {
    // A fresh profile in a temp dir: playwright passes it as --user-data-dir (it refuses that flag in args).
    browser = await chromium.launchPersistentContext(profile, { executablePath: exe, headless: true, args: CHROMIUM_ARGS });
    version = spawnSync(exe, ['--version'], { encoding: 'utf8' }).stdout?.trim().split('\n')[0] || 'Chromium';
    for (const r of args.runtimes) results.push(await runRuntime(browser, server, args, r, tokenCounts, requests));
  } finally {
    await browser?.close().catch(() => undefined);
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const md = report(args, results, tokenCounts, { chromium: version, revision: gitRevision(), load: { before, after: loadavg() } });
  console.log(md);
  if (args.out) writeFileSync(args.out, md + '\n');
  if (args.json) {
    const plain = results.map(({ embeddings: _e, ...r }) => r);
    writeFileSync(args.json, JSON.stringify({ args, chromium: version, revision: gitRevision(), results: plain }, null, 1));
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

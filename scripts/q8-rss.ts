/**
 * Where the peak RSS of the int8 path comes from (issue 17: "peak RSS of the int8 model ≤ 0.5× the fp32 one"): each
 * variant in a fresh child process (its maxRSS is its own), on the wasm backend, one worker.
 *
 *   npm run build && npx tsx scripts/q8-rss.ts [--model DIR] [--texts 600] [--workload NAME] [--no-encode] [--src] [--trace]
 *   (under another Node: npx -y node@22 --import tsx scripts/q8-rss.ts ...; the children run that same Node)
 *
 * Variants: a bare child (Node + tfjs + wasm backend started, no model), fp32, q8 quantized at load, q8 from a folder
 * written by `sentence-tfjs quantize` (made in a temp folder); each loaded alone, and loaded then encoding the bench's
 * workload (the seeded 5-40-word sentences of scripts/q8-bench.ts, batch 32; or, with `--workload sentences|queries|
 * passages|bench`, the texts of `npm run bench`'s workload of that name, all three one after another for `bench`;
 * `--texts N` then takes the first N of each).
 *
 * Peak RSS is the kernel's high-water mark of the child's own address space (`VmHWM` in /proc/self/status, Linux).
 * `process.resourceUsage().maxRSS` is not used for the peak: Linux carries the parent's RSS at spawn into the
 * child's maxRSS (fork, then exec), so a child of a big parent never reports less than the parent's size (shown as
 * `maxRSS` for comparison; `npm run bench` reports maxRSS).
 *
 * Per phase (after import, after the backend starts, after load, after encode; with `--trace` also after each batch
 * of 32, which is how the Slice transient of session 22 was found: docs/q8.md): RSS now, peak RSS so far (maxRSS),
 * the wasm heap (tfjs-wasm's `memory.buffer.byteLength`; it never shrinks), the JS heap (`heapUsed`), and
 * `external` / `arrayBuffers` (typed arrays outside the wasm heap) from `process.memoryUsage()`, in MB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeWorkload, WORKLOAD_NAMES, type WorkloadName } from '../bench/bench-workloads.js';
import { q8Texts } from './q8-texts.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const MODEL = opt('--model', join(import.meta.dirname, '../../shared/fixtures/models/minilm-l6-full'));
const NTEXTS = Number(opt('--texts', '600'));
const WORKLOAD = opt('--workload', '');
if (WORKLOAD && WORKLOAD !== 'bench' && !WORKLOAD_NAMES.includes(WORKLOAD as WorkloadName)) {
  throw new Error(`--workload: expected one of ${[...WORKLOAD_NAMES, 'bench'].join(', ')}, got ${JSON.stringify(WORKLOAD)}`);
}
const DIST = join(import.meta.dirname, '../dist/index.js');
/** The library the children load: the built dist/ under plain Node (what users run) unless `--src` or no build. */
const FROM_SRC = args.includes('--src') || !existsSync(DIST);
const LIB = FROM_SRC ? join(import.meta.dirname, '../src/index.ts') : DIST;

interface Phase {
  phase: string;
  rss: number;
  maxRss: number;
  hwm: number;
  wasm: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * The child, plain JavaScript run by `node -e` (no tsx in the process unless the library is read from src/): load
 * the library, start the wasm backend, load `dir` as `mode`, encode, and print the phases as JSON.
 */
const CHILD = `
const [lib, mode, dir, what, textsPath, traceArg] = process.argv.slice(1);
const trace = traceArg === 'trace';
const { readFileSync } = await import('node:fs');
const MB = 2 ** 20;
const phases = [];
let wasmBytes = () => 0;
const hwm = () => {
  try {
    const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};
const mark = (phase) => {
  const m = process.memoryUsage();
  phases.push({ phase, rss: m.rss / MB, maxRss: process.resourceUsage().maxRSS / 1024, hwm: hwm(), wasm: wasmBytes() / MB, heapUsed: m.heapUsed / MB, external: m.external / MB, arrayBuffers: m.arrayBuffers / MB });
};
const { initBackend, SentenceTransformer } = await import(lib);
const tf = await import('@tensorflow/tfjs-core');
mark('import');
await initBackend('wasm', { fallbackToCpu: false });
const backend = tf.backend();
wasmBytes = () => backend.wasm.HEAPU8.buffer.byteLength;
mark('backend');
let loadMs = 0;
if (mode !== 'none') {
  const t0 = performance.now();
  const model = await SentenceTransformer.load(dir, mode === 'fp32' ? {} : { dtype: 'q8' });
  loadMs = performance.now() - t0;
  mark('load');
  if (what === 'encode') {
    for (const [name, texts] of JSON.parse(readFileSync(textsPath, 'utf8'))) {
      let batch = 0;
      await model.encode(texts, { batchSize: 32, onProgress: trace ? () => mark(name + ' batch ' + batch++) : undefined });
      mark('encode ' + name);
    }
  }
  model.dispose();
}
console.log(JSON.stringify({ loadMs, phases }));
`;

/** The encode workload: [name, texts] pairs, encoded one after another. */
function workloads(): [string, string[]][] {
  if (!WORKLOAD) return [[`${NTEXTS} sentences`, q8Texts(NTEXTS)]];
  const names = WORKLOAD === 'bench' ? WORKLOAD_NAMES : [WORKLOAD as WorkloadName];
  const limit = args.includes('--texts') ? NTEXTS : Infinity; // (--texts N: the first N of each)
  return names.map((n) => [n, makeWorkload(n).texts.slice(0, limit)]);
}

function runChild(mode: string, dir: string, encode: boolean, textsPath: string): { loadMs: number; phases: Phase[] } {
  const lib = pathToFileURL(LIB).href;
  const nodeArgs = [...(FROM_SRC ? ['--import', 'tsx'] : []), '--input-type=module', '-e', CHILD, lib, mode, dir, encode ? 'encode' : 'load', textsPath, args.includes('--trace') ? 'trace' : ''];
  const r = spawnSync(process.execPath, nodeArgs, { encoding: 'utf8', maxBuffer: 1 << 26, cwd: join(import.meta.dirname, '..') });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`child ${mode} ${dir} failed (status ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as { loadMs: number; phases: Phase[] };
}

async function main(): Promise<void> {
  const qdir = mkdtempSync(join(tmpdir(), 'q8-rss-'));
  const tdir = mkdtempSync(join(tmpdir(), 'q8-rss-texts-'));
  const textsPath = join(tdir, 'texts.json');
  const work = workloads();
  writeFileSync(textsPath, JSON.stringify(work));
  try {
    {
      const { initBackend, SentenceTransformer } = await import('../src/index.js');
      await initBackend('wasm', { fallbackToCpu: false });
      const m = await SentenceTransformer.load(MODEL, { dtype: 'q8' });
      await m.save(qdir);
      m.dispose();
    }
    const out: string[] = [
      `node ${process.version}, library ${FROM_SRC ? 'src/ through tsx' : 'dist/ (plain node)'}, model ${MODEL} (model.safetensors ${(statSync(join(MODEL, 'model.safetensors')).size / 1e6).toFixed(1)} MB; quantized: ${(statSync(join(qdir, 'model.safetensors')).size / 1e6).toFixed(1)} MB), encode: ${work.map(([n, t]) => `${n} (${t.length})`).join(', ')}, batch 32, one worker; peak = VmHWM`,
      '',
      '| variant | phase | RSS | peak RSS so far (VmHWM) | maxRSS | wasm heap | JS heapUsed | external | arrayBuffers |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ];
    const peaks: [string, number, number][] = [];
    const variants: [string, string, string][] = [['bare (backend, no model)', 'none', MODEL], ['fp32', 'fp32', MODEL], ['q8 (quantized at load)', 'q8', MODEL], ['q8 (quantize folder)', 'q8', qdir]];
    for (const [label, mode, dir] of variants) {
      for (const encode of mode === 'none' || args.includes('--no-encode') ? [false] : [false, true]) {
        const { loadMs, phases } = runChild(mode, dir, encode, textsPath);
        const name = `${label}${mode === 'none' ? '' : encode ? ', load + encode' : ', load only'}`;
        for (const p of phases) {
          out.push(`| ${name} | ${p.phase} | ${p.rss.toFixed(0)} | ${p.hwm.toFixed(0)} | ${p.maxRss.toFixed(0)} | ${p.wasm.toFixed(0)} | ${p.heapUsed.toFixed(0)} | ${p.external.toFixed(0)} | ${p.arrayBuffers.toFixed(0)} |`);
        }
        peaks.push([name, phases[phases.length - 1].hwm, loadMs]);
        console.error(out.slice(-phases.length).join('\n'));
      }
    }
    const bare = peaks[0][1];
    const fp = Object.fromEntries(peaks.filter(([n]) => n.startsWith('fp32')).map(([n, v]) => [n.slice(4), v]));
    out.push('', `| variant | load ms | peak RSS MB | vs fp32 (same workload) | above bare (${bare.toFixed(0)} MB) vs fp32 |`, '| --- | ---: | ---: | ---: | ---: |');
    for (const [name, peak, loadMs] of peaks.slice(1)) {
      const f = fp[name.slice(name.indexOf(','))];
      out.push(`| ${name} | ${loadMs.toFixed(0)} | ${peak.toFixed(0)} | ${(peak / f).toFixed(2)}x | ${((peak - bare) / (f - bare)).toFixed(2)}x |`);
    }
    console.log(out.join('\n'));
  } finally {
    rmSync(qdir, { recursive: true, force: true });
    rmSync(tdir, { recursive: true, force: true });
  }
}

await main();

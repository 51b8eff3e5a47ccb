/**
 * `npm run bench`: sentence-tfjs against transformers.js, onnxruntime-node and PyTorch sentence-transformers on the
 * same weights, each runtime in its own process, alternating in one run.
 *
 *   npm run bench -- [--quick] [--node 20,22,24] [--models minilm-l6-full,tiny-qwen3,random-qwen3,...]
 *                    [--runtimes ours,ours-pool,ours-q8,ours-pool-q8,tjs,tjs-q8,ort1,ort2,torch1,torch2,...]
 *                    [--cells sentences:32[:texts],queries:1,...] [--reps 4] [--python PATH] [--q8-onnx PATH]
 *                    [--no-ceiling] [--json results.json] [--out table.md]
 *
 * --node: the Node versions (majors) every Node-side runtime runs under (`npx -y node@22`, resolved once to its
 *   binary, tsx as the loader); default the current node. Several versions run in the same alternating run.
 * --models: fixture names (under the fixtures' models/), folders, or random-<arch> (modernbert, qwen3,
 *   embeddinggemma, splade): a MiniLM-sized random-weight model of that architecture, built at bench time into
 *   /tmp/sentence-tfjs-bench-models by bench/make_random_models.py (the Python stack).
 * --python / SENTENCE_TFJS_BENCH_PYTHON: the Python with torch and sentence-transformers (default
 *   /work/venv/bin/python); absent -> the PyTorch rows say "skipped: no python with sentence-transformers".
 * --q8-onnx / SENTENCE_TFJS_BENCH_Q8_ONNX: the q8 ONNX of the model for transformers.js q8 (default
 *   `<model>/onnx/model_quantized.onnx`, then /tmp/sentence-tfjs-bench-q8/<model>/model_quantized.onnx).
 *
 * Honesty rules (issue 17): one run; every runtime is loaded first, then each cell's batches (the cell's texts in
 * sentence-transformers' length order, cut into batches) are dealt into --reps slices and the runtimes take turns
 * slice by slice, in a rotated order each repetition; every runtime encodes the same batches; the embeddings of
 * every text are compared with sentence-tfjs fp32 before any speed is printed (fp32: min cosine >= 0.9999, q8:
 * >= 0.99 against fp32, a labelled cross comparison); q8 is compared with q8 and fp32 with fp32, cross ratios say
 * so; peak RSS is each child's own high-water mark (VmHWM on Linux, which maxRSS is not: it counts the parent's RSS at spawn).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ChildCommand, type ChildConfig, type ChildReply, encoderFlops, readEmbeddings, relaxedSimdAvailable, requireBenchPeers } from './bench-common.js';
import {
  type Agreement,
  agreement,
  agreementBar,
  agrees,
  type BenchArgs,
  cellSlices,
  type CellSpec,
  DEFAULT_NEW_ARCH_RUNTIMES,
  DEFAULT_RUNTIMES,
  defaultCells,
  isOurs,
  isPool,
  isPython,
  isQ8,
  KIND_LABELS,
  parseBenchArgs,
  ratioText,
  roster,
  type RuntimeKind,
  type RuntimeSlot,
  rotation,
  sliceReport,
  throughput,
} from './bench-plan.js';
import { makeWorkload } from './bench-workloads.js';
import { rustTokenCounts } from './bench-peers.js';
import { groupByLength } from '../src/modules/tokenized_batch.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
const RANDOM_DIR = join(tmpdir(), 'sentence-tfjs-bench-models');
const NO_PYTHON = 'skipped: no python with sentence-transformers';

/** A live runtime process: its slot, the replies it sent, and what it measured. */
interface Live {
  slot: RuntimeSlot;
  label: string;
  proc?: ChildProcess;
  next?: () => Promise<ChildReply>;
  skipped?: string;
  failed?: string;
  loadMs: number;
  backend?: string;
  nodeVersion?: string;
  notes: string[];
  peakRssMB?: number;
  ceiling?: { gflops: number; shape: string };
  /** Per cell key: total ms, latencies, texts, embedding files. */
  cells: Map<string, { totalMs: number; latMs: number[]; texts: number; files: string[] }>;
}

const cellKey = (c: CellSpec): string => `${c.workload}-b${c.batchSize}`;

function resolveNode(v: string): { bin: string; version: string } {
  const cur = process.versions.node.split('.')[0]!;
  if (v === 'current' || v === cur) return { bin: process.execPath, version: process.version };
  const r = spawnSync('npx', ['-y', `node@${v}`, '-p', 'process.execPath + " " + process.version'], { encoding: 'utf8', timeout: 300_000 });
  const out = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  const [bin, version] = out.split(' ');
  if (r.status !== 0 || !bin || !existsSync(bin)) throw new Error(`--node ${v}: \`npx -y node@${v}\` did not give a node binary (exit ${r.status}): ${(r.stderr ?? '').trim().slice(-300)}`);
  return { bin, version: version! };
}

function pythonStack(python: string): string | undefined {
  if (!existsSync(python)) return undefined;
  const r = spawnSync(python, ['-c', 'import torch, sentence_transformers as s; print(torch.__version__, s.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function resolveModel(name: string, python: string | undefined): string {
  const m = /^random-(modernbert|qwen3|embeddinggemma|splade)$/.exec(name);
  if (m) {
    const out = join(RANDOM_DIR, name);
    if (existsSync(join(out, 'config.json'))) return out;
    if (!python) throw new Error(`--models ${name}: building it needs the Python stack (--python), which is absent`);
    process.stderr.write(`[bench] building ${out} (bench/make_random_models.py)\n`);
    const r = spawnSync(python, [join(ROOT, 'bench', 'make_random_models.py'), join(FIXTURES, 'models', `tiny-${m[1]}`), out], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`--models ${name}: make_random_models.py failed (exit ${r.status})`);
    return out;
  }
  const dir = existsSync(join(name, 'config.json')) ? resolve(name) : join(FIXTURES, 'models', name);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`--models: no config.json in ${dir} (expected a fixture name, a folder or random-<arch>)`);
  return dir;
}

/** transformers.js reads `<model>/onnx/model_quantized.onnx` for q8: a folder of links to the model's files plus that one. */
function q8ModelDir(modelDir: string, q8: string | undefined, work: string): string | string[] {
  const candidates = q8 ? [resolve(q8)] : [join(modelDir, 'onnx', 'model_quantized.onnx'), join(tmpdir(), 'sentence-tfjs-bench-q8', basename(modelDir), 'model_quantized.onnx')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) return candidates;
  if (found === join(modelDir, 'onnx', 'model_quantized.onnx')) return modelDir;
  const dir = join(work, 'q8', basename(modelDir));
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const e of readdirSync(modelDir)) if (e !== 'onnx') symlinkSync(join(modelDir, e), join(dir, e));
  symlinkSync(found, join(dir, 'onnx', 'model_quantized.onnx'));
  return dir;
}

function startChild(slot: RuntimeSlot, cfg: ChildConfig, work: string, nodeBin: string | undefined, python: string): Live {
  const label = `${KIND_LABELS[slot.kind]}${slot.node ? `, Node ${slot.node === 'current' ? process.versions.node.split('.')[0] : slot.node}` : ''}`;
  const live: Live = { slot, label, loadMs: 0, notes: [], cells: new Map() };
  const cfgPath = join(work, `${slot.id}.config.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  let proc: ChildProcess;
  if (isPython(slot.kind)) {
    proc = spawn(python, [join(ROOT, 'bench', 'bench_torch.py'), cfgPath], { cwd: ROOT, stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
  } else {
    // ours-relaxed turns on relaxed SIMD where it is behind a flag (Node 20); on by default in Node 22+.
    const relaxed = slot.kind.endsWith('-relaxed');
    const flags = relaxed ? ['--experimental-wasm-relaxed-simd'] : [];
    proc = spawn(nodeBin!, [...flags, '--import', import.meta.resolve('tsx'), join(ROOT, 'bench', 'bench-child.ts'), cfgPath], { cwd: ROOT, stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
  }
  const queue: ChildReply[] = [];
  const waiters: ((r: ChildReply) => void)[] = [];
  let closed = false;
  const push = (r: ChildReply): void => {
    const w = waiters.shift();
    if (w) w(r);
    else queue.push(r);
  };
  createInterface({ input: proc.stdio[3] as NodeJS.ReadableStream }).on('line', (l) => {
    if (l.trim()) push(JSON.parse(l) as ChildReply);
  });
  proc.on('exit', (code, sig) => {
    closed = true;
    push({ type: 'error', message: `exited (${code ?? sig})` });
  });
  live.proc = proc;
  live.next = () => {
    const r = queue.shift();
    if (r) return Promise.resolve(r);
    if (closed) return Promise.resolve({ type: 'error', message: 'exited' });
    return new Promise((res) => waiters.push(res));
  };
  return live;
}

function send(l: Live, cmd: ChildCommand): void {
  l.proc!.stdin!.write(JSON.stringify(cmd) + '\n');
}

async function ask(l: Live, cmd: ChildCommand): Promise<ChildReply> {
  send(l, cmd);
  return l.next!();
}

const active = (l: Live): boolean => !l.skipped && !l.failed;
const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

interface ModelRun {
  name: string;
  modelDir: string;
  modelType: string;
  sparse: boolean;
  cells: CellSpec[];
  tokenCounts: Record<string, number[]>;
  maxSeq: number;
  lives: Live[];
  reference?: Live;
  agreements: Map<string, Map<string, Agreement>>;
  q8Agreement?: Map<string, Agreement>;
  loadBefore: number[];
  loadAfter: number[];
}

async function runModel(args: BenchArgs, name: string, python: string | undefined, nodes: Map<string, { bin: string; version: string }>, work: string): Promise<ModelRun> {
  const modelDir = resolveModel(name, python);
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const modelType = String(config['model_type']);
  const sparse = readFileSync(join(modelDir, 'modules.json'), 'utf8').includes('SpladePooling');
  const hasOnnx = existsSync(join(modelDir, 'onnx', 'model.onnx'));
  const bertWithOnnx = hasOnnx && modelType === 'bert' && !sparse;
  const kinds: RuntimeKind[] = [...(args.runtimes ?? (bertWithOnnx ? DEFAULT_RUNTIMES : DEFAULT_NEW_ARCH_RUNTIMES))];
  const cells = args.cells ?? defaultCells(args.quick, !bertWithOnnx);
  const stCfgPath = join(modelDir, 'sentence_bert_config.json');
  const maxSeq = (existsSync(stCfgPath) ? (JSON.parse(readFileSync(stCfgPath, 'utf8')) as { max_seq_length?: number }).max_seq_length : undefined) ?? 512;
  const tokenCounts: Record<string, number[]> = {};
  for (const c of cells) {
    if (tokenCounts[c.workload]) continue;
    const texts = makeWorkload(c.workload).texts.slice(0, Math.max(...cells.filter((x) => x.workload === c.workload).map((x) => x.texts)));
    try {
      tokenCounts[c.workload] = await rustTokenCounts(modelDir, maxSeq, texts);
    } catch {
      // token counts only feed the tokens/s and GFLOP/s columns and the transformers.js truncation rule
    }
  }
  const run: ModelRun = { name, modelDir, modelType, sparse, cells, tokenCounts, maxSeq, lives: [], agreements: new Map(), loadBefore: loadavg(), loadAfter: [] };
  const tjsQ8Dir = kinds.includes('tjs-q8') ? q8ModelDir(modelDir, args.q8Onnx, work) : modelDir;
  for (const slot of roster(kinds, args.nodeVersions)) {
    const k = slot.kind;
    const label0 = `${KIND_LABELS[k]}${slot.node ? `, Node ${slot.node}` : ''}`;
    const skip = (why: string): void => void run.lives.push({ slot, label: label0, skipped: why, loadMs: 0, notes: [], cells: new Map() });
    if (isPython(k) && !python) {
      skip(NO_PYTHON);
      continue;
    }
    if ((k === 'tjs' || k === 'tjs-q8' || k === 'ort1' || k === 'ort2') && !hasOnnx) {
      skip(`no ONNX export (${join(modelDir, 'onnx', 'model.onnx')})`);
      continue;
    }
    if ((k === 'tjs' || k === 'tjs-q8' || k === 'ort1' || k === 'ort2') && sparse) {
      skip('a SparseEncoder: the peer computes mean-pooled embeddings only');
      continue;
    }
    if (k === 'tjs-q8' && Array.isArray(tjsQ8Dir)) {
      skip(`no q8 ONNX at ${tjsQ8Dir.join(' or ')} (bench/make_q8_onnx.py writes it; or --q8-onnx PATH)`);
      continue;
    }
    const cfg: ChildConfig = { kind: k, modelDir: k === 'tjs-q8' ? (tjsQ8Dir as string) : modelDir, maxSeqLength: maxSeq, sparse, threads: k === 'torch1' ? 1 : 2 };
    const l = startChild(slot, cfg, work, slot.node ? nodes.get(slot.node)!.bin : undefined, args.python);
    process.stderr.write(`[bench] ${name}: loading ${l.label}\n`);
    const r = await l.next!();
    if (r.type === 'ready') {
      l.loadMs = r.loadMs;
      l.backend = r.backend;
      l.nodeVersion = r.node;
      l.notes.push(...r.notes);
      if (r.skipped) l.skipped = r.skipped;
    } else {
      l.failed = r.type === 'error' ? r.message.split('\n')[0] : `unexpected ${r.type}`;
    }
    run.lives.push(l);
  }
  const lives = run.lives;
  for (const cell of cells) {
    const texts = makeWorkload(cell.workload).texts.slice(0, cell.texts);
    const slices = cellSlices(texts, cell.batchSize, args.reps);
    const sr = sliceReport(slices);
    process.stderr.write(`[bench] ${name} ${cellKey(cell)}: ${slices.length} slices of ${sr.perSlice.join('/')} batches${sr.warning ? ` (${sr.warning})` : ''}\n`);
    const spec = (b: number[]) => ({ indices: b, texts: b.map((i) => texts[i]!) });
    const all = slices.flat();
    const median = all[all.length >> 1]!;
    // Warm-up, untimed: one median-length batch (two for a pool, one per worker).
    for (const l of lives.filter(active)) {
      const r = await ask(l, { type: 'run', batches: isPool(l.slot.kind) ? [spec(median), spec(median)] : [spec(median)] });
      if (r.type !== 'ran') l.failed = r.type === 'error' ? r.message.split('\n')[0] : `unexpected ${r.type}`;
    }
    for (let rep = 0; rep < slices.length; rep++) {
      for (const l of rotation(lives.filter(active), rep)) {
        const embPath = join(work, `${l.slot.id}-${name}-${cellKey(cell)}-${rep}.bin`);
        const r = await ask(l, { type: 'run', batches: slices[rep]!.map(spec), embPath });
        if (r.type !== 'ran') {
          l.failed = r.type === 'error' ? r.message.split('\n')[0] : `unexpected ${r.type}`;
          continue;
        }
        const c = l.cells.get(cellKey(cell)) ?? { totalMs: 0, latMs: [], texts: 0, files: [] };
        c.totalMs += r.totalMs;
        c.latMs.push(...r.latMs);
        c.texts += slices[rep]!.reduce((a, b) => a + b.length, 0);
        c.files.push(embPath);
        l.cells.set(cellKey(cell), c);
      }
      process.stderr.write(`[bench] ${name} ${cellKey(cell)}: repetition ${rep + 1}/${slices.length} done\n`);
    }
    // Raw throughput as each cell ends (agreement not yet checked), so that a run cut short still leaves its numbers.
    for (const l of lives.filter(active)) {
      const x = l.cells.get(cellKey(cell));
      if (x) process.stderr.write(`[bench] ${name} ${cellKey(cell)}: ${l.label}: ${f(throughput(x.texts, x.totalMs))} sentences/s (${x.texts} texts, agreement not yet checked)\n`);
    }
  }
  if (args.ceiling && modelType === 'bert' && !sparse) {
    for (const l of lives.filter((x) => active(x) && x.slot.kind === 'ours')) {
      const r = await ask(l, { type: 'ceiling' });
      if (r.type === 'ceiling') l.ceiling = { gflops: r.gflops, shape: r.shape };
    }
  }
  for (const l of lives) {
    if (!l.proc) continue;
    if (l.proc.exitCode === null) send(l, { type: 'exit' });
    for (;;) {
      const r = await l.next!();
      if (r.type === 'bye') {
        l.peakRssMB = r.peakRssMB;
        break;
      }
      if (r.type === 'error') break;
    }
  }
  run.loadAfter = loadavg();
  // Agreement before speed: every runtime against sentence-tfjs fp32 (the first Node version's), text by text.
  const ref = lives.find((l) => active(l) && l.slot.kind === 'ours') ?? lives.find((l) => active(l) && !isQ8(l.slot.kind));
  run.reference = ref;
  const merged = (l: Live, key: string): Map<number, Float32Array> => {
    const m = new Map<number, Float32Array>();
    for (const p of l.cells.get(key)?.files ?? []) for (const [i, v] of readEmbeddings(p)) m.set(i, v);
    return m;
  };
  for (const cell of cells) {
    const key = cellKey(cell);
    const per = new Map<string, Agreement>();
    if (ref) {
      const A = merged(ref, key);
      for (const l of lives.filter(active)) {
        const tjsLike = l.slot.kind === 'tjs' || l.slot.kind === 'tjs-q8';
        // transformers.js truncates after adding special tokens (its last id is a word piece, not [SEP]): texts at
        // the limit are different inputs there, so they are not compared.
        const counts = run.tokenCounts[cell.workload];
        per.set(l.slot.id, agreement(A, merged(l, key), (i) => tjsLike && !!counts && counts[i]! >= maxSeq));
      }
    }
    run.agreements.set(key, per);
  }
  // q8 with q8 (for information): sentence-tfjs q8 against transformers.js q8 on the headline Node version.
  const oursQ8 = lives.find((l) => active(l) && l.slot.kind === 'ours-q8');
  const tjsQ8 = lives.find((l) => active(l) && l.slot.kind === 'tjs-q8');
  if (oursQ8 && tjsQ8) {
    run.q8Agreement = new Map();
    for (const cell of cells) {
      const counts = run.tokenCounts[cell.workload];
      run.q8Agreement.set(cellKey(cell), agreement(merged(oursQ8, cellKey(cell)), merged(tjsQ8, cellKey(cell)), (i) => !!counts && counts[i]! >= maxSeq));
    }
  }
  return run;
}

/**
 * A batch far slower than the median (over 5x) means the process was starved by other work during it: the
 * figure is then said to be unreliable instead of silently folded into the mean.
 */
function stallNote(latMs: readonly number[]): string {
  if (latMs.length < 2) return '';
  const v = [...latMs].sort((a, b) => a - b);
  const med = v[v.length >> 1]!;
  const max = v[v.length - 1]!;
  return max > 5 * med ? ` (**stalled**: slowest batch ${f(max / 1000)} s vs median ${f(med / 1000)} s; unreliable)` : '';
}

function headlineNode(versions: readonly string[]): string {
  return versions.includes('22') ? '22' : versions.includes('24') ? '24' : versions[0]!;
}

function report(args: BenchArgs, run: ModelRun): string {
  const L: string[] = [];
  const lives = run.lives;
  L.push(`# sentence-tfjs benchmark: ${run.name} (${run.modelType}${run.sparse ? ', SparseEncoder' : ''})`);
  L.push('');
  L.push(
    `${new Date().toISOString()} · ${cpus().length} x ${cpus()[0]?.model ?? '?'} · load average before ${run.loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${run.loadAfter.map((x) => x.toFixed(2)).join(' ')}${run.loadBefore[0]! > 0.5 || run.loadAfter[0]! > 0.5 ? ' · **the machine was busy with other work: absolute timings are under load; ratios come from one alternating run**' : ''}`,
  );
  L.push(
    `Method: every runtime loaded first, each in its own process; per cell, the texts in sentence-transformers' order (longest first) cut into batches, dealt into ${args.reps} slices; the runtimes take turns slice by slice (rotated each repetition), after one untimed warm-up batch; timings include tokenization, pooling and normalization; peak RSS = the child's own high-water mark (VmHWM on Linux; maxRSS elsewhere).`,
  );
  if (run.name.startsWith('tiny-')) L.push('', `**${run.name} is a random-weight twin with a hidden size of ${JSON.parse(readFileSync(join(run.modelDir, 'config.json'), 'utf8')).hidden_size}: its absolute speed means little (per-call overhead dominates); see the random-<arch> rows for a MiniLM-sized model of the same architecture.**`);
  if (run.name.startsWith('random-')) L.push('', `**${run.name}: seeded random weights at a MiniLM-like size (bench/make_random_models.py), same architecture, tokenizer and modules as the fixture's twin; built at bench time, not committed.**`);
  L.push('');
  L.push('## Runtimes');
  L.push('');
  L.push('| runtime | node | backend | load ms | peak RSS MB | notes |');
  L.push('| --- | --- | --- | ---: | ---: | --- |');
  for (const l of lives) {
    L.push(`| ${l.label} | ${l.nodeVersion ?? (isPython(l.slot.kind) ? '—' : (l.slot.node ?? ''))} | ${l.backend ?? '—'} | ${l.skipped ? '—' : f(l.loadMs, 0)} | ${l.peakRssMB && !l.skipped ? f(l.peakRssMB, 0) : '—'} | ${[l.skipped, l.failed ? `FAILED: ${l.failed}` : '', ...l.notes].filter(Boolean).join('; ')} |`);
  }
  L.push('');
  const ref = run.reference;
  L.push(`## Agreement, checked before any speed (cosine vs ${ref ? ref.label : 'no reference'}; fp32 needs min cosine >= 0.9999, q8 >= 0.99 against fp32 — a cross comparison)`);
  L.push('');
  L.push('| runtime | cell | texts compared | min cosine | mean cosine | max abs diff | ok |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const c of run.cells) {
    for (const l of lives.filter(active)) {
      if (l === ref) continue;
      const a = run.agreements.get(cellKey(c))?.get(l.slot.id);
      if (!a) continue;
      const same = isQ8(l.slot.kind) && a.maxAbsDiff === 0 ? ' (**identical to fp32: q8 not applied?**)' : '';
      L.push(`| ${l.label} | ${cellKey(c)} | ${a.compared}${a.excluded ? ` (+${a.excluded} at the length limit not compared)` : ''} | ${f(a.minCos, 7)} | ${f(a.meanCos, 7)} | ${a.maxAbsDiff.toExponential(1)} | ${agrees(a, agreementBar(l.slot.kind)) ? 'yes' : '**NO**'}${same} |`);
    }
  }
  if (run.q8Agreement) {
    L.push('');
    L.push('q8 with q8 (information; the two quantize differently): sentence-tfjs q8 vs transformers.js q8: ' + run.cells.map((c) => `${cellKey(c)} min cosine ${f(run.q8Agreement!.get(cellKey(c))!.minCos, 5)}`).join(', '));
  }
  L.push('');
  const head = headlineNode(args.nodeVersions);
  const tjsSlot = (kind: RuntimeKind): Live | undefined => lives.find((l) => active(l) && l.slot.kind === kind && (l.slot.node === head || args.nodeVersions.length === 1));
  const bertDims = run.modelType === 'bert' && !run.sparse ? (JSON.parse(readFileSync(join(run.modelDir, 'config.json'), 'utf8')) as Record<string, number>) : undefined;
  for (const c of run.cells) {
    const key = cellKey(c);
    const counts = run.tokenCounts[c.workload];
    const meanTok = counts ? counts.slice(0, c.texts).reduce((a, x) => a + x, 0) / Math.min(c.texts, counts.length) : NaN;
    const spsOf = (l: Live | undefined): number | undefined => {
      const x = l?.cells.get(key);
      return x ? throughput(x.texts, x.totalMs) : undefined;
    };
    const tjsRef = tjsSlot('tjs');
    const tjsFp32 = spsOf(tjsRef);
    const tjsQ8 = spsOf(tjsSlot('tjs-q8'));
    L.push(`## ${c.workload}, batch ${c.batchSize} (${c.texts} texts, mean ${f(meanTok)} tokens${counts ? `, max ${Math.max(...counts.slice(0, c.texts))}` : ''})`);
    L.push('');
    const sr = sliceReport(cellSlices(makeWorkload(c.workload).texts.slice(0, c.texts), c.batchSize, args.reps));
    L.push(`Batches per slice: ${sr.perSlice.join(', ')}${sr.warning ? ` — ${sr.warning}` : ''}.`);
    L.push('');
    L.push(`| runtime, 2 cores | sentences/s | vs transformers.js${tjsFp32 !== undefined ? ` (fp32, Node ${head})` : ''} |`);
    L.push('| --- | ---: | ---: |');
    for (const l of lives) {
      if (!active(l)) {
        L.push(`| ${l.label} | ${l.skipped ?? `failed: ${l.failed}`} | |`);
        continue;
      }
      const x = l.cells.get(key);
      if (!x) continue;
      const a = l === ref ? undefined : run.agreements.get(key)?.get(l.slot.id);
      if (l !== ref && !agrees(a, agreementBar(l.slot.kind))) {
        L.push(`| ${l.label} | not quoted: min cosine ${a ? f(a.minCos, 6) : '—'} < ${agreementBar(l.slot.kind)} | |`);
        continue;
      }
      const sps = throughput(x.texts, x.totalMs);
      const stall = stallNote(x.latMs);
      L.push(`| ${l.label} | ${f(sps)}${stall} | ${ratioText(l.slot.kind, sps, tjsFp32, tjsQ8, l === tjsRef)} |`);
    }
    L.push('');
    L.push('<details><summary>latency, tokens/s, GFLOP/s</summary>');
    L.push('');
    L.push('| runtime | p50 ms / batch | p95 ms / batch | tokens/s | GFLOP/s |');
    L.push('| --- | ---: | ---: | ---: | ---: |');
    for (const l of lives.filter(active)) {
      const x = l.cells.get(key);
      if (!x) continue;
      let flops = NaN;
      let tokens = NaN;
      if (counts) {
        tokens = 0;
        flops = 0;
        for (const b of cellSlices(makeWorkload(c.workload).texts.slice(0, c.texts), c.batchSize, args.reps).flat()) {
          const lens = b.map((i) => counts[i]!);
          tokens += lens.reduce((s, v) => s + v, 0);
          if (!bertDims) continue;
          const dims = { layers: bertDims['num_hidden_layers']!, hidden: bertDims['hidden_size']!, intermediate: bertDims['intermediate_size']! };
          const longest = Math.max(...lens);
          // sentence-tfjs runs each batch as sub-batches of similar lengths: count the work it does.
          if (isOurs(l.slot.kind)) for (const g of groupByLength(lens, longest)) flops += encoderFlops(dims, g.length, Math.max(...g.map((k) => lens[k]!)));
          else flops += encoderFlops(dims, b.length, longest);
        }
        if (!bertDims) flops = NaN;
      }
      const s = x.totalMs / 1000;
      const pct = (p: number): string => {
        if (isPool(l.slot.kind) || x.latMs.length === 0) return '—';
        const v = [...x.latMs].sort((q, r) => q - r);
        return f(v[Math.min(v.length - 1, Math.floor((p / 100) * (v.length - 1) + 0.5))]!);
      };
      L.push(`| ${l.label} | ${pct(50)} | ${pct(95)} | ${f(tokens / s, 0)} | ${f(flops / s / 1e9, 2)} |`);
    }
    L.push('');
    L.push('</details>');
    L.push('');
  }
  const ceilings = lives.filter((l) => l.ceiling);
  if (ceilings.length) {
    L.push('matMul ceiling (best large matmul on the same backend, same process): ' + ceilings.map((l) => `${l.label}: ${f(l.ceiling!.gflops, 2)} GFLOP/s (${l.ceiling!.shape})`).join('; '));
    L.push('');
  }
  return L.join('\n');
}

async function main(): Promise<void> {
  const parsed = parseBenchArgs(process.argv.slice(2), process.env);
  // 'current' is this process's node: name it by its major version in labels and the headline choice.
  const cur = process.versions.node.split('.')[0]!;
  const args: BenchArgs = { ...parsed, nodeVersions: [...new Set(parsed.nodeVersions.map((v) => (v === 'current' ? cur : v)))] };
  const kindsAsked = args.runtimes ?? DEFAULT_RUNTIMES;
  const peers = [
    ...(kindsAsked.some((r) => r === 'tjs' || r === 'tjs-q8') ? ['@huggingface/transformers'] : []),
    ...(kindsAsked.some((r) => r === 'ort1' || r === 'ort2') ? ['onnxruntime-node'] : []),
  ];
  await requireBenchPeers(peers, 'or measure sentence-tfjs alone with `--runtimes ours,ours-pool`');
  const stack = pythonStack(args.python);
  const python = stack ? args.python : undefined;
  process.stderr.write(`[bench] python: ${stack ? `${args.python} (torch, sentence-transformers ${stack})` : `${args.python}: ${NO_PYTHON}`}\n`);
  const nodes = new Map<string, { bin: string; version: string }>();
  for (const v of args.nodeVersions) {
    const n = resolveNode(v);
    nodes.set(v, n);
    process.stderr.write(`[bench] node ${v}: ${n.bin} (${n.version}; relaxed SIMD in this parent: ${relaxedSimdAvailable()})\n`);
  }
  const work = mkdtempSync(join(tmpdir(), 'sentence-tfjs-bench-'));
  const out: string[] = [];
  const results: unknown[] = [];
  try {
    for (const name of args.models) {
      const run = await runModel(args, name, python, nodes, work);
      const md = report(args, run);
      console.log(md);
      out.push(md);
      results.push({
        model: run.name,
        modelDir: run.modelDir,
        runtimes: run.lives.map((l) => ({
          id: l.slot.id,
          label: l.label,
          node: l.nodeVersion,
          backend: l.backend,
          skipped: l.skipped,
          failed: l.failed,
          loadMs: l.loadMs,
          peakRssMB: l.peakRssMB,
          cells: Object.fromEntries([...l.cells].map(([k, v]) => [k, { texts: v.texts, totalMs: v.totalMs, sentencesPerSec: throughput(v.texts, v.totalMs) }])),
          agreement: Object.fromEntries(run.cells.map((c) => [cellKey(c), run.agreements.get(cellKey(c))?.get(l.slot.id)])),
        })),
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (args.out) writeFileSync(args.out, out.join('\n\n') + '\n');
  if (args.json) writeFileSync(args.json, JSON.stringify({ args, results }, null, 1));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

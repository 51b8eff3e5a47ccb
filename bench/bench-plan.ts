/**
 * The pure logic of `npm run bench` (no timing, no child processes), so that a fast test can check it:
 * argument parsing, the runtime roster (which runtime runs under which Node version), the round-robin schedule
 * (same length-sorted batches for every runtime, split into repetitions that alternate the runtimes), the agreement
 * statistics and the speed ratios.
 */
import { BENCH_PYTHON_ENV, cosine, DEFAULT_BENCH_PYTHON, flagReader } from './bench-common.js';
import { batches, lengthSortedOrder, spreadOrder, WORKLOAD_NAMES, type WorkloadName } from './bench-workloads.js';

/** Runtimes that run in Node (each under every `--node` version). */
export const NODE_RUNTIMES = ['ours', 'ours-pool', 'ours-q8', 'ours-pool-q8', 'ours-relaxed', 'ours-pool-relaxed', 'tfnode', 'tjs', 'tjs-q8', 'ort1', 'ort2'] as const;
/** Runtimes that run in Python (PyTorch sentence-transformers, 1 and 2 threads). */
export const PY_RUNTIMES = ['torch1', 'torch2'] as const;
export type NodeRuntime = (typeof NODE_RUNTIMES)[number];
export type PyRuntime = (typeof PY_RUNTIMES)[number];
export type RuntimeKind = NodeRuntime | PyRuntime;
export const RUNTIME_KINDS: readonly RuntimeKind[] = [...NODE_RUNTIMES, ...PY_RUNTIMES];

/** Workers of the `ours-pool*` runtimes. */
export const POOL_WORKERS = 2;

/** Default runtimes: the BERT model with its ONNX export gets every peer; the new architectures ours vs PyTorch. */
export const DEFAULT_RUNTIMES: readonly RuntimeKind[] = ['ours', 'ours-pool', 'ours-q8', 'ours-pool-q8', 'tjs', 'tjs-q8', 'ort2', 'torch1', 'torch2'];
export const DEFAULT_NEW_ARCH_RUNTIMES: readonly RuntimeKind[] = ['ours', 'ours-pool', 'torch1', 'torch2'];

export const KIND_LABELS: Record<RuntimeKind, string> = {
  ours: 'sentence-tfjs, one worker',
  'ours-pool': 'sentence-tfjs pool of 2',
  'ours-q8': 'sentence-tfjs q8, one worker',
  'ours-pool-q8': 'sentence-tfjs q8 pool of 2',
  'ours-relaxed': 'sentence-tfjs, one worker (--experimental-wasm-relaxed-simd)',
  'ours-pool-relaxed': 'sentence-tfjs pool of 2 (--experimental-wasm-relaxed-simd)',
  tfnode: "sentence-tfjs (device 'tensorflow')",
  tjs: 'transformers.js 4.3.1 fp32',
  'tjs-q8': 'transformers.js 4.3.1 q8',
  ort1: 'onnxruntime-node 1.30 fp32, 1 thread',
  ort2: 'onnxruntime-node 1.30 fp32, 2 threads',
  torch1: 'PyTorch 2.13 + sentence-transformers 6.0.1, 1 thread',
  torch2: 'PyTorch 2.13 + sentence-transformers 6.0.1, 2 threads',
};

/** Whether a runtime computes in int8 (its speed is compared with q8 peers; against fp32 only as a labelled cross comparison). */
export const isQ8 = (k: RuntimeKind): boolean => k.endsWith('-q8');
/** Whether a runtime runs batches concurrently over workers (per-batch latency is not meaningful). */
export const isPool = (k: RuntimeKind): boolean => k.startsWith('ours-pool');
export const isOurs = (k: RuntimeKind): boolean => k.startsWith('ours') || k === 'tfnode';
export const isPython = (k: RuntimeKind): k is PyRuntime => (PY_RUNTIMES as readonly string[]).includes(k);

/** One measured cell: a workload at one batch size. */
export interface CellSpec {
  workload: WorkloadName;
  batchSize: number;
  /** How many texts of the workload (its first `texts`, before sorting). */
  texts: number;
}

export interface BenchArgs {
  /** Model folders (fixture names are resolved under the fixtures' models/; `random:<arch>` are built at bench time). */
  models: string[];
  /** Node versions (major) to run the Node-side runtimes under; 'current' = this process's node. */
  nodeVersions: string[];
  /** Runtimes for minilm-style models with an ONNX export (undefined = defaults per model). */
  runtimes?: RuntimeKind[];
  cells?: CellSpec[];
  reps: number;
  quick: boolean;
  python: string;
  q8Onnx?: string;
  ceiling: boolean;
  json?: string;
  out?: string;
}

/**
 * The default cells: sentences (5-40 words) at 32, queries (~10 tokens) at 1 and 32, passages (~256 tokens) at 32.
 * Passages: batch × {@link POOL_WORKERS} × the default repetitions (4, or 2 with --quick) texts, so that every slice
 * holds a batch for each pool worker (with 96 texts, 3 batches in 4 slices, the pool rows measured one worker).
 */
export function defaultCells(quick: boolean, newArch: boolean): CellSpec[] {
  const q = quick ? 0.5 : 1;
  const s: CellSpec = { workload: 'sentences', batchSize: 32, texts: Math.round(640 * q) };
  if (newArch) return [s];
  return [
    s,
    { workload: 'queries', batchSize: 1, texts: Math.round(128 * q) },
    { workload: 'queries', batchSize: 32, texts: Math.round(512 * q) },
    { workload: 'passages', batchSize: 32, texts: 32 * POOL_WORKERS * (quick ? 2 : 4) },
  ];
}

/** Parse `--cells sentences:32:640,queries:1:128` (workload:batch[:texts]). */
export function parseCells(v: string, quick: boolean): CellSpec[] {
  const defaults = defaultCells(quick, false);
  return v.split(',').map((item) => {
    const [w, b, n] = item.trim().split(':');
    if (!WORKLOAD_NAMES.includes(w as WorkloadName)) throw new Error(`--cells: expected workload:batch[:texts] with workload one of ${WORKLOAD_NAMES.join(', ')}, got ${JSON.stringify(item)}`);
    const batchSize = Number(b);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--cells: expected a positive integer batch size in ${JSON.stringify(item)}, got ${JSON.stringify(b)}`);
    const texts = n === undefined ? (defaults.find((c) => c.workload === w && c.batchSize === batchSize) ?? defaults.find((c) => c.workload === w))!.texts : Number(n);
    if (!Number.isInteger(texts) || texts < 1) throw new Error(`--cells: expected a positive integer text count in ${JSON.stringify(item)}, got ${JSON.stringify(n)}`);
    return { workload: w as WorkloadName, batchSize, texts };
  });
}

const KNOWN_FLAGS = ['--quick', '--models', '--model', '--node', '--runtimes', '--cells', '--reps', '--python', '--q8-onnx', '--no-ceiling', '--json', '--out'];

/**
 * Parse `npm run bench` arguments. `env` supplies SENTENCE_TFJS_BENCH_PYTHON and SENTENCE_TFJS_BENCH_Q8_ONNX.
 * Throws naming the flag, what was expected and what was got.
 */
export function parseBenchArgs(argv: string[], env: Record<string, string | undefined> = {}): BenchArgs {
  for (const a of argv) if (a.startsWith('--') && !KNOWN_FLAGS.includes(a)) throw new Error(`unknown flag ${a}; expected one of ${KNOWN_FLAGS.join(', ')}`);
  const get = flagReader(argv);
  const quick = argv.includes('--quick');
  const modelsFlag = get('--models') ?? get('--model');
  const models = (modelsFlag ?? 'minilm-l6-full').split(',').map((s) => s.trim()).filter(Boolean);
  const node = get('--node') ?? 'current';
  const nodeVersions = node.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of nodeVersions) if (v !== 'current' && !/^\d+$/.test(v)) throw new Error(`--node: expected Node major versions such as 20,22,24 (or 'current'), got ${JSON.stringify(v)}`);
  if (new Set(nodeVersions).size !== nodeVersions.length) throw new Error(`--node: expected distinct versions, got ${node}`);
  const rt = get('--runtimes');
  let runtimes: RuntimeKind[] | undefined;
  if (rt) {
    runtimes = rt.split(',').map((s) => s.trim()).filter(Boolean) as RuntimeKind[];
    for (const r of runtimes) if (!RUNTIME_KINDS.includes(r)) throw new Error(`--runtimes: expected some of ${RUNTIME_KINDS.join(', ')}, got ${JSON.stringify(r)}`);
  }
  const cellsFlag = get('--cells');
  const repsFlag = get('--reps');
  const reps = repsFlag === undefined ? (quick ? 2 : 4) : Number(repsFlag);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected a positive integer, got ${repsFlag}`);
  return {
    models,
    nodeVersions,
    runtimes,
    cells: cellsFlag ? parseCells(cellsFlag, quick) : undefined,
    reps,
    quick,
    python: get('--python') ?? env[BENCH_PYTHON_ENV] ?? DEFAULT_BENCH_PYTHON,
    q8Onnx: get('--q8-onnx') ?? env['SENTENCE_TFJS_BENCH_Q8_ONNX'],
    ceiling: !argv.includes('--no-ceiling'),
    json: get('--json'),
    out: get('--out'),
  };
}

/** One process of the run: a runtime kind, under a Node version (Node-side) or not (Python). */
export interface RuntimeSlot {
  id: string;
  kind: RuntimeKind;
  /** Node major version, or 'current'; undefined for Python runtimes. */
  node?: string;
}

/** Every (runtime, Node version) pair: Node-side runtimes under each version, Python ones once. */
export function roster(kinds: readonly RuntimeKind[], nodeVersions: readonly string[]): RuntimeSlot[] {
  const out: RuntimeSlot[] = [];
  for (const v of nodeVersions) for (const k of kinds) if (!isPython(k)) out.push({ id: nodeVersions.length > 1 || v !== 'current' ? `${k}@node${v}` : k, kind: k, node: v });
  for (const k of kinds) if (isPython(k)) out.push({ id: k, kind: k });
  return out;
}

/**
 * The batches of one cell: the cell's texts in sentence-transformers' order (longest first), cut into batches of
 * `batchSize` indices, then dealt into `reps` slices along the bit-reversed order, so that every slice samples the
 * whole length range and the slices together hold every batch exactly once. Every runtime gets the same slices.
 */
export function cellSlices(texts: readonly string[], batchSize: number, reps: number): number[][][] {
  const all = batches(lengthSortedOrder(texts), batchSize);
  const spread = spreadOrder(all.length);
  const slices: number[][][] = Array.from({ length: Math.min(reps, all.length) }, () => []);
  spread.forEach((k, pos) => slices[pos % slices.length]!.push(all[k]!));
  return slices;
}

/**
 * How many batches each slice holds (`[2, 2, 2, 2]`), and a warning when a slice holds fewer batches than the pool
 * has workers: the pool then has nothing to run in parallel there, and its rows equal one worker's.
 */
export function sliceReport(slices: readonly (readonly unknown[])[]): { perSlice: number[]; warning?: string } {
  const perSlice = slices.map((s) => s.length);
  const few = perSlice.some((n) => n < POOL_WORKERS);
  return few ? { perSlice, warning: `a slice holds fewer batches than the pool's ${POOL_WORKERS} workers: the pool rows of this cell measure fewer workers` } : { perSlice };
}

/** Repetition `rep` visits the runtimes in this order (rotated by one each repetition, so none always goes first). */
export function rotation<T>(items: readonly T[], rep: number): T[] {
  const n = items.length;
  if (n === 0) return [];
  const s = ((rep % n) + n) % n;
  return [...items.slice(s), ...items.slice(0, s)];
}

/** Agreement of a runtime's embeddings B with the reference A, over the texts both have minus `skip`. */
export interface Agreement {
  compared: number;
  excluded: number;
  minCos: number;
  meanCos: number;
  maxAbsDiff: number;
}

export function agreement(A: Map<number, Float32Array>, B: Map<number, Float32Array>, skip: (i: number) => boolean = () => false): Agreement {
  let compared = 0;
  let excluded = 0;
  let minCos = Infinity;
  let sum = 0;
  let maxAbsDiff = 0;
  for (const [i, a] of A) {
    const b = B.get(i);
    if (!b) continue;
    if (skip(i)) {
      excluded++;
      continue;
    }
    if (a.length !== b.length) throw new Error(`agreement: text ${i} has ${a.length} dimensions in the reference and ${b.length} in the runtime`);
    const c = cosine(a, b);
    minCos = Math.min(minCos, Number.isNaN(c) ? -Infinity : c);
    sum += c;
    for (let k = 0; k < a.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k]! - b[k]!));
    compared++;
  }
  return { compared, excluded, minCos: compared ? minCos : NaN, meanCos: compared ? sum / compared : NaN, maxAbsDiff };
}

/** fp32 runtimes must reach this cosine against the reference (sentence-tfjs fp32) before their speed is quoted. */
export const FP32_BAR = 0.9999;
/** q8 runtimes against the fp32 reference (a labelled cross comparison of accuracy). */
export const Q8_BAR = 0.99;

export const agreementBar = (k: RuntimeKind): number => (isQ8(k) ? Q8_BAR : FP32_BAR);

/** Whether a speed may be quoted: something was compared, and the worst text reached the bar. */
export function agrees(a: Agreement | undefined, bar: number): boolean {
  return !!a && a.compared > 0 && a.minCos >= bar;
}

/** Sentences per second of `texts` encoded in `ms`. */
export const throughput = (texts: number, ms: number): number => (ms > 0 ? texts / (ms / 1000) : NaN);

/**
 * The "vs transformers.js" cell: this runtime's sentences/s over transformers.js fp32's. A q8 runtime's ratio to
 * fp32 is a cross comparison and says so; its ratio to transformers.js q8 follows when that ran. The reference row
 * itself (transformers.js fp32 on the headline Node version) reads 1.
 */
export function ratioText(kind: RuntimeKind, sps: number, tjsFp32: number | undefined, tjsQ8: number | undefined, isReference = false): string {
  const fmt = (x: number): string => `${x.toFixed(2)}×`;
  const parts: string[] = [];
  if (tjsFp32 !== undefined && Number.isFinite(tjsFp32) && tjsFp32 > 0 && Number.isFinite(sps)) {
    if (isReference) parts.push('1');
    else parts.push(isQ8(kind) ? `${fmt(sps / tjsFp32)} (cross: q8 vs fp32)` : fmt(sps / tjsFp32));
  }
  if (isQ8(kind) && kind !== 'tjs-q8' && tjsQ8 !== undefined && Number.isFinite(tjsQ8) && tjsQ8 > 0 && Number.isFinite(sps)) parts.push(`${fmt(sps / tjsQ8)} vs q8`);
  return parts.join('; ');
}

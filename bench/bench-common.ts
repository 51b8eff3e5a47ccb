/**
 * Shared pieces of `npm run bench`: the parent <-> child JSON-lines protocol (bench-child.ts and bench_torch.py
 * speak it), statistics, the encoder FLOP count and the embedding files used for the cross-runtime agreement check.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The benchmark peers live in bench/package.json (their own lockfile), not in the project's install, so that a
 * failing download in one of their install scripts can never break `npm ci`. This one line says how to get them.
 */
export const BENCH_PEERS_HINT = 'install the benchmark peers with `npm run bench:install` (npm ci in bench/, with its own lockfile)';

/**
 * Exit with one clear line when a benchmark peer is missing. Imports are resolved from this folder, so
 * bench/node_modules comes first.
 * @param packages the peers the selected runtimes need
 * @param skipHint how to run without them (e.g. `--runtimes ours`), appended to the line
 */
export async function requireBenchPeers(packages: readonly string[], skipHint = ''): Promise<void> {
  const missing: string[] = [];
  for (const p of packages) {
    try {
      await import(p);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
      missing.push(p);
    }
  }
  if (missing.length === 0) return;
  console.error(`bench: missing ${missing.join(', ')}: ${BENCH_PEERS_HINT}${skipHint ? `; ${skipHint}` : ''}`);
  process.exit(2);
}

/** What the parent asks a child to load (the child's argv[2] is this, as a JSON file). */
export interface ChildConfig {
  /** A runtime kind of bench-plan.ts (ours, ours-pool, tjs, torch2, ...). */
  kind: string;
  modelDir: string;
  maxSeqLength: number;
  /** The model is a SparseEncoder (SPLADE): vectors come back dense, vocabulary-wide. */
  sparse: boolean;
  /** PyTorch children: torch.set_num_threads. */
  threads?: number;
}

/** One batch of a `run` command: the texts and their indices in the workload (for the embeddings file). */
export interface BatchSpec {
  indices: number[];
  texts: string[];
}

/** Parent -> child, one JSON line each on the child's stdin. */
export type ChildCommand =
  | { type: 'run'; batches: BatchSpec[]; embPath?: string }
  | { type: 'ceiling' }
  | { type: 'exit' };

/** Child -> parent, one JSON line each on the child's fd 3. */
export type ChildReply =
  | { type: 'ready'; loadMs: number; backend?: string; skipped?: string; node?: string; notes: string[] }
  | { type: 'ran'; totalMs: number; latMs: number[] }
  | { type: 'ceiling'; gflops: number; shape: string }
  | { type: 'bye'; peakRssMB: number }
  | { type: 'error'; message: string };

/** Percentile by linear interpolation between closest ranks (p in [0, 100]). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const r = (p / 100) * (s.length - 1);
  const lo = Math.floor(r);
  const hi = Math.ceil(r);
  return s[lo]! + (s[hi]! - s[lo]!) * (r - lo);
}

/** BERT encoder dimensions for the FLOP count. */
export interface EncoderDims {
  layers: number;
  hidden: number;
  intermediate: number;
}

/**
 * Multiply-add FLOPs (2 per MAC) of a BERT encoder on one padded batch [batch, seqLen]: per layer, the Q/K/V/output
 * projections (4 * 2*B*L*H*H), the feed-forward (2 * 2*B*L*H*I) and attention (QK^T and PV: 2 * 2*B*L*L*H).
 * Embeddings, LayerNorm, softmax, GELU and pooling are elementwise (under 1% here) and not counted.
 */
export function encoderFlops(d: EncoderDims, batch: number, seqLen: number): number {
  const { layers, hidden: H, intermediate: I } = d;
  const tokens = batch * seqLen;
  return layers * (8 * tokens * H * H + 4 * tokens * H * I + 4 * batch * seqLen * seqLen * H);
}

/** Write embeddings (row i = text `indices[i]`) as: int32 n, int32 dim, int32 indices[n], float32 data[n*dim]. */
export function writeEmbeddings(path: string, indices: number[], rows: Float32Array[]): void {
  const n = indices.length;
  const dim = n ? rows[0]!.length : 0;
  const buf = new ArrayBuffer(8 + 4 * n + 4 * n * dim);
  const head = new Int32Array(buf, 0, 2 + n);
  head[0] = n;
  head[1] = dim;
  head.set(indices, 2);
  const data = new Float32Array(buf, 8 + 4 * n, n * dim);
  rows.forEach((r, i) => data.set(r, i * dim));
  writeFileSync(path, new Uint8Array(buf));
}

/** Read a file written by {@link writeEmbeddings}: text index -> embedding. */
export function readEmbeddings(path: string): Map<number, Float32Array> {
  const b = readFileSync(path);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const [n, dim] = new Int32Array(ab, 0, 2) as unknown as [number, number];
  const idx = new Int32Array(ab, 8, n);
  const data = new Float32Array(ab, 8 + 4 * n, n * dim);
  const out = new Map<number, Float32Array>();
  for (let i = 0; i < n; i++) out.set(idx[i]!, data.subarray(i * dim, (i + 1) * dim));
  return out;
}

/** Cosine similarity of two vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/**
 * Peak resident set size of this process so far, in MB: the high-water mark of its own address space (`VmHWM`,
 * Linux). `maxRSS` (the fallback elsewhere) also counts the parent's RSS at spawn on Linux (carried through fork and
 * exec), which floors a small child at its parent's size.
 */
export function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: maxRSS below
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Whether this runtime validates relaxed-SIMD wasm (a module whose one function uses f32x4.relaxed_madd). */
export function relaxedSimdAvailable(): boolean {
  // (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
  return WebAssembly.validate(bytes);
}

/**
 * One row of the agreement table: min cosine and max abs diff between our embeddings A and a peer's B over the
 * texts both have, leaving out those `skip` names (e.g. transformers.js truncates after adding special tokens,
 * so texts at the length limit are different inputs there).
 */
export function agreementRow(label: string, workload: string, A: Map<number, Float32Array>, B: Map<number, Float32Array>, skip: (i: number) => boolean): string {
  let min = 1;
  let n = 0;
  let excluded = 0;
  let maxDiff = 0;
  for (const [i, a] of A) {
    const b = B.get(i);
    if (!b) continue;
    if (skip(i)) {
      excluded++;
      continue;
    }
    min = Math.min(min, cosine(a, b));
    for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
    n++;
  }
  const note = excluded ? ` (+${excluded} truncated texts not compared)` : '';
  return `| ${label} | ${workload} | ${n}${note} | ${n ? min.toFixed(7) : '—'} | ${n ? (1 - min).toExponential(1) : '—'} | ${n ? maxDiff.toExponential(1) : '—'} | ${n ? (min >= 0.9999 ? 'yes' : '**NO**') : '—'} |`;
}

/** `--flag value` reader over argv: undefined when absent; a flag followed by nothing or another flag is an error. */
export function flagReader(argv: string[]): (flag: string) => string | undefined {
  return (flag) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag}: expected a value, got ${v === undefined ? 'nothing' : v}`);
    return v;
  };
}

/** Encodes one batch of texts into L2-normalized sentence embeddings (every runtime of the bench). */
export type BatchEncoder = (texts: string[]) => Promise<Float32Array[]>;

/** The environment variable naming the Python (torch + sentence-transformers) the PyTorch peers run on. */
export const BENCH_PYTHON_ENV = 'SENTENCE_TFJS_BENCH_PYTHON';
/** The Python used when neither `--python` nor {@link BENCH_PYTHON_ENV} names one (this workplace's venv). */
export const DEFAULT_BENCH_PYTHON = '/work/venv/bin/python';

/**
 * `npm run bench`: sentence-tfjs against transformers.js and onnxruntime-node on minilm-l6-full (the
 * all-MiniLM-L6-v2 architecture), same texts, same batches, each runtime in its own child process.
 *
 *   npm run bench -- [--quick] [--workloads sentences,queries,passages] [--batch-sizes 1,8,32,128]
 *                    [--runtimes ours,ours-pool,ours-relaxed,ours-pool-relaxed,tfnode,tjs,ort1,ort2] [--budget SECONDS] [--model DIR]
 *                    [--json results.json] [--out table.md]
 *
 * --quick: 256 sentences / 128 queries / 32 passages, batch sizes 1 and 32, 10 s per cell.
 * --budget: stop each (runtime, workload, batch size) cell after that many seconds of timed batches (default 20;
 *   10 with --quick; 0 = no limit: the whole workload). Budgeted cells visit the batches spread over the length
 *   range (bit-reversed order, the same for every runtime); the table says how many texts each cell encoded.
 * --passage-batch-sizes: batch sizes for passages (default: the --batch-sizes up to 32).
 *
 * Prints a markdown report: throughput and latency per runtime/workload/batch size, load time and peak RSS per
 * runtime, speed ratios against each peer, achieved GFLOP/s of the encoder against a large tf.matMul on the same
 * backend, and the agreement of the embeddings with each peer (min cosine).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cell, type ChildConfig, type ChildResult, agreementRow, flagReader, requireBenchPeers, relaxedSimdAvailable, readEmbeddings, RUNTIME_LABELS, RUNTIMES, type RuntimeName } from './bench-common.js';
import { makeWorkload, WORKLOAD_NAMES } from './bench-workloads.js';
import { rustTokenCounts } from './bench-peers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_SEQ = 256;

interface Args {
  quick: boolean;
  workloads: string[];
  batchSizes: number[];
  /** Batch sizes for the passages workload (default: those <= 32; one batch of 128 passages takes minutes). */
  passageBatchSizes: number[];
  runtimes: RuntimeName[];
  budgetSec: number;
  modelDir: string;
  json?: string;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const get = flagReader(argv);
  const known = new Set(['--quick', '--workloads', '--batch-sizes', '--passage-batch-sizes', '--runtimes', '--budget', '--model', '--json', '--out']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown flag ${a}; expected one of ${[...known].join(', ')}`);
  const quick = argv.includes('--quick');
  const list = (flag: string, def: string[], allowed: readonly string[]): string[] => {
    const v = get(flag);
    const items = v ? v.split(',').map((s) => s.trim()).filter(Boolean) : def;
    for (const it of items) if (!allowed.includes(it)) throw new Error(`${flag}: expected some of ${allowed.join(', ')}, got ${JSON.stringify(it)}`);
    return items;
  };
  const bs = get('--batch-sizes');
  const batchSizes = bs ? bs.split(',').map((s) => Number(s)) : quick ? [1, 32] : [1, 8, 32, 128];
  for (const b of batchSizes) if (!Number.isInteger(b) || b < 1) throw new Error(`--batch-sizes: expected positive integers, got ${bs}`);
  const pbs = get('--passage-batch-sizes');
  const passageBatchSizes = pbs ? pbs.split(',').map((x) => Number(x)) : batchSizes.filter((b) => b <= 32);
  for (const b of passageBatchSizes) if (!Number.isInteger(b) || b < 1) throw new Error(`--passage-batch-sizes: expected positive integers, got ${pbs}`);
  const budget = get('--budget');
  const budgetSec = budget !== undefined ? Number(budget) : quick ? 10 : 20;
  if (!Number.isFinite(budgetSec) || budgetSec < 0) throw new Error(`--budget: expected seconds >= 0, got ${budget}`);
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
  return {
    quick,
    workloads: list('--workloads', [...WORKLOAD_NAMES], WORKLOAD_NAMES),
    batchSizes,
    passageBatchSizes,
    runtimes: list('--runtimes', [...RUNTIMES], RUNTIMES) as RuntimeName[],
    budgetSec,
    modelDir: resolve(get('--model') ?? join(fixtures, 'models', 'minilm-l6-full')),
    json: get('--json'),
    out: get('--out'),
  };
}

function runChild(cfg: ChildConfig, work: string): ChildResult {
  const cfgPath = join(work, `${cfg.runtime}.config.json`);
  const resPath = join(work, `${cfg.runtime}.result.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  process.stderr.write(`[bench] ${cfg.runtime}: ${RUNTIME_LABELS[cfg.runtime]}\n`);
  const tsx = import.meta.resolve('tsx');
  // The '-relaxed' runtimes turn on wasm relaxed SIMD where it is behind a flag (Node 20), so that our kernels' FMA
  // build runs (on by default in Node 22+ and current browsers).
  const flags = cfg.runtime.endsWith('-relaxed') && !relaxedSimdAvailable() ? ['--experimental-wasm-relaxed-simd'] : [];
  const r = spawnSync(process.execPath, [...flags, '--import', tsx, join(ROOT, 'bench', 'bench-child.ts'), cfgPath, resPath], {
    stdio: ['ignore', 'inherit', 'inherit'],
    cwd: ROOT,
  });
  if (r.status !== 0 || !existsSync(resPath)) {
    return { runtime: cfg.runtime, label: RUNTIME_LABELS[cfg.runtime], skipped: `child failed (exit ${r.status ?? r.signal})`, loadMs: 0, peakRssMB: 0, cells: [], notes: [] };
  }
  return JSON.parse(readFileSync(resPath, 'utf8')) as ChildResult;
}

const sizesFor = (a: Args, w: string): number[] => (w === 'passages' ? a.passageBatchSizes : a.batchSizes);
const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

function cellOf(r: ChildResult | undefined, w: string, b: number): Cell | undefined {
  return r?.cells.find((c) => c.workload === w && c.batchSize === b);
}
const sps = (c: Cell): number => c.texts / (c.totalMs / 1000);

function report(args: Args, results: ChildResult[], tokenCounts: Record<string, number[]>, work: string, load: { before: number[]; after: number[] }): string {
  const L: string[] = [];
  const by = new Map(results.map((r) => [r.runtime, r]));
  const ours = by.get('ours');
  L.push(`# sentence-tfjs benchmark: ${args.modelDir.split('/').slice(-1)[0]}`);
  L.push('');
  L.push(`${new Date().toISOString()} · node ${process.version} · ${cpus().length} x ${cpus()[0]?.model ?? '?'} · load average before ${load.before.map((x) => x.toFixed(2)).join(' ')}, after ${load.after.map((x) => x.toFixed(2)).join(' ')}`);
  L.push(`mode: ${args.quick ? 'quick' : 'full'} · budget per cell: ${args.budgetSec ? `${args.budgetSec} s` : 'none'} · texts in sentence-transformers order (longest first), same batches for every runtime; timings include tokenization, pooling and normalization`);
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
  L.push('| runtime | backend | load ms | peak RSS MB | notes |');
  L.push('| --- | --- | ---: | ---: | --- |');
  for (const r of results) {
    L.push(`| ${r.label} | ${r.backend ?? '—'} | ${r.skipped ? '—' : f(r.loadMs, 0)} | ${r.skipped ? '—' : f(r.peakRssMB, 0)} | ${[r.skipped, ...r.notes].filter(Boolean).join('; ')} |`);
  }
  L.push('');
  L.push('## Throughput and latency');
  L.push('');
  L.push('| workload | batch | runtime | texts | sentences/s | tokens/s | p50 ms | p95 ms | GFLOP/s |');
  L.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const w of args.workloads) {
    for (const b of sizesFor(args, w)) {
      for (const r of results) {
        const c = cellOf(r, w, b);
        if (!c) continue;
        const s = c.totalMs / 1000;
        const lat = r.runtime === 'ours-pool' || r.runtime === 'ours-pool-relaxed' ? ['—', '—'] : [f(c.p50Ms), f(c.p95Ms)];
        L.push(`| ${w} | ${b} | ${r.label} | ${c.texts} | ${f(c.texts / s)} | ${f(c.tokens / s, 0)} | ${lat[0]} | ${lat[1]} | ${f(c.flops / s / 1e9, 2)} |`);
      }
    }
  }
  L.push('');
  L.push('GFLOP/s = encoder matmul FLOPs of the padded batches actually run (Q/K/V/output projections, FFN, QK^T and PV; for sentence-tfjs, of the length-grouped sub-batches it runs) / wall time. Pool rows: one call = 8 batches of 32 split over 2 workers, so latency is per 256 texts (not shown).');
  L.push('');
  const peers: RuntimeName[] = ['tjs', 'ort1', 'ort2'];
  const mine: RuntimeName[] = ['ours', 'ours-pool', 'ours-relaxed', 'ours-pool-relaxed'];
  if (ours) {
    L.push('## Speed ratios (sentences/s of each sentence-tfjs runtime / peer; > 1 = we are faster)');
    L.push('');
    L.push(`| runtime | workload | batch | ${peers.map((p) => `vs ${RUNTIME_LABELS[p]}`).join(' | ')} | / sentence-tfjs (wasm) |`);
    L.push(`| --- | --- | ---: | ${peers.map(() => '---:').join(' | ')} | ---: |`);
    for (const m of mine) {
      const r = by.get(m);
      if (!r || r.skipped) continue;
      for (const w of args.workloads) {
        for (const b of sizesFor(args, w)) {
          const c = cellOf(r, w, b);
          if (!c) continue;
          const ratios = peers.map((p) => {
            const pc = cellOf(by.get(p), w, b);
            return pc ? f(sps(c) / sps(pc), 2) : '—';
          });
          const base = cellOf(ours, w, b);
          L.push(`| ${RUNTIME_LABELS[m]} | ${w} | ${b} | ${ratios.join(' | ')} | ${m !== 'ours' && base ? f(sps(c) / sps(base), 2) : '—'} |`);
        }
      }
    }
    L.push('');
    if (ours.matmulGflops) {
      L.push(`## Encoder efficiency against the matMul ceiling (${ours.backend}: best matmul measured, ${ours.matmulShape} = ${f(ours.matmulGflops, 2)} GFLOP/s)`);
      L.push('');
      L.push('| workload | batch | encoder GFLOP/s | % of ceiling |');
      L.push('| --- | ---: | ---: | ---: |');
      for (const c of ours.cells) {
        const g = c.flops / (c.totalMs / 1000) / 1e9;
        L.push(`| ${c.workload} | ${c.batchSize} | ${f(g, 2)} | ${f((100 * g) / ours.matmulGflops)} |`);
      }
      L.push('');
    }
  }
  // Agreement: cosine between our embeddings and each peer's (or, without ours, between peers and ort1).
  const base = ours && !ours.skipped ? 'ours' : 'ort1';
  L.push(`## Agreement (cosine of embeddings, ${base === 'ours' ? 'sentence-tfjs wasm' : 'onnxruntime-node 1 thread'} vs each runtime; required >= 0.9999)`);
  L.push('');
  L.push('| runtime | workload | texts compared | min cosine | 1 - min cosine | max abs diff | ok |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    if (r.runtime === base || r.skipped) continue;
    for (const w of args.workloads) {
      const pa = join(work, `${base}-${w}.bin`);
      const pb = join(work, `${r.runtime}-${w}.bin`);
      if (!existsSync(pa) || !existsSync(pb)) continue;
      const A = readEmbeddings(pa);
      const B = readEmbeddings(pb);
      // transformers.js truncates after adding special tokens (its last id is a word piece, not [SEP]):
      // texts that reach the limit are different inputs there, so they are not compared.
      L.push(agreementRow(r.label, w, A, B, (i) => r.runtime === 'tjs' && tokenCounts[w]![i]! >= MAX_SEQ));
    }
  }
  L.push('');
  return L.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(join(args.modelDir, 'config.json'))) throw new Error(`--model: no config.json in ${args.modelDir}`);
  const peers = [
    ...(args.runtimes.includes('tjs') ? ['@huggingface/transformers'] : []),
    ...(args.runtimes.some((r) => r === 'ort1' || r === 'ort2') ? ['onnxruntime-node'] : []),
  ];
  await requireBenchPeers(peers, 'or measure sentence-tfjs alone with `--runtimes ours,ours-pool`');
  const before = loadavg();
  const tokenCounts: Record<string, number[]> = {};
  for (const w of args.workloads) {
    tokenCounts[w] = await rustTokenCounts(args.modelDir, MAX_SEQ, makeWorkload(w as never, args.quick).texts);
  }
  mkdirSync(join(tmpdir()), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'sentence-tfjs-bench-'));
  const results: ChildResult[] = [];
  for (const runtime of args.runtimes) {
    const cfg: ChildConfig = {
      runtime,
      modelDir: args.modelDir,
      maxSeqLength: MAX_SEQ,
      quick: args.quick,
      workloads: args.workloads,
      batchSizes: args.batchSizes,
      passageBatchSizes: args.passageBatchSizes,
      budgetSec: args.budgetSec,
      tokenCounts,
      embeddingsDir: work,
      matmulCeiling: runtime === 'ours',
    };
    results.push(runChild(cfg, work));
  }
  const md = report(args, results, tokenCounts, work, { before, after: loadavg() });
  console.log(md);
  if (args.out) writeFileSync(args.out, md + '\n');
  if (args.json) writeFileSync(args.json, JSON.stringify({ args, tokenCounts: undefined, results }, null, 1));
  rmSync(work, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

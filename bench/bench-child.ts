/**
 * One Node-side runtime of `npm run bench`, in its own process (so that its peak RSS is its own) and under the
 * Node version the parent chose: `<node> --import tsx bench/bench-child.ts <config.json>`.
 *
 * The child loads its runtime (timed), says `ready` on fd 3, then serves the parent's commands (JSON lines on
 * stdin) until `exit`: `run` encodes the given batches in the given order and answers with the latency of each
 * (writing the embeddings when asked), `ceiling` measures the matMul ceiling. Replies go to fd 3 as JSON lines, so
 * that whatever a library prints on stdout cannot break the protocol. The parent runs one child at a time and
 * alternates them (bench.ts).
 */
import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { type ChildConfig, type ChildReply, type ChildCommand, peakRssMB, relaxedSimdAvailable, writeEmbeddings } from './bench-common.js';
import { type BatchEncoder, loadOrt, loadTransformersJs } from './bench-peers.js';
import { loadOurs, loadOursPool, loadOursSparse, matmulCeiling } from './bench-ours.js';
import { POOL_WORKERS } from './bench-plan.js';

interface Loaded {
  encode: BatchEncoder;
  /** Encode several batches at once (the pool spreads them over its workers); default: one after another. */
  encodeMany?: (batches: string[][]) => Promise<Float32Array[][]>;
  close?: () => Promise<void>;
  backend?: string;
  notes?: string[];
}

function hasPackage(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

const kernels = (): string => (relaxedSimdAvailable() ? 'relaxed-SIMD kernels' : 'plain SIMD kernels');

async function load(cfg: ChildConfig): Promise<Loaded | string> {
  switch (cfg.kind) {
    case 'ours':
    case 'ours-relaxed':
    case 'ours-q8': {
      const m = cfg.sparse ? await loadOursSparse(cfg.modelDir) : await loadOurs(cfg.modelDir, 'wasm', cfg.kind === 'ours-q8' ? 'q8' : undefined);
      return typeof m === 'string' ? m : { encode: m.encode, backend: m.backend, close: m.close };
    }
    case 'tfnode': {
      if (!hasPackage('@tensorflow/tfjs-node')) return "@tensorflow/tfjs-node is not installed: device 'tensorflow' skipped";
      const m = await loadOurs(cfg.modelDir, 'tensorflow');
      return typeof m === 'string' ? m : { encode: m.encode, backend: m.backend, close: m.close };
    }
    case 'ours-pool':
    case 'ours-pool-relaxed':
    case 'ours-pool-q8': {
      if (cfg.sparse) return 'the pool encodes dense embeddings only (SentenceTransformer)';
      const m = await loadOursPool(cfg.modelDir, POOL_WORKERS, cfg.kind === 'ours-pool-q8' ? 'q8' : undefined);
      if (typeof m === 'string') return m;
      return { encode: m.encode, encodeMany: m.encodeMany, close: m.close, backend: `wasm x${POOL_WORKERS} workers (${kernels()})` };
    }
    case 'tjs':
    case 'tjs-q8':
      return { encode: await loadTransformersJs(cfg.modelDir, cfg.kind === 'tjs-q8' ? 'q8' : 'fp32'), backend: 'onnxruntime-node (transformers.js default threads)' };
    case 'ort1':
      return { encode: await loadOrt(cfg.modelDir, cfg.maxSeqLength, 1), backend: 'onnxruntime-node cpu' };
    case 'ort2':
      return { encode: await loadOrt(cfg.modelDir, cfg.maxSeqLength, 2), backend: 'onnxruntime-node cpu' };
    default:
      return `bench-child runs Node-side runtimes only, got ${JSON.stringify(cfg.kind)}`;
  }
}

const reply = (r: ChildReply): void => {
  writeSync(3, JSON.stringify(r) + '\n');
};

async function main(): Promise<void> {
  const [configPath] = process.argv.slice(2);
  if (!configPath) throw new Error('usage: bench-child.ts <config.json>');
  const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as ChildConfig;
  const t0 = performance.now();
  const loaded = await load(cfg);
  const loadMs = performance.now() - t0;
  if (typeof loaded === 'string') {
    reply({ type: 'ready', loadMs, skipped: loaded, node: process.version, notes: [] });
    reply({ type: 'bye', peakRssMB: peakRssMB() });
    return;
  }
  reply({ type: 'ready', loadMs, backend: loaded.backend, node: process.version, notes: loaded.notes ?? [] });
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line) as ChildCommand;
    try {
      if (cmd.type === 'exit') break;
      if (cmd.type === 'ceiling') {
        const c = await matmulCeiling();
        reply({ type: 'ceiling', gflops: c.gflops, shape: c.shape });
        continue;
      }
      const texts = cmd.batches.map((b) => b.texts);
      const latMs: number[] = [];
      let outs: Float32Array[][];
      const start = performance.now();
      if (loaded.encodeMany) {
        outs = await loaded.encodeMany(texts);
      } else {
        outs = [];
        for (const t of texts) {
          const s = performance.now();
          outs.push(await loaded.encode(t));
          latMs.push(performance.now() - s);
        }
      }
      const totalMs = performance.now() - start;
      outs.forEach((o, k) => {
        if (o.length !== texts[k]!.length) throw new Error(`${cfg.kind}: ${texts[k]!.length} texts in, ${o.length} embeddings out`);
      });
      if (cmd.embPath) writeEmbeddings(cmd.embPath, cmd.batches.flatMap((b) => b.indices), outs.flat());
      reply({ type: 'ran', totalMs, latMs });
    } catch (e) {
      reply({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
  await loaded.close?.();
  reply({ type: 'bye', peakRssMB: peakRssMB() });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    try {
      reply({ type: 'error', message });
    } catch {
      // fd 3 closed: the parent is gone
    }
    console.error(message);
    process.exit(1);
  },
);

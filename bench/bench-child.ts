/**
 * One runtime of `npm run bench`, in its own process (so that its peak RSS is its own):
 * `node --import tsx bench/bench-child.ts <config.json> <result.json>`.
 *
 * Loads the runtime (timed: load time), then for every workload and batch size encodes the workload's texts in
 * sentence-transformers' order (longest first) in batches, one warm-up batch untimed, and records the latency of
 * every batch. Writes a {@link ChildResult} and, per workload, the embeddings for the agreement check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  type Cell,
  type ChildConfig,
  type ChildResult,
  encoderFlops,
  type EncoderDims,
  peakRssMB,
  percentile,
  relaxedSimdAvailable,
  RUNTIME_LABELS,
  writeEmbeddings,
} from './bench-common.js';
import { batches, lengthSortedOrder, makeWorkload, spreadOrder, type WorkloadName } from './bench-workloads.js';
import { type BatchEncoder, loadOrt, loadTransformersJs } from './bench-peers.js';
import { loadOurs, loadOursPool, matmulCeiling } from './bench-ours.js';
import { groupByLength } from '../src/modules/tokenized_batch.js';

interface Loaded {
  encode: BatchEncoder;
  /** Texts per timed call (the pool takes several batches per call); defaults to the batch size. */
  textsPerCall?: (batchSize: number) => number;
  /** Batch sizes this runtime is measured at (the pool: 32 only). */
  batchSizes?: number[];
  close?: () => Promise<void>;
  backend?: string;
  notes?: string[];
}

function encoderDims(modelDir: string): EncoderDims {
  const c = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, number>;
  return { layers: c['num_hidden_layers']!, hidden: c['hidden_size']!, intermediate: c['intermediate_size']! };
}

function hasPackage(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

async function load(cfg: ChildConfig): Promise<Loaded | string> {
  switch (cfg.runtime) {
    case 'ours':
    case 'ours-relaxed': {
      const m = await loadOurs(cfg.modelDir, 'wasm');
      return { encode: m.encode, backend: m.backend, close: m.close };
    }
    case 'tfnode': {
      if (!hasPackage('@tensorflow/tfjs-node')) return "@tensorflow/tfjs-node is not installed: device 'tensorflow' skipped";
      const m = await loadOurs(cfg.modelDir, 'tensorflow');
      return { encode: m.encode, backend: m.backend, close: m.close };
    }
    case 'ours-pool':
    case 'ours-pool-relaxed': {
      const m = await loadOursPool(cfg.modelDir, 2);
      return { encode: m.encode, close: m.close, backend: `wasm x2 workers (${relaxedSimdAvailable() ? 'relaxed-simd' : 'simd'} kernels)`, batchSizes: [32], textsPerCall: (b) => 8 * b };
    }
    case 'tjs':
      return { encode: await loadTransformersJs(cfg.modelDir), backend: 'onnxruntime-node (transformers.js default threads)' };
    case 'ort1':
      return { encode: await loadOrt(cfg.modelDir, cfg.maxSeqLength, 1), backend: 'onnxruntime-node cpu' };
    case 'ort2':
      return { encode: await loadOrt(cfg.modelDir, cfg.maxSeqLength, 2), backend: 'onnxruntime-node cpu' };
  }
}

async function main(): Promise<void> {
  const [configPath, resultPath] = process.argv.slice(2);
  if (!configPath || !resultPath) throw new Error('usage: bench-child.ts <config.json> <result.json>');
  const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as ChildConfig;
  const result: ChildResult = { runtime: cfg.runtime, label: RUNTIME_LABELS[cfg.runtime], loadMs: 0, peakRssMB: 0, cells: [], notes: [] };
  const t0 = performance.now();
  const loaded = await load(cfg);
  result.loadMs = performance.now() - t0;
  if (typeof loaded === 'string') {
    result.skipped = loaded;
    writeFileSync(resultPath, JSON.stringify(result));
    return;
  }
  result.backend = loaded.backend;
  result.notes.push(...(loaded.notes ?? []));
  const dims = encoderDims(cfg.modelDir);

  for (const name of cfg.workloads) {
    const texts = makeWorkload(name as WorkloadName, cfg.quick).texts;
    const counts = cfg.tokenCounts[name]!;
    const order = lengthSortedOrder(texts);
    const embeddings = new Map<number, Float32Array>();
    const wanted = name === 'passages' ? cfg.passageBatchSizes : cfg.batchSizes;
    const sizes = loaded.batchSizes ? wanted.filter((b) => loaded.batchSizes!.includes(b)) : wanted;
    for (const batchSize of sizes) {
      const perCall = loaded.textsPerCall?.(batchSize) ?? batchSize;
      const inOrder = batches(order, perCall);
      // With a time budget, visit the batches spread over the length range (same sequence for every runtime).
      const calls = cfg.budgetSec > 0 ? spreadOrder(inOrder.length).map((k) => inOrder[k]!) : inOrder;
      await loaded.encode(inOrder[inOrder.length >> 1]!.map((i) => texts[i]!)); // warm-up (a median-length batch), untimed
      const lat: number[] = [];
      let nTexts = 0;
      let nTokens = 0;
      let flops = 0;
      const splitsBatches = cfg.runtime.startsWith('ours') || cfg.runtime === 'tfnode';
      const start = performance.now();
      for (const call of calls) {
        const t = performance.now();
        const out = await loaded.encode(call.map((i) => texts[i]!));
        lat.push(performance.now() - t);
        if (out.length !== call.length) throw new Error(`${cfg.runtime}: ${call.length} texts in, ${out.length} embeddings out`);
        call.forEach((i, k) => {
          if (!embeddings.has(i)) embeddings.set(i, out[k]!);
        });
        nTexts += call.length;
        for (const b of batches(call, batchSize)) {
          const lens = b.map((i) => counts[i]!);
          nTokens += lens.reduce((a, c) => a + c, 0);
          const longest = Math.max(...lens);
          if (splitsBatches) {
            // Ours runs each batch as sub-batches of similar lengths (splitByPadding): count the work it does.
            for (const g of groupByLength(lens, longest)) flops += encoderFlops(dims, g.length, Math.max(...g.map((k) => lens[k]!)));
          } else {
            flops += encoderFlops(dims, b.length, longest);
          }
        }
        if (cfg.budgetSec > 0 && performance.now() - start > cfg.budgetSec * 1000) break;
      }
      const cell: Cell = {
        workload: name,
        batchSize,
        texts: nTexts,
        tokens: nTokens,
        flops,
        totalMs: lat.reduce((a, c) => a + c, 0),
        p50Ms: percentile(lat, 50),
        p95Ms: percentile(lat, 95),
      };
      result.cells.push(cell);
      process.stderr.write(`  ${cfg.runtime} ${name} b${batchSize}: ${nTexts} texts in ${(cell.totalMs / 1000).toFixed(1)} s\n`);
    }
    const idx = [...embeddings.keys()].sort((a, b) => a - b);
    writeEmbeddings(join(cfg.embeddingsDir, `${cfg.runtime}-${name}.bin`), idx, idx.map((i) => embeddings.get(i)!));
  }
  if (cfg.matmulCeiling) {
    const c = await matmulCeiling();
    result.matmulGflops = c.gflops;
    result.matmulShape = c.shape;
  }
  await loaded.close?.();
  result.peakRssMB = peakRssMB();
  writeFileSync(resultPath, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);

/**
 * Queries at batch 1, old kernels vs new, in one process:
 * `npx tsx scripts/bench-queries.ts --old OLD_BINARY.ts [--models DIR,DIR] [--rounds 5] [--texts 64]`.
 *
 * OLD_BINARY.ts is an earlier src/kernels/wasm_kernels_binary.ts (e.g. `git show main:src/kernels/wasm_kernels_binary.ts
 * > /tmp/old_binary.ts`); the committed build is "new". Per model (a SentenceTransformer directory, MiniLM-like or
 * MPNet), on wasm:
 * 1. the kernel calls of one 10-token query, model forward only and the whole `encode` (tf.profile);
 * 2. rounds alternating old / new (the order flips each round): each round measures the matMul ceiling as
 *    `npm run bench` does (bench/bench-ours.ts matmulCeiling, with that round's kernels), then encodes `--texts`
 *    queries of bench's `queries` workload one at a time (batch 1, normalized, as the bench's queries:1 cell), and
 *    reports encoder GFLOP/s (bench-common's count) and % of the ceiling. Medians over rounds, and new / old.
 * Also a GEMM-only column: the dense kernel alone at the query's M (up and down projections).
 * Each speed is given in wall time (as the bench) and in CPU time of this process (the ceiling too), steadier on a
 * shared machine. Prints markdown. On a shared machine the ratio (one alternating run) is what means something.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { installWasmKernels, linearKernel, wasmKernelsFlavor } from '../src/kernels/index.js';
import { swapWasmKernelBinary } from '../src/kernels/wasm_kernels.js';
import { encoderFlops } from '../bench/bench-common.js';
import { matmulCeiling } from '../bench/bench-ours.js';
import { makeWorkload } from '../bench/bench-workloads.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b); // spread-ok: a few rounds
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function oldBytes(path: string): Promise<Uint8Array> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, string>;
  const relaxed = wasmKernelsFlavor() === 'relaxed-simd';
  const b64 = relaxed ? mod.KERNELS_WASM_RELAXED_BASE64 : mod.KERNELS_WASM_BASE64;
  if (!b64) throw new Error(`--old: ${path} has no ${relaxed ? 'KERNELS_WASM_RELAXED_BASE64' : 'KERNELS_WASM_BASE64'}`);
  return Uint8Array.from(Buffer.from(b64, 'base64'));
}

function kernelCounts(kernels: { name: string }[]): { total: number; top: string } {
  const real = kernels.filter((k) => !k.name.endsWith('__op'));
  const by = new Map<string, number>();
  for (const k of real) by.set(k.name, (by.get(k.name) ?? 0) + 1);
  const top = [...by].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${c}`).join(', ');
  return { total: real.length, top };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

/**
 * matmulCeiling's shapes through the dense kernel, timed in CPU time of this process (steadier than wall time on a
 * shared machine): best of the medians of 5, GFLOP/s.
 */
async function denseCeilingCpu(): Promise<number> {
  let best = 0;
  for (const [m, k, n] of [[1024, 384, 1536], [1024, 1536, 384], [1024, 1024, 1024]] as const) {
    const a = tf.randomNormal([m, k]) as tf.Tensor2D;
    const b = tf.randomNormal([k, n]) as tf.Tensor2D;
    linearKernel(a, b)!.dispose();
    const ms: number[] = [];
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      const c = linearKernel(a, b)!;
      await c.data();
      ms.push(cpuMs(c0));
      c.dispose();
    }
    tf.dispose([a, b]);
    best = Math.max(best, (2 * m * k * n) / (median(ms) * 1e6));
  }
  return best;
}

async function main(): Promise<void> {
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve('..', 'shared', 'fixtures');
  const models = arg('--models', join(fixtures, 'models', 'minilm-l6-full')).split(',');
  const rounds = Number(arg('--rounds', '5'));
  const nTexts = Number(arg('--texts', '64'));
  const oldPath = arg('--old', '');
  await initBackend('wasm');
  await installWasmKernels();
  const old = oldPath ? await oldBytes(oldPath) : undefined;
  const variants: [string, Uint8Array | undefined][] = old ? [['old', old], ['new', undefined]] : [['new', undefined]];
  console.log(`# queries at batch 1 on wasm (${wasmKernelsFlavor()} kernels), ${rounds} alternating rounds of ${nTexts} queries; measured under load\n`);
  const texts = makeWorkload('queries').texts.slice(0, nTexts);

  for (const dir of models) {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
    const dims = { layers: cfg.num_hidden_layers!, hidden: cfg.hidden_size!, intermediate: cfg.intermediate_size! };
    const model = await SentenceTransformer.load(dir, { device: 'wasm' });
    const lens = texts.map((t) => model.tokenize([t]).seqLength);
    const flops = lens.reduce((a, l) => a + encoderFlops(dims, 1, l), 0);
    console.log(`## ${dir.split('/').pop()} (${dims.layers} layers, H ${dims.hidden}, I ${dims.intermediate}); query tokens ${Math.min(...lens)}-${Math.max(...lens)}, mean ${(lens.reduce((a, b) => a + b, 0) / lens.length).toFixed(1)}\n`); // spread-ok: --texts entries

    // Kernel calls of one ~10-token query.
    const q = texts[lens.findIndex((l) => l >= 10)] ?? texts[0]!;
    const batch = model.tokenize([q]);
    const prof = await tf.profile(() => {
      const f = model.forward(batch);
      const out = f.sentenceEmbedding as tf.Tensor;
      tf.dispose(Object.values(f).filter((t) => t instanceof tf.Tensor && t !== out) as tf.Tensor[]);
      return out;
    });
    const fwd = kernelCounts(prof.kernels);
    tf.dispose(prof.result as tf.Tensor);
    const prof2 = await tf.profile(async () => {
      await model.encode([q], { normalizeEmbeddings: true });
      return [] as tf.Tensor[];
    });
    const enc = kernelCounts(prof2.kernels);
    console.log(`kernel calls, one ${batch.seqLength}-token query: pipeline forward ${fwd.total} (${fwd.top}); whole encode() ${enc.total}\n`);

    // GEMM alone at the query's rows (the FFN up projection).
    const m = batch.seqLength;
    const a = tf.randomNormal([m, dims.hidden]) as tf.Tensor2D;
    const w = tf.randomNormal([dims.hidden, dims.intermediate]) as tf.Tensor2D;
    const w2 = tf.randomNormal([dims.intermediate, dims.hidden]) as tf.Tensor2D;
    const a2 = tf.randomNormal([m, dims.intermediate]) as tf.Tensor2D;
    linearKernel(a, w)!.dispose();
    linearKernel(a2, w2)!.dispose();

    const res = new Map<string, Record<'ceil' | 'ceilCpu' | 'gflops' | 'gflopsCpu' | 'gemm', number[]>>(
      variants.map(([n]) => [n, { ceil: [], ceilCpu: [], gflops: [], gflopsCpu: [], gemm: [] }]),
    );
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...variants].reverse() : variants; // spread-ok: two variants
      for (const [name, bytes] of order) {
        await swapWasmKernelBinary(bytes);
        const e = res.get(name)!;
        e.ceil.push((await matmulCeiling()).gflops);
        e.ceilCpu.push(await denseCeilingCpu());
        // GEMM: up then down projection, 200 times; GFLOP/s of CPU time.
        const reps = 200;
        let c0 = process.cpuUsage();
        for (let i = 0; i < reps; i++) {
          linearKernel(a, w)!.dispose();
          linearKernel(a2, w2)!.dispose();
        }
        e.gemm.push((reps * 4 * m * dims.hidden * dims.intermediate) / (cpuMs(c0) * 1e6));
        for (const t of texts.slice(0, 4)) await model.encode([t], { normalizeEmbeddings: true }); // warm-up
        const t0 = performance.now();
        c0 = process.cpuUsage();
        for (const t of texts) await model.encode([t], { normalizeEmbeddings: true });
        e.gflopsCpu.push(flops / (cpuMs(c0) * 1e6));
        e.gflops.push(flops / ((performance.now() - t0) * 1e6));
      }
    }
    tf.dispose([a, w, w2, a2]);
    console.log(`| kernels | ceiling GFLOP/s wall / CPU | queries:1 GFLOP/s wall / CPU | % of own ceiling wall / CPU | GEMM at M ${m} GFLOP/s (CPU) |`);
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [name] of variants) {
      const e = res.get(name)!;
      const pct = (g: number[], c: number[]) => median(g.map((x, i) => (100 * x) / c[i]!)).toFixed(1);
      console.log(
        `| ${name} | ${median(e.ceil).toFixed(1)} / ${median(e.ceilCpu).toFixed(1)} | ${median(e.gflops).toFixed(2)} / ${median(e.gflopsCpu).toFixed(2)} | ${pct(e.gflops, e.ceil)} / ${pct(e.gflopsCpu, e.ceilCpu)} | ${median(e.gemm).toFixed(1)} |`,
      );
    }
    if (old) {
      const o = res.get('old')!;
      const n = res.get('new')!;
      const ratio = (k: 'gflops' | 'gflopsCpu') => n[k].map((g, i) => g / o[k][i]!);
      const show = (xs: number[]) => `${median(xs).toFixed(3)} (rounds ${xs.map((x) => x.toFixed(2)).join(', ')})`;
      console.log(`\nnew / old queries:1 throughput, median of per-round ratios: wall ${show(ratio('gflops'))}; CPU ${show(ratio('gflopsCpu'))}; GEMM ${(median(n.gemm) / median(o.gemm)).toFixed(3)}\n`);
    }
    await swapWasmKernelBinary();
    model.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});

/**
 * Speed, load time, disk size and peak RSS of the int8 path (`dtype: 'q8'`) against fp32, on the wasm backend,
 * one worker (this process), minilm-l6-full (issue 17). Run it under the Node version to measure
 * (`npx -y node@22 --import tsx scripts/q8-bench.ts` for relaxed SIMD; Node 20 runs the plain-SIMD kernels).
 *
 *   npx tsx scripts/q8-bench.ts [--model DIR] [--rounds 3] [--texts 600] [--q8-all DIR] [--gemm-only | --no-gemm]
 *
 * `--q8-all DIR`: a folder written by `quantize` format version 1 (every linear layer int8, as before the attention
 * output projections stayed float32), added to the alternating rounds and the RSS table as "q8, all linears int8".
 *
 * 1. GEMM microbenchmark: the fp32 dense kernel vs the int8 one (activation quantization included) on MiniLM's
 *    shapes at 1024 rows (batch 32 x 32 tokens), GFLOP/s = 2 M K N / time.
 * 2. sentences/s: the same seeded texts (5-40 words), batch 32, fp32 and q8 alternating, `rounds` rounds each.
 * 3. load time and size on disk: fp32 (the folder as given), q8 quantized at load, q8 from a folder written by
 *    `sentence-tfjs quantize` (made in a temp folder).
 * 4. peak RSS (maxRSS of a child process that loads the model and encodes the texts once), per variant, and of a
 *    child that only starts the wasm backend (the baseline that no model choice changes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, SentenceTransformer, wasmKernelsFlavor } from '../src/index.js';
import { dense } from '../src/kernels/ops.js';
import { denseQ8Kernel } from '../src/kernels/q8.js';
import { Q8LinearWeight } from '../src/weights/q8.js';
import { q8Texts } from './q8-texts.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const MODEL = opt('--model', join(import.meta.dirname, '../../shared/fixtures/models/minilm-l6-full'));
const ROUNDS = Number(opt('--rounds', '3'));
const NTEXTS = Number(opt('--texts', '600'));
const Q8_ALL = opt('--q8-all', '');

/** Bytes of a model folder (without an `onnx/` subfolder, which sentence-tfjs does not read). */
function dirBytes(dir: string): number {
  let s = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name === 'onnx') continue;
    s += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  }
  return s;
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function gemmBench(): Promise<string[]> {
  const lines = ['| GEMM (M=1024) | fp32 GFLOP/s | int8 GFLOP/s | ratio |', '| --- | ---: | ---: | ---: |'];
  const m = 1024;
  for (const [k, n] of [[384, 384], [384, 1536], [1536, 384], [384, 1152]]) {
    const wf = new Float32Array(k * n).map(() => Math.random() - 0.5);
    const wt = tf.tensor2d(wf, [k, n]); // [in, out]
    const q = Q8LinearWeight.quantize(tf.transpose(wt).dataSync() as Float32Array, n, k);
    const x = tf.randomNormal([m, k]) as tf.Tensor2D;
    const b = tf.zeros([n]) as tf.Tensor1D;
    const time = (f: () => tf.Tensor): number => {
      f().dispose(); // warm (packs the weight)
      const ts: number[] = [];
      for (let r = 0; r < 7; r++) {
        const t0 = performance.now();
        const y = f();
        y.dataSync();
        ts.push(performance.now() - t0);
        y.dispose();
      }
      return median(ts);
    };
    const tF: number[] = [];
    const tQ: number[] = [];
    for (let r = 0; r < 3; r++) {
      tF.push(time(() => dense(x, wt, b)));
      tQ.push(time(() => denseQ8Kernel(x, [q], b)!));
    }
    const gf = (2 * m * k * n) / (median(tF) * 1e6);
    const gq = (2 * m * k * n) / (median(tQ) * 1e6);
    lines.push(`| K=${k}, N=${n} | ${gf.toFixed(1)} | ${gq.toFixed(1)} | ${(gq / gf).toFixed(2)}x |`);
    tf.dispose([wt, x, b]);
    q.dispose();
  }
  return lines;
}

async function child(mode: string, dir: string): Promise<void> {
  await initBackend('wasm', { fallbackToCpu: false });
  if (mode === 'none') {
    console.log(JSON.stringify({ load: 0, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  const t0 = performance.now();
  const model = await SentenceTransformer.load(dir, mode === 'fp32' ? {} : { dtype: 'q8' });
  const load = performance.now() - t0;
  await model.encode(q8Texts(NTEXTS), { batchSize: 32 });
  console.log(JSON.stringify({ load, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1], args[2]);
  await initBackend('wasm', { fallbackToCpu: false });
  const out: string[] = [`node ${process.version}, wasm kernels: ${wasmKernelsFlavor()}, model ${MODEL}`, ''];
  if (!args.includes('--no-gemm')) out.push(...(await gemmBench()), '');
  console.error(out.join('\n'));
  if (args.includes('--gemm-only')) return;

  const qdir = mkdtempSync(join(tmpdir(), 'q8-bench-'));
  try {
    const tmpModel = await SentenceTransformer.load(MODEL, { dtype: 'q8' });
    await tmpModel.save(qdir);
    tmpModel.dispose();
    const data = q8Texts(NTEXTS);
    const fp = await SentenceTransformer.load(MODEL);
    const q8 = await SentenceTransformer.load(MODEL, { dtype: 'q8' });
    const q8all = Q8_ALL ? await SentenceTransformer.load(Q8_ALL) : undefined;
    await fp.encode(data.slice(0, 64), { batchSize: 32 });
    await q8.encode(data.slice(0, 64), { batchSize: 32 });
    if (q8all) await q8all.encode(data.slice(0, 64), { batchSize: 32 });
    const rf: number[] = [];
    const rq: number[] = [];
    const ra: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [m, acc] of [[fp, rf], [q8, rq], ...(q8all ? [[q8all, ra]] : [])] as [SentenceTransformer, number[]][]) {
        const t0 = performance.now();
        await m.encode(data, { batchSize: 32 });
        acc.push(data.length / ((performance.now() - t0) / 1000));
      }
    }
    fp.dispose();
    q8.dispose();
    q8all?.dispose();
    out.push(`sentences/s (${NTEXTS} texts of 5-40 words, batch 32, one worker, ${ROUNDS} alternating rounds; median [all]):`);
    out.push(`  fp32 ${median(rf).toFixed(1)} [${rf.map((v) => v.toFixed(1)).join(', ')}]`);
    out.push(`  q8   ${median(rq).toFixed(1)} [${rq.map((v) => v.toFixed(1)).join(', ')}]  -> ${(median(rq) / median(rf)).toFixed(2)}x`);
    if (q8all) out.push(`  q8, all linears int8 ${median(ra).toFixed(1)} [${ra.map((v) => v.toFixed(1)).join(', ')}]  -> ${(median(ra) / median(rf)).toFixed(2)}x`);
    out.push('');
    console.error(out.slice(-5).join('\n'));

    out.push('| variant | model.safetensors | folder (no onnx/) | load (ms) | peak RSS (MB), load + encode |', '| --- | ---: | ---: | ---: | ---: |');
    const base = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', 'none', MODEL], { encoding: 'utf8', maxBuffer: 1 << 26 });
    out.push(`baseline (wasm backend started, no model): peak RSS ${(JSON.parse(base.stdout.trim().split('\n').pop() ?? '{}') as { maxRssMB: number }).maxRssMB.toFixed(0)} MB`, '');
    const variants: [string, string, string][] = [['fp32', 'fp32', MODEL], ['q8 (quantized at load)', 'q8', MODEL], ['q8 (saved by quantize)', 'q8', qdir]];
    if (Q8_ALL) variants.push(['q8, all linears int8 (quantize v1 folder)', 'q8', Q8_ALL]);
    for (const [label, mode, dir] of variants) {
      const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', mode, dir, '--texts', String(NTEXTS)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('{')) throw new Error(`child ${label} failed (status ${r.status}, ${r.error?.message ?? ''}): ${r.stderr.slice(-2000)}`);
      const { load, maxRssMB } = JSON.parse(line) as { load: number; maxRssMB: number };
      const size = dirBytes(dir) / 1e6;
      const weights = statSync(join(dir, 'model.safetensors')).size / 1e6;
      out.push(`| ${label} | ${weights.toFixed(1)} MB | ${size.toFixed(1)} MB | ${load.toFixed(0)} | ${maxRssMB.toFixed(0)} |`);
      console.error(out[out.length - 1]);
    }
  } finally {
    rmSync(qdir, { recursive: true, force: true });
  }
  console.log(out.join('\n'));
}

await main();

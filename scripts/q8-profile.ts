/**
 * Where a q8 encode's time goes (issue 17, Amdahl once the int8 GEMM got faster): minilm-l6-full loaded with
 * `dtype: 'q8'`, the seeded sentences of scripts/q8-bench.ts (5-40 words) at batch 32, one worker, wasm.
 *
 *   npx -y node@24 --import tsx scripts/q8-profile.ts [--texts 256] [--model DIR] [--passages]
 *
 * `--passages`: the bench's passages workload instead (bench/bench-workloads.ts, 150-250 words, truncated to 256
 * tokens; --texts of them, 64 by default).
 *
 * After a warm-up encode (compile tier-up, the int8 GEMM's calibration), one encode under tf.profile: kernel time
 * summed per kernel name (the int8 dense kernel includes its activation quantization), and the rest of the encode's
 * wall time (tokenization, padding, pooling in JS, tfjs dispatch) as "outside kernels". Then the same encode
 * without the profiler, for the unprofiled total.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, SentenceTransformer, wasmKernelsFlavor } from '../src/index.js';
import { q8GemmChoice } from '../src/kernels/wasm_kernels.js';
import { makeWorkload } from '../bench/bench-workloads.js';
import { q8Texts } from './q8-texts.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const MODEL = opt('--model', join(import.meta.dirname, '../../shared/fixtures/models/minilm-l6-full'));
const PASSAGES = args.includes('--passages');
const NTEXTS = Number(opt('--texts', PASSAGES ? '64' : '256'));

await initBackend('wasm', { fallbackToCpu: false });
const model = await SentenceTransformer.load(MODEL, { dtype: 'q8' });
const data = PASSAGES ? makeWorkload('passages').texts.slice(0, NTEXTS) : q8Texts(NTEXTS);
await model.encode(data, { batchSize: 32 });
let wall = 0;
const info = await tf.profile(async () => {
  const t0 = performance.now();
  await model.encode(data, { batchSize: 32 });
  wall = performance.now() - t0;
});
const t0 = performance.now();
await model.encode(data, { batchSize: 32 });
const plain = performance.now() - t0;
model.dispose();

const perKernel = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const e = perKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  perKernel.set(k.name, e);
}
const inKernels = [...perKernel.values()].reduce((a, e) => a + e.ms, 0);
console.log(`node ${process.version}, ${wasmKernelsFlavor()}, int8 GEMM ${q8GemmChoice()}, q8 minilm-l6-full, ${NTEXTS} ${PASSAGES ? 'passages' : 'texts'}, batch 32`);
console.log(`encode: ${plain.toFixed(0)} ms unprofiled (${(NTEXTS / (plain / 1000)).toFixed(1)} sentences/s); ${wall.toFixed(0)} ms under the profiler`);
console.log('| kernel | calls | ms | share of profiled encode |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, e] of [...perKernel.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
  if (e.ms / wall < 0.002) continue;
  console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / wall).toFixed(1)}% |`);
}
console.log(`| (other kernels, each < 0.2%) | | ${([...perKernel.values()].filter((e) => e.ms / wall < 0.002).reduce((a, e) => a + e.ms, 0)).toFixed(1)} | |`);
console.log(`| outside kernels (tokenize, pad, JS, dispatch) | | ${(wall - inKernels).toFixed(1)} | ${((100 * (wall - inKernels)) / wall).toFixed(1)}% |`);

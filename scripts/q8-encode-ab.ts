/**
 * q8 encode, old kernels vs the committed ones, alternating in one process (issue 17): minilm-l6-full loaded with
 * `dtype: 'q8'`, the same seeded sentences (5-40 words) at batch 32, one worker. Each slice swaps the kernel
 * binary in, warms it (64 texts: compile tier-up and the int8 GEMM's calibration), then times one encode of all
 * texts; sentences per CPU-second (process.cpuUsage, less disturbed by other processes) and per wall second.
 * The embeddings of both builds are compared bit for bit first.
 *
 *   npx -y node@22 --import tsx scripts/q8-encode-ab.ts --old /tmp/old [--rounds 4] [--texts 600] [--model DIR]
 *
 * `--dtype fp32` runs the float model instead (the int8 GEMM then does not run); `--gemm dot|pairs` makes both
 * builds run that int8 GEMM (an A/B of other kernels, e.g. GELU, with the GEMM held fixed).
 * `--old PREFIX` reads PREFIX-relaxed.wasm or PREFIX-simd.wasm (whichever flavor this runtime runs), built from
 * an older kernels.c as in scripts/q8-gemm-bench.ts; the old build runs its only int8 GEMM (q8_gemm).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, SentenceTransformer, wasmKernelsFlavor } from '../src/index.js';
import { q8GemmChoice, setQ8GemmVariant, swapWasmKernelBinary } from '../src/kernels/wasm_kernels.js';
import { q8Texts } from './q8-texts.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const MODEL = opt('--model', join(import.meta.dirname, '../../shared/fixtures/models/minilm-l6-full'));
const ROUNDS = Number(opt('--rounds', '4'));
const NTEXTS = Number(opt('--texts', '600'));
const OLD = opt('--old', '');
const DTYPE = opt('--dtype', 'q8') as 'q8' | 'fp32';
const GEMM = opt('--gemm', '') as '' | 'dot' | 'pairs';
if (!OLD) throw new Error('q8-encode-ab: --old PREFIX is required (PREFIX-relaxed.wasm / PREFIX-simd.wasm)');

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

await initBackend('wasm', { fallbackToCpu: false });
const flavor = wasmKernelsFlavor();
const oldBytes = new Uint8Array(readFileSync(`${OLD}-${flavor === 'relaxed-simd' ? 'relaxed' : 'simd'}.wasm`));
const model = await SentenceTransformer.load(MODEL, { dtype: DTYPE });
const data = q8Texts(NTEXTS);

const builds: [string, Uint8Array | undefined, 'dot' | 'pairs' | 'auto'][] = [
  ['old', oldBytes, GEMM || 'dot'],
  ['new', undefined, GEMM || 'auto'],
];
const use = async (bytes: Uint8Array | undefined, v: 'dot' | 'pairs' | 'auto'): Promise<void> => {
  setQ8GemmVariant(v);
  await swapWasmKernelBinary(bytes);
  await model.encode(data.slice(0, 64), { batchSize: 32 });
};
const embeddings: Float32Array[][] = [];
for (const [, bytes, v] of builds) {
  await use(bytes, v);
  embeddings.push(await model.encode(data.slice(0, 96), { batchSize: 32 }));
}
const same = embeddings[0].every((e, t) => e.length === embeddings[1][t].length && e.every((x, i) => Object.is(x, embeddings[1][t][i])));
let maxDiff = 0;
for (const [t, e] of embeddings[0].entries()) for (const [i, x] of e.entries()) maxDiff = Math.max(maxDiff, Math.abs(x - embeddings[1][t][i]));
const perCpu: number[][] = builds.map(() => []);
const perWall: number[][] = builds.map(() => []);
let choice = '';
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, [, bytes, v]] of builds.entries()) {
    await use(bytes, v);
    if (i === 1) choice = v === 'auto' ? q8GemmChoice() : v;
    const c0 = cpuS();
    const t0 = performance.now();
    await model.encode(data, { batchSize: 32 });
    perWall[i].push(data.length / ((performance.now() - t0) / 1000));
    perCpu[i].push(data.length / (cpuS() - c0));
  }
}
model.dispose();
const fmt = (a: number[]): string => `${median(a).toFixed(1)} [${a.map((v) => v.toFixed(1)).join(', ')}]`;
console.log(`node ${process.version} (V8 ${process.versions.v8}), ${flavor}, ${DTYPE} minilm-l6-full, ${NTEXTS} texts, batch 32, ${ROUNDS} alternating rounds`);
console.log(`embeddings old vs new bit-identical: ${same} (max abs diff ${maxDiff.toExponential(2)}); new int8 GEMM: ${choice}`);
for (const [i, [label]] of builds.entries()) console.log(`${label}: sentences/CPU-s ${fmt(perCpu[i])}; sentences/s wall ${fmt(perWall[i])}`);
console.log(`new / old (CPU time, medians): ${(median(perCpu[1]) / median(perCpu[0])).toFixed(2)}x`);

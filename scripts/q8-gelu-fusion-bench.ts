/**
 * GELU fused into the int8 dense call (denseQ8Gelu) vs gelu(denseQ8(...)), alternating in one process, median CPU ms
 * per call on [512, 384] x [384 -> 1536] (a MiniLM intermediate block at 512 rows): `npx tsx scripts/q8-gelu-fusion-bench.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { denseQ8, gelu, installWasmKernels } from '../src/kernels/index.js';
import { denseQ8Gelu } from '../src/kernels/ops.js';
import { Q8LinearWeight } from '../src/weights/index.js';
await initBackend('wasm');
await installWasmKernels();
const [m, k, n] = [512, 384, 1536];
const w = Q8LinearWeight.quantize(Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.37)), n, k);
const x = tf.tensor2d(Float32Array.from({ length: m * k }, (_, i) => Math.cos(i * 0.11) * 2), [m, k]);
const b = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5));
const time = (f: () => tf.Tensor) => { const c = process.cpuUsage(); for (let i = 0; i < 5; i++) f().dispose(); const u = process.cpuUsage(c); return (u.user + u.system) / 5000; };
const sep = () => tf.tidy(() => gelu(denseQ8(x, w, b)));
const fus = () => denseQ8Gelu(x, w, b);
for (let i = 0; i < 30; i++) { sep().dispose(); fus().dispose(); }
const A: number[] = [], B: number[] = [];
for (let r = 0; r < 12; r++) { A.push(time(sep)); B.push(time(fus)); }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
console.log(`separate ${med(A).toFixed(3)} ms [${Math.min(...A).toFixed(2)}-${Math.max(...A).toFixed(2)}]  fused ${med(B).toFixed(3)} ms [${Math.min(...B).toFixed(2)}-${Math.max(...B).toFixed(2)}]  ratio ${(med(B) / med(A)).toFixed(3)}`);

/**
 * GELU alone (issue 17): gelu_erf of src/kernels/wasm/kernels.c on its own wasm memory, for one or more builds
 * alternating in one process (old vs new under the same load), plus an accuracy sweep against float64
 * `x * 0.5 * (1 + erf(x / sqrt 2))`.
 *
 *   npx -y node@22 --import tsx scripts/gelu-bench.ts [--build NAME=kernels.wasm ...] [--reps 7] [--ms 200]
 *
 * Builds as in scripts/q8-gemm-bench.ts (without --build: the committed relaxed build). Throughput inputs:
 * normal activations with std 1, 2 and 3 (FFN pre-activations are roughly so), 1280 x 1536 floats (MiniLM's
 * intermediate for 32 sentences x 40 tokens), in place as the encoders call it; elements per CPU-second.
 * Accuracy: every float32 in [-10, 10] step 1e-4 plus 2^20 random normals (std 3) and a sweep of [-14, -10];
 * max abs error, max error in ulps of the float64 result rounded to float32 (ulp of that float; results under 1e-37, where
 * the kernel gives about 1e-38 for a denormal, graded by abs only), and the count
 * of results that are not the correctly rounded float.
 */
import { readFileSync } from 'node:fs';
import * as bin from '../src/kernels/wasm_kernels_binary.js';

interface Ex {
  gelu_erf(x: number, out: number, n: number): void;
}

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const REPS = Number(opt('--reps', '7'));
const MS = Number(opt('--ms', '200'));

const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const builds: [string, Uint8Array][] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '--build') continue;
  const [name, file] = args[i + 1].split('=');
  builds.push([name, readFileSync(file)]);
}
if (builds.length === 0) {
  const relaxed = b64(bin.KERNELS_WASM_RELAXED_BASE64);
  builds.push(WebAssembly.validate(relaxed as BufferSource) ? ['committed relaxed', relaxed] : ['committed simd', b64(bin.KERNELS_WASM_BASE64)]);
}

const memory = new WebAssembly.Memory({ initial: 2048 }); // 128 MB
const exs = builds.map(([name, bytes]) => {
  if (!WebAssembly.validate(bytes as BufferSource)) throw new Error(`build ${name} does not validate on node ${process.version}`);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory } }).exports as unknown as Ex;
});

let seed = 42;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed + 0.5) / 4294967296;
};
const normal = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// float64 erf (W. J. Cody's rational approximations, relative error < 1e-16), enough to grade float32 results.
function erfc64(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) return 1 - erf64(x);
  if (ax < 4) {
    const P = [300.4592610201616, 451.9189537118729, 339.3208167343437, 152.9892850469404, 43.16222722205674, 7.211758250883094, 0.5641884969886701, -1.368648573827167e-7];
    const Q = [300.4592609569833, 790.9509253278980, 931.3540948506096, 638.9802644656312, 277.5854447439876, 77.00015293522947, 12.78272731962942, 1];
    let p = 0, q = 0;
    for (let i = 7; i >= 0; i--) { p = p * ax + P[i]; q = q * ax + Q[i]; }
    r = p / q;
  } else {
    const P = [-2.99610707703542174e-3, -4.94730910623250734e-2, -2.26956593539686930e-1, -2.78661308609647788e-1, -2.23192459734184686e-2];
    const Q = [1.06209230528467918e-2, 1.91308926107829841e-1, 1.05167510706793207, 1.98733201817135256, 1];
    const z = 1 / (ax * ax);
    let p = 0, q = 0;
    for (let i = 4; i >= 0; i--) { p = p * z + P[i]; q = q * z + Q[i]; }
    r = (1 / Math.sqrt(Math.PI) + z * p / q) / ax;
  }
  // exp(-x^2) split so the rounding of x^2 does not cost relative accuracy.
  const xs = Math.trunc(ax * 16) / 16;
  r *= Math.exp(-xs * xs) * Math.exp(-(ax - xs) * (ax + xs));
  return x < 0 ? 2 - r : r;
}
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 0.5) return x < 0 ? erfc64(-x) - 1 : 1 - erfc64(x);
  const P = [3209.377589138469, 377.4852376853020, 113.8641541510502, 3.161123743870566, 0.1857777061846032];
  const Q = [2844.236833439171, 1282.616526077372, 244.0246379344442, 23.60129095234412, 1];
  const z = x * x;
  let p = 0, q = 0;
  for (let i = 4; i >= 0; i--) { p = p * z + P[i]; q = q * z + Q[i]; }
  return x * p / q;
}
const gelu64 = (x: number): number => (x < 0 ? x * 0.5 * erfc64(-x / Math.SQRT2) : x * 0.5 * (1 + erf64(x / Math.SQRT2)));
function ulpOf(f: number): number {
  const a = Math.abs(Math.fround(f));
  if (a < 1.1754943508222875e-38) return 1.401298464324817e-45;
  const e = Math.floor(Math.log2(a));
  let u = Math.pow(2, e - 23);
  if (Math.pow(2, e) > a) u /= 2; // log2 rounding at powers of two
  return u;
}

// ---- accuracy ----
const sweep: number[] = [];
for (let i = -100000; i <= 100000; i++) sweep.push(Math.fround(i * 1e-4));
for (let i = 0; i <= 40000; i++) sweep.push(Math.fround(-14 + i * 1e-4));
for (let i = 0; i < 1 << 20; i++) sweep.push(Math.fround(3 * normal()));
const n = sweep.length;
const xs = new Float32Array(memory.buffer, 0, n);
const ys = new Float32Array(memory.buffer, n * 4, n);
const ref = sweep.map(gelu64);
xs.set(sweep);
let first: Float32Array | undefined;
for (const [bi, ex] of exs.entries()) {
  ex.gelu_erf(0, n * 4, n);
  let differ = 0;
  if (first) for (let i = 0; i < n; i++) differ += Object.is(first[i], ys[i]) ? 0 : 1;
  else first = ys.slice();
  let maxAbs = 0, maxUlp = 0, wrong = 0, atAbs = 0, atUlp = 0, maxUlpMid = 0, atUlpMid = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(ys[i] - ref[i]);
    if (d > maxAbs) { maxAbs = d; atAbs = xs[i]; }
    const u = Math.abs(ref[i]) < 1e-37 ? 0 : d / ulpOf(ref[i]); // results below float32's normal range: abs only
    if (u > maxUlp) { maxUlp = u; atUlp = xs[i]; }
    if (xs[i] >= -5 && u > maxUlpMid) { maxUlpMid = u; atUlpMid = xs[i]; }
    if (ys[i] !== Math.fround(ref[i])) wrong++;
  }
  console.log(`${builds[bi][0]}: ${n} inputs, max abs ${maxAbs.toExponential(3)} (x=${atAbs}), max ${maxUlp.toFixed(2)} ulp (x=${atUlp}), for x >= -5 ${maxUlpMid.toFixed(2)} ulp (x=${atUlpMid}), ${(100 * wrong / n).toFixed(2)}% not correctly rounded${bi > 0 ? `, ${differ} outputs differ from ${builds[0][0]}'s` : ''}`);
}

// ---- throughput ----
const M = 1280 * 1536;
const buf = M * 4;
for (const std of [1, 2, 3]) {
  const src = new Float32Array(M);
  for (let i = 0; i < M; i++) src[i] = std * normal();
  const work = new Float32Array(memory.buffer, 0, M);
  const times: number[][] = exs.map(() => []);
  for (let r = 0; r < REPS; r++) {
    for (const [bi, ex] of exs.entries()) {
      let calls = 0;
      const t0 = cpuMs();
      while (cpuMs() - t0 < MS) {
        work.set(src);
        ex.gelu_erf(0, 0, M);
        calls++;
      }
      times[bi].push((M * calls) / ((cpuMs() - t0) / 1000));
    }
  }
  void buf;
  for (const [bi, t] of times.entries()) {
    const s = [...t].sort((a, b) => a - b);
    console.log(`std ${std} ${builds[bi][0]}: median ${(median(t) / 1e6).toFixed(1)} M elem/CPU-s (min ${(s[0] / 1e6).toFixed(1)}, max ${(s[s.length - 1] / 1e6).toFixed(1)}) [includes a ${M}-float copy per call]`);
  }
}

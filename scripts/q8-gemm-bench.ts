/**
 * The int8 GEMM alone (issue 17): q8_gemm of src/kernels/wasm/kernels.c, called straight on its own wasm memory
 * (no tfjs, no allocation per call), beside the fp32 gemm_bias on the same shapes, for one or more builds of the
 * kernels alternating in one process (old vs new under the same load).
 *
 *   npx -y node@22 --import tsx scripts/q8-gemm-bench.ts [--build NAME=kernels.wasm ...] [--reps 5] [--ms 150] [--only grouped]
 *
 * Without --build it runs the committed relaxed-SIMD build (or the plain one where relaxed SIMD does not
 * validate, i.e. Node 20). Build an old version with the same flags as scripts/build-kernels.mjs, e.g.
 *   git show main:src/kernels/wasm/kernels.c > /tmp/old.c
 *   clang-16 --target=wasm32 -O3 -msimd128 -mrelaxed-simd -DSTFJS_RELAXED -nostdlib -fno-builtin -ffp-contract=off \
 *     -c /tmp/old.c -o /tmp/old.o && wasm-ld-16 --no-entry --import-memory --strip-all --export-dynamic /tmp/old.o -o /tmp/old.wasm
 * Shapes: MiniLM's K x N = 384 x 384, 384 x 1536, 1536 x 384 at M = 1, 10 and 1280 (32 sentences x 40 tokens).
 * GOP/s = 2 M K N / time. "q8" is the GEMM on already quantized rows; "q8+quant" adds q8_quantize_rows (what a
 * dense call costs in the kernel); "pairs" (and "pairs+quant") is q8_gemm_pairs (the other int8 GEMM, builds that have it;
 * src/kernels/wasm_kernels.ts times both and keeps the faster). Every build's outputs (and pairs') are compared
 * to the first build's, bit for bit.
 * A second table: q8_gemm_grouped (activation scales per row and group of G inputs; the attention output
 * projections, G = head_dim) with its dot and pair tiles, beside the per-row q8_gemm (dot) and q8_gemm_pairs on the
 * same shape, the GEMM alone (rows already quantized), and the ratio grouped / per-row of the same tile; outputs of
 * every build compared bit for bit to the first build's, and pairs to dot.
 */
import { readFileSync } from 'node:fs';
import * as bin from '../src/kernels/wasm_kernels_binary.js';

interface Ex {
  pack_panels(w: number, p: number, k: number, n: number): void;
  gemm_bias(x: number, p: number, bias: number, y: number, m: number, k: number, n: number): void;
  q8_packed_bytes(k: number, n: number): number;
  q8_act_bytes(): number;
  q8_pack(w: number, p: number, wsum: number, k: number, n: number): void;
  q8_quantize_rows(x: number, xq: number, sx: number, zp: number, m: number, k: number, kp: number): void;
  q8_gemm(xq: number, sx: number, zp: number, p: number, wsum: number, sw: number, bias: number, y: number, m: number, kp: number, n: number): void;
  /** absent before it existed; the plain build's is q8_gemm */
  q8_gemm_pairs?(xq: number, sx: number, zp: number, p: number, wsum: number, sw: number, bias: number, y: number, m: number, kp: number, n: number): void;
  /** absent before it existed */
  q8_gemm_grouped?(xq: number, sx: number, zp: number, p: number, gsum: number, sw: number, bias: number, y: number, m: number, kp: number, n: number, g: number, pairs: number): void;
}

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const REPS = Number(opt('--reps', '5'));
const MS = Number(opt('--ms', '150'));
/** `--only grouped`: the second table alone */
const ONLY = opt('--only', '');

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
let top = 1 << 16;
const alloc = (bytes: number): number => {
  const p = top;
  top += (bytes + 63) & ~63;
  if (top > memory.buffer.byteLength) throw new Error(`q8-gemm-bench: ${top} bytes needed`);
  return p;
};
const exs = builds.map(([name, bytes]) => {
  if (!WebAssembly.validate(bytes as BufferSource)) throw new Error(`build ${name} does not validate on node ${process.version}`);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), { env: { memory } }).exports as unknown as Ex;
});

let seed = 42;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
};

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** This process's CPU time in ms (user + system): less disturbed by other processes than wall time. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Calls per CPU second of f, run for about MS ms of CPU time (after one warm call). */
function rate(f: () => void): number {
  f();
  let n = 0;
  const t0 = cpuMs();
  let t = t0;
  while (t - t0 < MS) {
    f();
    n++;
    t = cpuMs();
  }
  return n / ((t - t0) / 1000);
}

console.log(`node ${process.version} (V8 ${process.versions.v8}); builds: ${builds.map((b) => b[0]).join(', ')}; ${REPS} alternating reps of ~${MS} ms CPU time each; GOP/s median [min-max]`);
console.log(`| M | K x N | ${builds.map((b) => `${b[0]} fp32 | ${b[0]} q8 | ${b[0]} q8+quant | ${b[0]} pairs | ${b[0]} pairs+quant`).join(' | ')} |`);
for (const m of ONLY === 'grouped' ? [] : [1, 10, 1280]) {
  for (const [k, n] of [[384, 384], [384, 1536], [1536, 384]]) {
    top = 1 << 16;
    const kp = (k + 3) & ~3;
    const heap = () => memory.buffer;
    const x = alloc(m * k * 4);
    new Float32Array(heap(), x, m * k).forEach((_, i, a) => (a[i] = rnd() < 0.1 ? 4 * (rnd() - 0.3) : rnd() - 0.45));
    const wf = alloc(k * n * 4);
    new Float32Array(heap(), wf, k * n).forEach((_, i, a) => (a[i] = rnd() - 0.5));
    const bias = alloc(n * 4);
    new Float32Array(heap(), bias, n).forEach((_, i, a) => (a[i] = rnd() - 0.5));
    const pf = alloc(Math.ceil(n / 8) * 8 * k * 4);
    const wq = alloc(n * k);
    new Int8Array(heap(), wq, n * k).forEach((_, i, a) => (a[i] = Math.round(254 * rnd()) - 127));
    const sw = alloc(n * 4);
    new Float32Array(heap(), sw, n).forEach((_, i, a) => (a[i] = 0.001 + 0.01 * rnd()));
    const y = alloc(m * n * 4);
    const per = exs.map((ex) => {
      const pq = alloc(ex.q8_packed_bytes(k, n));
      const wsum = alloc(n * 4);
      const xq = alloc(m * kp * ex.q8_act_bytes());
      const sx = alloc(m * 4);
      const zp = alloc(m * 4);
      ex.pack_panels(wf, pf, k, n);
      ex.q8_pack(wq, pq, wsum, k, n);
      ex.q8_quantize_rows(x, xq, sx, zp, m, k, kp);
      return { pq, wsum, xq, sx, zp };
    });
    // bit-identity of every build's q8 output with the first build's
    let ref: Uint32Array | undefined;
    exs.forEach((ex, i) => {
      const p = per[i];
      new Float32Array(heap(), y, m * n).fill(NaN);
      ex.q8_gemm(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, kp, n);
      const out = new Uint32Array(heap(), y, m * n).slice();
      if (!ref) ref = out;
      else if (out.some((v, j) => v !== ref![j])) throw new Error(`build ${builds[i][0]} differs from ${builds[0][0]} at M=${m}, K=${k}, N=${n}`);
      if (!ex.q8_gemm_pairs) return;
      new Float32Array(heap(), y, m * n).fill(NaN);
      ex.q8_gemm_pairs(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, kp, n);
      if (new Uint32Array(heap(), y, m * n).some((v, j) => v !== ref![j])) throw new Error(`build ${builds[i][0]}: q8_gemm_pairs differs at M=${m}, K=${k}, N=${n}`);
    });
    const ops = 2 * m * k * n;
    const res = exs.map(() => [[], [], [], [], []] as number[][]);
    for (let r = 0; r < REPS; r++) {
      exs.forEach((ex, i) => {
        const p = per[i];
        res[i][0].push((rate(() => ex.gemm_bias(x, pf, bias, y, m, k, n)) * ops) / 1e9);
        res[i][1].push((rate(() => ex.q8_gemm(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, kp, n)) * ops) / 1e9);
        res[i][2].push(
          (rate(() => {
            ex.q8_quantize_rows(x, p.xq, p.sx, p.zp, m, k, kp);
            ex.q8_gemm(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, kp, n);
          }) * ops) / 1e9,
        );
        const pairs = ex.q8_gemm_pairs;
        if (!pairs) return;
        res[i][3].push((rate(() => pairs(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, kp, n)) * ops) / 1e9);
        res[i][4].push(
          (rate(() => {
            ex.q8_quantize_rows(x, p.xq, p.sx, p.zp, m, k, kp);
            pairs(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, kp, n);
          }) * ops) / 1e9,
        );
      });
    }
    const fmt = (a: number[]): string => (a.length === 0 ? '-' : `${median(a).toFixed(1)} [${Math.min(...a).toFixed(1)}-${Math.max(...a).toFixed(1)}]`); // spread-ok: REPS values
    console.log(`| ${m} | ${k} x ${n} | ${res.map((r) => r.map(fmt).join(' | ')).join(' | ')} |`);
  }
}

console.log('');
console.log('q8_gemm_grouped (per-(row, group) activation scales) against the per-row GEMM of the same tile; GOP/s median [min-max]');
console.log(`| M | K x N, G | ${builds.map((b) => `${b[0]} q8 | ${b[0]} grouped | ${b[0]} ratio | ${b[0]} pairs | ${b[0]} grouped pairs | ${b[0]} ratio`).join(' | ')} |`);
for (const [m, k, n, g] of [[1280, 384, 384, 32], [1280, 768, 768, 64], [1280, 1024, 1024, 64], [10, 384, 384, 32], [1280, 200, 100, 40]]) {
  const gex = exs.filter((ex) => ex.q8_gemm_grouped);
  if (gex.length === 0) break;
  top = 1 << 16;
  const heap = () => memory.buffer;
  const ng = k / g;
  const np = Math.ceil(n / 8) * 8;
  const x = alloc(m * k * 4);
  new Float32Array(heap(), x, m * k).forEach((_, i, a) => (a[i] = rnd() < 0.1 ? 4 * (rnd() - 0.3) : rnd() - 0.45));
  const bias = alloc(n * 4);
  new Float32Array(heap(), bias, n).forEach((_, i, a) => (a[i] = rnd() - 0.5));
  const wq = alloc(n * k);
  const wv = new Int8Array(heap(), wq, n * k);
  wv.forEach((_, i, a) => (a[i] = Math.round(254 * rnd()) - 127));
  const sw = alloc(n * 4);
  new Float32Array(heap(), sw, n).forEach((_, i, a) => (a[i] = 0.001 + 0.01 * rnd()));
  const gsum = alloc(ng * np * 4);
  const gs = new Int32Array(heap(), gsum, ng * np);
  gs.fill(0);
  for (let r = 0; r < n; r++) for (let kk = 0; kk < k; kk++) gs[((kk / g) | 0) * np + r] += wv[r * k + kk];
  const y = alloc(m * n * 4);
  const per = exs.map((ex) => {
    const pq = alloc(ex.q8_packed_bytes(k, n));
    const wsum = alloc(n * 4);
    const xq = alloc(m * k * ex.q8_act_bytes());
    const sx = alloc(m * 4);
    const zp = alloc(m * 4);
    const gxq = alloc(m * k * ex.q8_act_bytes());
    const gsx = alloc(m * ng * 4);
    const gzp = alloc(m * ng * 4);
    ex.q8_pack(wq, pq, wsum, k, n);
    ex.q8_quantize_rows(x, xq, sx, zp, m, k, k);
    ex.q8_quantize_rows(x, gxq, gsx, gzp, m * ng, g, g);
    return { pq, wsum, xq, sx, zp, gxq, gsx, gzp };
  });
  let ref: Uint32Array | undefined;
  exs.forEach((ex, i) => {
    const p = per[i];
    for (const pairs of [0, 1]) {
      if (!ex.q8_gemm_grouped) continue;
      new Float32Array(heap(), y, m * n).fill(NaN);
      ex.q8_gemm_grouped(p.gxq, p.gsx, p.gzp, p.pq, gsum, sw, bias, y, m, k, n, g, pairs);
      const out = new Uint32Array(heap(), y, m * n).slice();
      if (!ref) ref = out;
      else if (out.some((v, j) => v !== ref![j])) throw new Error(`build ${builds[i][0]}: q8_gemm_grouped (pairs ${pairs}) differs at M=${m}, K=${k}, N=${n}, G=${g}`);
    }
  });
  const ops = 2 * m * k * n;
  const res = exs.map(() => [[], [], [], []] as number[][]);
  for (let r = 0; r < REPS; r++) {
    exs.forEach((ex, i) => {
      const p = per[i];
      const grouped = ex.q8_gemm_grouped;
      if (!grouped) return;
      res[i][0].push((rate(() => ex.q8_gemm(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, k, n)) * ops) / 1e9);
      res[i][1].push((rate(() => grouped(p.gxq, p.gsx, p.gzp, p.pq, gsum, sw, bias, y, m, k, n, g, 0)) * ops) / 1e9);
      const pairs = ex.q8_gemm_pairs;
      if (!pairs) return;
      res[i][2].push((rate(() => pairs(p.xq, p.sx, p.zp, p.pq, p.wsum, sw, bias, y, m, k, n)) * ops) / 1e9);
      res[i][3].push((rate(() => grouped(p.gxq, p.gsx, p.gzp, p.pq, gsum, sw, bias, y, m, k, n, g, 1)) * ops) / 1e9);
    });
  }
  const fmt = (a: number[]): string => (a.length === 0 ? '-' : `${median(a).toFixed(1)} [${Math.min(...a).toFixed(1)}-${Math.max(...a).toFixed(1)}]`); // spread-ok: REPS values
  const ratio = (a: number[], b: number[]): string => (a.length === 0 || b.length === 0 ? '-' : `${(median(b) / median(a)).toFixed(2)}x`);
  console.log(`| ${m} | ${k} x ${n}, ${g} | ${res.map((r) => [fmt(r[0]), fmt(r[1]), ratio(r[0], r[1]), fmt(r[2]), fmt(r[3]), ratio(r[2], r[3])].join(' | ')).join(' | ')} |`);
}

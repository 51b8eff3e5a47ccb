/**
 * Bit-for-bit fingerprint of the wasm attention kernel on masked batches (padding, causal, window, position bias,
 * probabilities; scores with exact ±0 ties and all-masked rows): `npx tsx scripts/attention-bits.ts [OUT.json]`.
 * Prints (or writes) one sha256 per case over the raw float32 bytes of context (+ probs). Run it on two builds
 * (e.g. before/after a kernels.c change) and compare: identical digests = identical bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { initBackend } from '../src/backends/index.js';
import { attentionKernel, installWasmKernels, type AttentionKernelOptions } from '../src/kernels/index.js';

/** Deterministic values (an LCG), a fraction of them exact zeros (signed), so that scores tie at ±0. */
function values(n: number, seed: number, zeroEvery: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    out[i] = zeroEvery > 0 && i % zeroEvery === 0 ? (s & 1 ? -0 : 0) : (u - 0.5) * 4;
  }
  return out;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  await installWasmKernels();
  const digests: Record<string, string> = {};
  const cases: [string, number, number, number, number, Partial<AttentionKernelOptions>, number][] = [];
  for (const [B, T, heads, d] of [[3, 13, 2, 8], [2, 37, 3, 16], [2, 70, 2, 32], [1, 5, 1, 4]] as const) {
    for (const zeroEvery of [0, 1, 3]) {
      cases.push([`pad B${B} T${T} z${zeroEvery}`, B, T, heads, d, {}, zeroEvery]);
      cases.push([`pad+probs B${B} T${T} z${zeroEvery}`, B, T, heads, d, { outputProbs: true }, zeroEvery]);
      cases.push([`causal B${B} T${T} z${zeroEvery}`, B, T, heads, d, { causal: true, outputProbs: true }, zeroEvery]);
      cases.push([`window B${B} T${T} z${zeroEvery}`, B, T, heads, d, { window: 3 }, zeroEvery]);
      cases.push([`causal-window B${B} T${T} z${zeroEvery}`, B, T, heads, d, { causal: true, window: 4 }, zeroEvery]);
      cases.push([`bias B${B} T${T} z${zeroEvery}`, B, T, heads, d, { positionBias: true as never, outputProbs: true }, zeroEvery]);
      cases.push([`scaleQuery B${B} T${T} z${zeroEvery}`, B, T, heads, d, { scaleQuery: true }, zeroEvery]);
      cases.push([`scale B${B} T${T} z${zeroEvery}`, B, T, heads, d, { scale: 0.3 }, zeroEvery]);
    }
  }
  let seed = 1;
  for (const [name, B, T, heads, d, o, zeroEvery] of cases) {
    const H = heads * d;
    const q = tf.tensor3d(values(B * T * H, seed++, zeroEvery), [B, T, H]);
    const k = tf.tensor3d(values(B * T * H, seed++, zeroEvery), [B, T, H]);
    const v = tf.tensor3d(values(B * T * H, seed++, 0), [B, T, H]);
    // Padding: batch b keeps T - 3b keys (the last batch may keep none at all in the smallest case).
    const m = new Int32Array(B * T);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) m[b * T + t] = t < T - 3 * b ? 1 : 0;
    const mask = tf.tensor2d(m, [B, T], 'int32');
    const bias = o.positionBias ? tf.tensor4d(values(heads * T * T, seed++, zeroEvery), [1, heads, T, T]) : undefined;
    const r = attentionKernel(q, k, v, { numHeads: heads, mask, ...o, positionBias: bias });
    if (!r) throw new Error(`attention kernel did not apply to ${name}`);
    const h = createHash('sha256');
    h.update(new Uint8Array((await r.context.data() as Float32Array).buffer));
    if (r.probs) h.update(new Uint8Array((await r.probs.data() as Float32Array).buffer));
    digests[name] = h.digest('hex').slice(0, 16);
    tf.dispose([q, k, v, mask, r.context]);
    if (bias) bias.dispose();
    if (r.probs) r.probs.dispose();
  }
  const out = JSON.stringify(digests, null, 1);
  if (process.argv[2]) writeFileSync(process.argv[2], out);
  else console.log(out);
}

void main();

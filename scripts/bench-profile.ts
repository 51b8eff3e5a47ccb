/**
 * Where the encoder's time goes: `npx tsx scripts/bench-profile.ts [--device wasm|cpu] [--shapes 32x32,8x256] [--model DIR]`.
 *
 * For each batch shape [B, T] (random token ids, no padding) on minilm-l6-full:
 * 1. `tf.profile` of one forward pass (after a warm-up): kernel time summed per kernel name and grouped into
 *    matMul / softmax / layerNorm / gelu / transpose+reshape / other elementwise;
 * 2. isolated timings of each building block at the same shapes (median of several runs), times the number of
 *    uses per forward, against the measured forward time, so the shares do not depend on the profiler's overhead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type DeviceName } from '../src/backends/index.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { gelu } from '../src/layers/activations.js';
import { mergeHeads, splitHeads } from '../src/kernels/stock.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

async function timeIt(fn: () => tf.Tensor | tf.Tensor[], reps: number): Promise<number> {
  const run = async (): Promise<number> => {
    const t = performance.now();
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    for (const o of outs) await o.data();
    const dt = performance.now() - t;
    for (const o of outs) o.dispose();
    return dt;
  };
  await run();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) ts.push(await run());
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

function category(kernel: string): string {
  if (kernel === '_FusedMatMul' || kernel === 'BatchMatMul') return 'matMul';
  if (kernel === 'Softmax') return 'softmax';
  if (kernel === 'Erf') return 'gelu (erf)';
  if (kernel === 'Transpose') return 'transpose';
  if (kernel === 'Reshape' || kernel === 'Identity' || kernel === 'ExpandDims') return 'reshape (free)';
  if (kernel === 'Mean' || kernel === 'Rsqrt' || kernel === 'Square') return 'layerNorm (mean/var/rsqrt)';
  if (kernel === 'GatherV2') return 'embedding gather';
  return 'elementwise (add/mul/sub/div/cast...)';
}

async function main(): Promise<void> {
  const device = arg('--device', 'wasm') as DeviceName;
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
  const dir = resolve(arg('--model', join(fixtures, 'models', 'minilm-l6-full')));
  const shapes = arg('--shapes', '32x32,8x256').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const backend = await initBackend(device);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const model = createModel(config, WeightMap.from(await loadCheckpointDir(dir)));
  const H = model.hiddenSize;
  const I = Number(config['intermediate_size']);
  const heads = model.numHeads;
  const L = model.numLayers;
  console.log(`# encoder profile: ${dir.split('/').pop()} on ${backend} (${L} layers, H ${H}, I ${I}, ${heads} heads)\n`);

  for (const [B, T] of shapes) {
    const ids = tf.tidy(() => tf.cast(tf.add(tf.mul(tf.randomUniform([B, T]), 29000), 1000), 'int32')) as tf.Tensor2D;
    const mask = tf.ones([B, T], 'int32') as tf.Tensor2D;
    const types = tf.zeros([B, T], 'int32') as tf.Tensor2D;
    const forward = (): tf.Tensor => model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types }).lastHiddenState;
    const fwdMs = await timeIt(() => tf.tidy(forward), 3);

    const prof = await tf.profile(async () => {
      const out = tf.tidy(forward);
      await out.data();
      out.dispose();
    });
    const byKernel = new Map<string, { ms: number; n: number }>();
    const byCat = new Map<string, number>();
    let total = 0;
    for (const k of prof.kernels) {
      // `<op>__op` entries wrap a kernel that is listed on its own (custom-gradient ops): not counted twice.
      if (k.name.endsWith('__op')) continue;
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n++;
      byKernel.set(k.name, e);
      byCat.set(category(k.name), (byCat.get(category(k.name)) ?? 0) + ms);
      total += ms;
    }
    console.log(`## [B ${B}, T ${T}]: forward ${fwdMs.toFixed(1)} ms (median), ${byKernel.size} kernel types, profiled kernel time ${total.toFixed(1)} ms\n`);
    console.log('| group | ms | % |');
    console.log('| --- | ---: | ---: |');
    for (const [c, ms] of [...byCat].sort((a, b) => b[1] - a[1])) console.log(`| ${c} | ${ms.toFixed(1)} | ${((100 * ms) / total).toFixed(1)} |`);
    console.log('\n| kernel | calls | ms | % |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`| ${name} | ${e.n} | ${e.ms.toFixed(2)} | ${((100 * e.ms) / total).toFixed(1)} |`);
    }

    // Isolated building blocks at the real shapes.
    const x = tf.randomNormal([B, T, H]) as tf.Tensor3D;
    const x2 = tf.reshape(x, [B * T, H]) as tf.Tensor2D;
    const inter = tf.randomNormal([B, T, I]) as tf.Tensor3D;
    const wQ = tf.randomNormal([H, H]) as tf.Tensor2D;
    const wQKV = tf.randomNormal([H, 3 * H]) as tf.Tensor2D;
    const wUp = tf.randomNormal([H, I]) as tf.Tensor2D;
    const wDown = tf.randomNormal([I, H]) as tf.Tensor2D;
    const bH = tf.randomNormal([H]) as tf.Tensor1D;
    const b3H = tf.randomNormal([3 * H]) as tf.Tensor1D;
    const bI = tf.randomNormal([I]) as tf.Tensor1D;
    const inter2 = tf.reshape(inter, [B * T, I]) as tf.Tensor2D;
    const q4 = tf.randomNormal([B, heads, T, H / heads]) as tf.Tensor4D;
    const kT4 = tf.randomNormal([B, heads, H / heads, T]) as tf.Tensor4D;
    const scores = tf.randomNormal([B, heads, T, T]) as tf.Tensor4D;
    const maskAdd = tf.zeros([B, 1, 1, T]);
    const gamma = tf.randomNormal([H]);
    const beta = tf.randomNormal([H]);
    const layerNorm = (v: tf.Tensor): tf.Tensor => {
      const mean = tf.mean(v, -1, true);
      const c = tf.sub(v, mean);
      const variance = tf.mean(tf.square(c), -1, true);
      return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(variance, 1e-12))), gamma), beta);
    };
    const blocks: [string, number, () => tf.Tensor][] = [
      ['Linear H->H (q, k, v, attn out), fused bias', 4, () => tf.fused.matMul({ a: x2, b: wQ, bias: bH })],
      ['  alt: fused QKV, one Linear H->3H (replaces 3 of the 4)', 0, () => tf.fused.matMul({ a: x2, b: wQKV, bias: b3H })],
      ['Linear H->I (intermediate)', 1, () => tf.fused.matMul({ a: x2, b: wUp, bias: bI })],
      ['Linear I->H (output)', 1, () => tf.fused.matMul({ a: inter2, b: wDown, bias: bH })],
      ['gelu (erf) on [B,T,I]', 1, () => tf.tidy(() => gelu(inter))],
      ['QK^T [B,h,T,d]x[B,h,d,T] (keys pre-transposed)', 1, () => tf.matMul(q4, kT4)],
      ['  alt: QK^T with transposeB', 0, () => tf.matMul(q4, q4, false, true)],
      ['scale + mask add on scores', 1, () => tf.tidy(() => tf.add(tf.div(scores, 8), maskAdd))],
      ['softmax on [B,h,T,T] (tf.softmax)', 1, () => tf.softmax(scores, -1)],
      ['PV [B,h,T,T]x[B,h,T,d]', 1, () => tf.matMul(scores, q4)],
      ['splitHeads (reshape+transpose) x3', 3, () => tf.tidy(() => splitHeads(x, heads))],
      ['mergeHeads (transpose+reshape)', 1, () => tf.tidy(() => mergeHeads(q4))],
      ['residual add + LayerNorm (x2 per layer)', 2, () => tf.tidy(() => layerNorm(tf.add(x, x)))],
    ];
    console.log(`\n| block at [B ${B}, T ${T}] | ms (median) | uses/layer | ms per forward | % of forward |`);
    console.log('| --- | ---: | ---: | ---: | ---: |');
    let accounted = 0;
    for (const [name, uses, fn] of blocks) {
      const ms = await timeIt(fn, 5);
      const perFwd = ms * uses * L;
      accounted += perFwd;
      console.log(`| ${name} | ${ms.toFixed(2)} | ${uses} | ${perFwd.toFixed(1)} | ${uses ? ((100 * perFwd) / fwdMs).toFixed(1) : '—'} |`);
    }
    console.log(`| (sum of blocks) | | | ${accounted.toFixed(1)} | ${((100 * accounted) / fwdMs).toFixed(1)} |\n`);
    tf.dispose([ids, mask, types, x, x2, inter, wQ, wQKV, wUp, wDown, bH, b3H, bI, inter2, q4, kT4, scores, maskAdd, gamma, beta]);
  }
  model.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});

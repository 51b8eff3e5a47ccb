/**
 * One training step's forward + backward on wasm, backward kernels against the stock-op backward (and the stock
 * ops throughout), against the dense kernel's ceiling measured in the same run:
 *   `npx tsx scripts/bench-train-step.ts [--model DIR] [--reps 5] [--batch 16] [--tokens 30]`
 * The step is `tf.grads` of the summed mean-pooled embedding w.r.t. every weight (what a training loop asks the
 * tape for). Variants alternate within each repetition (same process, same heap), and each is timed in this
 * process's CPU time (user + system: robust on a shared machine); medians are printed as one JSON line, with
 * GFLOP/s counted as 3x the forward FLOPs (forward + backward) and % of the ceiling.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels, installWasmKernels, linearKernel } from '../src/kernels/index.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';

// tfjs' op gradients. Its ESM build imports a directory, which plain Node's ESM loader refuses; through require
// (tsx's CommonJS hook) it loads, and it registers into tfjs' global gradient registry.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/** CPU milliseconds of `fn` (its results read back and freed). */
async function cpuMs(fn: () => tf.Tensor[]): Promise<number> {
  const c = process.cpuUsage();
  const out = fn();
  await Promise.all(out.map((t) => t.data()));
  const u = process.cpuUsage(c);
  tf.dispose(out);
  return (u.user + u.system) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!; // spread-ok: a few timings

async function main(): Promise<void> {
  const reps = Number(arg('--reps', '5'));
  const [B, T] = [Number(arg('--batch', '16')), Number(arg('--tokens', '30'))];
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
  const dir = resolve(arg('--model', join(fixtures, 'models', 'minilm-l6-full')));
  await initBackend('wasm');
  await installWasmKernels();
  const r: Record<string, number | string> = { backend: tf.getBackend(), batch: B, tokens: T };

  const a = tf.randomNormal([1024, 384]) as tf.Tensor2D;
  const w = tf.randomNormal([384, 1536]) as tf.Tensor2D;
  const ceilRuns: number[] = [];
  for (let i = 0; i <= reps; i++) ceilRuns.push(await cpuMs(() => [linearKernel(a, w)!]));
  const ceiling = (2 * 1024 * 384 * 1536) / (median(ceilRuns.slice(1)) * 1e6);
  r.ceilingGflops = +ceiling.toFixed(2);

  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  const wm = WeightMap.from(await loadCheckpointDir(dir));
  const model = createModel(config, wm);
  // Ragged texts: lengths from T/2 to T, padded to T.
  const lens = Array.from({ length: B }, (_, i) => T - Math.floor(((i * 7) % B) * (T / 2) / B));
  const ids = tf.tidy(() => tf.mul(tf.cast(tf.add(tf.mul(tf.randomUniform([B, T], 0, 1, 'float32', 1), 20000), 1000), 'int32'), tf.tensor2d(lens.flatMap((n) => Array.from({ length: T }, (_, j) => (j < n ? 1 : 0))), [B, T], 'int32'))) as tf.Tensor2D;
  const mask = tf.tensor2d(lens.flatMap((n) => Array.from({ length: T }, (_, j) => (j < n ? 1 : 0))), [B, T], 'int32');
  tf.dispose(model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState);
  const params = [...(wm as unknown as { shared: { cache: Map<string, tf.Tensor> } }).shared.cache.values()].filter((t) => t.dtype === 'float32');
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const h = model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState; // [B, T, H]
      const m = tf.expandDims(tf.cast(mask, 'float32'), 2); // [B, T, 1]
      return tf.sum(tf.div(tf.sum(tf.mul(h, m), 1), tf.sum(m, 1))) as tf.Scalar;
    });
  const step = (): tf.Tensor[] => tf.grads(() => loss())(params);
  const [L, H, I] = [config.num_hidden_layers!, config.hidden_size!, config.intermediate_size!];
  const fwdFlops = L * (8 * B * T * H * H + 4 * B * T * H * I + 4 * B * T * T * H);
  const variants: Record<string, () => Promise<number>> = {
    backwardKernels: () => cpuMs(step),
    stockBackward: async () => {
      process.env.SENTENCE_TFJS_WASM_GRAD_KERNELS = '0';
      try {
        return await cpuMs(step);
      } finally {
        delete process.env.SENTENCE_TFJS_WASM_GRAD_KERNELS;
      }
    },
    stockOps: async () => {
      disableWasmKernels();
      try {
        return await cpuMs(step);
      } finally {
        enableWasmKernels();
      }
    },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const before = tf.memory().numTensors;
  for (let rep = 0; rep <= reps; rep++) {
    for (const [name, run] of Object.entries(variants)) {
      const ms = await run();
      if (rep > 0) times[name]!.push(ms); // rep 0: warm-up
    }
  }
  r.leakedTensors = tf.memory().numTensors - before;
  for (const [name, ts] of Object.entries(times)) {
    const ms = median(ts);
    const g = (3 * fwdFlops) / (ms * 1e6);
    r[`${name}Ms`] = +ms.toFixed(1);
    r[`${name}Gflops`] = +g.toFixed(2);
    r[`${name}PctCeiling`] = +((100 * g) / ceiling).toFixed(1);
  }
  r.speedupVsStockBackward = +(median(times.stockBackward!) / median(times.backwardKernels!)).toFixed(2);
  console.log(JSON.stringify(r));
}

void main();

/**
 * Attention kernel and encoder-forward efficiency against the dense-kernel ceiling, on wasm:
 *   `npx tsx scripts/bench-attention.ts [--model DIR] [--reps 7]`
 * Prints one JSON line: the dense kernel's GFLOP/s on [1024 x 384] x [384 x 1536] (the ceiling, as `npm run
 * bench` takes it), the attention kernel's GFLOP/s on MiniLM shapes (8 passages of 256 tokens, 12 heads of 32;
 * 4 * B * T^2 * H FLOPs), and the forward of the model on passages [8, 256] and on one short query [1, 10]:
 * median ms of CPU time (robust on a loaded machine), encoder GFLOP/s (bench-common's count) and % of the ceiling,
 * and kernel calls per forward.
 * It uses only APIs that older trees also have, so the same file measures a "before" checkout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/backends/index.js';
import { attentionKernel, installWasmKernels, linearKernel } from '../src/kernels/index.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/**
 * Median milliseconds of `fn` (after one warm-up) in this process's CPU time (user + system), not wall time: on a
 * shared machine the wall clock counts the time other processes hold the core; the kernels are single-threaded.
 */
async function median(fn: () => tf.Tensor, reps: number): Promise<number> {
  const run = async (): Promise<number> => {
    const c = process.cpuUsage();
    const out = fn();
    await out.data();
    const u = process.cpuUsage(c);
    out.dispose();
    return (u.user + u.system) / 1000;
  };
  await run();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) ts.push(await run());
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

async function main(): Promise<void> {
  const reps = Number(arg('--reps', '7'));
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
  const dir = resolve(arg('--model', join(fixtures, 'models', 'minilm-l6-full')));
  await initBackend('wasm');
  await installWasmKernels();
  const r: Record<string, number | string> = {};

  const a = tf.randomNormal([1024, 384]) as tf.Tensor2D;
  const w = tf.randomNormal([384, 1536]) as tf.Tensor2D;
  const ceilMs = await median(() => linearKernel(a, w)!, reps);
  const ceiling = (2 * 1024 * 384 * 1536) / (ceilMs * 1e6);
  r.ceilingGflops = +ceiling.toFixed(2);

  const [B, T, H, heads] = [8, 256, 384, 12];
  const q = tf.randomNormal([B, T, H]) as tf.Tensor3D;
  const k = tf.randomNormal([B, T, H]) as tf.Tensor3D;
  const v = tf.randomNormal([B, T, H]) as tf.Tensor3D;
  const mask = tf.ones([B, T], 'int32') as tf.Tensor2D;
  const attMs = await median(() => attentionKernel(q, k, v, { numHeads: heads, mask })!.context, reps);
  r.attentionMs = +attMs.toFixed(2);
  r.attentionGflops = +((4 * B * T * T * H) / (attMs * 1e6)).toFixed(2);

  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  const model = createModel(config, WeightMap.from(await loadCheckpointDir(dir)));
  const [L, Hm, I] = [config.num_hidden_layers!, config.hidden_size!, config.intermediate_size!];
  const flops = (b: number, t: number) => L * (8 * b * t * Hm * Hm + 4 * b * t * Hm * I + 4 * b * t * t * Hm);
  for (const [name, b, t] of [['passages', 8, 256], ['query', 1, 10]] as [string, number, number][]) {
    const ids = tf.tidy(() => tf.cast(tf.add(tf.mul(tf.randomUniform([b, t]), 20000), 1000), 'int32')) as tf.Tensor2D;
    const m = tf.ones([b, t], 'int32') as tf.Tensor2D;
    const fwd = () => tf.tidy(() => model.forward({ inputIds: ids, attentionMask: m }).lastHiddenState);
    const ms = await median(fwd, name === 'query' ? reps * 5 : reps);
    const g = flops(b, t) / (ms * 1e6);
    const prof = await tf.profile(() => fwd());
    tf.dispose(prof.result as tf.Tensor);
    r[`${name}Ms`] = +ms.toFixed(2);
    r[`${name}Gflops`] = +g.toFixed(2);
    r[`${name}PctCeiling`] = +((100 * g) / ceiling).toFixed(1);
    r[`${name}KernelCalls`] = prof.kernels.filter((x) => !x.name.endsWith('__op')).length;
    if (name === 'passages') r.attentionShareOfPassages = +((100 * L * attMs) / ms).toFixed(1);
    tf.dispose([ids, m]);
  }
  console.log(JSON.stringify(r));
}

void main();

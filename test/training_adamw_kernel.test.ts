/**
 * The fused wasm AdamW kernel (kernels.c's OPTIMIZER section) against the elementwise torch formula of
 * src/training/optimizer.ts: bit-identical parameters and moments over several steps (both groups, a first step
 * without moments, sizes with SIMD tails, lr 0), the recorded torch.optim.AdamW trajectory on wasm, no leak.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels, wasmKernelsActive } from '../src/kernels/index.js';
import { AdamW } from '../src/training/optimizer.js';
import { getScheduler } from '../src/training/schedules.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

function lcg(seed: number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = ((x / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** Run 4 AdamW steps on two parameters; return their final values and moments. */
async function trajectory(kernels: boolean): Promise<Float32Array[]> {
  if (kernels) enableWasmKernels();
  else disableWasmKernels();
  const init = [tf.tensor2d(lcg(1, 37 * 11, 0.5), [37, 11]), tf.tensor1d(lcg(2, 7, 0.5))];
  const [w, b] = init.map((t) => tf.variable(t));
  tf.dispose(init); // the variables hold the data
  const opt = new AdamW([{ key: 'layer.weight', variable: w, transposed: false }, { key: 'layer.bias', variable: b, transposed: false }], { lr: 1e-3, weightDecay: 0.01 });
  const lrs = [1e-3, 0, 5e-4, 2e-3];
  for (let step = 0; step < lrs.length; step++) {
    const grads = { [w.name]: tf.tensor2d(lcg(10 + step, 37 * 11, step === 2 ? 1e-7 : 1), [37, 11]), [b.name]: tf.tensor1d(lcg(20 + step, 7, 3)) };
    opt.step(grads, lrs[step]);
    tf.dispose(Object.values(grads));
  }
  const { tensors } = await opt.stateTensors();
  const out = [w.dataSync() as Float32Array, b.dataSync() as Float32Array, ...Object.keys(tensors).sort().map((k) => tensors[k].data)];
  opt.dispose();
  tf.dispose([w, b]);
  return out;
}

describe('training: the fused wasm AdamW kernel', () => {
  before(async () => {
    await initBackend('wasm');
    assert.ok(wasmKernelsActive(), 'the wasm kernels are installed');
  });
  after(() => enableWasmKernels());

  it('gives bit-identical parameters and moments to the elementwise formula over 4 steps (decay and no-decay groups, lr 0)', async () => {
    const before = tf.memory().numTensors;
    const fused = await trajectory(true);
    const stock = await trajectory(false);
    assert.equal(fused.length, 6);
    fused.forEach((f, i) => assert.deepEqual(Array.from(f), Array.from(stock[i]), `tensor ${i}`));
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  });

  it('follows the recorded torch.optim.AdamW trajectory within 1e-6 on wasm with the kernels', () => {
    enableWasmKernels();
    const a = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test', 'data', 'training', 'optim.json'), 'utf8')).adamw;
    const w = tf.variable(tf.tensor2d(a.init.w));
    const b = tf.variable(tf.tensor1d(a.init.b));
    const opt = new AdamW([{ key: 'w.weight', variable: w, transposed: false }, { key: 'b.bias', variable: b, transposed: false }], { lr: a.lr, weightDecay: a.weight_decay });
    const f = getScheduler('linear', 1, 5);
    try {
      a.grads.forEach((g: { w: number[][]; b: number[] }, step: number) => {
        const grads = { [w.name]: tf.tensor2d(g.w), [b.name]: tf.tensor1d(g.b) };
        opt.step(grads, a.lr * f(step));
        tf.dispose(Object.values(grads));
        const close = (got: ArrayLike<number>, exp: number[], what: string) => Array.from(got).forEach((v, i) => assert.ok(Math.abs(v - exp[i]) <= 1e-6, `step ${step} ${what}[${i}]: ${v} vs ${exp[i]}`));
        close(w.dataSync(), a.after[step].w.flat(), 'w');
        close(b.dataSync(), a.after[step].b, 'b');
      });
    } finally {
      opt.dispose();
      tf.dispose([w, b]);
    }
  });
});

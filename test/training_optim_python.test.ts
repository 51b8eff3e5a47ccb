/**
 * The schedules and AdamW against the Python stack (recorded by test/data/training/gen_optim.py with transformers
 * 5.18 and torch 2.13): transformers' `get_scheduler` multipliers for 14 steps of 7 schedules, and a 5-step
 * torch.optim.AdamW trajectory with two parameter groups, a parameter without a gradient and lr 0 at step 0.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { AdamW } from '../src/training/optimizer.js';
import { getScheduler } from '../src/training/schedules.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

const data = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test', 'data', 'training', 'optim.json'), 'utf8'));

describe('training: schedules and AdamW against transformers / torch (recorded)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const [name, rec] of Object.entries(data.schedules as Record<string, { kwargs: Record<string, number>; lrs: number[] }>)) {
    it(`${name}: the learning rate of each of 14 steps (warmup 3, total 12) equals transformers' within 1e-12`, () => {
      const k = rec.kwargs;
      const f = getScheduler(name, 3, 12, { numCycles: k.num_cycles, power: k.power, lrEnd: k.lr_end }, 0.1);
      rec.lrs.forEach((want, step) => assert.ok(Math.abs(0.1 * f(step) - want) <= 1e-12, `step ${step}: ${0.1 * f(step)} vs ${want}`));
    });
  }

  it('AdamW: 5 steps of torch.optim.AdamW (decay group, no-decay group, a parameter without gradient) within 1e-6', () => {
    const a = data.adamw;
    const w = tf.variable(tf.tensor2d(a.init.w));
    const b = tf.variable(tf.tensor1d(a.init.b));
    const unused = tf.variable(tf.tensor1d(a.init.unused));
    const opt = new AdamW(
      [
        { key: 'w.weight', variable: w, transposed: false },
        { key: 'unused.weight', variable: unused, transposed: false },
        { key: 'b.bias', variable: b, transposed: false },
      ],
      { lr: a.lr, weightDecay: a.weight_decay },
    );
    const f = getScheduler('linear', 1, 5);
    try {
      a.grads.forEach((g: { w: number[][]; b: number[] }, step: number) => {
        const lr = a.lr * f(step);
        assert.ok(Math.abs(lr - a.lrs[step]) <= 1e-15);
        const grads = { [w.name]: tf.tensor2d(g.w), [b.name]: tf.tensor1d(g.b) };
        opt.step(grads, lr);
        tf.dispose(Object.values(grads));
        const want = a.after[step];
        const close = (got: ArrayLike<number>, exp: number[], what: string) => Array.from(got).forEach((v, i) => assert.ok(Math.abs(v - exp[i]) <= 1e-6, `step ${step} ${what}[${i}]: ${v} vs ${exp[i]}`));
        close(w.dataSync(), want.w.flat(), 'w');
        close(b.dataSync(), want.b, 'b');
        assert.deepEqual(Array.from(unused.dataSync()), a.init.unused.map((x: number) => Math.fround(x)), 'no gradient: untouched');
      });
    } finally {
      opt.dispose();
      tf.dispose([w, b, unused]);
    }
  });
});

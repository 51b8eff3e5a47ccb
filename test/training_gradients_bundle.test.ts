/**
 * The generated gradient bundle (src/training/tfjs_gradients.js, scripts/build-gradients.mjs) loads in plain
 * Node (no tsx, no bundler: what the published dist/ and the CLI run) and registers tfjs' gradients, which then
 * compute correct values; and it was generated from the installed tfjs-core version.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from './helpers/fixtures.js';

describe('training: the tfjs gradient bundle', () => {
  it('was generated from the installed @tensorflow/tfjs-core', () => {
    const version = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'), 'utf8')).version;
    const head = readFileSync(join(PROJECT_ROOT, 'src', 'training', 'tfjs_gradients.js'), 'utf8').slice(0, 200);
    assert.match(head, new RegExp(`from @tensorflow/tfjs-core ${version.replace(/\./g, '\\.')} `), 'regenerate with npm run build:gradients');
  });

  it('registers the gradients in plain Node ES modules: d/dx sum(x^2 * |x|) and a softmax cross-entropy', () => {
    const script = join(PROJECT_ROOT, `.grad-check-${process.pid}.mjs`);
    writeFileSync(
      script,
      `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
await tf.setBackend('cpu');
if (tf.getGradient('BatchMatMul') !== undefined) throw new Error('registered before the bundle');
await import('./src/training/tfjs_gradients.js');
const g = tf.grad((x) => tf.sum(tf.mul(tf.square(x), tf.abs(x))))(tf.tensor1d([1, -2, 3]));
const logits = tf.tensor2d([[1, 2], [3, 0.5]]);
const h = tf.grad((l) => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(l, 1), tf.tensor2d([[1, 0], [0, 1]])), 1))))(logits);
console.log(JSON.stringify({ g: Array.from(g.dataSync()), h: Array.from(h.dataSync()) }));
`,
    );
    try {
      const r = spawnSync(process.execPath, [script], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const { g, h } = JSON.parse(r.stdout.trim().split('\n').pop()!);
      // d/dx x^2 |x| = 3 x |x|
      assert.deepEqual(g, [3, -12, 27]);
      // (softmax - onehot) / 2
      const sm = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b));
      const want = [(sm(1, 2) - 1) / 2, (1 - sm(1, 2)) / 2, sm(3, 0.5) / 2, (1 - sm(3, 0.5) - 1) / 2];
      h.forEach((v: number, i: number) => assert.ok(Math.abs(v - want[i]) < 1e-6, `softmax CE grad ${i}: ${v} vs ${want[i]}`));
    } finally {
      rmSync(script, { force: true });
    }
  });
});

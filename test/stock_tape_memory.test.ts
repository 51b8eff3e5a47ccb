/**
 * Stock ops under a gradient tape (kernels/ops.ts STOCK_TAPE_NOTE): GELU and add+LayerNorm are one tape node each,
 * recomputed in the backward under tfjs' own gradients, so the tape does not hold their intermediates. The
 * gradients of differentiating the composites directly to float32 rounding (the same ops; an input used inside and
 * outside a node has its gradient terms summed in another order), a lower peak, nothing leaked.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/backends/index.js';
import { addLayerNorm, gelu } from '../src/kernels/index.js';
import { addLayerNormStock, geluStock } from '../src/kernels/stock.js';

function rand(seed: number, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = (x / 2 ** 32) * 2 - 1;
  }
  return tf.tensor(out, shape);
}

describe('stock ops under a gradient tape: one node per GELU / add+LayerNorm', () => {
  before(async () => {
    await initBackend('cpu');
  });

  const layers = 4;
  /** `layers` blocks h = LN(gelu(h) + h); summed. */
  const net = (h0: tf.Tensor, g: tf.Tensor, b: tf.Tensor, fused: boolean) => () => {
    let h = h0;
    for (let l = 0; l < layers; l++) {
      h = fused ? addLayerNorm(gelu(h), h, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12) : addLayerNormStock(geluStock(h), h, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12);
    }
    return tf.sum(h) as tf.Scalar;
  };

  it('gives the gradients of the composites (1e-6 of the largest), with a lower peak and no leak', async () => {
    const [h0, g, b] = [rand(1, [64, 256]), rand(2, [256]), rand(3, [256])];
    const vars = [tf.variable(h0), tf.variable(g), tf.variable(b)];
    const before = tf.memory().numTensors;
    const run = async (fused: boolean) => {
      let grads: tf.Tensor[] = [];
      // tf.profile's peak counts every live tensor (other suites' models, in a full run): measure above them
      const live = tf.memory().numBytes;
      const info = await tf.profile(() => {
        const r = tf.variableGrads(net(vars[0], vars[1], vars[2], fused), vars);
        r.value.dispose();
        grads = vars.map((v) => tf.keep(r.grads[v.name]));
      });
      const data = grads.map((t) => Array.from(t.dataSync()));
      tf.dispose(grads);
      return { peak: info.peakBytes - live, data };
    };
    const fused = await run(true);
    const plain = await run(false);
    fused.data.forEach((d, i) => {
      const scale = plain.data[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = d.reduce((m, v, j) => Math.max(m, Math.abs(v - plain.data[i][j])), 0);
      assert.ok(diff <= 1e-6 * scale, `gradient ${i}: max diff ${diff} vs largest ${scale}`);
    });
    assert.ok(fused.peak < 0.6 * plain.peak, `peak ${fused.peak} bytes vs ${plain.peak} for the composites on the tape`);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    tf.dispose([...vars, h0, g, b]); // spread-ok: three tensors
  });
});

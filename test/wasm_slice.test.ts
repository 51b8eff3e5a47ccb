/**
 * The wasm backend's Slice kernel, replaced by src/backends/wasm_slice.ts: the same values as a slice computed by
 * hand, for contiguous and strided slices of rank 1-5 and every numeric dtype, without reading a JS copy of the input
 * out of the heap (tfjs' own kernel calls `readSync`, a copy of the whole input, on every call).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';

/** `x[begin : begin + size]` of a row-major array of shape `shape`, element by element (the reference). */
function sliceByHand(x: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] {
  const total = size.reduce((a, v) => a * v, 1);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let rest = i;
    let src = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rest % size[d];
      rest = Math.floor(rest / size[d]);
      src += (begin[d] + c) * stride;
      stride *= shape[d];
    }
    out.push(x[src]);
  }
  return out;
}

const CASES: [number[], number[], number[]][] = [
  [[7], [2], [4]],
  [[6, 5], [1, 0], [3, 5]], // whole rows: contiguous
  [[6, 5], [1, 2], [3, 2]], // strided
  [[1, 40, 8], [0, 12, 0], [1, 20, 8]], // the feed-forward's row blocks
  [[4, 6, 8], [1, 2, 3], [2, 3, 4]],
  [[3, 4, 5, 6], [1, 0, 2, 1], [2, 4, 2, 5]],
  [[2, 3, 4, 5, 3], [1, 1, 0, 2, 1], [1, 2, 4, 3, 2]], // rank 5: tfjs' own kernel falls back to its CPU helper
  [[5, 4], [2, 1], [0, 3]], // empty
];

describe('wasm Slice kernel (copies inside the heap)', () => {
  before(async () => {
    await initBackend('wasm', { fallbackToCpu: false });
  });

  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`slices ${dtype} tensors of rank 1-5 as a slice by hand does, contiguous or strided`, () => {
      for (const [shape, begin, size] of CASES) {
        const n = shape.reduce((a, v) => a * v, 1);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? (i * 7) % 3 === 0 ? 1 : 0 : dtype === 'int32' ? i * 37 - 500 : i * 0.37 - 11.5));
        const x = tf.tensor(values, shape, dtype);
        const y = tf.slice(x, begin, size);
        assert.deepEqual(y.shape, size);
        assert.deepEqual(Array.from(y.dataSync()), sliceByHand(dtype === 'float32' ? new Float32Array(values) : values, shape, begin, size), `${dtype} [${shape}] from [${begin}] size [${size}]`);
        tf.dispose([x, y]);
      }
    });
  }

  it('resolves a size of -1 to the rest of the axis', () => {
    const x = tf.tensor(Array.from({ length: 24 }, (_, i) => i), [4, 6], 'int32');
    const y = tf.slice(x, [1, 2], [-1, -1]);
    assert.deepEqual(y.shape, [3, 4]);
    assert.deepEqual(Array.from(y.dataSync()), sliceByHand(x.dataSync(), [4, 6], [1, 2], [3, 4]));
    tf.dispose([x, y]);
  });

  it('reads no copy of the input out of the heap, and leaves no tensor behind', () => {
    const backend = tf.backend() as unknown as { readSync: (...a: unknown[]) => unknown };
    const readSync = backend.readSync;
    let reads = 0;
    backend.readSync = function (this: unknown, ...a: unknown[]) {
      reads++;
      return readSync.apply(this, a);
    };
    const x = tf.randomUniform([1, 1024, 384]);
    const before = tf.memory().numTensors;
    try {
      for (const [b, s] of [[[0, 512, 0], [1, 512, 384]], [[0, 3, 5], [1, 100, 7]]] as const) tf.slice(x, [...b], [...s]).dispose();
    } finally {
      backend.readSync = readSync;
    }
    assert.equal(reads, 0);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  it('keeps strings on the stock kernel', () => {
    const x = tf.tensor(['a', 'b', 'c', 'd'], [2, 2], 'string');
    const y = tf.slice(x, [1, 0], [1, 2]);
    assert.deepEqual(y.arraySync(), [['c', 'd']]);
    tf.dispose([x, y]);
  });
});

/**
 * Property test of the wasm Slice replacement (src/backends/wasm_slice.ts): on seeded random shapes (rank 1-6, axes
 * of 0-7), begins and sizes (a size of -1 included, contiguous and strided slices alike) and every numeric dtype,
 * its output is bit for bit the output of tfjs' cpu backend slice on the same input (float32 inputs carry NaN, -0,
 * +-Inf and subnormals, compared as their bit patterns). test/wasm_slice.test.ts checks fixed cases against a slice
 * by hand; this one checks against the reference backend over many random ones.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';

/** mulberry32: a seeded generator, so a failing case reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Dtype = 'float32' | 'int32' | 'bool';
interface Case {
  dtype: Dtype;
  shape: number[];
  begin: number[];
  size: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

const SPECIAL = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1.17549435e-38, 3.4028234663852886e38];

function makeCases(seed: number, count: number): Case[] {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const cases: Case[] = [];
  for (let c = 0; c < count; c++) {
    const dtype = (['float32', 'int32', 'bool'] as const)[int(3)];
    const rank = 1 + int(6);
    const shape = Array.from({ length: rank }, () => (r() < 0.05 ? 0 : 1 + int(7)));
    const begin = shape.map((d) => (r() < 0.05 ? d : int(d))); // (begin = d: an empty slice of that axis)
    const size = shape.map((d, i) => (r() < 0.15 ? -1 : r() < 0.05 || begin[i] === d ? 0 : 1 + int(d - begin[i])));
    const n = shape.reduce((a, d) => a * d, 1);
    const values =
      dtype === 'float32'
        ? Float32Array.from({ length: n }, () => (r() < 0.1 ? SPECIAL[int(SPECIAL.length)] : (r() - 0.5) * 1e3))
        : dtype === 'int32'
          ? Int32Array.from({ length: n }, () => (int(2 ** 32) | 0))
          : Uint8Array.from({ length: n }, () => int(2));
    cases.push({ dtype, shape, begin, size, values });
  }
  return cases;
}

/** Each case sliced on `backend`: its shape and its values' bytes. */
async function sliceAll(backend: string, cases: Case[]): Promise<{ shape: number[]; bytes: Uint8Array }[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = cases.map(({ dtype, shape, begin, size, values }) => {
    const x = tf.tensor(values, shape, dtype);
    const y = tf.slice(x, begin, size);
    const data = y.dataSync();
    const res = { shape: y.shape, bytes: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
    tf.dispose([x, y]);
    return res;
  });
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors left behind`);
  return out;
}

describe('wasm Slice kernel: random slices, bit for bit as the cpu backend', () => {
  before(async function () {
    this.timeout(60_000);
    await initBackend('wasm', { fallbackToCpu: false });
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  for (const seed of [1, 2]) {
    it(`1,500 random (shape, begin, size, dtype) cases of seed ${seed}: the same shapes and bytes as tf's cpu slice`, async function () {
      this.timeout(120_000);
      const cases = makeCases(seed, 1500);
      const wasm = await sliceAll('wasm', cases);
      const cpu = await sliceAll('cpu', cases);
      let strided = 0;
      let empty = 0;
      for (let i = 0; i < cases.length; i++) {
        const { dtype, shape, begin, size } = cases[i];
        const what = `case ${i}: ${dtype} [${shape}] begin [${begin}] size [${size}]`;
        assert.deepEqual(wasm[i].shape, cpu[i].shape, what);
        assert.deepEqual(wasm[i].bytes, cpu[i].bytes, what);
        const s = cpu[i].shape;
        if (s.some((d) => d === 0)) empty++;
        if (s.length > 1 && s.every((d) => d > 0) && !tf.slice_util.isSliceContinous(shape, begin, s)) strided++;
      }
      assert.ok(strided > 400, `only ${strided} strided cases`); // both paths of the kernel exercised
      assert.ok(empty > 50, `only ${empty} empty slices`);
    });
  }

  it('is the kernel the wasm backend runs (the replacement is installed)', () => {
    const k = tf.getKernel('Slice', 'wasm');
    assert.ok(k && /sliceInHeap/.test(k.kernelFunc.toString()), 'the wasm backend runs tfjs-wasm\'s own Slice, not src/backends/wasm_slice.ts');
  });
});

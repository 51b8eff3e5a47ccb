/**
 * What keeps the peak RSS of a model load down (issue 17, "peak RSS of the int8 model ≤ 0.5× the fp32 one";
 * scripts/q8-rss.ts prints the measured table): a local safetensors file is read one tensor (or one block of rows)
 * at a time and closed after the load, and an int8 layer's feed-forward block runs over chunks of rows.
 * Structural checks (bytes read, reads made, file closed, results equal), not RSS readings, so that CI load cannot
 * make them flaky.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { SafetensorsFile, type RangeReader } from '../src/formats/safetensors.js';
import { installWasmKernels } from '../src/kernels/index.js';
import { denseQ8, gatherRowsQ8 } from '../src/kernels/ops.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/wasm_kernels.js';
import { freeArrayNow, Q8LinearWeight } from '../src/weights/q8.js';
import { createModel } from '../src/models/index.js';
import type { EncoderModel } from '../src/models/types.js';
import { openFileReader } from '../src/platform/fs.js';
import { WeightMap } from '../src/weights/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

/** A reader that records each read's byte count and whether it was closed. */
function counting(inner: RangeReader): RangeReader & { reads: number[]; closed: boolean } {
  const r = {
    reads: [] as number[],
    closed: false,
    size: inner.size,
    read(begin: number, end: number): Uint8Array {
      r.reads.push(end - begin);
      return inner.read(begin, end);
    },
    close(): void {
      r.closed = true;
      inner.close();
    },
  };
  return r;
}

const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);

describe('model loads read their checkpoint a tensor at a time (peak RSS, issue 17)', () => {
  before(async function () {
    assert.equal(await initBackend('wasm', { fallbackToCpu: false }), 'wasm');
    assert.equal(await installWasmKernels(), true);
  });

  it('SafetensorsFile.open reads only the header until a tensor is asked for, then that tensor alone, with the values parse() gives', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-f16'])) return;
    const path = fixture('models', 'tiny-bert-f16', 'model.safetensors');
    const whole = SafetensorsFile.parse(readFileSync(path), path);
    const reader = counting(await openFileReader(path));
    const file = SafetensorsFile.open(reader, path);
    const headerLen = Number(new DataView(readFileSync(path).buffer, 0, 8).getBigUint64(0, true));
    assert.deepEqual(reader.reads, [8, headerLen]);
    assert.deepEqual(file.names().sort(), whole.names().sort());
    assert.equal(file.readsCopies, true);
    assert.equal(whole.readsCopies, false);
    const name = 'embeddings.word_embeddings.weight';
    const info = file.info(name);
    assert.equal(info.dtype, 'F16');
    assert.deepEqual(file.float32(name), whole.float32(name));
    assert.equal(reader.reads.at(-1), info.end - info.begin);
    // a run of rows alone: elements [2 * dim, 5 * dim) of the table
    const dim = info.shape[1];
    assert.deepEqual(file.typedRange(name, 2 * dim, 5 * dim), (whole.typed(name) as Uint16Array).subarray(2 * dim, 5 * dim));
    assert.equal(reader.reads.at(-1), 3 * dim * 2);
    assert.throws(() => file.typedRange(name, 0, info.end - info.begin), /typedRange: expected 0 <= begin <= end <= /);
    file.close();
    assert.equal(reader.closed, true);
    assert.throws(() => file.float32(name), /read after close/);
  });

  it('quantize-at-load reads every int8 layer of a file through one shared block buffer, with the int8 values of the whole-file path', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-f16'])) return;
    const path = fixture('models', 'tiny-bert-f16', 'model.safetensors');
    const file = SafetensorsFile.open(await openFileReader(path), path);
    const scratches = new Set<ArrayBuffer | undefined>();
    const range = file.typedRange.bind(file);
    file.typedRange = (name, begin, end, scratch) => {
      scratches.add(scratch);
      return range(name, begin, end, scratch);
    };
    const whole = SafetensorsFile.parse(readFileSync(path), path);
    const wm = WeightMap.from(file, { dtype: 'q8' });
    const ref = WeightMap.from(whole, { dtype: 'q8' });
    const names = file.names().filter((n) => /intermediate\.dense\.weight$|output\.dense\.weight$|query\.weight$/.test(n) && !/attention\.output/.test(n));
    assert.ok(names.length >= 3, `expected several linear weights in the fixture, got ${names}`);
    for (const n of names) {
      const layer = n.slice(0, -'.weight'.length);
      const [out, inF] = file.info(n).shape;
      const a = wm.linearQ8(layer, inF, out).q8;
      const b = ref.linearQ8(layer, inF, out).q8;
      assert.deepEqual(a.values, b.values, layer);
      assert.deepEqual(a.scales, b.scales, layer);
    }
    assert.equal(scratches.size, 1, 'one block buffer for all the layers');
    assert.ok(!scratches.has(undefined));
    wm.detachSource();
    wm.dispose();
    ref.dispose();
  });

  it('openFileReader names a read past the end of the file (a file changed while loading)', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-f16'])) return;
    const path = fixture('models', 'tiny-bert-f16', 'config.json');
    const reader = await openFileReader(path);
    try {
      assert.throws(() => reader.read(0, reader.size + 1), (e: Error) => e.message.includes(path) && e.message.includes(`the file ended at byte ${reader.size}`));
      assert.equal(new TextDecoder().decode(reader.read(0, 1)), '{');
    } finally {
      reader.close();
    }
    reader.close(); // idempotent
  });

  it('a q8 load of a float16 checkpoint reads each byte at most once, in reads of at most 2 MiB (never the whole table), and closes the file', async function () {
    if (!requireFixtures(this, ['models', 'minilm-l6-full'])) return;
    const dir = fixture('models', 'minilm-l6-full');
    const path = join(dir, 'model.safetensors');
    const reader = counting(await openFileReader(path));
    const weights = WeightMap.from(SafetensorsFile.open(reader, path), { dtype: 'q8' });
    const model = createModel(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>, weights);
    try {
      weights.detachSource();
      assert.equal(reader.closed, true);
      // The word-embedding table (30522 x 384 float16, 23.4 MB) is read in blocks of 2^20 elements (2 MiB); the largest
      // other tensor (an FFN weight, 1536 x 384 float16) is 1.2 MB. Before, the whole 45 MB file was one read.
      assert.ok(Math.max(...reader.reads.slice(2)) <= 2 ** 21, `largest read ${Math.max(...reader.reads.slice(2))} bytes`); // spread-ok: ~200 reads
      assert.ok(sum(reader.reads) <= reader.size, `read ${sum(reader.reads)} bytes of a ${reader.size}-byte file`);
      const ids = tf.tensor2d([[101, 7592, 2088, 102]], [1, 4], 'int32');
      const mask = tf.onesLike(ids) as tf.Tensor2D;
      const readBefore = reader.reads.length;
      const out = model.forward({ inputIds: ids, attentionMask: mask });
      assert.equal(reader.reads.length, readBefore); // the forward reads nothing more (the file is closed)
      tf.dispose([ids, mask, out.lastHiddenState]);
    } finally {
      model.dispose();
    }
  });

  it("an int8 BERT layer's feed-forward over chunks of 512 rows (one feedForwardQ8 kernel call) gives the whole batch's numbers, bit for bit", async function () {
    if (!requireFixtures(this, ['models', 'minilm-l6-full'])) return;
    this.timeout(300000);
    const dir = fixture('models', 'minilm-l6-full');
    const path = join(dir, 'model.safetensors');
    const weights = WeightMap.from(SafetensorsFile.open(await openFileReader(path), path), { dtype: 'q8' });
    const model = createModel(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>, weights);
    weights.detachSource();
    try {
      const before = tf.memory().numTensors;
      // Chunks of 512 and 178 rows ([3, 230]; and with the attention maps asked for), of 512 and 88 rows ([2, 300]).
      for (const [b, t, outputAttentions] of [[3, 230, false], [2, 300, false], [3, 230, true]] as const) {
        const idv = new Int32Array(b * t).map((_, i) => 1000 + ((i * 7919) % 20000));
        const maskv = new Int32Array(b * t).map((_, i) => (i % t < t - 40 * ((i / t) | 0) ? 1 : 0)); // padded rows too
        const ids = tf.tensor2d(idv, [b, t], 'int32');
        const mask = tf.tensor2d(maskv, [b, t], 'int32');
        const chunked = model.forward({ inputIds: ids, attentionMask: mask }, { outputAttentions });
        // A tap makes the layer take its whole-batch path (each module's output is recorded).
        const whole = model.forward({ inputIds: ids, attentionMask: mask }, { outputAttentions, taps: ['encoder.layer.5.intermediate'] });
        const a = chunked.lastHiddenState.dataSync();
        const w = whole.lastHiddenState.dataSync();
        let diff = 0;
        for (let i = 0; i < a.length; i++) if (a[i] !== w[i]) diff++;
        assert.equal(diff, 0, `[${b}, ${t}]: ${diff} of ${a.length} values differ`);
        assert.ok(a.every(Number.isFinite));
        tf.dispose([ids, mask, chunked.lastHiddenState, whole.lastHiddenState, ...(chunked.attentions ?? []), ...(whole.attentions ?? []), ...Object.values(whole.intermediates ?? {})]); // spread-ok: 6 layers
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });

  it('an int8 model runs a batch of more than 2048 tokens in groups of whole sequences, with the whole batch\'s numbers bit for bit', async function () {
    if (!requireFixtures(this, ['models', 'minilm-l6-full'])) return;
    this.timeout(300000);
    const dir = fixture('models', 'minilm-l6-full');
    const path = join(dir, 'model.safetensors');
    const weights = WeightMap.from(SafetensorsFile.open(await openFileReader(path), path), { dtype: 'q8' });
    const model = createModel(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>, weights) as unknown as {
      forward: EncoderModel['forward'];
      embeddings: { apply: (ids: tf.Tensor2D, ...rest: unknown[]) => tf.Tensor3D };
      dispose: () => void;
    };
    weights.detachSource();
    // the batch sizes the embeddings see (one call per group of sequences)
    const seen: number[] = [];
    const apply = model.embeddings.apply.bind(model.embeddings);
    model.embeddings.apply = (ids, ...rest) => (seen.push(ids.shape[0]), apply(ids, ...rest)); // spread-ok: 2 arguments
    try {
      const before = tf.memory().numTensors;
      // [12, 200] = 2400 tokens: groups of floor(2048 / 200) = 10 sequences, then 2; [10, 200] = 2000 tokens: whole.
      for (const [b, t, groups] of [[12, 200, [10, 2]], [10, 200, [10]]] as const) {
        const idv = new Int32Array(b * t).map((_, i) => 1000 + ((i * 7919) % 20000));
        const maskv = new Int32Array(b * t).map((_, i) => (i % t < t - 15 * ((i / t) | 0) ? 1 : 0)); // padded rows too
        const ids = tf.tensor2d(idv, [b, t], 'int32');
        const mask = tf.tensor2d(maskv, [b, t], 'int32');
        const types = tf.tensor2d(new Int32Array(b * t).map((_, i) => (i % t > t / 2 ? 1 : 0)), [b, t], 'int32');
        seen.length = 0;
        const grouped = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types });
        assert.deepEqual(seen.slice(), groups);
        // Hidden states asked for: the whole batch at once.
        seen.length = 0;
        const whole = model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: types }, { outputHiddenStates: true });
        assert.deepEqual(seen.slice(), [b]);
        assert.deepEqual(grouped.lastHiddenState.shape, [b, t, 384]);
        const a = grouped.lastHiddenState.dataSync();
        const w = whole.lastHiddenState.dataSync();
        let diff = 0;
        for (let i = 0; i < a.length; i++) if (a[i] !== w[i]) diff++;
        assert.equal(diff, 0, `[${b}, ${t}]: ${diff} of ${a.length} values differ`);
        assert.ok(a.every(Number.isFinite));
        tf.dispose([ids, mask, types, grouped.lastHiddenState, ...(whole.hiddenStates ?? [])]); // spread-ok: 7 states
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });

  it('the int8 row gather writes into the wasm heap the numbers of the JS path, bit for bit, makes no JS float array, and names a bad id', function () {
    const [num, dim] = [50, 24];
    const w = new Float32Array(num * dim).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const table = Q8LinearWeight.quantize(w, num, dim);
    const ids = tf.tensor2d([[3, 0, 49, 3], [7, 7, 12, 1]], [2, 4], 'int32');
    const before = tf.memory().numTensors;
    const F32 = globalThis.Float32Array;
    // the sizes of the Float32Arrays made in JS while `f` runs
    const madeBy = <T>(f: () => T): [T, number[]] => {
      const made: number[] = [];
      globalThis.Float32Array = new Proxy(F32, {
        construct(target, args: unknown[]) {
          if (typeof args[0] === 'number') made.push(args[0]);
          return Reflect.construct(target, args) as Float32Array;
        },
      });
      try {
        return [f(), made];
      } finally {
        globalThis.Float32Array = F32;
      }
    };
    const [onWasm, kernelMade] = madeBy(() => gatherRowsQ8(table, ids));
    disableWasmKernels();
    let inJs: tf.Tensor;
    let jsMade: number[];
    try {
      [inJs, jsMade] = madeBy(() => gatherRowsQ8(table, ids));
    } finally {
      enableWasmKernels();
    }
    assert.deepEqual(kernelMade.filter((n) => n >= 8 * dim), []);
    assert.deepEqual(jsMade.filter((n) => n >= 8 * dim), [8 * dim]); // (the JS path's [2, 4, dim] array)
    assert.deepEqual(onWasm.shape, [2, 4, dim]);
    assert.deepEqual(onWasm.dataSync(), inJs.dataSync());
    // row 49 by hand: values * scale
    const v = table.values;
    assert.deepEqual(onWasm.dataSync().subarray(2 * dim, 3 * dim), F32.from(v.subarray(49 * dim, 50 * dim), (q) => q * table.scales[49]));
    tf.dispose([onWasm, inJs]);
    const bad = tf.tensor1d([1, 50], 'int32');
    assert.throws(() => gatherRowsQ8(table, bad), /gatherRowsQ8: id 50 at 1 is outside \[0, 50\)/);
    bad.dispose();
    assert.equal(tf.memory().numTensors, before);
    ids.dispose();
  });
  /** Whether this engine has ArrayBuffer.prototype.transfer (ES2024: Node 21+), which frees a buffer at once. */
  const canFree = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

  it("frees an array's memory at once only when it is the whole of its own buffer (else leaves it alone)", () => {
    const own = new Int8Array(1000).fill(5);
    const view = new Int8Array(new ArrayBuffer(1000), 8, 100).fill(5);
    assert.equal(freeArrayNow(view), false);
    assert.equal(view.length, 100);
    assert.equal(freeArrayNow(own), canFree);
    assert.equal(own.buffer.byteLength, canFree ? 0 : 1000);
    assert.equal(freeArrayNow(own), false); // (already freed, or no transfer)
  });

  it('once the wasm kernel packs a quantized weight, the JS copy of its values is freed at once (a caller\'s array is only dropped)', async function () {
    await initBackend('wasm', { fallbackToCpu: false });
    if (!(await installWasmKernels())) this.skip();
    const [m, k, n] = [3, 40, 16];
    const rand = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
    const w = Q8LinearWeight.quantize(rand(n * k, 1), n, k);
    const held = w.values;
    const expected = held.slice();
    const callers = Q8LinearWeight.quantize(rand(n * k, 2), n, k).values.slice();
    const c = new Q8LinearWeight(callers, new Float32Array(n).fill(0.01), k, n);
    const x = tf.tensor2d(rand(m * k, 3), [m, k]);
    const before = tf.memory().numTensors;
    tf.tidy(() => [denseQ8(x, w), denseQ8(x, c)]).forEach((t) => t.dispose());
    assert.equal(tf.memory().numTensors, before);
    assert.equal(w.holdsValues, false);
    assert.equal(held.buffer.byteLength, canFree ? 0 : expected.length); // the quantized copy: freed
    assert.deepEqual(w.values, expected); // (re-derived from the packed copy)
    assert.equal(callers.buffer.byteLength, callers.length); // the caller's array: intact
    tf.dispose(x);
    w.dispose();
    c.dispose();
  });

  it('quantize-at-load frees its block buffers when the source is detached', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-f16'])) return;
    const path = fixture('models', 'tiny-bert-f16', 'model.safetensors');
    const file = SafetensorsFile.open(await openFileReader(path), path);
    const scratches = new Set<ArrayBuffer>();
    const range = file.typedRange.bind(file);
    file.typedRange = (name, begin, end, scratch) => {
      if (scratch) scratches.add(scratch);
      return range(name, begin, end, scratch);
    };
    const wm = WeightMap.from(file, { dtype: 'q8' });
    const name = file.names().find((nm) => /intermediate\.dense\.weight$/.test(nm))!;
    const [out, inF] = file.info(name).shape;
    const q = wm.linearQ8(name.slice(0, -'.weight'.length), inF, out).q8;
    assert.equal(scratches.size, 1);
    const [scratch] = scratches;
    assert.ok(scratch.byteLength > 0);
    wm.detachSource();
    assert.equal(scratch.byteLength === 0, canFree);
    assert.equal(q.values.length, out * inF); // (the weight itself lives on)
    wm.dispose();
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  halfToFloat,
  loadCheckpointDir,
  readSafetensorsFile,
  SafetensorsError,
  SafetensorsFile,
  serializeSafetensors,
} from '../src/weights/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

/** Build a file by hand: header object + data bytes. */
function craft(header: unknown, data = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp) {
  assert.throws(
    () => SafetensorsFile.parse(bytes, 'bad.safetensors'),
    (e: unknown) => e instanceof SafetensorsError && /bad\.safetensors/.test(e.message) && pattern.test(e.message),
  );
}

describe('safetensors reader', () => {
  it('converts float16 bit patterns to float32 exactly', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24); // smallest subnormal
    assert.equal(halfToFloat(0x0400), 2 ** -14); // smallest normal
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    assert.ok(Object.is(halfToFloat(0x8000), -0));
  });

  it('reads every dtype, BF16 and F16 as exact float32', () => {
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x0001]);
    const bf16 = new Uint16Array([0x3f80, 0xc040, 0x4049]); // 1, -3, 3.140625
    const file = SafetensorsFile.parse(
      serializeSafetensors({
        a: { dtype: 'F16', shape: [3], data: f16 },
        b: { dtype: 'BF16', shape: [3], data: bf16 },
        c: { dtype: 'F64', shape: [2], data: new Float64Array([0.1, -2.5]) },
        d: { dtype: 'I64', shape: [2], data: new BigInt64Array([-5n, 123456789n]) },
        e: { dtype: 'I32', shape: [1], data: new Int32Array([-7]) },
        f: { dtype: 'I16', shape: [1], data: new Int16Array([-300]) },
        g: { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
        h: { dtype: 'U8', shape: [1], data: new Uint8Array([255]) },
        i: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
        j: { dtype: 'F32', shape: [2, 0], data: new Float32Array(0) },
      }),
    );
    assert.deepEqual([...file.float32('a')], [1, -2, 2 ** -24]);
    assert.deepEqual([...file.float32('b')], [1, -3, 3.140625]);
    assert.deepEqual([...file.float32('c')], [Math.fround(0.1), -2.5]);
    assert.deepEqual([...(file.typed('d') as BigInt64Array)], [-5n, 123456789n]);
    assert.deepEqual([...file.float32('e')], [-7]);
    assert.deepEqual([...file.float32('f')], [-300]);
    assert.deepEqual([...file.float32('g')], [-128, 127]);
    assert.deepEqual([...file.float32('h')], [255]);
    assert.deepEqual([...file.typed('i')], [1, 0]);
    assert.deepEqual(file.info('j').shape, [2, 0]);
    assert.equal(file.float32('j').length, 0);
  });

  it('returns zero-copy views for aligned tensors and copies only misaligned ones', () => {
    const bytes = serializeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array([1, 2, 3, 4]) } });
    const file = SafetensorsFile.parse(bytes);
    const v = file.float32('w');
    assert.equal(v.buffer, bytes.buffer, 'aligned F32 must be a view');
    // Shift the whole file by one byte: the data is no longer 4-aligned, so it must be copied (and still correct).
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const file2 = SafetensorsFile.parse(shifted.subarray(1));
    const v2 = file2.float32('w');
    assert.notEqual(v2.buffer, shifted.buffer);
    assert.deepEqual([...v2], [1, 2, 3, 4]);
  });

  it('exposes __metadata__', () => {
    const file = SafetensorsFile.parse(
      serializeSafetensors({ x: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) } }, { format: 'pt', note: 'hi' }),
    );
    assert.deepEqual(file.metadata, { format: 'pt', note: 'hi' });
    assert.deepEqual(file.names(), ['x']);
  });

  describe('validation', () => {
    const f32 = (n: number) => new Uint8Array(4 * n);
    it('rejects a file too short for the length prefix', () => rejects(new Uint8Array(4), /too short/));
    it('rejects a header length beyond the file', () => {
      const b = craft({});
      new DataView(b.buffer).setBigUint64(0, 1000n, true);
      rejects(b, /beyond the end of the file/);
    });
    it('rejects a header length above 100 MB', () => {
      const b = craft({});
      new DataView(b.buffer).setBigUint64(0, 200_000_000n, true);
      rejects(b, /above the 100000000-byte limit/);
    });
    it('rejects a header that is not JSON', () => rejects(craft(null, undefined, '{"a": '), /not valid UTF-8 JSON/));
    it('rejects a header that is not an object', () => rejects(craft([1, 2]), /must be a JSON object, got an array/));
    it('rejects an unknown dtype, naming the tensor', () =>
      rejects(craft({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, f32(1)), /tensor "w": unknown dtype "F8"/));
    it('rejects data_offsets beyond the data buffer', () =>
      rejects(craft({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /tensor "w".*out of range/));
    it('rejects data_offsets that disagree with shape x dtype', () =>
      rejects(craft({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /tensor "w".*needs 12/));
    it('rejects overlapping tensors', () =>
      rejects(
        craft(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          f32(3),
        ),
        /overlap/,
      ));
    it('rejects negative and non-integer shapes', () => {
      rejects(craft({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /tensor "w": shape must hold non-negative integers/);
      rejects(craft({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)), /non-negative integers/);
    });
    it('rejects duplicate tensor names', () =>
      rejects(
        craft(null, f32(2), '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'),
        /tensor "w": duplicate/,
      ));
    it('reports a missing tensor by name', () => {
      const file = SafetensorsFile.parse(craft({}), 'x.safetensors');
      assert.throws(() => file.float32('nope'), /x\.safetensors: tensor "nope": cannot find tensor/);
    });
  });
});

describe('safetensors writer', () => {
  it('round-trips tensors with sorted layout and an 8-byte aligned header', () => {
    const tensors = {
      zeta: { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      alpha: { dtype: 'I64' as const, shape: [2], data: new BigInt64Array([1n, -2n]) },
      mid: { dtype: 'U8' as const, shape: [3], data: new Uint8Array([7, 8, 9]) },
    };
    const bytes = serializeSafetensors(tensors, { format: 'np' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, 'header length is a multiple of 8');
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.deepEqual(Object.keys(header), ['__metadata__', 'alpha', 'mid', 'zeta']);
    assert.deepEqual(header.alpha.data_offsets, [0, 16]);
    assert.deepEqual(header.mid.data_offsets, [16, 19]);
    assert.deepEqual(header.zeta.data_offsets, [19, 43]);
    const file = SafetensorsFile.parse(bytes);
    assert.deepEqual([...file.float32('zeta')], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...(file.typed('alpha') as BigInt64Array)], [1n, -2n]);
    assert.deepEqual([...file.typed('mid')], [7, 8, 9]);
  });

  it('refuses data whose size disagrees with the shape', () => {
    assert.throws(
      () => serializeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
      /tensors\["w"\]: shape \[3\] x F32 needs 12 bytes, data has 8/,
    );
  });

  it("writes files that Python's safetensors reader loads", function () {
    const py = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
    if (py.status !== 0 || !requireFixtures(this, ['generate', 'pyshim', 'safetensors'])) {
      if (py.status !== 0) console.warn('  [skip] python3 with numpy not available');
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    try {
      const path = join(dir, 'out.safetensors');
      writeFileSync(
        path,
        serializeSafetensors(
          {
            emb: { dtype: 'F32', shape: [2, 2], data: new Float32Array([0.5, -1.25, 3, 1e-8]) },
            ids: { dtype: 'I64', shape: [3], data: new BigInt64Array([1n, 2n, 3n]) },
          },
          { sentences: '["a","b"]' },
        ),
      );
      // The shim (written from the format spec, used to make the fixtures) stands in for Python's safetensors.
      const script = [
        'import sys, json',
        `sys.path.insert(0, ${JSON.stringify(fixture('generate', 'pyshim'))})`,
        'from safetensors.numpy import load_file',
        'from safetensors import safe_open',
        `d = load_file(${JSON.stringify(path)})`,
        `m = safe_open(${JSON.stringify(path)}, framework="np").metadata()`,
        'print(json.dumps({"emb": d["emb"].tolist(), "ids": d["ids"].tolist(), "dtype": str(d["emb"].dtype), "meta": m}))',
      ].join('\n');
      const out = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const got = JSON.parse(out.stdout);
      assert.deepEqual(got.emb, [[0.5, -1.25], [3, Math.fround(1e-8)]]);
      assert.deepEqual(got.ids, [1, 2, 3]);
      assert.equal(got.dtype, 'float32');
      assert.deepEqual(got.meta, { sentences: '["a","b"]' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors on Python-written fixtures', () => {
  it('reads a reference file whose I64 and F32 tensors equal the JSON copies', async function () {
    if (!requireFixtures(this, ['reference', 'tiny-bert', 'reference.safetensors'])) return;
    const file = await readSafetensorsFile(fixture('reference', 'tiny-bert', 'reference.safetensors'));
    const ref = JSON.parse(readFileSync(fixture('reference', 'tiny-bert', 'reference.json'), 'utf8'));
    assert.equal(file.metadata?.model, ref.model);
    for (const [name, info] of Object.entries(ref.tensors as Record<string, { dtype: string; shape: number[] }>)) {
      assert.equal(file.info(name).dtype, info.dtype, name);
      assert.deepEqual(file.info(name).shape, info.shape, name);
    }
    const ids = file.typed('batch.input_ids') as BigInt64Array;
    assert.deepEqual([...ids].map(Number), (ref.batch.input_ids as number[][]).flat());
    const emb = file.float32('encode.embeddings');
    assert.deepEqual([...emb], (ref.encode.embeddings as number[][]).flat());
  });

  it('reads F16 and BF16 checkpoints as the float32 weights rounded to those formats', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-f16'], ['models', 'tiny-bert-bf16'])) return;
    const f32 = await loadCheckpointDir(fixture('models', 'tiny-bert'));
    for (const [variant, dtype, bits] of [['tiny-bert-f16', 'F16', 11], ['tiny-bert-bf16', 'BF16', 8]] as const) {
      const low = await loadCheckpointDir(fixture('models', variant));
      assert.deepEqual(low.names().sort(), f32.names().sort());
      for (const name of low.names()) {
        assert.equal(low.info(name).dtype, dtype);
        const a = low.float32(name);
        const b = f32.float32(name);
        for (let i = 0; i < a.length; i++) {
          // round-to-nearest into a `bits`-bit significand: error at most half an ulp
          const tol = Math.abs(b[i]) * 2 ** -bits + 2 ** -25;
          if (!(Math.abs(a[i] - b[i]) <= tol)) assert.fail(`${variant} ${name}[${i}]: ${a[i]} vs f32 ${b[i]}`);
        }
      }
    }
  });

  it('reads a sharded checkpoint through model.safetensors.index.json', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-sharded'])) return;
    const sharded = await loadCheckpointDir(fixture('models', 'tiny-bert-sharded'));
    const single = await loadCheckpointDir(fixture('models', 'tiny-bert'));
    assert.deepEqual(sharded.names().sort(), single.names().sort());
    for (const name of single.names()) assert.deepEqual(sharded.float32(name), single.float32(name), name);
  });

  it('explains a directory that only has pytorch_model.bin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    try {
      writeFileSync(join(dir, 'pytorch_model.bin'), 'x');
      await assert.rejects(loadCheckpointDir(dir), /only pytorch_model\.bin found; sentence-tfjs reads safetensors only/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors: the unsigned and float8 dtypes (U16, U32, U64, F8_E4M3, F8_E5M2)', () => {
  // Written by PyTorch 2.13 + safetensors 0.8 (test/data/safetensors_dtypes/gen_dtypes.py), with PyTorch's `.float()`.
  const dir = join(import.meta.dirname, 'data', 'safetensors_dtypes');
  const file = SafetensorsFile.parse(readFileSync(join(dir, 'dtypes.safetensors')), 'dtypes.safetensors');
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { shape: number[]; values: (number | string | null)[] }>;

  for (const [name, dtype] of [['f8_e4m3', 'F8_E4M3'], ['f8_e5m2', 'F8_E5M2'], ['u16', 'U16'], ['u32', 'U32'], ['u64', 'U64']] as const) {
    it(`${dtype}: every value equals PyTorch's float32 conversion (NaN and infinities included)`, () => {
      assert.equal(file.info(name).dtype, dtype);
      assert.deepEqual(file.info(name).shape, expected[name].shape);
      const got = file.float32(name);
      const want = expected[name].values;
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        const w = want[i];
        if (w === null) assert.ok(Number.isNaN(got[i]), `${name}[${i}]: expected NaN, got ${got[i]}`);
        else assert.equal(got[i], typeof w === 'string' ? Number(w.replace('inf', 'Infinity')) : Math.fround(w), `${name}[${i}]`);
      }
    });
  }

  it('typed() gives the stored integers (U64 as BigUint64Array)', () => {
    assert.deepEqual(Array.from(file.typed('u16') as Uint16Array), [0, 1, 255, 256, 32767, 32768, 65535]);
    assert.deepEqual(Array.from(file.typed('u64') as BigUint64Array), [0n, 1n, 2n ** 32n, 2n ** 53n - 1n]);
  });

  it('a U64 or I64 value beyond 2^53 is refused by float32(), naming the tensor', () => {
    const big = new BigUint64Array([1n, 2n ** 63n]);
    const bytes = serializeSafetensors({ ids: { dtype: 'U64', shape: [2], data: big } });
    const f = SafetensorsFile.parse(bytes, 'big.safetensors');
    assert.deepEqual(Array.from(f.typed('ids') as BigUint64Array), [1n, 2n ** 63n]);
    assert.throws(() => f.float32('ids'), (e: Error) => e instanceof SafetensorsError && /tensor "ids": U64 element 1 is 9223372036854775808, beyond 2\^53/.test(e.message));
  });

  it('round-trips through serializeSafetensors byte for byte', () => {
    const tensors: Record<string, { dtype: 'F8_E4M3' | 'F8_E5M2' | 'U16' | 'U32' | 'U64'; shape: number[]; data: never }> = {};
    for (const n of file.names()) tensors[n] = { dtype: file.info(n).dtype as never, shape: [...file.info(n).shape], data: file.typed(n) as never };
    const again = SafetensorsFile.parse(serializeSafetensors(tensors, { format: 'pt' }));
    for (const n of file.names()) assert.deepEqual(again.typed(n), file.typed(n));
  });
});

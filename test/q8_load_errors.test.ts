/**
 * A quantized folder (`sentence-tfjs quantize`, docs/q8.md "Saved format") whose int8 tensors are wrong is refused
 * at load with a ModelConfigError naming the file, the tensor and what was expected and got, leaking no tensor;
 * regressions of what `npm run fuzz -- --target q8 --seed 1` found (before: plain `Error`s, and scales too large
 * for any float32 weight row accepted, the embeddings then NaN).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { ModelConfigError } from '../src/formats/errors.js';
import { SafetensorsFile, serializeSafetensors, type Dtype, type TensorToWrite } from '../src/formats/safetensors.js';
import { SentenceTransformer } from '../src/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

type Tensors = Record<string, TensorToWrite>;

describe('quantized folder with broken int8 tensors: a named ModelConfigError', function () {
  this.timeout(120_000);
  let tmp: string;
  let base: string;
  let n = 0;
  const Q = 'encoder.layer.1.output.dense'; // FFN down: [32, 64] on tiny-bert
  const O = 'encoder.layer.0.attention.output.dense'; // an attention output projection (per-head scales)

  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    await initBackend('cpu');
    tmp = mkdtempSync(join(tmpdir(), 'stfjs-q8err-'));
    base = join(tmp, 'base');
    const st = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: 'cpu', dtype: 'q8' });
    await st.save(base);
    st.dispose();
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  /** A copy of the base folder with its checkpoint's tensors edited by `edit`. */
  function variant(edit: (t: Tensors) => void): string {
    const dir = join(tmp, `v${n++}`);
    cpSync(base, dir, { recursive: true });
    const f = SafetensorsFile.parse(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors');
    const t: Tensors = {};
    for (const name of f.names()) t[name] = { dtype: f.info(name).dtype as Dtype, shape: [...f.info(name).shape], data: f.typed(name).slice() };
    edit(t);
    writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(t, { format: 'pt' }));
    return dir;
  }

  /** Load `dir`: it must fail with a ModelConfigError whose key is `key` and whose message matches `re`; no tensor leaked. */
  async function rejects(dir: string, key: string, re: RegExp): Promise<void> {
    const before = tf.memory().numTensors;
    await assert.rejects(SentenceTransformer.load(dir, { device: 'cpu' }), (e: unknown) => {
      assert.ok(e instanceof ModelConfigError, `${(e as Error).name}: ${(e as Error).message}`);
      assert.equal(e.key, key);
      assert.match(e.file, /model\.safetensors$/);
      assert.match(e.message, re);
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
  }

  it('refuses an int8 value of -128, naming the tensor and the index', async () => {
    const dir = variant((t) => ((t[`${Q}.weight_q8`].data as Int8Array)[5] = -128));
    await rejects(dir, `${Q}.weight_q8`, /values must lie in \[-127, 127\], got -128 at 5/);
  });

  it('refuses int8 values of the wrong shape or dtype, with expected and got', async () => {
    await rejects(variant((t) => (t[`${Q}.weight_q8`].shape = [64, 32])), `${Q}.weight_q8`, /expected I8 \[32, 64\], got I8 \[64, 32\]/);
    await rejects(variant((t) => (t[`${Q}.weight_q8`] = { dtype: 'U8', shape: [32, 64], data: new Uint8Array(32 * 64) })), `${Q}.weight_q8`, /expected I8 \[32, 64\], got U8 \[32, 64\]/);
  });

  it('refuses scales of the wrong dtype or shape, or missing', async () => {
    await rejects(variant((t) => (t[`${Q}.weight_scale`] = { dtype: 'F64', shape: [32], data: new Float64Array(32).fill(0.01) })), `${Q}.weight_scale`, /expected F32 \[32\], got F64 \[32\]/);
    await rejects(variant((t) => (t[`${Q}.weight_scale`] = { dtype: 'F32', shape: [33], data: new Float32Array(33).fill(0.01) })), `${Q}.weight_scale`, /expected F32 \[32\], got F32 \[33\]/);
    await rejects(variant((t) => delete t[`${Q}.weight_scale`]), `${Q}.weight_scale`, /cannot find tensor .*weight_scale \(the scales of .*weight_q8\)/);
  });

  it('refuses NaN, infinite, zero, negative scales and scales no float32 weight row gives (above 3.4028235e38 / 127)', async () => {
    for (const [v, at] of [[NaN, 3], [Infinity, 0], [0, 31], [-0.5, 1], [3e38, 2], [2.7e36, 4]] as const) {
      const dir = variant((t) => ((t[`${Q}.weight_scale`].data as Float32Array)[at] = v));
      await rejects(dir, `${Q}.weight_scale`, new RegExp(`scales must be finite, > 0 and at most 2\\.679\\d*e\\+36 .*got ${String(Math.fround(v)).replace(/[.+]/g, '\\$&')} at ${at}`));
    }
  });

  it('accepts the largest scale a float32 row gives, and a 1e3 one: finite embeddings', async () => {
    for (const v of [Math.fround(3.4028234663852886e38 / 127), 1e3]) {
      const dir = variant((t) => ((t[`${O}.weight_scale`].data as Float32Array)[0] = v));
      const st = await SentenceTransformer.load(dir, { device: 'cpu' });
      if (v === 1e3) {
        const e = (await st.encode(['hello world'])) as unknown as ArrayLike<number>[];
        assert.ok(Array.from(e[0]).every(Number.isFinite));
      }
      st.dispose();
    }
  });

  it('a layer with neither float32 nor int8 weights names both keys', async () => {
    const dir = variant((t) => {
      t[`${Q}.weight_q8x`] = t[`${Q}.weight_q8`];
      delete t[`${Q}.weight_q8`];
    });
    await rejects(dir, `${Q}.weight`, new RegExp(`cannot find tensor ${Q}\\.weight \\(nor ${Q}\\.weight_q8\\)`));
  });

  it('a format-2 float32 attention output projection holding NaN is refused at its quantization at load', async () => {
    const dir = variant((t) => {
      const w = new Float32Array(32 * 32).fill(0.01);
      w[40] = NaN;
      t[`${O}.weight`] = { dtype: 'F32', shape: [32, 32], data: w };
      delete t[`${O}.weight_q8`];
      delete t[`${O}.weight_scale`];
    });
    await rejects(dir, `${O}.weight`, /row 1 holds a non-finite value/);
  });
});

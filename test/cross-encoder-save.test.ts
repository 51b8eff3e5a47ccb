/**
 * CrossEncoder.save: the folder sentence-transformers 6.0.1's `CrossEncoder.save` writes (reference/st6/save_layout.json
 * `saves["tiny-bert-cross-encoder"]`), loaded back bit for bit. That Python 6.0.1 loads such a folder and gives the
 * same scores was checked with scripts/st6-save-check.ts + scripts/st6-save-check.py (not a test dependency; the recorded run is in the .py header).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SafetensorsFile } from '../src/formats/safetensors.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadSt6Reference, maxAbsDiff, st6Parts } from './helpers/st_reference.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';
type Pair = [string, string];

const readJSON = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** predict() as raw float32 bits, to compare bit for bit. */
async function predictBits(ce: CrossEncoder, pairs: Pair[]): Promise<Uint32Array> {
  const t = await ce.predict(pairs, { convertToTensor: true });
  try {
    return new Uint32Array(((await t.data()) as Float32Array).slice().buffer);
  } finally {
    t.dispose();
  }
}

describe('CrossEncoder.save (the sentence-transformers 6.0.1 layout)', function () {
  this.timeout(600_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ce-save-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  for (const name of ['tiny-bert-cross-encoder', 'tiny-roberta-nli-cross-encoder']) {
    it(`${name}: load -> save -> load gives bit-identical predict() and 6.0.1's scores`, async function () {
      if (!requireFixtures(this, ...st6Parts(name), ['models', name])) return;
      const ref = loadSt6Reference(name);
      const pairs = ref.json.pairs as Pair[];
      const dir = join(root, 'saved');
      const a = await CrossEncoder.load(fixture('models', name), { device: DEVICE });
      let b: CrossEncoder | undefined;
      let c: CrossEncoder | undefined;
      try {
        const before = await predictBits(a, pairs);
        const tensors = tf.memory().numTensors;
        await a.save(dir);
        assert.equal(tf.memory().numTensors, tensors, 'save leaks no tensors');
        b = await CrossEncoder.load(dir, { device: DEVICE });
        assert.deepEqual(await predictBits(b, pairs), before, 'reloaded predict is bit-identical');
        assert.deepEqual(await predictBits(a, pairs), before, 'predict after save is unchanged');
        assert.equal(b.numLabels, a.numLabels);
        assert.deepEqual(b.labels, a.labels);
        assert.equal(b.defaultActivationName, a.defaultActivationName);
        assert.equal(b.maxSeqLength, a.maxSeqLength);
        const scores = (await b.predict(pairs)) as number[] | number[][];
        const d = maxAbsDiff(a.numLabels === 1 ? [scores as number[]] : (scores as number[][]), a.numLabels === 1 ? [ref.json.predict.scores] : ref.rows('predict.scores'));
        assert.ok(d <= 1e-5, `reloaded scores vs 6.0.1: max abs diff ${d}`);
        // a second round trip writes the same files and the same weights
        const dir2 = join(root, 'saved2');
        await b.save(dir2);
        c = await CrossEncoder.load(dir2, { device: DEVICE });
        assert.deepEqual(await predictBits(c, pairs), before, 'second round trip');
        for (const f of listFiles(dir)) assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(dir2, f))), `${f} is written the same by the reloaded model`);
      } finally {
        a.dispose();
        b?.dispose();
        c?.dispose();
      }
    });
  }

  it('tiny-modernbert-cross-encoder (saved by 6.0.1, 6.x layout in): save -> load gives bit-identical predict()', async function () {
    const name = 'tiny-modernbert-cross-encoder';
    if (!requireFixtures(this, ...st6Parts('tiny-bert-cross-encoder'), ['models', name])) return;
    const pairs = loadSt6Reference('tiny-bert-cross-encoder').json.pairs as Pair[];
    const a = await CrossEncoder.load(fixture('models', name), { device: DEVICE });
    let b: CrossEncoder | undefined;
    try {
      const before = await predictBits(a, pairs);
      await a.save(join(root, 'saved'));
      b = await CrossEncoder.load(join(root, 'saved'), { device: DEVICE });
      assert.deepEqual(await predictBits(b, pairs), before);
      assert.equal(b.maxSeqLength, a.maxSeqLength);
      assert.equal(b.defaultActivationName, a.defaultActivationName);
      for (const f of ['modules.json', 'sentence_bert_config.json']) {
        assert.deepEqual(readJSON(join(root, 'saved', f)), readJSON(fixture('models', name, f)), `${f} as 6.0.1 wrote it`);
      }
      const { __version__: _v, ...st } = readJSON(join(root, 'saved', 'config_sentence_transformers.json'));
      const { __version__: _w, ...want } = readJSON(fixture('models', name, 'config_sentence_transformers.json'));
      assert.deepEqual(st, want);
    } finally {
      a.dispose();
      b?.dispose();
    }
  });

  it("writes the files and configs 6.0.1's CrossEncoder.save writes (save_layout.json), the checkpoint's own keys", async function () {
    const name = 'tiny-bert-cross-encoder';
    if (!requireFixtures(this, ['reference', 'st6', 'save_layout.json'], ['models', name])) return;
    const want = (readJSON(fixture('reference', 'st6', 'save_layout.json')).saves as Record<string, { files: Record<string, unknown>; json: Record<string, Record<string, unknown>> }>)[name];
    const dir = join(root, 'saved');
    const ce = await CrossEncoder.load(fixture('models', name), { device: DEVICE });
    try {
      await ce.save(dir);
    } finally {
      ce.dispose();
    }
    // every file 6.0.1 writes but the model card
    assert.deepEqual(listFiles(dir), Object.keys(want.files).filter((f) => f !== 'README.md').sort());
    for (const f of ['modules.json', 'sentence_bert_config.json']) assert.deepEqual(readJSON(join(dir, f)), want.json[f], f);
    const { __version__: _v, ...st } = readJSON(join(dir, 'config_sentence_transformers.json'));
    const { __version__: _w, ...wantSt } = want.json['config_sentence_transformers.json'];
    assert.deepEqual(st, wantSt);
    const cfg = readJSON(join(dir, 'config.json'));
    for (const k of ['architectures', 'id2label', 'label2id', 'dtype', 'model_type', 'hidden_size', 'num_hidden_layers', 'max_position_embeddings']) {
      assert.deepEqual(cfg[k], want.json['config.json'][k], `config.json ${k}`);
    }
    assert.ok(!('torch_dtype' in cfg));
    assert.equal(readJSON(join(dir, 'tokenizer_config.json')).model_max_length, want.json['tokenizer_config.json'].model_max_length);
    assert.ok(readFileSync(join(dir, 'tokenizer.json')).equals(readFileSync(fixture('models', name, 'tokenizer.json'))), 'tokenizer.json written as read');
    const src = SafetensorsFile.parse(readFileSync(fixture('models', name, 'model.safetensors')));
    const got = SafetensorsFile.parse(readFileSync(join(dir, 'model.safetensors')));
    assert.deepEqual(got.names().sort(), src.names().sort(), 'the checkpoint keys (bert.*, classifier.*)');
    for (const n of src.names()) {
      assert.deepEqual(got.info(n).shape, src.info(n).shape, `shape of ${n}`);
      assert.deepEqual(got.float32(n), src.float32(n), `values of ${n}`);
    }
    assert.deepEqual(got.metadata, { format: 'pt' });
  });

  it('replaces an existing folder whole, and a failed save leaves the old folder and no temp folder', async function () {
    const name = 'tiny-bert-cross-encoder';
    if (!requireFixtures(this, ['models', name])) return;
    const dir = join(root, 'out');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stale.txt'), 'old');
    const ce = await CrossEncoder.load(fixture('models', name), { device: DEVICE, maxSeqLength: 64 });
    try {
      await ce.save(dir);
      assert.ok(!existsSync(join(dir, 'stale.txt')), 'the old folder is replaced, not merged');
      assert.equal(readJSON(join(dir, 'tokenizer_config.json')).model_max_length, 64);
      assert.deepEqual(readdirSync(root), ['out'], 'no temp folder is left');
      // a file where the parent folder should be makes the save fail before anything is replaced
      const blocked = join(root, 'file', 'model');
      writeFileSync(join(root, 'file'), 'x');
      await assert.rejects(ce.save(blocked));
      assert.deepEqual(readdirSync(root).sort(), ['file', 'out']);
      ce.dispose();
      await assert.rejects(ce.save(dir), /disposed/);
    } finally {
      ce.dispose();
    }
    const again = await CrossEncoder.load(dir, { device: DEVICE });
    try {
      assert.equal(again.maxSeqLength, 64, 'max_seq_length is read back from tokenizer_config.json');
    } finally {
      again.dispose();
    }
  });
});

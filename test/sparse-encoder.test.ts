/**
 * SparseEncoder (SPLADE) against sentence-transformers 6.0.1 on `tiny-splade` (BertForMaskedLM, tied decoder,
 * SpladePooling max): hidden states, the MLM transform, logits, the sparse COO of encode (+ max_active_dims 8),
 * dot similarity, decode, active dims; wasm with and without the kernels, and cpu; save/load; tensor leaks.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SparseEncoder } from '../src/api/sparse_encoder.js';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import { createMaskedLM, type MaskedLM } from '../src/models/index.js';
import { MLMTransformer } from '../src/modules/mlm_transformer.js';
import { moduleClass } from '../src/modules/pipeline.js';
import { parseSpladePoolingConfig, SpladePooling } from '../src/modules/splade_pooling.js';
import { Transformer } from '../src/modules/transformer.js';
import { readJSONFile } from '../src/platform/fs.js';
import { DEFAULT_BATCH_SIZE } from '../src/util/defaults.js';
import { sparseDot, sparseFromDense, sparseSemanticSearch, sparseSimilarity, sparseToDense, type SparseVector } from '../src/util/sparse.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { dawnChildEnv } from './helpers/dawn_env.js';
import { requireFixtures } from './helpers/fixtures.js';
import { disposeInputs, readConfig, referenceInputs } from './helpers/models.js';
import { assertClose, loadReference, modelDir } from './helpers/reference.js';

const NAME = 'tiny-splade';

async function loadMaskedLM(): Promise<MaskedLM> {
  return createMaskedLM(readConfig(NAME), WeightMap.from(await loadCheckpointDir(modelDir(NAME))));
}

/** The reference sparse COO as one {indices, values} per row. */
function referenceVectors(prefix: string, rows: number, dim: number): SparseVector[] {
  const ref = loadReference(NAME);
  const idx = ref.i32(`${prefix}.indices`); // [nnz, 2] (row, col), row-major sorted
  const val = ref.f32(`${prefix}.values`);
  const per: { i: number[]; v: number[] }[] = Array.from({ length: rows }, () => ({ i: [], v: [] }));
  for (let k = 0; k < val.length; k++) {
    per[idx[2 * k]].i.push(idx[2 * k + 1]);
    per[idx[2 * k]].v.push(val[k]);
  }
  return per.map((p) => ({ indices: Int32Array.from(p.i), values: Float32Array.from(p.v), dim }));
}

/** Same active set row by row, and the largest value difference. */
function assertSameSparse(actual: SparseVector[], expected: SparseVector[], tol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: rows`);
  let max = 0;
  actual.forEach((a, r) => {
    assert.deepEqual([...a.indices], [...expected[r].indices], `${what}: active dimensions of row ${r}`);
    max = Math.max(max, assertClose(a.values, expected[r].values, tol, `${what}: values of row ${r}`));
  });
  return max;
}

const SETUPS = [
  { name: 'wasm', device: 'wasm' as const, kernels: true },
  { name: 'wasm without kernels', device: 'wasm' as const, kernels: false },
  { name: 'cpu', device: 'cpu' as const, kernels: true },
];

for (const setup of SETUPS) {
  describe(`SparseEncoder tiny-splade parity with sentence-transformers 6.0.1 (${setup.name})`, function () {
    let model: SparseEncoder;
    // `model.encode(texts)` of all reference texts (default batch size 32: one batch of 25), computed once by the
    // encode test and reused by the similarity and batched tests, which asserted on the same call recomputed (about
    // 3.8 s each on cpu). Deterministic: batch 1 vs batch 32 below differs by 0.
    let encoded: SparseVector[] | undefined;
    const encodeAll = async (texts: string[]): Promise<SparseVector[]> => (encoded ??= await model.encode(texts));
    before(async function () {
      if (!requireFixtures(this, ['models', NAME], ['reference', NAME])) return;
      assert.equal(await initBackend(setup.device, { fallbackToCpu: false }), setup.device);
      if (!setup.kernels) disableWasmKernels();
      model = await SparseEncoder.load(modelDir(NAME));
    });
    after(async () => {
      model?.dispose();
      enableWasmKernels();
      await initBackend('wasm');
    });

    it('BertForMaskedLM: every hidden state, the MLM transform output and text 0 logits', async () => {
      const ref = loadReference(NAME);
      const mlm = await loadMaskedLM();
      const inputs = referenceInputs(ref, 'batch');
      const before = tf.memory().numTensors;
      try {
        const out = mlm.forward(inputs, { outputHiddenStates: true, outputTransform: true });
        try {
          const diffs: number[] = [];
          out.hiddenStates!.forEach((h, i) => diffs.push(assertClose(h, ref.f32(`batch.hidden_states.${i}`), 1e-5, `hidden_states.${i}`)));
          diffs.push(assertClose(out.transformOutput!, ref.f32('batch.mlm_transform_output'), 1e-5, 'mlm_transform_output'));
          const len = ref.shape('batch.logits_text0')[0];
          const l0 = tf.tidy(() => tf.slice(out.logits, [0, 0, 0], [1, len, mlm.vocabSize]));
          const expected = ref.f32('batch.logits_text0');
          const scale = expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0); // |logits| up to ~6.4: absolute 1e-5 holds
          diffs.push(assertClose(l0, expected, 1e-5, 'logits_text0'));
          l0.dispose();
          console.log(`      max diffs: hidden ${diffs.slice(0, -2).map((d) => d.toExponential(2)).join(', ')}; transform ${diffs.at(-2)!.toExponential(2)}; logits ${diffs.at(-1)!.toExponential(2)} (|logits| <= ${scale.toFixed(2)})`);
        } finally {
          tf.dispose([out.lastHiddenState, out.logits, ...(out.hiddenStates ?? []), ...(out.transformOutput ? [out.transformOutput] : [])]);
        }
        assert.equal(tf.memory().numTensors, before, 'no tensor left behind by forward');
        // taps under HF module names, the head's included
        const tapped = mlm.forward(inputs, { taps: ['encoder.layer.1.attention.self', 'cls.predictions.transform', 'cls.predictions.decoder'], outputAttentions: true });
        try {
          assert.ok(mlm.tapNames().includes('cls.predictions.transform.dense'));
          assertClose(tapped.intermediates!['cls.predictions.transform'], ref.f32('batch.mlm_transform_output'), 1e-5, 'tap cls.predictions.transform');
          assertClose(tapped.intermediates!['cls.predictions.decoder'], tapped.logits, 0, 'tap cls.predictions.decoder');
          assert.deepEqual(tapped.intermediates!['encoder.layer.1.attention.self'].shape, [25, 128, 16]);
          assert.deepEqual(tapped.attentions!.map((a) => a.shape), [[25, 4, 128, 128], [25, 4, 128, 128]]);
        } finally {
          tf.dispose([tapped.lastHiddenState, tapped.logits, ...(tapped.attentions ?? []), ...Object.values(tapped.intermediates ?? {})]);
        }
        assert.equal(tf.memory().numTensors, before, 'no tensor left behind by a tapped forward');
        assert.deepEqual(mlm.loadReport.unused, []);
      } finally {
        disposeInputs(inputs);
        mlm.dispose();
      }
    });

    it('encode: the same active dimensions as the sparse COO, values within 1e-5; active_dims_per_text', async () => {
      const ref = loadReference(NAME);
      const before = tf.memory().numTensors;
      const got = await model.encode(ref.json.texts as string[]);
      assert.equal(tf.memory().numTensors, before, 'tf.memory flat across encode');
      encoded = got;
      const [rows, dim] = ref.json.encode.shape as [number, number];
      const d = assertSameSparse(got, referenceVectors('encode', rows, dim), 1e-5, 'encode');
      assert.deepEqual(got.map((v) => v.indices.length), ref.json.encode.active_dims_per_text);
      assert.ok(got.every((v) => v.dim === 30522 && v.values.every((x) => x > 0)));
      const stats = SparseEncoder.sparsity(got);
      assert.ok(Math.abs(stats.activeDims - ref.json.sparsity.active_dims) < 1e-4);
      assert.ok(Math.abs(stats.sparsityRatio - ref.json.sparsity.sparsity_ratio) < 1e-9);
      console.log(`      encode values max diff ${d.toExponential(2)}`);
    });

    it('encode with maxActiveDims 8 keeps the 8 largest values per text', async () => {
      const ref = loadReference(NAME);
      const got = await model.encode(ref.json.texts as string[], { maxActiveDims: 8 });
      const [rows, dim] = ref.json.encode.shape as [number, number];
      assertSameSparse(got, referenceVectors('encode_max_active_dims_8', rows, dim), 1e-5, 'max_active_dims 8');
      assert.deepEqual(got.map((v) => v.indices.length), ref.json.encode_max_active_dims_8.active_dims_per_text);
    });

    it('similarity (dot, sparse) matches the reference matrix; encodeQuery/encodeDocument equal encode', async () => {
      const ref = loadReference(NAME);
      const texts = ref.json.texts as string[];
      const e = await encodeAll(texts);
      assert.equal(model.similarityFnName, 'dot');
      const sim = model.similarity(e, e);
      const expected = ref.f32('similarity');
      const flat = Float32Array.from(sim.flatMap((r) => [...r]));
      const d = assertClose(flat, expected, 1e-5, 'similarity');
      console.log(`      similarity max diff ${d.toExponential(2)} (values up to ${expected.reduce((m, x) => Math.max(m, x), 0).toFixed(2)})`);
      const q = await model.encodeQuery(texts);
      const doc = await model.encodeDocument(texts);
      assertSameSparse(q, e, 0, 'encodeQuery');
      assertSameSparse(doc, e, 0, 'encodeDocument');
    });

    it('decode: top-5 tokens of texts[0:2] (decode_top5_texts_0_2)', async () => {
      const ref = loadReference(NAME);
      const texts = ref.json.texts as string[];
      const e = await model.encode(texts.slice(0, 2));
      const got = model.decode(e, 5);
      const want = ref.json.decode_top5_texts_0_2 as [string, number][][];
      got.forEach((row, i) => {
        assert.deepEqual(row.map((p) => p[0]), want[i].map((p) => p[0]), `tokens of text ${i}`);
        assertClose(row.map((p) => p[1]), want[i].map((p) => p[1]), 1e-5, `weights of text ${i}`);
      });
      assert.equal(model.decode(e[0]).length, e[0].indices.length);
      assert.throws(() => model.decode(e[0], 0), /topK \(top_k\) must be a positive integer/);
      // intersection: the shared tokens, weights multiplied
      const shared = SparseEncoder.intersection(e[0], e[1]);
      const common = [...e[0].indices].filter((i) => e[1].indices.includes(i));
      assert.deepEqual([...shared.indices], common);
      common.forEach((id, k) => assert.equal(shared.values[k], Math.fround(e[0].values[e[0].indices.indexOf(id)] * e[1].values[e[1].indices.indexOf(id)])));
    });

    it('batched equals single (batch size 1 vs one batch)', async () => {
      const texts = loadReference(NAME).json.texts as string[];
      assert.equal(DEFAULT_BATCH_SIZE, 32, 'encode(texts) is the batch-32 encode');
      const batched = await encodeAll(texts);
      const single = await model.encode(texts, { batchSize: 1 });
      const d = assertSameSparse(single, batched, 1e-5, 'batch 1 vs batch 32');
      console.log(`      batch 1 vs batch 32 max diff ${d.toExponential(2)}`);
      const one = await model.encode(texts[3]);
      assertSameSparse([one], [batched[3]], 1e-5, 'a single string');
    });
  });
}

describe('SparseEncoder on webgpu (Dawn in Node, a child process)', function () {
  it('encodes the first 10 texts with the active sets of sentence-transformers 6.0.1, values within 1e-5', async function () {
    this.timeout(900_000);
    if (!requireFixtures(this, ['models', NAME], ['reference', NAME])) return;
    const dawn = dawnChildEnv();
    if ('skip' in dawn) {
      console.warn(`  [skip] webgpu in Node: ${dawn.skip}`);
      this.skip();
    }
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./parity/splade_device.ts', import.meta.url)), 'webgpu', '10'], { env: dawn.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((res) => child.on('close', res));
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, `child exited with ${code} and no result.\nstdout: ${out}\nstderr: ${err}`);
    const r = JSON.parse(line.slice(7)) as { backend: string; ms: number; result: { indices: number[]; values: number[] }[] };
    assert.equal(r.backend, 'webgpu');
    const got = r.result.map((v) => ({ indices: Int32Array.from(v.indices), values: Float32Array.from(v.values), dim: 30522 }));
    const d = assertSameSparse(got, referenceVectors('encode', 25, 30522).slice(0, 10), 1e-5, 'webgpu encode');
    console.log(`      webgpu encode max diff ${d.toExponential(2)} (${(r.ms / 1000).toFixed(1)} s)`);
  });
});

describe('SparseEncoder save / load, modules and sparse util (wasm)', function () {
  let model: SparseEncoder;
  let tmp: string;
  before(async function () {
    if (!requireFixtures(this, ['models', NAME], ['reference', NAME])) return;
    await initBackend('wasm');
    model = await SparseEncoder.load(modelDir(NAME));
    tmp = mkdtempSync(join(tmpdir(), 'splade-'));
  });
  after(() => {
    model?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('save writes the SparseEncoder layout and loads back to the same vectors', async () => {
    const dir = join(tmp, 'saved');
    await model.save(dir);
    const modules = await readJSONFile<{ path: string; type: string }[]>(join(dir, 'modules.json'));
    assert.deepEqual(modules.map((m) => m.path), ['', '1_SpladePooling']);
    assert.equal(modules[1].type, SpladePooling.typeName);
    assert.deepEqual(await readJSONFile(join(dir, '1_SpladePooling', 'config.json')), { pooling_strategy: 'max', activation_function: 'relu', embedding_dimension: null }); // as Python saves it before any forward
    assert.equal((await readJSONFile<Record<string, unknown>>(join(dir, 'sentence_bert_config.json'))).transformer_task, 'fill-mask');
    const st = await readJSONFile<Record<string, unknown>>(join(dir, 'config_sentence_transformers.json'));
    assert.equal(st.model_type, 'SparseEncoder');
    assert.equal(st.similarity_fn_name, 'dot');
    const texts = loadReference(NAME).json.texts as string[];
    const reloaded = await SparseEncoder.load(dir);
    try {
      assertSameSparse(await reloaded.encode(texts), await model.encode(texts), 0, 'reloaded');
    } finally {
      reloaded.dispose();
    }
  });

  it('a plain BertForMaskedLM folder (no modules.json) loads as fill-mask Transformer + SpladePooling max', async () => {
    const dir = join(tmp, 'plain');
    const src = modelDir(NAME);
    copyFiles(src, dir, ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const plain = await SparseEncoder.load(dir);
    try {
      const texts = (loadReference(NAME).json.texts as string[]).slice(0, 4);
      assertSameSparse(await plain.encode(texts), await model.encode(texts), 0, 'plain checkpoint');
      assert.equal(plain.modules[1] instanceof SpladePooling, true);
    } finally {
      plain.dispose();
    }
  });

  it('the 5.x MLMTransformer and SpladePooling types load; a bad transformer_task is an error naming it', async () => {
    assert.equal(moduleClass('sentence_transformers.sparse_encoder.models.MLMTransformer'), MLMTransformer);
    assert.equal(moduleClass('sentence_transformers.sparse_encoder.models.SpladePooling.SpladePooling'), SpladePooling);
    const t = (await MLMTransformer.load(modelDir(NAME))) as Transformer;
    try {
      assert.ok(t.lmHead);
      assert.equal(t.getConfigDict().transformer_task, 'fill-mask');
    } finally {
      t.dispose();
    }
    const dir = join(tmp, 'badtask');
    copyFiles(modelDir(NAME), dir, ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    writeFileSync(join(dir, 'sentence_bert_config.json'), JSON.stringify({ transformer_task: 'text-generation' }));
    await assert.rejects(Transformer.load(dir), /transformer_task.*text-generation/);
    await assert.rejects(SparseEncoder.load(modelDir('tiny-bert')), /only SPLADE models are supported.*without a fill-mask head/);
    assert.throws(() => parseSpladePoolingConfig({ pooling_strategy: 'mean' }), /pooling_strategy.*mean/);
    assert.throws(() => parseSpladePoolingConfig({ activation_function: 'gelu' }), /activation_function.*gelu/);
    assert.deepEqual(parseSpladePoolingConfig({ word_embedding_dimension: 7, chunk_size: 4 }), { pooling_strategy: 'max', activation_function: 'relu', embedding_dimension: 7 });
  });

  it('long batches run in row groups under the logits budget and give the single-text vectors', async () => {
    const texts = loadReference(NAME).json.texts as string[];
    const longest = texts.reduce((a, b) => (a.length >= b.length ? a : b));
    assert.equal(model.tokenize([longest]).seqLength, 128); // 25 x 128 x 30522 logits > the 2^26 budget: 2 groups
    const before = tf.memory().numTensors;
    const many = await model.encode(Array.from({ length: 25 }, () => longest));
    assert.equal(tf.memory().numTensors, before);
    const one = await model.encode(longest);
    for (const v of many) assertSameSparse([v], [one], 1e-5, 'row group vs single');
  });

  it('SpladePooling: sum and log1p_relu follow the formula', () => {
    tf.tidy(() => {
      const logits = tf.tensor3d([[[1, -2], [3, 0.5]], [[2, 1], [9, 9]]]); // [2, 2, 2]
      const mask = tf.tensor2d([[1, 1], [1, 0]], undefined, 'int32');
      const f = (s: 'max' | 'sum', a: 'relu' | 'log1p_relu') => new SpladePooling({ pooling_strategy: s, activation_function: a }).forward({ inputIds: mask, attentionMask: mask, tokenEmbeddings: logits }).sentenceEmbedding!.arraySync();
      const l = Math.log1p;
      const near = (a: number[][], b: number[][]) => a.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(x - b[i][j]) < 1e-6, `${x} vs ${b[i][j]}`)));
      near(f('max', 'relu'), [[l(3), l(0.5)], [l(2), l(1)]]);
      near(f('sum', 'relu'), [[l(1) + l(3), l(0.5)], [l(2), l(1)]]);
      near(f('max', 'log1p_relu'), [[l(l(3)), l(l(0.5))], [l(l(2)), l(l(1))]]);
    });
  });

  it('sparse util: fromDense / toDense, maxActiveDims ties, similarity and search agree with dense math', () => {
    const v = sparseFromDense([0, 2, 0, -3, 2, 1]);
    assert.deepEqual([...v.indices], [1, 3, 4, 5]);
    assert.deepEqual([...sparseToDense(v)], [0, 2, 0, -3, 2, 1]);
    // top-2 by |x|: -3, then the tie 2 / 2 keeps the lower index
    assert.deepEqual([...sparseFromDense([0, 2, 0, -3, 2, 1], 2).indices], [1, 3]);
    const rng = (s: number) => () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const r = rng(7);
    const dense = Array.from({ length: 12 }, () => Array.from({ length: 40 }, () => (r() < 0.2 ? r() * 3 : 0)));
    const sv = dense.map((d) => sparseFromDense(d));
    const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const sim = sparseSimilarity(sv.slice(0, 3), sv);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 12; j++) assert.ok(Math.abs(sim[i][j] - dot(dense[i], dense[j])) < 1e-5);
    assert.ok(Math.abs(sparseDot(sv[0], sv[1]) - dot(dense[0], dense[1])) < 1e-5);
    const cos = sparseSimilarity(sv.slice(0, 1), sv.slice(0, 1), 'cosine')[0][0];
    assert.ok(Math.abs(cos - 1) < 1e-6 || sv[0].indices.length === 0);
    const hits = sparseSemanticSearch(sv.slice(0, 3), sv, { topK: 4 });
    for (let q = 0; q < 3; q++) {
      const want = dense.map((d, id) => ({ id, s: Math.fround(dot(dense[q], d)) })).sort((a, b) => b.s - a.s || a.id - b.id).slice(0, 4);
      assert.deepEqual(hits[q].map((h) => h.corpusId), want.map((w) => w.id));
    }
    const eu = sparseSemanticSearch(sv[0], sv, { topK: 1, scoreFunction: 'euclidean' });
    assert.equal(eu[0][0].corpusId, 0);
    assert.equal(eu[0][0].score, -0);
  });
});

/** Copy `files` of `src` into a new folder `dst`. */
function copyFiles(src: string, dst: string, files: string[]): void {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  for (const f of files) copyFileSync(join(src, f), join(dst, f));
}

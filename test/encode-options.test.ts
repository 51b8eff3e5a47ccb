import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { Pooling } from '../src/modules/pooling.js';
import { poolingConfigFromMode } from '../src/pooling/pooling.js';
import { computeQuantizationRanges, quantizeEmbeddings } from '../src/util/quantization.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, maxAbsDiff, referenceParts } from './helpers/st_reference.js';
import { loadUtilReference, UTIL_REFERENCE_PARTS, UTIL_TENSORS_PARTS } from './helpers/util_reference.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';

describe('SentenceTransformer.encode options (tiny-bert, sentence-transformers 3.4.1 encode_options)', function () {
  let m: SentenceTransformer;
  let texts: string[];

  before(async function () {
    if (!requireFixtures(this as unknown as Mocha.Context, UTIL_REFERENCE_PARTS, UTIL_TENSORS_PARTS, ...referenceParts('tiny-bert'), ['models', 'tiny-bert'])) return;
    m = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE });
    texts = loadReference('tiny-bert').json.texts;
  });
  after(() => m?.dispose());

  const util = () => loadUtilReference();
  const ints = (name: string): number[][] => {
    const u = util();
    const shape = u.tensors.info(name).shape;
    const typed = u.tensors.typed(name) as ArrayLike<number>;
    return Array.from({ length: shape[0] }, (_, i) => Array.from({ length: shape[1] }, (_, j) => Number(typed[i * shape[1] + j])));
  };

  // encode(precision) is our float embeddings through quantizeEmbeddings (whose bytes are checked against Python on
  // Python's own floats in util_quantization.test.ts). Against Python end to end, an entry can differ only where
  // the float lies on a bucket edge: the column maximum maps to exactly 127 (uint8: 255) in exact arithmetic, and
  // float32 rounding of (v - min) / step - 128 gives 127 or 126.99999 (truncated to 126) depending on the last bit
  // of the embeddings, which differ from PyTorch's by ~1e-7. Such entries must be one step apart and on an edge.
  for (const precision of ['int8', 'uint8', 'binary', 'ubinary'] as const) {
    it(`precision '${precision}' is quantizeEmbeddings of the float embeddings and equals Python except on bucket edges`, async () => {
      const got = await m.encode(texts, { precision });
      const floats = await m.encode(texts);
      assert.ok(got[0] instanceof (precision === 'int8' || precision === 'binary' ? Int8Array : Uint8Array));
      assert.deepEqual(got.map((r) => Array.from(r)), (quantizeEmbeddings(floats, precision) as ArrayLike<number>[]).map((r) => Array.from(r)));
      const want = ints(`encode.precision_${precision}`);
      const [lo, hi] = computeQuantizationRanges(floats);
      let edges = 0;
      got.forEach((row, i) =>
        Array.from(row).forEach((g, j) => {
          if (g === want[i][j]) return;
          edges++;
          assert.ok(precision === 'int8' || precision === 'uint8', `${precision} row ${i} byte ${j}: ${g} vs Python ${want[i][j]}`);
          assert.equal(Math.abs(g - want[i][j]), 1, `row ${i} dim ${j}: more than one step from Python`);
          const x = (floats[i][j] - lo[j]) / ((hi[j] - lo[j]) / 255); // float64 bucket position
          assert.ok(Math.abs(x - Math.round(x)) < 1e-4, `row ${i} dim ${j}: differs from Python off a bucket edge (position ${x})`);
        }),
      );
      assert.ok(edges <= got.length, `${edges} edge entries`);
    });
  }

  it('truncateDim 16 truncates before normalizing (normalize false and true)', async () => {
    const u = util();
    const raw = await m.encode(texts, { truncateDim: 16 });
    assert.equal(raw[0].length, 16);
    assert.ok(maxAbsDiff(raw, u.rows('encode.truncate_dim_16.normalize_false')) <= 1e-5);
    const norm = await m.encode(texts, { truncateDim: 16, normalizeEmbeddings: true });
    assert.ok(maxAbsDiff(norm, u.rows('encode.truncate_dim_16.normalize_true')) <= 1e-5);
    const ub = await m.encode(texts, { truncateDim: 16, precision: 'ubinary' });
    assert.deepEqual(ub.map((r) => Array.from(r)), u.json.encode_options['truncate_dim_16.precision_ubinary'].values);
  });

  it('truncateDim given at load caps getSentenceEmbeddingDimension and every encode', async () => {
    const u = util();
    const t = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE, truncateDim: 16 });
    try {
      assert.equal(t.getSentenceEmbeddingDimension(), u.json.encode_options['truncate_dim_16.get_sentence_embedding_dimension']);
      const norm = await t.encode(texts, { normalizeEmbeddings: true });
      assert.ok(maxAbsDiff(norm, u.rows('encode.truncate_dim_16.normalize_true')) <= 1e-5);
    } finally {
      t.dispose();
    }
  });

  it("outputValue 'token_embeddings' gives per-text token rows trimmed after the last attention-mask 1", async () => {
    const u = util();
    const spec = u.json.encode_options.token_embeddings;
    const sel = (spec.text_indices as number[]).map((i) => texts[i]);
    const got = await m.encode(sel, { outputValue: 'token_embeddings' });
    assert.deepEqual(got.map((rows) => rows.length), spec.lengths);
    spec.tensors.forEach((name: string, k: number) => {
      const d = maxAbsDiff(got[k], u.rows(name));
      assert.ok(d <= 1e-5, `${name}: max abs diff ${d}`);
    });
    const one = await m.encode(sel[0], { outputValue: 'token_embeddings' });
    assert.equal(one.length, spec.lengths[0]);
    const tensors = await m.encode(sel, { outputValue: 'token_embeddings', convertToTensor: true });
    assert.deepEqual(tensors.map((t) => t.shape), (spec.lengths as number[]).map((l) => [l, 32]));
    tf.dispose(tensors);
  });

  it('batchSize 1 equals the Python batch_size=1 result within 1e-5 and the batched result within 1e-6', async () => {
    const u = util();
    const one = await m.encode(texts, { batchSize: 1 });
    assert.ok(maxAbsDiff(one, u.rows('encode.batch_size_1')) <= 1e-5);
    const all = await m.encode(texts, { batchSize: 32 });
    const seven = await m.encode(texts, { batchSize: 7 });
    const d1 = maxAbsDiff(one, all);
    const d7 = maxAbsDiff(seven, all);
    assert.ok(d1 <= 1e-6 && d7 <= 1e-6, `batched vs single: ${d1}, ${d7}`);
  });

  it('a single string gives one 1-D embedding; a list of one gives [1, D]', async () => {
    const u = util();
    const spec = u.json.encode_options.single_string;
    const v = await m.encode(texts[spec.text_index]);
    assert.ok(v instanceof Float32Array);
    assert.equal(v.length, spec.shape[0]);
    assert.ok(maxAbsDiff([v], [spec.values]) <= 1e-5);
    const t = await m.encode(texts[0], { convertToTensor: true });
    assert.deepEqual(t.shape, spec.convert_to_tensor_shape);
    t.dispose();
    const ub = await m.encode(texts[0], { precision: 'ubinary' });
    assert.equal(ub.length, spec.precision_ubinary_shape[0]);
    const list = await m.encode([texts[0]]);
    assert.deepEqual([list.length, list[0].length], spec.list_of_one_string_shape);
    const mat = await m.encode([texts[0], texts[1]], { convertToTensor: true });
    assert.deepEqual(mat.shape, [2, 32]);
    mat.dispose();
  });

  it('encode leaves tf.memory().numTensors unchanged', async () => {
    await m.encode(texts.slice(0, 3));
    const before = tf.memory().numTensors;
    await m.encode(texts, { batchSize: 4, normalizeEmbeddings: true, truncateDim: 8 });
    await m.encode(texts.slice(0, 5), { outputValue: 'token_embeddings' });
    await m.encode(texts, { precision: 'int8' });
    assert.equal(tf.memory().numTensors, before);
  });

  it('onProgress reports (done, total) after every batch', async () => {
    const calls: [number, number][] = [];
    await m.encode(texts, { batchSize: 10, onProgress: (d, t) => calls.push([d, t]) });
    assert.deepEqual(calls, [[10, 25], [20, 25], [25, 25]]);
  });

  it('showProgressBar is quiet and harmless when stderr is not a TTY', async () => {
    const e = await m.encode(texts.slice(0, 2), { showProgressBar: true });
    assert.equal(e.length, 2);
  });

  it('bad input: empty list, "" as Python, non-strings, batchSize <= 0', async () => {
    assert.deepEqual(await m.encode([]), []);
    const empty = await m.encode([]  as string[], { convertToTensor: true });
    assert.deepEqual(empty.shape, [0, 32]);
    empty.dispose();
    const ref = loadReference('tiny-bert');
    const e = await m.encode(['', '   ']);
    assert.ok(maxAbsDiff(e, [ref.rows('encode.embeddings')[4], ref.rows('encode.embeddings')[5]]) <= 1e-5);
    await assert.rejects(m.encode(['ok', 3 as unknown as string]), (err: Error) => err instanceof TypeError && /sentences\[1\] must be a string, got number/.test(err.message));
    await assert.rejects(m.encode(null as unknown as string), TypeError);
    await assert.rejects(m.encode(['x'], { batchSize: 0 }), RangeError);
    await assert.rejects(m.encode(['x'], { batchSize: -2 }), RangeError);
    await assert.rejects(m.encode(['x'], { precision: 'int4' as 'int8' }), /precision must be one of/);
  });

  it('texts longer than maxSeqLength are truncated as Python (the long reference text embeds equal)', async () => {
    const ref = loadReference('tiny-bert');
    const long = ref.json.tokenizer_per_text.records.findIndex((r: { untruncated_length: number }) => r.untruncated_length > 128);
    assert.ok(long >= 0);
    const got = await m.encode(texts[long]);
    assert.ok(maxAbsDiff([got], [ref.rows('encode.embeddings')[long]]) <= 1e-5);
  });

  it('include_prompt false pools only the tokens after the prompt (prompt tokenized alone, minus its [SEP])', async () => {
    const st = SentenceTransformer.fromModules([m.transformer, new Pooling({ ...poolingConfigFromMode(32, 'mean'), includePrompt: false })]);
    const prompt = 'query: ';
    const got = await st.encode(texts[0], { prompt });
    // hand computation: token embeddings of prompt + text, mean over positions 3..last ([CLS] query : are the prompt)
    const promptIds = m.tokenize([prompt]);
    assert.equal(promptIds.seqLength - 1, 3);
    const te = (await m.inspect([prompt + texts[0]])).token_embeddings;
    const [, T, H] = te.shape;
    const want = new Float64Array(H);
    for (let t = 3; t < T; t++) for (let h = 0; h < H; h++) want[h] += te.data[t * H + h] / (T - 3);
    assert.ok(maxAbsDiff([got], [Array.from(want)]) <= 1e-6);
  });

  describe('similarity functions (util similarity.cases)', () => {
    for (const fn of ['cosine', 'dot', 'euclidean', 'manhattan']) {
      it(`similarity and similarityPairwise with '${fn}' equal Python within 1e-5`, () => {
        const u = util();
        const c = u.json.similarity.cases[`tiny_bert.${fn}`];
        const saved = m.similarityFnName;
        m.similarityFnName = fn;
        try {
          const a = u.input(c.a);
          const b = u.input(c.b);
          assert.ok(maxAbsDiff(m.similarity(a, b), c.similarity) <= 1e-5);
          assert.ok(maxAbsDiff([m.similarityPairwise(a, b)], [c.similarity_pairwise]) <= 1e-5);
        } finally {
          m.similarityFnName = saved;
        }
      });
    }
    it('an unknown similarity function name is an error', () => {
      assert.throws(() => (m.similarityFnName = 'jaccard'));
    });
  });
});

/**
 * The evaluators against sentence-transformers 6.0.1: metrics (keys, order, values), primary metric and CSV files on
 * fixed embeddings / scores recorded by test/data/evaluation/gen_evaluators.py, plus end-to-end runs on the fixture
 * models (tiny-bert, tiny-bert-cross-encoder) and the EmbeddingSimilarityEvaluator reference of
 * reference/training (`evaluator.before`).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { EmbeddingSimilarityEvaluator } from '../src/evaluation/embedding_similarity.js';
import { BinaryClassificationEvaluator } from '../src/evaluation/binary_classification.js';
import { TripletEvaluator } from '../src/evaluation/triplet.js';
import { SequentialEvaluator } from '../src/evaluation/sequential.js';
import { InformationRetrievalEvaluator } from '../src/evaluation/information_retrieval.js';
import { CrossEncoderClassificationEvaluator } from '../src/evaluation/cross_encoder_classification.js';
import { CrossEncoderCorrelationEvaluator } from '../src/evaluation/cross_encoder_correlation.js';
import { CrossEncoderRerankingEvaluator, type RerankingSample } from '../src/evaluation/cross_encoder_reranking.js';
import type { EncoderLike, EvaluatorEncodeOptions, PredictorLike, TextPair } from '../src/evaluation/model_like.js';
import type { Evaluator } from '../src/evaluation/types.js';
import { pyFloat, pyFloat32, pyJsonDumps } from '../src/evaluation/base.js';
import { SafetensorsFile, serializeSafetensors, type TensorToWrite } from '../src/formats/safetensors.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference } from './helpers/reference.js';

/**
 * tiny-bert after bi-encoder run `run` of reference/training, as a model folder: every parameter from
 * `bi.<run>.param_after.*`; the word-embedding rows that no batch used (not stored) are the initial rows decayed once
 * per step, `p * f32(1 - lr_k * 0.01)`, as the README describes AdamW doing to parameters with zero gradients.
 */
function trainedTinyBert(run: string): string {
  const ref = loadReference('training');
  const src = fixture('models', 'tiny-bert');
  const dir = mkdtempSync(join(tmpdir(), 'st-eval-after-'));
  cpSync(src, dir, { recursive: true });
  const initial = SafetensorsFile.parse(new Uint8Array(readFileSync(join(src, 'model.safetensors'))), 'tiny-bert');
  const lrs = ref.json.bi_encoder.runs[run].lr_per_step as number[];
  const decay = ref.json.bi_encoder.hyperparameters.weight_decay as number;
  const tensors: Record<string, TensorToWrite> = {};
  for (const name of initial.names()) {
    const shape = [...initial.info(name).shape];
    let data: Float32Array;
    if (name === 'embeddings.word_embeddings.weight') {
      data = Float32Array.from(initial.float32(name));
      for (const lr of lrs) {
        const f = Math.fround(1 - lr * decay);
        for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i] * f);
      }
      const rows = ref.json.bi_encoder.word_embedding_rows as number[];
      const trained = ref.f32(`bi.${run}.param_after.${name}.rows`);
      rows.forEach((r, i) => data.set(trained.subarray(i * shape[1], (i + 1) * shape[1]), r * shape[1]));
    } else {
      data = ref.f32(`bi.${run}.param_after.${name}`);
    }
    tensors[name] = { dtype: 'F32', shape, data };
  }
  writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }));
  return dir;
}

const DATA = JSON.parse(readFileSync(new URL('./data/evaluation/evaluators.json', import.meta.url), 'utf8'));
const TOL = 1e-6;
/** The device of the end-to-end runs (EVAL_TEST_DEVICE=wasm checks the wasm kernels' encode too). */
const E2E_DEVICE = (process.env.EVAL_TEST_DEVICE ?? 'cpu') as 'cpu' | 'wasm';

type Recorded = { metrics: Record<string, number>; keys: string[]; primary_metric: string; greater_is_better: boolean | null };
/** Largest |ours - python| over all metrics seen, reported at the end. */
const maxDiff: Record<string, number> = {};

function compare(what: string, got: Record<string, number>, want: Recorded, ev: Evaluator<unknown>): void {
  assert.deepEqual(Object.keys(got), want.keys, `${what}: metric keys and order`);
  for (const k of want.keys) {
    const d = Math.abs(got[k] - want.metrics[k]);
    const cls = what.split(' ')[0];
    maxDiff[cls] = Math.max(maxDiff[cls] ?? 0, d);
    assert.ok(d <= TOL, `${what}: ${k} = ${got[k]}, python ${want.metrics[k]} (diff ${d})`);
  }
  assert.equal(ev.primaryMetric, want.primary_metric, `${what}: primary metric`);
  assert.equal(ev.greaterIsBetter, want.greater_is_better ?? true, `${what}: greaterIsBetter`);
}

/** A stand-in SentenceTransformer returning the recorded vectors. */
function stubEncoder(vectors: Record<string, number[]>, similarityFnName: string): EncoderLike & { calls: number } {
  const m = {
    similarityFnName,
    calls: 0,
    async encode(sentences: string[], options: EvaluatorEncodeOptions = {}) {
      m.calls++;
      return sentences.map((s) => {
        let v = Float32Array.from(vectors[s]);
        if (options.truncateDim) v = v.subarray(0, options.truncateDim);
        if (options.normalizeEmbeddings) {
          const norm = Math.max(Math.fround(Math.sqrt(v.reduce((a, x) => a + x * x, 0))), 1e-12);
          v = v.map((x) => x / norm);
        }
        return v;
      });
    },
  };
  return m;
}

function stubPredictor(scores: Record<string, number | number[]>, numLabels = 1): PredictorLike {
  return { numLabels, predict: async (pairs: readonly TextPair[]) => pairs.map((p) => scores[`${p[0]}\t${p[1]}`]) };
}

/** Run the calls of a recorded case into a fresh folder; compare metrics after each call and the CSV files. */
async function runCase<M>(what: string, ev: Evaluator<M>, model: M, results: Recorded[], csv: Record<string, string>, calls: [number, number][]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'st-eval-'));
  try {
    for (let i = 0; i < calls.length; i++) {
      const got = await ev.evaluate(model, { epoch: calls[i][0], steps: calls[i][1], outputPath: dir });
      compare(`${what} call ${i}`, got, results[i], ev as Evaluator<unknown>);
    }
    assert.deepEqual(readdirSync(dir).sort(), Object.keys(csv).sort(), `${what}: CSV files`);
    for (const [file, text] of Object.entries(csv)) {
      if (file.endsWith('.jsonl')) compareJsonl(`${what}: ${file}`, readFileSync(join(dir, file), 'utf8'), text);
      else compareCsv(`${what}: ${file}`, readFileSync(join(dir, file), 'utf8'), text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CSV text as Python wrote it: same line terminators, header and cell layout; numbers within TOL (float64 sums may
 * differ in the last bit, which changes the printed digits), integers (epoch, steps) exact.
 */
function compareCsv(what: string, got: string, want: string): void {
  const gl = got.split(/(?<=\n)/);
  const wl = want.split(/(?<=\n)/);
  assert.equal(gl.length, wl.length, `${what}: line count`);
  assert.equal(gl[0], wl[0], `${what}: header`);
  for (let i = 1; i < wl.length; i++) {
    assert.equal(gl[i].endsWith('\r\n'), wl[i].endsWith('\r\n'), `${what}: line ${i} terminator`);
    const g = gl[i].trimEnd().split(',');
    const w = wl[i].trimEnd().split(',');
    assert.equal(g.length, w.length, `${what}: line ${i} cells`);
    for (let j = 0; j < w.length; j++) {
      if (g[j] === w[j]) continue;
      assert.ok(w[j].includes('.') && g[j].includes('.') && Math.abs(Number(g[j]) - Number(w[j])) <= TOL, `${what}: line ${i} cell ${j}: ${g[j]} vs python ${w[j]}`);
    }
  }
}

/** JSON lines as Python wrote them: same keys, order and strings; numbers within TOL. */
function compareJsonl(what: string, got: string, want: string): void {
  assert.ok(got.endsWith('\n') && want.endsWith('\n'), `${what}: newline-terminated`);
  const close = (g: unknown, w: unknown, path: string): void => {
    if (typeof w === 'number') {
      assert.ok(typeof g === 'number' && Math.abs(g - w) <= TOL, `${what}: ${path} ${String(g)} vs python ${w}`);
    } else if (Array.isArray(w) && path.endsWith('.results')) {
      // Hits whose scores are equal within TOL (e.g. cos(q, d) and cos(q, 3d): equal, but torch's float32 sums
      // may differ by an ulp) may come in either order; compare each such run as a set.
      const gw = g as { corpus_id: string; score: number }[];
      const ww = w as { corpus_id: string; score: number }[];
      assert.equal(gw.length, ww.length, `${what}: ${path} length`);
      for (let i = 0; i < ww.length; ) {
        let j = i + 1;
        while (j < ww.length && Math.abs(ww[j].score - ww[j - 1].score) <= TOL) j++;
        const ids = (xs: { corpus_id: string }[]) => xs.slice(i, j).map((x) => x.corpus_id).sort();
        assert.deepEqual(ids(gw), ids(ww), `${what}: ${path}[${i}..${j - 1}] corpus ids`);
        for (let k = i; k < j; k++) assert.ok(Math.abs(gw[k].score - ww[k].score) <= TOL, `${what}: ${path}[${k}].score ${gw[k].score} vs python ${ww[k].score}`);
        i = j;
      }
    } else if (Array.isArray(w)) {
      assert.ok(Array.isArray(g) && g.length === w.length, `${what}: ${path} length`);
      w.forEach((x, i) => close((g as unknown[])[i], x, `${path}[${i}]`));
    } else if (w && typeof w === 'object') {
      assert.deepEqual(Object.keys(g as object), Object.keys(w), `${what}: ${path} keys`);
      for (const [k, x] of Object.entries(w)) close((g as Record<string, unknown>)[k], x, `${path}.${k}`);
    } else {
      assert.equal(g, w, `${what}: ${path}`);
    }
  };
  const gl = got.trimEnd().split('\n');
  const wl = want.trimEnd().split('\n');
  assert.equal(gl.length, wl.length, `${what}: line count`);
  gl.forEach((line, i) => close(JSON.parse(line), JSON.parse(wl[i]), `line ${i}`));
}

function camel(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

describe('evaluation: Python float formatting of CSV cells', () => {
  it('writes floats as Python repr and float32 thresholds as numpy float32 str', () => {
    assert.equal(pyFloat(1), '1.0');
    assert.equal(pyFloat(1.5e-5), '1.5e-05');
    assert.equal(pyFloat(0.0001), '0.0001');
    assert.equal(pyFloat(1e16), '1e+16');
    assert.equal(pyFloat(NaN), 'nan');
    assert.equal(pyFloat32(Math.fround(0.014182456)), '0.014182456');
    assert.equal(pyFloat32(Math.fround(-0.6056942)), '-0.6056942');
  });
});

describe('evaluation: Python json.dumps of predictions', () => {
  it('escapes non-ASCII as UTF-16 \\u escapes, writes floats as repr, with ", " and ": " separators', () => {
    assert.equal(pyJsonDumps(DATA.json_dumps_sample[0]), DATA.json_dumps_sample[1]);
  });
});

describe('EmbeddingSimilarityEvaluator (6.0.1 on fixed embeddings)', () => {
  const d = DATA.embedding_similarity;
  for (const [i, c] of (d.cases as { options: Record<string, unknown>; model_similarity_fn_name: string; results: Recorded[]; csv: Record<string, string> }[]).entries()) {
    it(`case ${i} ${JSON.stringify(c.options)} (model ${c.model_similarity_fn_name}): metrics, primary metric and CSV as Python`, async () => {
      const ev = new EmbeddingSimilarityEvaluator(d.sentences1, d.sentences2, d.scores, camel(c.options));
      await runCase(`EmbeddingSimilarityEvaluator ${i}`, ev, stubEncoder(DATA.vectors, c.model_similarity_fn_name), c.results, c.csv, [[-1, -1], [1, 20]]);
    });
  }
  it('precision binary / ubinary: correlates the unpacked bits (manhattan = -Hamming distance), as hand-computed', async () => {
    // bit patterns of the right-hand sentences differ from 'a' in 0, 1, 2 and 3 positions
    const bits: Record<string, number> = { a: 0b10110010, b0: 0b10110010, b1: 0b10110011, b2: 0b00110011, b3: 0b00010011 };
    for (const precision of ['binary', 'ubinary'] as const) {
      const model: EncoderLike = {
        async encode(sentences: string[], options: EvaluatorEncodeOptions = {}) {
          assert.equal(options.precision, precision);
          assert.equal(options.normalizeEmbeddings, true);
          return sentences.map((s) => (precision === 'binary' ? Int8Array.of(bits[s] - 128) : Uint8Array.of(bits[s])));
        },
      };
      const ev = new EmbeddingSimilarityEvaluator(['a', 'a', 'a', 'a'], ['b0', 'b1', 'b2', 'b3'], [4, 3, 1, 2], { precision, similarityFnNames: ['manhattan'] });
      const got = await ev.evaluate(model);
      // x = [4, 3, 1, 2], y = [0, -1, -2, -3]: Pearson 4 / sqrt(5 * 5) = 0.8, Spearman (ranks [4, 3, 1, 2] vs [4, 3, 2, 1]) 0.8
      assert.ok(Math.abs(got.pearson_manhattan - 0.8) < 1e-12 && Math.abs(got.spearman_manhattan - 0.8) < 1e-12, JSON.stringify(got));
      assert.equal(ev.csvFile, `similarity_evaluation_${precision}_results.csv`);
      assert.deepEqual(ev.getConfigDict(), { precision });
    }
  });
  it('describes itself as Python does for the model card', () => {
    const e = DATA.embedding_similarity;
    assert.equal(new EmbeddingSimilarityEvaluator(e.sentences1, e.sentences2, e.scores).description, DATA.descriptions.EmbeddingSimilarityEvaluator);
    assert.equal(new InformationRetrievalEvaluator({}, {}, {}).description, DATA.descriptions.InformationRetrievalEvaluator);
    assert.equal(new BinaryClassificationEvaluator([], [], []).description, DATA.descriptions.BinaryClassificationEvaluator);
    assert.equal(new TripletEvaluator([], [], []).description, DATA.descriptions.TripletEvaluator);
    assert.equal(new SequentialEvaluator([]).description, DATA.descriptions.SequentialEvaluator);
    assert.equal(new CrossEncoderClassificationEvaluator([], []).description, DATA.descriptions.CrossEncoderClassificationEvaluator);
    assert.equal(new CrossEncoderCorrelationEvaluator([], []).description, DATA.descriptions.CrossEncoderCorrelationEvaluator);
    assert.equal(new CrossEncoderRerankingEvaluator([]).description, DATA.descriptions.CrossEncoderRerankingEvaluator);
  });
  it('rejects mismatched lengths and unknown similarity names, naming them', () => {
    assert.throws(() => new EmbeddingSimilarityEvaluator(['a'], ['b', 'c'], [1]), /sentences1 has 1 entries but sentences2 has 2/);
    assert.throws(() => new EmbeddingSimilarityEvaluator(['a'], ['b'], [1], { similarityFnNames: ['cos' as 'cosine'] }), /similarityFnNames\[0\] must be one of cosine, dot, euclidean, manhattan; got "cos"/);
  });
});

describe('BinaryClassificationEvaluator (6.0.1 on fixed embeddings)', () => {
  const d = DATA.binary_classification;
  for (const [i, c] of (d.cases as { options: Record<string, unknown>; model_similarity_fn_name: string; results: Recorded[]; csv: Record<string, string> }[]).entries()) {
    it(`case ${i} ${JSON.stringify(c.options)}: accuracy/F1 thresholds, AP, MCC and CSV as Python`, async () => {
      const ev = new BinaryClassificationEvaluator(d.sentences1, d.sentences2, d.labels, camel(c.options));
      await runCase(`BinaryClassificationEvaluator ${i}`, ev, stubEncoder(DATA.vectors, c.model_similarity_fn_name), c.results, c.csv, [[-1, -1], [0, 5]]);
    });
  }
  it('rejects labels other than 0 and 1', () => {
    assert.throws(() => new BinaryClassificationEvaluator(['a'], ['b'], [2]), /labels\[0\] must be 0 or 1, got 2/);
  });
});

describe('TripletEvaluator (6.0.1 on fixed embeddings)', () => {
  const d = DATA.triplet;
  for (const [i, c] of (d.cases as { options: Record<string, unknown>; model_similarity_fn_name: string; results: Recorded[]; csv: Record<string, string> }[]).entries()) {
    it(`case ${i} ${JSON.stringify(c.options)}: accuracies and CSV as Python`, async () => {
      const ev = new TripletEvaluator(d.anchors, d.positives, d.negatives, camel(c.options));
      await runCase(`TripletEvaluator ${i}`, ev, stubEncoder(DATA.vectors, c.model_similarity_fn_name), c.results, c.csv, [[-1, -1], [2, -1]]);
    });
  }
});

describe('SequentialEvaluator (6.0.1)', () => {
  const e = DATA.embedding_similarity;
  const t = DATA.triplet;
  it('merges the metrics and scores the last primary metric by default', async () => {
    const ev = new SequentialEvaluator<EncoderLike>([new EmbeddingSimilarityEvaluator(e.sentences1, e.sentences2, e.scores, { name: 'a' }), new TripletEvaluator(t.anchors, t.positives, t.negatives, { name: 'b' })]);
    compare('SequentialEvaluator last', await ev.evaluate(stubEncoder(DATA.vectors, 'cosine')), DATA.sequential.last, ev as Evaluator<unknown>);
  });
  it('applies mainScoreFunction to the primary metrics', async () => {
    const ev = new SequentialEvaluator<EncoderLike>([new EmbeddingSimilarityEvaluator(e.sentences1, e.sentences2, e.scores, { name: 'a' }), new TripletEvaluator(t.anchors, t.positives, t.negatives, { name: 'b' })], (s) => s.reduce((x, y) => x + y) / s.length);
    compare('SequentialEvaluator mean', await ev.evaluate(stubEncoder(DATA.vectors, 'cosine')), DATA.sequential.mean, ev as Evaluator<unknown>);
  });
});

describe('InformationRetrievalEvaluator (6.0.1 on fixed embeddings, with tied scores)', () => {
  const d = DATA.information_retrieval;
  for (const [i, c] of (d.cases as { options: Record<string, unknown>; model_similarity_fn_name: string; results: Recorded[]; csv: Record<string, string> }[]).entries()) {
    it(`case ${i} ${JSON.stringify(c.options)}: every @k metric, primary metric and CSV as Python`, async () => {
      const opts = camel(c.options);
      if (Array.isArray(opts.scoreFunctions)) opts.scoreFunctions = Object.fromEntries((opts.scoreFunctions as string[]).map((n) => [n, n]));
      const ev = new InformationRetrievalEvaluator(d.queries, d.corpus, d.relevant_docs, opts);
      const model = stubEncoder(d.vectors, c.model_similarity_fn_name);
      await runCase(`InformationRetrievalEvaluator ${i}`, ev, model, c.results, c.csv, [[-1, -1], [1, 7]]);
      const chunk = (opts.corpusChunkSize as number | undefined) ?? 50000;
      assert.equal(model.calls, 2 * (1 + Math.ceil(Object.keys(d.corpus).length / chunk)), 'one query encode and one encode per corpus chunk, per call');
    });
  }
});

describe('CrossEncoder evaluators (6.0.1 on fixed scores)', () => {
  const d = DATA.cross_encoder;
  const pairs = d.pairs as TextPair[];
  it('CrossEncoderClassificationEvaluator, one label: thresholds, AP and CSV as Python', async () => {
    await runCase('CrossEncoderClassificationEvaluator', new CrossEncoderClassificationEvaluator(pairs, d.labels, { name: 'ce-bin' }), stubPredictor(d.scores), d.classification, d.classification_csv, [[-1, -1], [1, 3]]);
    const ev = new CrossEncoderClassificationEvaluator(pairs, d.labels);
    compare('CrossEncoderClassificationEvaluator noname', await ev.evaluate(stubPredictor(d.scores)), d.classification_noname, ev as Evaluator<unknown>);
  });
  it('CrossEncoderClassificationEvaluator, three labels: macro / micro / weighted F1 as Python', async () => {
    await runCase('CrossEncoderClassificationEvaluator', new CrossEncoderClassificationEvaluator(pairs, d.multilabel_labels, { name: 'nli' }), stubPredictor(d.multilabel_scores, 3), [d.multilabel[0]], d.multilabel_csv, [[-1, -1]]);
  });
  it('CrossEncoderCorrelationEvaluator: Pearson / Spearman (tied predictions) as Python', async () => {
    await runCase('CrossEncoderCorrelationEvaluator', new CrossEncoderCorrelationEvaluator(pairs, d.gold, { name: 'sts' }), stubPredictor(d.scores), d.correlation, d.correlation_csv, [[-1, -1]]);
    const ev = new CrossEncoderCorrelationEvaluator(pairs, d.gold);
    compare('CrossEncoderCorrelationEvaluator noname', await ev.evaluate(stubPredictor(d.scores)), d.correlation_noname, ev as Evaluator<unknown>);
  });
  for (const [i, c] of (d.reranking as { samples: RerankingSample[]; options: Record<string, unknown>; results: Recorded[]; csv: Record<string, string> }[]).entries()) {
    it(`CrossEncoderRerankingEvaluator case ${i} ${JSON.stringify(c.options)}: MAP, MRR@k, NDCG@k (and base_*) as Python`, async () => {
      await runCase(`CrossEncoderRerankingEvaluator ${i}`, new CrossEncoderRerankingEvaluator(c.samples, camel(c.options)), stubPredictor(d.rerank_scores), c.results, c.csv, [[-1, -1]]);
    });
  }
});

describe('evaluators end to end on the fixture models', function () {
  this.timeout(300000);
  before(function () {
    requireFixtures(this, ['models', 'tiny-bert'], ['models', 'tiny-bert-cross-encoder'], ['reference', 'training', 'reference.json']);
  });
  const e2e = DATA.end_to_end;
  it('EmbeddingSimilarityEvaluator on tiny-bert matches reference/training evaluator.before (three variants)', async () => {
    const ref = JSON.parse(readFileSync(fixture('reference', 'training', 'reference.json'), 'utf8')).evaluator;
    const model = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: E2E_DEVICE });
    for (const [variant, args] of Object.entries(ref.variants as Record<string, Record<string, unknown>>)) {
      const ev = new EmbeddingSimilarityEvaluator(ref.sentences1, ref.sentences2, ref.scores, camel(args));
      const want = ref.before[variant];
      compare(`EmbeddingSimilarityEvaluator e2e ${variant}`, await ev.evaluate(model), { metrics: want.metrics, keys: want.metric_keys_in_order, primary_metric: want.primary_metric, greater_is_better: true }, ev as Evaluator<unknown>);
    }
  });
  it('EmbeddingSimilarityEvaluator after each bi-encoder training run matches reference/training evaluator.after', async () => {
    const ref = loadReference('training').json.evaluator;
    for (const run of Object.keys(ref.after)) {
      const dir = trainedTinyBert(run);
      try {
        const model = await SentenceTransformer.load(dir, { device: E2E_DEVICE });
        for (const [variant, args] of Object.entries(ref.variants as Record<string, Record<string, unknown>>)) {
          const ev = new EmbeddingSimilarityEvaluator(ref.sentences1, ref.sentences2, ref.scores, camel(args));
          const want = ref.after[run][variant];
          compare(`EmbeddingSimilarityEvaluator after ${run} ${variant}`, await ev.evaluate(model), { metrics: want.metrics, keys: want.metric_keys_in_order, primary_metric: want.primary_metric, greater_is_better: true }, ev as Evaluator<unknown>);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
  it('InformationRetrieval / Triplet / BinaryClassification evaluators on tiny-bert match 6.0.1', async () => {
    const model = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: E2E_DEVICE });
    const t = e2e.texts as string[];
    const ir = new InformationRetrievalEvaluator({ a: t[0], b: t[3] }, Object.fromEntries(t.map((s, i) => [String(i), s])), { a: ['0', '1'], b: ['3'] }, { accuracyAtK: [1, 3], precisionRecallAtK: [1, 3], name: 'e2e' });
    compare('InformationRetrievalEvaluator e2e', await ir.evaluate(model), e2e.ir, ir as Evaluator<unknown>);
    const tr = new TripletEvaluator(t.slice(0, 3), t.slice(3, 6), t.slice(5, 8));
    const tensorsBefore = tf.memory().numTensors;
    compare('TripletEvaluator e2e', await tr.evaluate(model), e2e.triplet, tr as Evaluator<unknown>);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'an evaluation leaves no tensors behind');
    const bc = new BinaryClassificationEvaluator(t.slice(0, 4), t.slice(4, 8), [1, 0, 1, 0]);
    compare('BinaryClassificationEvaluator e2e', await bc.evaluate(model), e2e.binary, bc as Evaluator<unknown>);
  });
  it('CrossEncoder reranking / correlation evaluators on tiny-bert-cross-encoder match 6.0.1', async () => {
    const model = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'), { device: E2E_DEVICE });
    const t = e2e.texts as string[];
    const rr = new CrossEncoderRerankingEvaluator([{ query: t[0], positive: [t[1]], negative: t.slice(2, 6) }, { query: t[6], positive: [t[7], t[2]], negative: t.slice(0, 2) }], { atK: 3 });
    compare('CrossEncoderRerankingEvaluator e2e', await rr.evaluate(model), e2e.ce_reranking, rr as Evaluator<unknown>);
    const co = new CrossEncoderCorrelationEvaluator(t.slice(0, 7).map((s, i) => [s, t[i + 1]] as TextPair), [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.8]);
    compare('CrossEncoderCorrelationEvaluator e2e', await co.evaluate(model), e2e.ce_correlation, co as Evaluator<unknown>);
  });
  after(() => console.log('    max |metric - python| per evaluator:', JSON.stringify(maxDiff)));
});

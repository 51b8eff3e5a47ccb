/**
 * The model card: after training, `save` writes README.md as sentence-transformers 6.0.1 does. The same short runs are
 * recorded with the Python stack (test/data/model_card/gen_cards.py: st_card.md, ce_card.md) and the cards are
 * compared section by section: equal, except the differences the card's header comment names (the YAML widget, the
 * Usage code, the hyperparameter lists, Training Time's durations, Framework Versions), and the
 * numbers of the metric and loss cells, which are compared as numbers (4 printed decimals; 6.0.1 prints a metric
 * as `0.6000` when its float is 0.6000000000000001 and `0.6` when it is exactly 0.6, so one ulp changes the text).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { SparseEncoder } from '../src/api/sparse_encoder.js';
import { initBackend } from '../src/backends/index.js';
import { EmbeddingSimilarityEvaluator } from '../src/evaluation/embedding_similarity.js';
import { CoSENTLoss } from '../src/losses/cosent.js';
import { createCrossEncoderLoss, createLoss } from '../src/losses/registry.js';
import { cardCitations, cardLogRows, cardLosses, cardPrimaryMetrics, renderModelCard } from '../src/training/model_card.js';
import { MatryoshkaLoss } from '../src/losses/matryoshka.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import { SequentialEvaluator } from '../src/evaluation/sequential.js';
import { columnStats, crossEncoderRepr, formatDuration, samplesTable, markdownTable, modelRepr, pyFloat, pyRound, pyRepr, type ReprModule } from '../src/training/model_card_format.js';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { CrossEncoderCorrelationEvaluator } from '../src/evaluation/cross_encoder_correlation.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const data = (f: string) => readFileSync(new URL(`./data/model_card/${f}`, import.meta.url), 'utf8');
/** sentence-transformers 6.0.1's cards of the two runs below, its repr(model) of each fixture, its losses' citations. */
const PY_ST_CARD = data('st_card.md');
const PY_CE_CARD = data('ce_card.md');
const PY_BEST_CARD = data('st_best_card.md');
const PY_REPRS = JSON.parse(data('reprs.json')) as Record<string, string>;
const PY_CITATIONS = JSON.parse(data('citations.json')) as Record<string, string | null>;

/** The card cut at its headings (outside code blocks and comments): YAML first, then [heading, body] in order. */
function sections(card: string): { yaml: string; parts: [string, string][] } {
  const [, yaml, body] = card.split(/^---$/m);
  const parts: [string, string][] = [];
  let cur: [string, string] = ['(top)', ''];
  let fenced = false;
  let comment = false;
  for (const line of body.split('\n')) {
    if (line.trimStart().startsWith('```')) fenced = !fenced;
    if (line === '<!--') comment = true;
    if (!fenced && !comment && /^#{1,4} /.test(line)) {
      parts.push(cur);
      cur = [line, ''];
      continue;
    }
    if (line === '-->') comment = false;
    cur[1] += `${line}\n`;
  }
  parts.push(cur);
  return { yaml, parts };
}

/** The YAML without the keys sentence-tfjs leaves out (widget: the card's example sentences; model-index). */
function yamlWithout(yaml: string, keys: string[]): string {
  const out: string[] = [];
  let skip = false;
  for (const line of yaml.split('\n')) {
    if (/^[A-Za-z_][\w-]*:/.test(line)) skip = keys.some((k) => line.startsWith(`${k}:`));
    if (!skip) out.push(line);
  }
  return out.join('\n');
}

/** Two table texts equal up to their numbers (|a - b| <= tol) and the padding those numbers change. */
function assertSameUpToNumbers(ours: string, theirs: string, tol: number, what: string): void {
  const num = /-?\d+\.\d+(?:e-?\d+)?/g;
  const skel = (s: string) => s.replace(num, '#').replace(/ +/g, ' ').replace(/-+/g, '-');
  assert.equal(skel(ours), skel(theirs), `${what}: the same table but for its numbers`);
  const a = ours.match(num) ?? [];
  const b = theirs.match(num) ?? [];
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(Number(x) - Number(b[i])) <= tol, `${what}: ${x} vs 6.0.1's ${b[i]}`));
}

/** Sections whose bodies differ by design (see the header of src/training/model_card.ts). */
const OWN_SECTIONS = new Set(['### Direct Usage (Sentence Transformers)', '#### Non-Default Hyperparameters', '#### All Hyperparameters', '### Training Time', '### Framework Versions']);

/** Compare our card with 6.0.1's of the same run, section by section. */
function compareCards(ours: string, theirs: string, opts: { usage: string; top?: (o: string, t: string) => void }): void {
  const o = sections(ours);
  const t = sections(theirs);
  assertSameUpToNumbers(o.yaml.trimEnd(), yamlWithout(t.yaml, ['widget']).trimEnd(), 1e-4, 'YAML metadata (6.0.1 less widget)');
  const theirHeadings = t.parts.map(([h]) => h);
  assert.deepEqual(o.parts.map(([h]) => (h === opts.usage ? '### Direct Usage (Sentence Transformers)' : h)), theirHeadings, 'the same sections in the same order');
  o.parts.forEach(([h, body], i) => {
    const theirs = t.parts[i][1];
    if (h.startsWith('# ') && opts.top) return opts.top(body, theirs);
    if (h === opts.usage || OWN_SECTIONS.has(h)) return;
    if (h === '### Training Logs' || (i > theirHeadings.indexOf('### Metrics') && i < theirHeadings.indexOf('## Training Details'))) {
      return assertSameUpToNumbers(body, theirs, 1.5e-4, h);
    }
    assert.equal(body, theirs, `section ${h}`);
  });
  // the hyperparameters both lists name print the same (transformers 5 folds warmup_ratio into warmup_steps: left out)
  const hp = (card: { parts: [string, string][] }) => new Map([...(card.parts.find(([h]) => h === '#### All Hyperparameters')?.[1] ?? '').matchAll(/^- `(\w+)`: (.*)$/gm)].map((m) => [m[1], m[2]]));
  const [ourHp, theirHp] = [hp(o), hp(t)];
  const common = [...ourHp.keys()].filter((k) => theirHp.has(k) && k !== 'warmup_ratio' && k !== 'warmup_steps');
  assert.ok(common.length >= 10, `common hyperparameters: ${common.join(', ')}`);
  for (const k of common) assert.equal(ourHp.get(k), theirHp.get(k), `hyperparameter ${k}`);
  const time = o.parts.find(([h]) => h === '### Training Time')?.[1] ?? '';
  assert.match(time, /^- \*\*Training\*\*: \d+\.\d (seconds|minutes)\n- \*\*Evaluation\*\*: \d+\.\d seconds\n- \*\*Total\*\*: \d+\.\d (seconds|minutes)\n\n$/);
  const versions = o.parts.find(([h]) => h === '### Framework Versions')?.[1] ?? '';
  assert.match(versions, /^- sentence-tfjs: \d+\.\d+\.\d+\n- TensorFlow\.js \(tfjs-core\): \d+\.\d+\.\d+\n- Backend: wasm\n- Sentence Transformers \(format\): 6\.0\.1\n\n$/);
}

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
// the rows of gen_cards.py
const S1 = ['A man is eating food.', 'A man is riding a horse.', 'The girl is carrying a baby.', 'A woman plays the violin.', 'Two dogs run in a field.', 'A child reads a book | slowly.', 'The kettle is boiling.', 'A plane takes off.'];
const S2 = ['A man eats.', 'A person rides a horse.', 'It is raining.', 'Stocks fell today.', 'Dogs are running outside.', 'A kid is reading.', 'Water is being heated.', 'A cat sleeps.'];
const SCORES = [0.9, 0.8, 0.1, 0.0, 0.85, 0.7, 0.6, 0.05];

describe('training: the model card (README.md) after a fit (wasm)', function () {
  let tmp: string;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    tmp = mkdtempSync(join(tmpdir(), 'st-card-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('SentenceTransformerTrainer then save writes 6.0.1\'s card of the same run, section by section', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const out = join(tmp, 'model');
      await model.save(out);
      assert.equal(existsSync(join(out, 'README.md')), false, 'no card before training');
      const evaluator = new EmbeddingSimilarityEvaluator(S1.slice(0, 4), S2.slice(0, 4), SCORES.slice(0, 4), { name: 'sts-dev' });
      const result = await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 4, learningRate: 1e-3, numTrainEpochs: 2, warmupRatio: 0.25, evalStrategy: 'steps', evalSteps: 2, saveStrategy: 'no', seed: 7, loggingSteps: 1, adamBeta1: 0.9, maxGradNorm: 1 },
        trainDataset: S1.map((s, i) => ({ sentence1: s, sentence2: S2[i], score: SCORES[i] })),
        loss: new CoSENTLoss({ scale: 15 }),
        evaluator,
      }).train();
      assert.equal(result.evaluations.length, 2);
      await model.save(out);
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      compareCards(card, PY_ST_CARD, { usage: '### Direct Usage (sentence-tfjs)' });
      // the hyperparameters we set are listed with their values (the lists themselves are this library's arguments)
      const nonDefault = card.slice(card.indexOf('#### Non-Default Hyperparameters'), card.indexOf('#### All Hyperparameters'));
      for (const line of ['- `per_device_train_batch_size`: 4', '- `learning_rate`: 0.001', '- `num_train_epochs`: 2', '- `warmup_ratio`: 0.25', '- `seed`: 7']) assert.ok(nonDefault.includes(line), `non-default hyperparameters lack ${line}`);
      // given at their defaults (adamBeta1 0.9, maxGradNorm 1): not listed, as 6.0.1 compares each value with the default
      for (const key of ['adam_beta1', 'max_grad_norm']) assert.ok(!nonDefault.includes(`- \`${key}\``), `${key} given at its default is listed as non-default`);
      assert.ok(card.slice(card.indexOf('#### All Hyperparameters')).includes('- `adam_beta1`: 0.9'));
      const reloaded = await SentenceTransformer.load(out);
      reloaded.dispose();
    } finally {
      model.dispose();
    }
  });

  it('with loadBestModelAtEnd the kept checkpoint\'s Training Logs row is bold, as 6.0.1 prints it', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const out = join(tmp, 'best');
      await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 4, learningRate: 1e-3, numTrainEpochs: 2, warmupRatio: 0.25, evalStrategy: 'steps', evalSteps: 1, saveStrategy: 'steps', saveSteps: 1, outputDir: join(tmp, 'best-ckpt'), loadBestModelAtEnd: true, seed: 7, loggingSteps: 1 },
        trainDataset: S1.map((s, i) => ({ sentence1: s, sentence2: S2[i], score: SCORES[i] })),
        loss: new CoSENTLoss({ scale: 15 }),
        evaluator: new EmbeddingSimilarityEvaluator(S1.slice(0, 4), S2.slice(0, 4), SCORES.slice(0, 4), { name: 'sts-dev' }),
      }).train();
      await model.save(out);
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      compareCards(card, PY_BEST_CARD, { usage: '### Direct Usage (sentence-tfjs)' });
      assert.match(card, /\| \*\*0\.5\*\* \| \*\*1\*\* \| \*\*1\.7889\*\* +\| \*\*0\.8\*\* +\|\n/);
      assert.match(card, /\n\n\* The bold row denotes the saved checkpoint\.\n\n### Training Time/);
    } finally {
      model.dispose();
    }
  });

  it('CrossEncoderTrainer then CrossEncoder.save writes 6.0.1\'s cross-encoder card of the same run, section by section', async () => {
    const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    try {
      const out = join(tmp, 'ce');
      await ce.save(out);
      assert.equal(existsSync(join(out, 'README.md')), false, 'no card before training');
      const evaluator = new CrossEncoderCorrelationEvaluator([['a cat', 'a kitten'], ['a dog', 'a car'], ['x', 'y']], [1, 0, 0.3], { name: 'dev', writeCsv: false });
      await new CrossEncoderTrainer({
        model: ce,
        args: { numTrainEpochs: 1, perDeviceTrainBatchSize: 2, learningRate: 1e-4, evalStrategy: 'steps', evalSteps: 1, loggingSteps: 1 },
        trainDataset: [
          { sentence1: 'a cat', sentence2: 'a kitten', label: 1 },
          { sentence1: 'a dog', sentence2: 'a car', label: 0 },
          { sentence1: 'the sun', sentence2: 'the moon', label: 0.5 },
          { sentence1: 'rain', sentence2: 'wet', label: 1 },
        ],
        loss: 'BinaryCrossEntropyLoss',
        evaluator,
      }).train();
      await ce.save(out);
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      compareCards(card, PY_CE_CARD, {
        usage: '### Direct Usage (sentence-tfjs)',
        // the description names the library that trained it: sentence-tfjs, in the sentence-transformers format
        top: (o, t) => assert.equal(o, t.replace('using the [sentence-transformers](https://www.SBERT.net) library', 'using sentence-tfjs, in the [sentence-transformers](https://www.SBERT.net) format')),
      });
      const reloaded = await CrossEncoder.load(out);
      reloaded.dispose();
    } finally {
      ce.dispose();
    }
  });

  it('fit() with an evaluator and saveBestModel writes the card into the saved best model', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const out = join(tmp, 'fit-best');
      await model.fit({
        trainObjectives: [{ data: S1.slice(0, 4).map((s, i) => ({ texts: [s, S2[i]], label: SCORES[i] })), loss: new CoSENTLoss() }],
        evaluator: new EmbeddingSimilarityEvaluator(S1.slice(0, 4), S2.slice(0, 4), SCORES.slice(0, 4), { name: 'dev' }),
        batchSize: 2,
        epochs: 1,
        warmupSteps: 0,
        optimizerParams: { lr: 1e-3 },
        outputPath: out,
      });
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      assert.match(card, /\* Columns: <code>sentence_0<\/code>, <code>sentence_1<\/code>, and <code>label<\/code>/);
      assert.match(card, /\| +\| sentence_0 +\| sentence_1 +\| label +\|/, 'the statistics table names the InputExample columns');
      assert.match(card, /\| <code>A man is eating food\.<\/code> +\| <code>A man eats\.<\/code> +\| <code>0\.9<\/code> \|/, 'the first sample');
      assert.match(card, /- `optimizer_params`: \{'lr': 0\.001\}/);
      assert.match(card, /#### Semantic Similarity\n\n\* Dataset: `dev`/);
      // fit() logs as 6.0.1's fit (transformers' logging_steps 500): the two-step run has evaluation rows only
      assert.match(card, /### Training Logs\n\| Epoch \| Step \| dev_spearman_cosine \|/);
    } finally {
      model.dispose();
    }
  });

  it('the Full Model Architecture block is 6.0.1\'s repr(model) for every fixture model', async function () {
    this.timeout(300000);
    for (const [name, expected] of Object.entries(PY_REPRS)) {
      if (name.includes('cross-encoder')) {
        const ce = await CrossEncoder.load(modelDir(name));
        try {
          assert.equal(crossEncoderRepr(ce.model), expected, name);
        } finally {
          ce.dispose();
        }
      } else {
        const m = name.includes('splade') ? await SparseEncoder.load(modelDir(name)) : await SentenceTransformer.load(modelDir(name));
        try {
          assert.equal(modelRepr(name.includes('splade') ? 'SparseEncoder' : 'SentenceTransformer', m.modules as readonly ReprModule[]), expected, name);
        } finally {
          m.dispose();
        }
      }
    }
  });
});

describe('training: the model card, its parts', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('each loss carries 6.0.1\'s citation (BibTeX), none where 6.0.1 has none', () => {
    const opts: Record<string, Record<string, unknown>> = { SoftmaxLoss: { embeddingDimension: 32, numLabels: 3 }, MatryoshkaLoss: { loss: 'CoSENTLoss', matryoshkaDims: [32, 16] } };
    for (const [key, expected] of Object.entries(PY_CITATIONS)) {
      const loss = key.startsWith('cross_encoder.') ? createCrossEncoderLoss(key.slice('cross_encoder.'.length)) : createLoss(key, opts[key] ?? {});
      assert.equal(loss.citation ?? null, expected === null ? null : expected.trim(), key); // the card prints it trimmed
      (loss as { dispose?: () => void }).dispose?.();
    }
  });

  it('citations: Sentence-BERT first, losses sharing a BibTeX under one heading ("A and B"), each loss once', () => {
    const c = cardCitations([{ name: 'TripletLoss', citation: 'T' }, { name: 'BatchHardTripletLoss', citation: 'T' }, { name: 'TripletLoss', citation: 'T' }, { name: 'CosineSimilarityLoss' }, { name: 'SoftmaxLoss', citation: `\n${PY_CITATIONS.SoftmaxLoss}\n` }]);
    assert.deepEqual(c.map(([n]) => n), ['Sentence Transformers and SoftmaxLoss', 'TripletLoss and BatchHardTripletLoss']);
  });

  it('a wrapped loss (MatryoshkaLoss over MNRL) tags and cites both, as 6.0.1\'s get_losses', () => {
    const losses = cardLosses([new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { matryoshkaDims: [32, 16] })]);
    assert.deepEqual(losses.map((l) => l.name), ['MatryoshkaLoss', 'MultipleNegativesRankingLoss']);
    const card = renderModelCard({
      baseModel: null, maxSeqLength: 128, outputDimensionality: 32, similarityFnName: 'cosine', losses,
      trainDatasets: [{ size: 2, columns: ['anchor', 'positive'], loss: { name: 'MatryoshkaLoss', config: {}, citation: losses[0].citation } }],
      allHyperparameters: {}, nonDefaultHyperparameters: {}, evaluations: [], logs: [], backend: 'cpu',
    });
    assert.match(card, /- loss:MatryoshkaLoss\n- loss:MultipleNegativesRankingLoss\n/);
    assert.deepEqual(card.match(/^#### .*$/gm), ['#### Unnamed Dataset', '#### All Hyperparameters', '#### Sentence Transformers', '#### MatryoshkaLoss', '#### MultipleNegativesRankingLoss']);
    assert.ok(card.includes(`#### MultipleNegativesRankingLoss\n\`\`\`bibtex\n${(PY_CITATIONS.MultipleNegativesRankingLoss ?? '').trim()}\n\`\`\``));
  });

  it('Python printing: float repr, round half to even on the exact binary value, durations, dict repr with tuples', () => {
    assert.deepEqual([1, 0.25, 1e-5, 1e16, 123456789012345680, 0.1 + 0.2, -0.5, 1e-4].map(pyFloat), ['1.0', '0.25', '1e-05', '1e+16', '1.2345678901234568e+17', '0.30000000000000004', '-0.5', '0.0001']);
    // 0.625 and 8.375 are exact ties (to even); 2.675 is 2.67499999... in binary
    assert.deepEqual([pyRound(0.625, 2), pyRound(8.375, 2), pyRound(2.675, 2), pyRound(0.7999999999999999, 4), pyRound(9.99999, 2)], ['0.62', '8.38', '2.67', '0.8', '10.0']);
    assert.deepEqual([formatDuration(2.46), formatDuration(90), formatDuration(5400), formatDuration(200000)], ['2.5 seconds', '1.5 minutes', '1.5 hours', '2.3 days']);
    assert.equal(pyRepr({ a: 'it\'s', b: ['x', 'y'], c: null, d: true, e: 2 }, new Set(['b'])), `{'a': "it's", 'b': ('x', 'y'), 'c': None, 'd': True, 'e': 2}`);
  });

  it('column statistics as 6.0.1: int labels by share, lists by length, floats rounded half to even; samples as Python prints them', () => {
    const ints = columnStats([0, 1, 1, 2], () => []);
    assert.deepEqual(ints, { dtype: 'int', modality: '', details: [['0', '~25.00%'], ['1', '~50.00%'], ['2', '~25.00%']] });
    assert.deepEqual(columnStats([1, 1], () => []).details, [['1', '100.00%']], 'one value: no ~');
    assert.deepEqual(columnStats([[1, 2], [3, 4]], () => []).details, [['size', '2 elements']]);
    assert.deepEqual(columnStats([[1], [2, 3]], () => []).details, [['min', '1 elements'], ['mean', '1.50 elements'], ['max', '2 elements']]);
    assert.deepEqual(columnStats([0.125, 0.5], () => []).details, [['min', '0.12'], ['mean', '0.31'], ['max', '0.5']]);
    assert.deepEqual(columnStats(['a b', 'c'], (t) => t.map((x) => x.split(' ').length + 2)).details, [['min', '3 tokens'], ['mean', '3.5 tokens'], ['max', '4 tokens']]);
    const t = samplesTable(['v', 'l'], [{ v: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], l: 2 }], ['list', 'int']);
    // transformers' make_markdown_table + indent printed this (Python, by hand once)
    assert.equal(t, '  | v                                           | l              |\n  |:--------------------------------------------|:---------------|\n  | <code>[0.1, 0.2, 0.3, 0.4, 0.5, ...]</code> | <code>2</code> |\n');
  });

  it('markdown tables as transformers\' make_markdown_table: padded cells, floats with more than 4 decimals cut to 4', () => {
    const t = markdownTable([{ Epoch: { num: 0.5, isInt: false }, Step: { num: 12, isInt: true }, Loss: { num: 1.23456789, isInt: false } }, { Epoch: { num: 1, isInt: false }, Step: { num: 24, isInt: true }, Loss: '-' }]);
    assert.equal(t, '| Epoch | Step | Loss   |\n|:-----:|:----:|:------:|\n| 0.5   | 12   | 1.2346 |\n| 1.0   | 24   | -      |\n');
  });

  it('training-log rows: one per logging step (the mean loss since the last), one per evaluation, merged by step', () => {
    const steps = [1, 2, 3, 4, 5].map((s) => ({ step: s, epoch: s / 5, loss: s }));
    const evals: { step: number; epoch: number; metrics: Record<string, number> }[] = [{ step: 3, epoch: 0.6, metrics: { d_m: 0.3, d_x: 9 } }, { step: 4, epoch: 0.8, metrics: { d_m: 0.4 } }];
    assert.deepEqual(cardLogRows(steps, evals, 2, ['d_m']), [
      { epoch: 0.4, step: 2, trainingLoss: 1.5, metrics: {} },
      { epoch: 0.6, step: 3, trainingLoss: null, metrics: { d_m: 0.3 } },
      { epoch: 0.8, step: 4, trainingLoss: 3.5, metrics: { d_m: 0.4 } },
    ]);
    // a SequentialEvaluator's row shows each of its evaluators' primary metrics
    const seq = new SequentialEvaluator([new EmbeddingSimilarityEvaluator(['a'], ['b'], [1], { name: 'x' }), new EmbeddingSimilarityEvaluator(['a'], ['b'], [1], { name: 'y' })]);
    assert.deepEqual(cardPrimaryMetrics(seq), ['x_spearman_cosine', 'y_spearman_cosine']);
    assert.deepEqual(cardLogRows([], [{ step: 1, epoch: 1, metrics: { x_spearman_cosine: 0.5, y_spearman_cosine: 0.25, sequential_score: 0.25 } }], 500, cardPrimaryMetrics(seq)), [{ epoch: 1, step: 1, trainingLoss: null, metrics: { x_spearman_cosine: 0.5, y_spearman_cosine: 0.25 } }]);
  });

  it('a hub id base model goes into the YAML metadata, the title and the description', () => {
    const card = renderModelCard({
      baseModel: 'sentence-transformers/all-MiniLM-L6-v2',
      maxSeqLength: 256,
      outputDimensionality: 384,
      similarityFnName: 'cosine',
      trainDatasets: [{ size: 1200, columns: ['anchor', 'positive'], loss: { name: 'MultipleNegativesRankingLoss', config: { scale: 20, similarity_fct: 'cos_sim' } } }],
      allHyperparameters: { learning_rate: 2e-5 },
      nonDefaultHyperparameters: {},
      evaluations: [],
      logs: [],
      backend: 'cpu',
    });
    assert.match(card, /^- loss:MultipleNegativesRankingLoss\nbase_model: sentence-transformers\/all-MiniLM-L6-v2\npipeline_tag: sentence-similarity$/m);
    assert.match(card, /^# SentenceTransformer based on sentence-transformers\/all-MiniLM-L6-v2$/m);
    assert.ok(card.includes('- **Base model:** [sentence-transformers/all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2)'));
    assert.match(card, /\* Size: 1,200 training samples/);
    assert.match(card, /\* Columns: <code>anchor<\/code> and <code>positive<\/code>/);
    assert.match(card, /- \*\*Maximum Sequence Length:\*\* 256 tokens/);
    assert.doesNotMatch(card, /## Evaluation/);
    assert.match(card, /#### Sentence Transformers\n```bibtex\n@inproceedings\{reimers-2019-sentence-bert,/);
  });

  it('a multi-label cross-encoder card names its task (text pair classification), pipeline tag and label count', () => {
    const card = renderModelCard({
      modelType: 'CrossEncoder',
      numLabels: 3,
      baseModel: 'cross-encoder/nli-deberta-v3-base',
      maxSeqLength: 512,
      outputDimensionality: null,
      similarityFnName: null,
      trainDatasets: [{ size: 10, columns: ['sentence_0', 'sentence_1', 'label'], loss: { name: 'CrossEntropyLoss', config: { activation_fn: 'torch.nn.modules.linear.Identity' } } }],
      allHyperparameters: { batch_size: 16 },
      nonDefaultHyperparameters: {},
      evaluations: [],
      logs: [],
      backend: 'cpu',
    });
    assert.match(card, /^pipeline_tag: text-classification$/m);
    assert.match(card, /^# CrossEncoder based on cross-encoder\/nli-deberta-v3-base$/m);
    assert.match(card, /- \*\*Number of Output Labels:\*\* 3 labels/);
    assert.match(card, /which can be used for text pair classification\./);
    assert.doesNotMatch(card, /Output Dimensionality/);
  });
});

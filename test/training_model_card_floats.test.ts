/**
 * The model card prints numbers as sentence-transformers 6.0.1 does where a JS number cannot say int or float: a loss
 * option 6.0.1 holds as a Python float (`"scale": 20.0`, `"margin": 1.0`, MNRL's `"hardness_strength": 0.0`; each
 * loss's `configFloats`), an int option as an int (TripletLoss's `triplet_margin` 5), and a dataset column typed over
 * the whole column (a fractional value after the first 100 rows makes it `float`, its whole values printed `1.0`).
 * The references are 6.0.1's own cards of the same one-step runs: test/data/model_card/gen_float_cards.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { createCrossEncoderLoss, createLoss } from '../src/losses/registry.js';
import { renderModelCard } from '../src/training/model_card.js';
import { pyJsonDumps } from '../src/training/model_card_format.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

/** 6.0.1's "### Training Dataset" section of each run, and json.dumps of each loss's get_config_dict() (gen_float_cards.py). */
const { config_dicts: PY_CONFIGS, ...PY } = JSON.parse(readFileSync(new URL('./data/model_card/float_cards.json', import.meta.url), 'utf8')) as Record<string, string> & { config_dicts: Record<string, string | null> };

// the rows of gen_float_cards.py
const S1 = ['A man is eating food.', 'A man is riding a horse.', 'The girl is carrying a baby.', 'A woman plays the violin.'];
const S2 = ['A man eats.', 'A person rides a horse.', 'It is raining.', 'Stocks fell today.'];
const S3 = ['The sky is blue.', 'Dogs bark.', 'A car drives by.', 'Music is loud.'];
const scored = S1.map((a, i) => ({ sentence1: a, sentence2: S2[i], score: [1, 0, 0.5, 1][i] }));
const labelled = S1.map((a, i) => ({ sentence1: a, sentence2: S2[i], label: [1, 0, 1, 0][i] }));
const pairs = S1.map((a, i) => ({ anchor: a, positive: S2[i] }));
const triplets = S1.map((a, i) => ({ anchor: a, positive: S2[i], negative: S3[i] }));
const byLabel = [...S1, ...S2].map((s, i) => ({ sentence: s, label: i % 2 })); // spread-ok: two 4-element literals
const lateFloat = Array.from({ length: 104 }, (_, i) => ({ sentence1: S1[i % 4], sentence2: S2[i % 4], score: i === 100 ? 0.5 : i % 2 }));
const wholeInt = S1.map((a, i) => ({ sentence1: a, sentence2: S2[i], score: [1, 0, 1, 0][i] }));

const RUNS: [string, string, Record<string, unknown>, readonly Record<string, unknown>[]][] = [
  ['CoSENTLoss', 'CoSENTLoss', {}, scored],
  ['AnglELoss', 'AnglELoss', {}, scored],
  ['ContrastiveLoss', 'ContrastiveLoss', { margin: 1 }, labelled],
  ['OnlineContrastiveLoss', 'OnlineContrastiveLoss', { margin: 1 }, labelled],
  ['MultipleNegativesRankingLoss', 'MultipleNegativesRankingLoss', {}, pairs],
  ['MultipleNegativesSymmetricRankingLoss', 'MultipleNegativesSymmetricRankingLoss', {}, pairs],
  ['CachedMultipleNegativesRankingLoss', 'CachedMultipleNegativesRankingLoss', { miniBatchSize: 2 }, pairs],
  ['TripletLoss', 'TripletLoss', {}, triplets],
  ['BatchHardTripletLoss', 'BatchHardTripletLoss', {}, byLabel],
  ['score_late_float', 'CoSENTLoss', {}, lateFloat],
  ['score_whole_int', 'CoSENTLoss', {}, wholeInt],
];

describe('training: the model card prints ints and floats as 6.0.1 (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
  });

  for (const [run, lossName, options, rows] of RUNS) {
    it(`${run}: the Training Dataset section (statistics, samples, the loss's parameters) equals 6.0.1's card of the same run`, async () => {
      const model = await SentenceTransformer.load(modelDir('tiny-bert'));
      try {
        await new SentenceTransformerTrainer({ model, args: { perDeviceTrainBatchSize: 4, maxSteps: 1, saveStrategy: 'no', seed: 7 }, trainDataset: rows, loss: createLoss(lossName, options) }).train();
        const card = renderModelCard(model.modelCardData!);
        const section = card.slice(card.indexOf('### Training Dataset'), card.indexOf('### Training Hyperparameters'));
        assert.equal(section, PY[run]);
      } finally {
        model.dispose();
      }
    });
  }

  it("the cross-encoder CrossEntropyLoss (6.0.1's class has no get_config_dict): the card names it without a parameters block, as 6.0.1's card of the same run", async () => {
    const ce = await CrossEncoder.load(modelDir('tiny-roberta-nli-cross-encoder'));
    try {
      const rows = S1.map((a, i) => ({ sentence1: a, sentence2: S2[i], label: i % 3 }));
      await new CrossEncoderTrainer({ model: ce, args: { perDeviceTrainBatchSize: 4, maxSteps: 1, saveStrategy: 'no', seed: 7 }, trainDataset: rows, loss: 'CrossEntropyLoss' }).train();
      const card = renderModelCard(ce.modelCardData!);
      assert.equal(card.slice(card.indexOf('### Training Dataset'), card.indexOf('### Training Hyperparameters')), PY['cross_encoder.CrossEntropyLoss']);
    } finally {
      ce.dispose();
    }
  });

  it("6.0.1 types a column of whole Python floats `float`: recorded, and the case a JS number cannot express (it prints as the JSON ints' `int`)", () => {
    assert.match(PY.score_whole_float, /\| type {5}\| string .*\| float/);
    assert.match(PY.score_whole_int, /\| type {5}\| string .*\| int/);
  });

  it("every loss's parameters block at its defaults equals json.dumps of 6.0.1's get_config_dict() (floats where 6.0.1's defaults are float literals)", () => {
    const options: Record<string, Record<string, unknown>> = { SoftmaxLoss: { embeddingDimension: 32, numLabels: 3 }, MatryoshkaLoss: { loss: 'CoSENTLoss', matryoshkaDims: [32, 16] } };
    // 6.0.1's cross-encoder CrossEntropyLoss has no get_config_dict (left out; noted); a pos_weight's type is the tensor's
    const skip = new Set(['cross_encoder.CrossEntropyLoss', 'cross_encoder.BinaryCrossEntropyLoss(pos_weight=2.0)']);
    const names = Object.keys(PY_CONFIGS).filter((n) => !skip.has(n));
    assert.equal(names.length, 17);
    for (const name of names) {
      const loss = name.startsWith('cross_encoder.') ? createCrossEncoderLoss(name.slice('cross_encoder.'.length)) : createLoss(name, options[name] ?? {});
      assert.equal(pyJsonDumps(loss.getConfigDict(), loss.configFloats), PY_CONFIGS[name], name);
      (loss as { dispose?: () => void }).dispose?.(); // SoftmaxLoss's classifier
    }
    assert.equal(PY_CONFIGS['cross_encoder.CrossEntropyLoss'], null);
  });

  it('pyJsonDumps: the float keys as json.dumps prints a Python float, the others as JSON, nested values untouched', () => {
    const config = { scale: 20, margin: 0.05, eps: 1e-5, big: 1e16, n: NaN, inf: -Infinity, count: 5, nested: { scale: 3 }, list: [1, 2] };
    const floats = ['scale', 'margin', 'eps', 'big', 'n', 'inf', 'nested'];
    assert.equal(
      pyJsonDumps(config, floats),
      '{\n    "scale": 20.0,\n    "margin": 0.05,\n    "eps": 1e-05,\n    "big": 1e+16,\n    "n": NaN,\n    "inf": -Infinity,\n    "count": 5,\n    "nested": {\n        "scale": 3\n    },\n    "list": [\n        1,\n        2\n    ]\n}',
    );
    assert.equal(pyJsonDumps({ scale: 20 }), '{\n    "scale": 20\n}');
  });
});

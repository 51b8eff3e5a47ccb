/**
 * Dropout in ModernBERT, Qwen3 and EmbeddingGemma (Gemma3): the sites and probabilities transformers 5.18 has
 * (recorded from the Python models by test/data/dropout_sites/gen_dropout_sites.py), active in training mode only:
 * with p > 0 a training-mode forward differs from eval, with p = 0 it equals eval bit for bit; kept units are scaled
 * by 1 / (1 - p) (the mean is preserved); the attention op leaves its fused kernel for the per-op path when it must
 * drop probabilities. Backend: wasm (the fused kernels are live).
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { dropoutAt, inTrainingMode } from '../src/layers/dropout.js';
import { parseModernBertConfig } from '../src/models/modernbert.js';
import { parseQwen3Config } from '../src/models/qwen3.js';
import { batchToTensors } from '../src/modules/tokenized_batch.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

type Site = { site: string; kind: 'module' | 'attention_probs'; p: number };
const REF = JSON.parse(readFileSync(new URL('./data/dropout_sites/dropout_sites.json', import.meta.url), 'utf8')) as Record<string, { config_overrides: Record<string, number>; sites: Site[]; base_model_prefix: string }>;
const TEXTS = ['A man is eating food.', 'The quick brown fox jumps over the lazy dog, twice.'];
const NO_HIDDEN = { hidden: 0, attention: 0 }; // the BERT-family probabilities: none of these models reads them
let seedCounter = 1;
const nextSeed = () => seedCounter++;

function zeroed(overrides: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(overrides).map((k) => [k, 0]));
}

/** The encoder's last hidden state for TEXTS, in eval mode or in training mode (recording the sites passed). */
function forward(st: SentenceTransformer, training: boolean, sites?: string[]): Float32Array {
  const enc = st.transformer;
  const inputs = batchToTensors(enc.tokenize(TEXTS));
  try {
    const run = () => tf.tidy(() => enc.model.forward(inputs).lastHiddenState.dataSync() as Float32Array);
    return training ? inTrainingMode(NO_HIDDEN, nextSeed, run, sites) : run();
  } finally {
    tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds].filter((t): t is tf.Tensor2D => t !== undefined));
  }
}

describe('dropout sites of ModernBERT, Qwen3 and EmbeddingGemma (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-modernbert']);
    await initBackend('wasm');
  });

  for (const fixture of ['tiny-modernbert', 'tiny-qwen3', 'tiny-embeddinggemma']) {
    describe(fixture, function () {
      const ref = REF[fixture];
      let on: SentenceTransformer;
      let off: SentenceTransformer;
      before(async function () {
        requireFixtures(this, ['models', fixture]);
        on = await SentenceTransformer.load(modelDir(fixture), { configKwargs: ref.config_overrides });
        off = await SentenceTransformer.load(modelDir(fixture), { configKwargs: zeroed(ref.config_overrides) });
      });
      after(() => {
        on?.dispose();
        off?.dispose();
      });

      it(`has the sites transformers 5.18 has (${ref.sites.length}: ${[...new Set(ref.sites.map((s) => s.site.replace(/\d+/, 'i')))].join(', ')})`, () => {
        const sites: string[] = [];
        forward(on, true, sites);
        // the attention-probability sites are passed only inside the per-op attention: the fused kernel stepped aside
        assert.deepEqual(sites, ref.sites.map((s) => s.site), 'the same sites, in forward order');
      });

      it('p = 0.1: a training-mode forward differs from eval, repeats with the same seeds, and eval is unchanged', () => {
        const e = forward(on, false);
        seedCounter = 1000;
        const t1 = forward(on, true);
        seedCounter = 1000;
        const t2 = forward(on, true);
        assert.deepEqual(t1, t2, 'the same seeds give the same masks');
        let differ = 0;
        for (let i = 0; i < e.length; i++) if (t1[i] !== e[i]) differ++;
        assert.ok(differ > e.length / 2, `training mode changed ${differ} of ${e.length} values`);
        assert.deepEqual(forward(on, false), e, 'eval after training-mode forwards is unchanged');
        assert.deepEqual(forward(off, false), e, 'the probabilities change nothing in eval mode');
      });

      it('trains through the sites: a seeded 3-step run with p = 0.1 repeats exactly and differs from p = 0', async () => {
        const losses = async (configKwargs: Record<string, number>) => {
          const m = await SentenceTransformer.load(modelDir(fixture), { configKwargs });
          try {
            const out = await new SentenceTransformerTrainer({
              model: m,
              args: { perDeviceTrainBatchSize: 2, maxSteps: 3, learningRate: 1e-3, seed: 3, saveStrategy: 'no' },
              trainDataset: [0, 1, 2, 3, 4, 5].map((i) => ({ anchor: `question number ${i}`, positive: `the answer to question ${i}` })),
              loss: new MultipleNegativesRankingLoss(),
            }).train();
            return out.logs.map((l) => l.loss);
          } finally {
            m.dispose();
          }
        };
        const a = await losses(ref.config_overrides);
        assert.ok(a.every(Number.isFinite));
        assert.deepEqual(await losses(ref.config_overrides), a);
        assert.notDeepEqual(await losses(zeroed(ref.config_overrides)), a);
      });

      it('p = 0: a training-mode forward equals eval bit for bit (the fused kernels stay on), and no tensor leaks', () => {
        const before = tf.memory().numTensors;
        const e = forward(off, false);
        assert.deepEqual(forward(off, true), e);
        forward(on, true);
        assert.equal(tf.memory().numTensors, before);
      });
    });
  }

  it('the ModernBERT cross-encoder: the base model\'s sites plus the classifier\'s `drop` (classifier_dropout)', async function () {
    requireFixtures(this, ['models', 'tiny-modernbert-cross-encoder']);
    const ref = REF['tiny-modernbert-cross-encoder'];
    const ce = await CrossEncoder.load(modelDir('tiny-modernbert-cross-encoder'), { configKwargs: ref.config_overrides });
    try {
      const inputs = batchToTensors(ce.tokenize([[TEXTS[0], TEXTS[1]]]));
      const sites: string[] = [];
      const run = () => tf.tidy(() => ce.model.forward(inputs).dataSync() as Float32Array);
      const trained = inTrainingMode(NO_HIDDEN, nextSeed, run, sites);
      const evaluated = run();
      tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds].filter((t): t is tf.Tensor2D => t !== undefined));
      const prefix = `${ref.base_model_prefix}.`;
      assert.deepEqual(sites, ref.sites.map((s) => (s.site.startsWith(prefix) ? s.site.slice(prefix.length) : s.site)));
      assert.notDeepEqual(trained, evaluated);
    } finally {
      ce.dispose();
    }
  });

  it('inverted dropout: kept units are x / (1 - p), dropped ones 0, and the mean over 200 seeds stays within 4 sigma of x', () => {
    const p = 0.1;
    const x = tf.fill([1000], 2.5);
    let sum = 0;
    let kept = 0;
    for (let s = 0; s < 200; s++) {
      const y = inTrainingMode(NO_HIDDEN, () => 7 + s, () => dropoutAt(x, p, 'test'));
      const v = y.dataSync();
      y.dispose();
      for (const u of v) {
        assert.ok(u === 0 || Math.abs(u - 2.5 / (1 - p)) < 1e-6, `a unit is 0 or x / (1 - p), got ${u}`);
        if (u !== 0) kept++;
        sum += u;
      }
    }
    x.dispose();
    const n = 200 * 1000;
    // Each unit is x / (1 - p) with probability 1 - p: mean x, standard deviation x sqrt(p / (1 - p)); over n units
    // the mean's sigma is 2.5 * sqrt(0.1 / 0.9) / sqrt(200000) = 1.86e-3.
    const sigma = 2.5 * Math.sqrt(p / (1 - p)) / Math.sqrt(n);
    assert.ok(Math.abs(sum / n - 2.5) < 4 * sigma, `mean ${sum / n} vs 2.5 (4 sigma = ${4 * sigma})`);
    assert.ok(Math.abs(kept / n - (1 - p)) < 4 * Math.sqrt(p * (1 - p) / n), `kept fraction ${kept / n}`);
    assert.equal(inTrainingMode(NO_HIDDEN, nextSeed, () => dropoutAt(tf.scalar(1), 0.5, 'test')).shape.length, 0);
    const evalOut = tf.scalar(3);
    assert.equal(dropoutAt(evalOut, 0.5, 'test'), evalOut, 'eval mode: the identity (the same tensor)');
    evalOut.dispose();
  });

  it('the config keys are parsed with HF\'s defaults (0.0) and an invalid probability is an error naming the key', () => {
    const base = JSON.parse(readFileSync(`${modelDir('tiny-modernbert')}/config.json`, 'utf8')) as Record<string, unknown>;
    const { embedding_dropout: _a, attention_dropout: _b, mlp_dropout: _c, classifier_dropout: _d, ...bare } = base;
    const c = parseModernBertConfig(bare);
    assert.deepEqual([c.embedding_dropout, c.attention_dropout, c.mlp_dropout, c.classifier_dropout], [0, 0, 0, 0]);
    assert.throws(() => parseModernBertConfig({ ...base, mlp_dropout: 1.5 }), /config\.json key "mlp_dropout" must be a probability \(a number in \[0, 1\]\), got 1\.5/);
    const q = JSON.parse(readFileSync(`${modelDir('tiny-qwen3')}/config.json`, 'utf8')) as Record<string, unknown>;
    assert.equal(parseQwen3Config({ ...q, attention_dropout: null }).attention_dropout, 0);
    assert.throws(() => parseQwen3Config({ ...q, attention_dropout: 'high' }), /"attention_dropout" must be a probability/);
  });
});

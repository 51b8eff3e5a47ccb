/**
 * The trainers' validation loss (evalDataset -> `eval_loss`, `eval_<name>_loss`) against real sentence-transformers
 * 6.0.1 runs recorded by test/data/eval_loss/gen_eval_loss.py: tiny-bert, dropout 0, 4 steps, evaluation every 2 steps,
 * eval batch 4 over 11 rows (a short last batch). Also loadBestModelAtEnd on eval_loss.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { initBackend } from '../src/backends/index.js';
import { CoSENTLoss } from '../src/losses/cosent.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import type { Loss } from '../src/losses/types.js';
import type { EvalLog, StepLog } from '../src/training/loop.js';
import { SentenceTransformerTrainer, type TrainingArguments } from '../src/training/trainer.js';
import { evalDatasetLosses } from '../src/training/eval_loss.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const REF = JSON.parse(readFileSync(join(import.meta.dirname, 'data', 'eval_loss', 'eval_loss.json'), 'utf8'));
const ARGS: TrainingArguments = { maxSteps: 4, perDeviceTrainBatchSize: 4, perDeviceEvalBatchSize: 4, learningRate: 1e-3, seed: 42, evalStrategy: 'steps', evalSteps: 2, saveStrategy: 'no', loggingSteps: 1 };

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

async function run(name: string, loss: Loss, args: TrainingArguments = ARGS, after?: (model: SentenceTransformer) => Promise<void>) {
  const rec = REF[name];
  const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
  const steps: StepLog[] = [];
  const evals: EvalLog[] = [];
  try {
    const trainer = new SentenceTransformerTrainer({ model, args, trainDataset: rec.train, evalDataset: rec.eval, loss, callback: (l) => void steps.push(l), onEvaluate: (e) => void evals.push(e) });
    const out = await trainer.train();
    await after?.(model);
    return { rec, steps, evals, out };
  } finally {
    model.dispose();
  }
}

describe('training: evalDataset and eval_loss vs sentence-transformers 6.0.1 (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
  });

  it('CoSENTLoss: eval_loss at steps 2 and 4 equals 6.0.1 within 1e-5 relative (the batch losses weighted by their rows: accelerate cuts the copies of the short last batch)', async () => {
    const before = tf.memory().numTensors;
    const { rec, steps, evals } = await run('cosent', new CoSENTLoss());
    steps.forEach((l, k) => assert.ok(rel(l.loss, rec.train_losses[k]) <= 1e-5, `train step ${k + 1}: ${l.loss} vs ${rec.train_losses[k]}`));
    assert.deepEqual(evals.map((e) => e.step), [2, 4]);
    evals.forEach((e, k) => {
      const want = rec.evals[k].eval_loss;
      assert.ok(rel(e.metrics.eval_loss, want) <= 1e-5, `eval at step ${e.step}: ${e.metrics.eval_loss} vs ${want}`);
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it('MultipleNegativesRankingLoss with a record of two eval datasets: eval_a_loss and eval_b_loss at each evaluation equal 6.0.1', async () => {
    const { rec, evals } = await run('mnrl_dict', new MultipleNegativesRankingLoss());
    assert.deepEqual(evals.map((e) => e.step), [2, 4]);
    evals.forEach((e, k) => {
      for (const key of ['eval_a_loss', 'eval_b_loss']) {
        const want = rec.evals.find((r: Record<string, number>) => r.step === e.step && key in r)[key];
        assert.ok(rel(e.metrics[key], want) <= 1e-5, `${key} at step ${e.step} (#${k}): ${e.metrics[key]} vs ${want}`);
      }
    });
  });

  it('CrossEncoderTrainer with BinaryCrossEntropyLoss: eval_loss at steps 2 and 4 equals 6.0.1 within 1e-5 relative', async () => {
    const rec = REF.ce_bce;
    const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    const steps: StepLog[] = [];
    const evals: EvalLog[] = [];
    try {
      const before = tf.memory().numTensors;
      await new CrossEncoderTrainer({
        model: ce,
        args: { maxSteps: 4, perDeviceTrainBatchSize: 4, perDeviceEvalBatchSize: 4, learningRate: 1e-3, seed: 42, evalStrategy: 'steps', evalSteps: 2, loggingSteps: 1 },
        trainDataset: rec.train,
        evalDataset: rec.eval,
        loss: 'BinaryCrossEntropyLoss',
        callback: (l) => void steps.push(l),
        onEvaluate: (e) => void evals.push(e),
      }).train();
      assert.equal(tf.memory().numTensors, before);
      // the card: 6.0.1's Evaluation Dataset section, and the Validation Loss column of its Training Logs
      const tmp = mkdtempSync(join(tmpdir(), 'ce-evalcard-'));
      try {
        await ce.save(tmp);
        const ours = readFileSync(join(tmp, 'README.md'), 'utf8');
        const theirs = readFileSync(join(import.meta.dirname, 'data', 'eval_loss', 'ce_eval_card.md'), 'utf8');
        const section = (card: string) => card.slice(card.indexOf('### Evaluation Dataset'), card.indexOf('### Training Hyperparameters'));
        assert.ok(section(theirs).length > 0);
        assert.equal(section(ours), section(theirs));
        const header = (card: string) => card.slice(card.indexOf('### Training Logs')).split('\n')[1];
        assert.equal(header(ours).replace(/ +/g, ' '), header(theirs).replace(/ +/g, ' '));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    } finally {
      ce.dispose();
    }
    steps.forEach((l, k) => assert.ok(rel(l.loss, rec.train_losses[k]) <= 1e-5, `train step ${k + 1}: ${l.loss} vs ${rec.train_losses[k]}`));
    for (const want of rec.evals) {
      const got = evals.find((e) => e.step === want.step);
      assert.ok(got && rel(got.metrics.eval_loss, want.eval_loss) <= 1e-5, `eval at step ${want.step}: ${got?.metrics.eval_loss} vs ${want.eval_loss}`);
    }
  });

  it('loadBestModelAtEnd picks on eval_loss, lower is better by default; metricForBestModel with greaterIsBetter flips the choice', async () => {
    const rec = REF.cosent;
    const [l2, l4] = rec.evals.map((e: { eval_loss: number }) => e.eval_loss); // 6.0.1: step 4's is lower
    assert.ok(l4 < l2);
    const finalLoss = async (args: TrainingArguments) => {
      let after = NaN;
      const { out } = await run('cosent', new CoSENTLoss(), { ...ARGS, ...args }, async (m) => {
        after = (await evalDatasetLosses(m, new CoSENTLoss(), rec.eval, { batchSize: 4, dropLast: false, sampler: 'batch_sampler', seed: 42 })).eval_loss;
      });
      return { after, best: out.bestMetric! };
    };
    const lower = await finalLoss({ loadBestModelAtEnd: true });
    assert.ok(rel(lower.best, l4) <= 1e-5 && rel(lower.after, l4) <= 1e-5, `default: best ${lower.best}, model after ${lower.after}, want ${l4}`);
    const higher = await finalLoss({ loadBestModelAtEnd: true, metricForBestModel: 'loss', greaterIsBetter: true });
    assert.ok(rel(higher.best, l2) <= 1e-5 && rel(higher.after, l2) <= 1e-5, `greaterIsBetter: best ${higher.best}, model after ${higher.after} (step 2's weights restored), want ${l2}`);
  });

  it('errors: evalStrategy without evalDataset or evaluator, and loadBestModelAtEnd over a record without metricForBestModel, name the argument', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const rec = REF.mnrl_dict;
      const loss = new MultipleNegativesRankingLoss();
      await assert.rejects(new SentenceTransformerTrainer({ model, args: ARGS, trainDataset: rec.train, loss }).train(), /evalStrategy: 'steps' needs an evalDataset or an evaluator, got neither/);
      await assert.rejects(new SentenceTransformerTrainer({ model, args: { ...ARGS, loadBestModelAtEnd: true }, trainDataset: rec.train, evalDataset: rec.eval, loss }).train(), /metricForBestModel: .*eval_a_loss, eval_b_loss/);
      await assert.rejects(new SentenceTransformerTrainer({ model, args: { ...ARGS, perDeviceEvalBatchSize: 0 }, trainDataset: rec.train, evalDataset: rec.eval, loss }).train(), /perDeviceEvalBatchSize must be a positive integer, got 0/);
    } finally {
      model.dispose();
    }
  });

  it('the model card: the Evaluation Dataset(s) section equals 6.0.1 (one dataset; a record: named datasets), the Training Logs carry Validation Loss / <name> loss', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'st-evalcard-'));
    try {
      for (const [name, loss, file] of [['cosent', new CoSENTLoss(), 'st_eval_card.md'], ['mnrl_dict', new MultipleNegativesRankingLoss(), 'st_eval_dict_card.md']] as const) {
        const dir = join(tmp, name);
        await run(name, loss, ARGS, (m) => m.save(dir));
        const ours = readFileSync(join(dir, 'README.md'), 'utf8');
        const theirs = readFileSync(join(import.meta.dirname, 'data', 'eval_loss', file), 'utf8');
        const between = (card: string, from: RegExp, to: string) => {
          const start = card.search(from);
          assert.ok(start >= 0, `${from} in the card`);
          return card.slice(start, card.indexOf(to, start));
        };
        const section = (card: string) => between(card, /^### Evaluation Datasets?$/m, '### Training Hyperparameters');
        assert.equal(section(ours), section(theirs), `${name}: Evaluation Dataset section`);
        // the logs: the same table up to the last digit of the losses (ours are float32 sums in another order)
        const logs = (card: string) => between(card, /^### Training Logs$/m, '### Training Time');
        const num = /\d+\.\d+/g;
        assert.equal(logs(ours).replace(num, '#').replace(/ +/g, ' ').replace(/-+/g, '-'), logs(theirs).replace(num, '#').replace(/ +/g, ' ').replace(/-+/g, '-'), `${name}: Training Logs columns`);
        const [a, b] = [logs(ours).match(num)!, logs(theirs).match(num)!];
        assert.equal(a.length, b.length);
        a.forEach((x, i) => assert.ok(Math.abs(Number(x) - Number(b[i])) <= 1.5e-4, `${name} logs: ${x} vs 6.0.1's ${b[i]}`));
        assert.doesNotMatch(between(ours, /^## Training Details$/m, '### Training Hyperparameters'), /eval_loss/);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

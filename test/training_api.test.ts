/**
 * The training API's behaviours beyond the parity runs: SentenceTransformerTrainer's arguments, dropout in training
 * mode only (seeded), the schedules and AdamW against hand-computed values, the bad-input errors, saving after
 * training (atomic, reloadable, never NaN weights) and tf.memory() staying flat over 100 steps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { CosineSimilarityLoss } from '../src/losses/cosine_similarity.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import { createLoss, lossNames } from '../src/losses/registry.js';
import type { EmbeddingBatch, Loss } from '../src/losses/types.js';
import { modelParameters, type StepLog } from '../src/training/loop.js';
import { AdamW, clipGradNorm, decays } from '../src/training/optimizer.js';
import { getScheduler } from '../src/training/schedules.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';
import { runRows, trainingReference } from './helpers/training_reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };

describe('training: schedules and AdamW (hand-computed)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('linear with warmup: step 0 at lr 0, k/W during warmup, then (T - k) / (T - W)', () => {
    const f = getScheduler('linear', 2, 9);
    assert.deepEqual([0, 1, 2, 3, 8].map(f), [0, 0.5, 1, 6 / 7, 1 / 7]);
    assert.equal(getScheduler('WarmupLinear', 2, 9)(3), 6 / 7);
  });

  it('cosine, constant, constant_with_warmup and cosine_with_restarts follow transformers formulas', () => {
    const cos = getScheduler('cosine', 2, 10);
    assert.equal(cos(1), 0.5);
    assert.equal(cos(2), 1);
    assert.ok(Math.abs(cos(6) - 0.5 * (1 + Math.cos(Math.PI * 0.5))) < 1e-15);
    assert.equal(getScheduler('constant', 5, 10)(0), 1);
    assert.equal(getScheduler('constant_with_warmup', 4, 10)(1), 0.25);
    assert.equal(getScheduler('constant_with_warmup', 4, 10)(7), 1);
    assert.equal(getScheduler('cosine_with_restarts', 0, 10, { numCycles: 2 })(5), 1);
    assert.throws(() => getScheduler('nope', 0, 10), /unknown schedule "nope"; expected one of linear/);
  });

  it('AdamW step 1 moves a parameter by lr * sign(g) (bias corrections), decays only the decay group, skips parameters without a gradient', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const b = tf.variable(tf.tensor1d([0.5]));
    const unused = tf.variable(tf.tensor1d([3]));
    const opt = new AdamW(
      [
        { key: 'layer.weight', variable: w, transposed: false },
        { key: 'layer.bias', variable: b, transposed: false },
        { key: 'pooler.weight', variable: unused, transposed: false },
      ],
      { lr: 0.1, weightDecay: 0.5 },
    );
    opt.step({ [w.name]: tf.tensor1d([2, -4]), [b.name]: tf.tensor1d([1]) }, 0.1);
    const wv = w.dataSync();
    // p * (1 - lr * wd) - lr * g / (|g| + eps)
    assert.ok(Math.abs(wv[0] - (1 * 0.95 - 0.1)) < 1e-6, `w[0] ${wv[0]}`);
    assert.ok(Math.abs(wv[1] - (-2 * 0.95 + 0.1)) < 1e-6, `w[1] ${wv[1]}`);
    assert.ok(Math.abs(b.dataSync()[0] - 0.4) < 1e-6, 'bias: no decay');
    assert.equal(unused.dataSync()[0], 3, 'no gradient: untouched');
    assert.deepEqual(opt.noDecayNames, ['layer.bias']);
    opt.dispose();
    tf.dispose([w, b, unused]);
  });

  it('parameter groups: no decay for biases and LayerNorm weights', () => {
    assert.equal(decays('0.auto_model.encoder.layer.0.attention.self.query.weight'), true);
    assert.equal(decays('0.auto_model.encoder.layer.0.attention.output.LayerNorm.weight'), false);
    assert.equal(decays('0.auto_model.embeddings.LayerNorm.bias'), false);
    assert.equal(decays('2.linear.bias'), false);
    assert.equal(decays('bert.pooler.dense.weight'), true);
  });

  it('clipGradNorm returns the norm before clipping and scales by maxNorm / (norm + 1e-6)', async () => {
    const { grads, norm } = await clipGradNorm({ a: tf.tensor1d([3]), b: tf.tensor1d([4]) }, 1);
    assert.ok(Math.abs(norm - 5) < 1e-6);
    assert.ok(Math.abs(grads.a.dataSync()[0] - 3 / (5 + 1e-6)) < 1e-6);
    tf.dispose(Object.values(grads));
  });

  it('the loss registry builds the losses by Python name (every loss: test/training_losses.test.ts)', () => {
    for (const n of ['CoSENTLoss', 'CosineSimilarityLoss', 'MatryoshkaLoss', 'MultipleNegativesRankingLoss']) assert.ok(lossNames().includes(n), n);
    assert.equal(createLoss('MatryoshkaLoss', { matryoshkaDims: [8, 32, 16] }).getConfigDict().matryoshka_dims?.toString(), '32,16,8');
    assert.throws(() => createLoss('Nope'), /unknown loss "Nope"; known: AnglELoss, /);
  });
});

describe('training: SentenceTransformerTrainer, dropout, errors, saving, memory (wasm)', function () {
  let tmp: string;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training']);
    await initBackend('wasm');
    tmp = mkdtempSync(join(tmpdir(), 'st-train-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('SentenceTransformerTrainer with the reference arguments gives the reference per-step losses (CosineSimilarityLoss)', async () => {
    const rec = trainingReference().json.bi_encoder.runs.cosine_similarity_loss;
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const logs: StepLog[] = [];
      const trainer = new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 4, learningRate: 2e-3, numTrainEpochs: 3, warmupSteps: 2, weightDecay: 0.01, maxGradNorm: 1, shuffle: false, saveStrategy: 'no' },
        trainDataset: runRows('cosine_similarity_loss'),
        loss: new CosineSimilarityLoss(),
        callback: (l) => void logs.push(l),
      });
      const out = await trainer.train();
      assert.equal(out.globalStep, 9);
      logs.forEach((l, k) => assert.ok(Math.abs(l.loss - rec.loss_per_step[k]) / rec.loss_per_step[k] <= 1e-5, `step ${k}: ${l.loss} vs ${rec.loss_per_step[k]}`));
      assert.deepEqual(
        logs.map((l) => l.epoch),
        [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => Math.floor(k / 3) + ((k % 3) + 1) / 3), // HF: epoch + (step + 1) / steps_in_epoch
      );
    } finally {
      model.dispose();
    }
  });

  it('dropout is active in training only: a seeded run repeats exactly, differs from the dropout-0 run, and encode is unchanged by training-mode forwards', async () => {
    const rows = runRows('multiple_negatives_ranking_loss');
    const run = async (opts: object, seed: number) => {
      const model = await SentenceTransformer.load(modelDir('tiny-bert'), opts);
      try {
        const before = (await model.encode(['a test sentence'])) as Float32Array[];
        const logs: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model,
          args: { perDeviceTrainBatchSize: 4, learningRate: 0, maxSteps: 2, seed, saveStrategy: 'no', shuffle: false },
          trainDataset: rows,
          loss: new MultipleNegativesRankingLoss(),
          callback: (l) => void logs.push(l),
        }).train();
        const after = (await model.encode(['a test sentence'])) as Float32Array[];
        assert.deepEqual(after, before, 'lr 0: eval-mode encode identical before and after training-mode forwards');
        return logs.map((l) => l.loss);
      } finally {
        model.dispose();
      }
    };
    const a = await run({}, 7); // config.json: dropout 0.1
    const b = await run({}, 7);
    const c = await run({}, 8);
    const none = await run(NO_DROPOUT, 7);
    assert.deepEqual(a, b, 'same seed, same losses');
    assert.notDeepEqual(a, c, 'another seed, other dropout masks');
    assert.notDeepEqual(a, none, 'dropout changes the training loss');
    const ref = trainingReference().json.bi_encoder.runs.multiple_negatives_ranking_loss.loss_per_step;
    assert.ok(Math.abs(none[0] - ref[0]) / ref[0] <= 1e-5, 'dropout 0 via configKwargs gives the reference loss');
  });

  it('bad input: columns that do not fit the loss, labels of the wrong type, an empty dataset, a batch larger than the data with dropLast', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const fit = (data: Record<string, unknown>[], loss: Loss = new CosineSimilarityLoss()) => model.fit({ trainObjectives: [{ data, loss }], warmupSteps: 0 });
      await assert.rejects(fit([{ sentence1: 'a', sentence2: 'b' }]), /dataset row 0: CosineSimilarityLoss needs a label column \("label" or "score"\), got none/);
      await assert.rejects(fit([{ sentence1: 'a', sentence2: 'b', score: 'high' }]), /dataset row 0, column score: expected a finite number, got "high"/);
      await assert.rejects(fit([{ anchor: 'a', score: 1 }]), /dataset row 0: CosineSimilarityLoss needs 2 text columns, got 1 \(anchor\)/);
      await assert.rejects(fit([{ anchor: 'a', positive: 3 }], new MultipleNegativesRankingLoss()), /dataset row 0, column positive: expected a string \(a text input\), got number/);
      await assert.rejects(fit([]), /dataset: the dataset is empty \(0 rows\)/);
      const trainer = new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 100, dataloaderDropLast: true, saveStrategy: 'no' },
        trainDataset: [{ anchor: 'a', positive: 'b' }],
        loss: new MultipleNegativesRankingLoss(),
      });
      await assert.rejects(trainer.train(), /batchSize 100 is larger than the dataset \(1 rows\) with dropLast/);
    } finally {
      model.dispose();
    }
  });

  it('a NaN loss stops training naming the step, leaves the weights unchanged and saves nothing', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const out = join(tmp, 'nan-model');
    try {
      let calls = 0;
      const nanAtSecond: Loss = {
        name: 'NaNLoss',
        textColumns: { min: 2, max: 2 },
        needsLabels: false,
        compute: (b: EmbeddingBatch) => tf.tidy(() => tf.mul(tf.sum(b.embeddings[0]), calls++ === 1 ? NaN : 1) as tf.Scalar),
        getConfigDict: () => ({}),
      };
      const params = modelParameters(model);
      let snapshot: Float32Array[] = [];
      await assert.rejects(
        model.fit({
          trainObjectives: [{ data: runRows('multiple_negatives_ranking_loss'), loss: nanAtSecond }],
          batchSize: 4,
          warmupSteps: 0,
          shuffle: false,
          outputPath: out,
          callback: () => void (snapshot = params.map((p) => p.variable.dataSync() as Float32Array)),
        }),
        /the loss is NaN at step 1 \(epoch 0\); training stopped before the update, no weights were changed or saved/,
      );
      params.forEach((p, i) => assert.deepEqual(p.variable.dataSync(), snapshot[i], `${p.key} changed after the NaN step`));
      assert.equal(existsSync(out), false, 'nothing saved');
    } finally {
      model.dispose();
    }
  });

  it('outputPath that is a file is refused before training; a trained model saves atomically and reloads with identical outputs', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const objective = { data: runRows('cosine_similarity_loss'), loss: new CosineSimilarityLoss() };
      await assert.rejects(model.fit({ trainObjectives: [objective], outputPath: file }), new RegExp(`outputPath: ${file} exists and is a file, expected a folder`));
      const out = join(tmp, 'trained');
      await model.fit({ trainObjectives: [objective], batchSize: 4, epochs: 1, warmupSteps: 1, optimizerParams: { lr: 2e-3 }, outputPath: out });
      assert.deepEqual(readdirSync(tmp).filter((n) => n.includes('.tmp-') || n.includes('.old-')), [], 'no temporary folders left');
      const texts = trainingReference().json.bi_encoder.eval_texts as string[];
      const trained = (await model.encode(texts)) as Float32Array[];
      const reloaded = await SentenceTransformer.load(out);
      try {
        assert.deepEqual((await reloaded.encode(texts)) as Float32Array[], trained, 'bit-identical after save + load');
      } finally {
        reloaded.dispose();
      }
      const original = await SentenceTransformer.load(modelDir('tiny-bert'));
      try {
        assert.notDeepEqual((await original.encode(texts)) as Float32Array[], trained, 'training changed the model');
      } finally {
        original.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('tf.memory().numTensors stays flat over 100 training steps', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const counts: number[] = [];
      await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 100, saveStrategy: 'no', seed: 1 },
        trainDataset: runRows('cosine_similarity_loss'),
        loss: new CosineSimilarityLoss(),
        callback: (l) => void (l.step >= 2 && counts.push(tf.memory().numTensors)),
      }).train();
      assert.equal(counts.length, 99);
      assert.ok(counts.every((c) => c === counts[0]), `numTensors drifted: ${counts[0]} .. ${counts[counts.length - 1]}`);
    } finally {
      model.dispose();
    }
  });
});

describe('training: checkpoints that resume (wasm)', function () {
  let tmp: string;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training']);
    await initBackend('wasm');
    tmp = mkdtempSync(join(tmpdir(), 'st-ckpt-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const args = (outputDir: string) => ({ outputDir, perDeviceTrainBatchSize: 4, learningRate: 2e-3, numTrainEpochs: 3, warmupSteps: 2, weightDecay: 0.01, saveSteps: 2, saveTotalLimit: 3, seed: 3 });

  it('a fresh model resumed from checkpoint-4 (shuffled data, dropout on) continues exactly as the uninterrupted run; checkpoints beyond the limit are removed', async () => {
    const rows = runRows('cosine_similarity_loss');
    const full = await SentenceTransformer.load(modelDir('tiny-bert'));
    const fullLogs: StepLog[] = [];
    let fullParams: Float32Array[];
    try {
      await new SentenceTransformerTrainer({ model: full, args: args(join(tmp, 'full')), trainDataset: rows, loss: new CosineSimilarityLoss(), callback: (l) => void fullLogs.push(l) }).train();
      fullParams = modelParameters(full).map((p) => p.variable.dataSync() as Float32Array);
    } finally {
      full.dispose();
    }
    assert.deepEqual(readdirSync(join(tmp, 'full')), ['checkpoint-4', 'checkpoint-6', 'checkpoint-8'], 'saveTotalLimit 3 keeps the newest three');
    // A fresh model resumes from the step-4 checkpoint.
    const resumed = await SentenceTransformer.load(modelDir('tiny-bert'));
    try {
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({ model: resumed, args: args(join(tmp, 'part2')), trainDataset: rows, loss: new CosineSimilarityLoss(), callback: (l) => void logs.push(l) }).train({
        resumeFromCheckpoint: join(tmp, 'full', 'checkpoint-4'),
      });
      assert.deepEqual(
        logs.map((l) => [l.step, l.loss, l.learningRate, l.gradNorm]),
        fullLogs.slice(4).map((l) => [l.step, l.loss, l.learningRate, l.gradNorm]),
      );
      modelParameters(resumed).forEach((p, i) => assert.deepEqual(p.variable.dataSync(), fullParams[i], p.key));
    } finally {
      resumed.dispose();
    }
  });

  it('resuming from a checkpoint of another model is refused, naming the parameter', async () => {
    const other = await SentenceTransformer.load(modelDir('tiny-distilbert'));
    try {
      const trainer = new SentenceTransformerTrainer({ model: other, args: args(join(tmp, 'other')), trainDataset: runRows('cosine_similarity_loss'), loss: new CosineSimilarityLoss() });
      await assert.rejects(trainer.train({ resumeFromCheckpoint: join(tmp, 'full', 'checkpoint-8') }), /is a checkpoint of another model/);
      await assert.rejects(trainer.train({ resumeFromCheckpoint: tmp }), /is not a training checkpoint \(no training_state.json\)/);
    } finally {
      other.dispose();
    }
  });
});

describe('training: evaluation during training and gradient accumulation (wasm)', function () {
  let tmp: string;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training']);
    await initBackend('wasm');
    tmp = mkdtempSync(join(tmpdir(), 'st-eval-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** A structural evaluator: the mean cosine of two fixed pairs (its primary metric), counting its calls. */
  function pairEvaluator() {
    const calls: { epoch?: number; steps?: number }[] = [];
    return {
      calls,
      evaluator: {
        name: 'pairs',
        primaryMetric: 'pairs_mean_cosine',
        greaterIsBetter: true,
        async evaluate(model: SentenceTransformer, context: { epoch?: number; steps?: number } = {}) {
          calls.push(context);
          const e = (await model.encode(['A man is eating food.', 'A man eats.', 'It is sunny.', 'The weather is lovely.'])) as Float32Array[];
          const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
          return { pairs_mean_cosine: (dot(e[0], e[1]) + dot(e[2], e[3])) / 2 };
        },
      },
    };
  }

  it('fit() evaluates every evaluationSteps, saves the best model to outputPath and reports (score, epoch, steps)', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const { calls, evaluator } = pairEvaluator();
      const scores: [number, number, number][] = [];
      const out = join(tmp, 'best');
      await model.fit({
        trainObjectives: [{ data: runRows('multiple_negatives_ranking_loss'), loss: new MultipleNegativesRankingLoss() }],
        evaluator: evaluator as never,
        batchSize: 4,
        epochs: 2,
        warmupSteps: 1,
        optimizerParams: { lr: 2e-3 },
        evaluationSteps: 2,
        outputPath: out,
        shuffle: false,
        evaluationCallback: (score, epoch, steps) => void scores.push([score, epoch, steps]),
      });
      assert.deepEqual(
        calls.map((c) => c.steps),
        [2, 4, 6],
      );
      assert.equal(scores.length, 3);
      assert.ok(existsSync(join(out, 'model.safetensors')), 'the best model was saved');
      const best = Math.max(...scores.map((s) => s[0])); // spread-ok: three scores
      const saved = await SentenceTransformer.load(out);
      try {
        const { evaluator: e2 } = pairEvaluator();
        const again = (await e2.evaluate(saved)).pairs_mean_cosine;
        assert.ok(Math.abs(again - best) < 1e-6, `the saved model scores the best score: ${again} vs ${best}`);
      } finally {
        saved.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('loadBestModelAtEnd restores the weights of the best evaluation', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const { evaluator } = pairEvaluator();
      const evals: number[] = [];
      await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 4, learningRate: 5e-3, numTrainEpochs: 2, evalStrategy: 'steps', evalSteps: 1, loadBestModelAtEnd: true, saveStrategy: 'no', shuffle: false },
        trainDataset: runRows('multiple_negatives_ranking_loss'),
        loss: new MultipleNegativesRankingLoss(),
        evaluator: evaluator as never,
        onEvaluate: (l) => void evals.push(l.metrics.pairs_mean_cosine),
      }).train();
      const best = Math.max(...evals); // spread-ok: six evaluations
      assert.ok(best > evals[evals.length - 1] || best === evals[evals.length - 1]);
      const now = (await evaluator.evaluate(model)).pairs_mean_cosine;
      assert.ok(Math.abs(now - best) < 1e-6, `after training the model scores the best evaluation: ${now} vs ${best}`);
    } finally {
      model.dispose();
    }
  });

  it('gradientAccumulationSteps 2 at batch 2 follows the batch-4 run (mean losses: same gradients)', async () => {
    const run = async (batch: number, accum: number) => {
      const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      try {
        const logs: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model,
          args: { perDeviceTrainBatchSize: batch, gradientAccumulationSteps: accum, learningRate: 2e-3, numTrainEpochs: 1, warmupSteps: 1, saveStrategy: 'no', shuffle: false },
          trainDataset: runRows('cosine_similarity_loss'),
          loss: new CosineSimilarityLoss(),
          callback: (l) => void logs.push(l),
        }).train();
        return { logs, params: modelParameters(model).map((p) => ({ key: p.key, data: p.variable.dataSync() as Float32Array })) };
      } finally {
        model.dispose();
      }
    };
    const a = await run(4, 1);
    const b = await run(2, 2);
    assert.equal(b.logs.length, 3);
    a.logs.forEach((l, k) => {
      assert.ok(Math.abs(l.loss - b.logs[k].loss) <= 1e-6, `loss ${k}: ${l.loss} vs ${b.logs[k].loss}`);
      assert.ok(Math.abs(l.gradNorm - b.logs[k].gradNorm) / l.gradNorm <= 1e-5, `grad norm ${k}`);
    });
    // The attention key biases' gradient is float32 noise (README): they are compared within sum(lr) only.
    const sumLr = a.logs.reduce((s, l) => s + l.learningRate, 0);
    a.params.forEach((p, i) => {
      const tol = /attention\.self\.key\.bias$/.test(p.key) ? sumLr : 1e-5;
      p.data.forEach((v, j) => assert.ok(Math.abs(v - b.params[i].data[j]) <= tol, `${p.key}[${j}]: ${v} vs ${b.params[i].data[j]}`));
    });
  });
});

/**
 * Data-parallel training beyond the bi-encoder losses without variables (training_ddp.test.ts): the CrossEncoder
 * (CrossEncoderTrainer and CrossEncoder.fit, the workers rebuild the cross-encoder and its loss, Identity activation)
 * and a loss with its own variables (SoftmaxLoss: its classifier is a parameter of the run, broadcast from rank 0,
 * averaged and stepped with the model's). Each run is compared with an in-process expectation built with the
 * single-process code (per-shard gradients, averaged in rank order, clipped, one AdamW step) bit for bit.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { createCrossEncoderLoss } from '../src/losses/registry.js';
import { SoftmaxLoss } from '../src/losses/softmax.js';
import type { CrossEncoderLoss, Loss } from '../src/losses/types.js';
import { liveWorkerCount } from '../src/platform/workers.js';
import { CrossEncoderTrainer, crossEncoderGradients } from '../src/training/cross_encoder_trainer.js';
import type { Example } from '../src/training/datasets.js';
import { paramsChecksum } from '../src/training/data_parallel.js';
import { ensureGradients } from '../src/training/gradients.js';
import { computeGradients, lossParameters, modelParameters, type StepLog } from '../src/training/loop.js';
import { AdamW, clipGradNorm } from '../src/training/optimizer.js';
import { Rng } from '../src/training/rng.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import type { NamedParameter } from '../src/weights/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const WORDS = 'the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music'.split(' ');
const sentence = (i: number) => Array.from({ length: 4 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
/** `{ sentence1, sentence2, label }` rows: binary labels (BCE) or scores in [0, 1) (MSE), or 3 classes (Softmax). */
const rowsOf = (n: number, label: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ sentence1: sentence(2 * i), sentence2: sentence(2 * i + 1), label: label(i) }));
const asExamples = (rows: { sentence1: string; sentence2: string; label: number }[]): Example[] => rows.map((r) => ({ texts: [r.sentence1, r.sentence2], label: r.label }));
const NO_DROPOUT_PROBS = { hidden: 0, attention: 0 };

function addInto(acc: Record<string, tf.Tensor> | undefined, g: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  if (!acc) return g;
  for (const key of Object.keys(g)) {
    const t = tf.add(acc[key], g[key]);
    acc[key].dispose();
    g[key].dispose();
    acc[key] = t;
  }
  return acc;
}

/**
 * The expectation: `steps` steps of a global batch `batch` (rows in order) cut into `n` contiguous shards; per shard
 * `shardGrads`, the shard gradients summed in rank order and divided by n (float32), clipGradNorm(maxGradNorm, default 1), AdamW at a
 * constant lr. With `accum` > 1 a step takes `accum` consecutive batches: each shard's loss scaled by 1 / accum, each
 * rank's micro-steps summed in order, then the ranks summed in rank order and / n. Returns the per-step mean of the
 * shard losses (summed over micro-steps, / accum); the parameters are updated in place.
 */
async function expectedRun(
  params: NamedParameter[],
  shardGrads: (rows: Example[], vars: tf.Variable[], scale: number) => { loss: tf.Scalar; grads: Record<string, tf.Tensor> },
  examples: Example[],
  batch: number,
  n: number,
  steps: number,
  lr: number,
  weightDecay: number,
  unclipped?: ReadonlySet<string>,
  maxGradNorm = 1,
  accum = 1,
): Promise<number[]> {
  const vars = params.map((p) => p.variable);
  const opt = new AdamW(params, { lr, weightDecay });
  const losses: number[] = [];
  const k = batch / n;
  for (let s = 0; s < steps; s++) {
    const stepRows = examples.slice(s * batch * accum, (s + 1) * batch * accum);
    let sum: Record<string, tf.Tensor> | undefined;
    const shardLosses = Array.from({ length: accum }, () => new Array<number>(n)); // [micro-step][rank]
    for (let r = 0; r < n; r++) {
      let rank: Record<string, tf.Tensor> | undefined;
      for (let m = 0; m < accum; m++) {
        const rows = stepRows.slice(m * batch, (m + 1) * batch);
        const g = shardGrads(rows.slice(r * k, (r + 1) * k), vars, 1 / accum);
        shardLosses[m][r] = g.loss.dataSync()[0];
        g.loss.dispose();
        rank = addInto(rank, g.grads);
      }
      sum = addInto(sum, rank!);
    }
    const avg: Record<string, tf.Tensor> = {};
    for (const key of Object.keys(sum!)) {
      avg[key] = tf.div(sum![key], n);
      sum![key].dispose();
    }
    const { grads } = await clipGradNorm(avg, maxGradNorm, unclipped);
    opt.step(grads, lr);
    tf.dispose(Object.values(grads));
    // as rank 0 logs it: per micro-step the shard losses summed in rank order / n, summed over micro-steps, / accum
    const lossSum = shardLosses.reduce((acc, ls) => acc + ls.reduce((a, l) => a + l, 0) / n, 0);
    losses.push(lossSum / accum);
  }
  opt.dispose();
  return losses;
}

function maxParamDiff(a: readonly NamedParameter[], b: readonly NamedParameter[]): number {
  assert.deepEqual(
    b.map((p) => p.key),
    a.map((p) => p.key),
  );
  let m = 0;
  a.forEach((p, i) => {
    const x = p.variable.dataSync();
    const y = b[i].variable.dataSync();
    for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs(x[j] - y[j]));
  });
  return m;
}

const ceParams = (ce: CrossEncoder) => ce.model.parameters!();

interface CrossEncoderDdpReference {
  world_size: number;
  rows: { sentence1: string; sentence2: string; label: number }[];
  per_device_train_batch_size: number;
  learning_rate: number;
  weight_decay: number;
  loss: number[];
  grad_norm: number[];
  lr: number[];
  probes: [string, string][];
  probe_logits: number[];
  /** The averaged, clipped gradients of `params` at the first step (rank 0). */
  first_step_grads: Record<string, number[]>;
  params: Record<string, { shape: number[]; data: number[] }>;
}

interface SoftmaxReference {
  rows: { sentence1: string; sentence2: string; label: number }[];
  batch_size: number;
  learning_rate: number;
  weight_decay: number;
  max_grad_norm: number;
  classifier_init: { weight: number[]; bias: number[] };
  loss: number[];
  grad_norm: number[];
  classifier: { weight: number[]; bias: number[] };
  params: Record<string, { shape: number[]; data: number[] }>;
}

const SOFTMAX_REFERENCE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'ddp', 'softmax_trainer.json');
const CE_DDP_REFERENCE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'ddp', 'ddp_cross_encoder_bce.json');

describe('training: data-parallel CrossEncoder and losses with their own variables (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert-cross-encoder']);
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    await ensureGradients();
  });

  afterEach(() => assert.equal(liveWorkerCount(), 0, 'every replica worker is terminated after the run'));

  for (const [name, makeLoss, label, fixture] of [
    ['the default loss (BCEWithLogits on the raw logits)', () => undefined, (i: number) => i % 2, 'tiny-bert-cross-encoder'],
    ['BinaryCrossEntropyLoss with pos_weight 2 (rebuilt from its config)', () => createCrossEncoderLoss('BinaryCrossEntropyLoss', { posWeight: 2 }), (i: number) => (i % 3 === 0 ? 1 : 0), 'tiny-bert-cross-encoder'],
    ['MSELoss', () => createCrossEncoderLoss('MSELoss'), (i: number) => (i % 5) / 5, 'tiny-bert-cross-encoder'],
    ['CrossEntropyLoss on a 3-label (NLI) RoBERTa cross-encoder', () => createCrossEncoderLoss('CrossEntropyLoss'), (i: number) => i % 3, 'tiny-roberta-nli-cross-encoder'],
  ] as const) {
    it(`CrossEncoderTrainer, ${name}: 3 steps with 2 replicas equal the in-process average of the shards' gradients + the same AdamW step, bit for bit; replicas identical; numTensors flat`, async function () {
      const lr = 1e-3;
      const rows = rowsOf(24, label);
      if (!existsSync(modelDir(fixture))) return this.skip();
      const expected = await CrossEncoder.load(modelDir(fixture), NO_DROPOUT);
      const ddp = await CrossEncoder.load(modelDir(fixture), NO_DROPOUT);
      // a truncation set after load (longer pairs here are cut): the workers tokenize as rank 0
      expected.maxSeqLength = ddp.maxSeqLength = 14;
      try {
        const lossFct: CrossEncoderLoss | undefined = makeLoss();
        const expLosses = await expectedRun(ceParams(expected), (shard, vars) => crossEncoderGradients(expected, lossFct, (x) => x, shard, vars, NO_DROPOUT_PROBS, new Rng(0)), asExamples(rows), 8, 2, 3, lr, 0.01);
        const before = tf.memory().numTensors;
        const logs: StepLog[] = [];
        await new CrossEncoderTrainer({
          model: ddp,
          args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0.01, shuffle: false, dataParallel: { workers: 2, verifyEvery: 1 } },
          trainDataset: rows,
          loss: makeLoss(),
          callback: (l) => void logs.push(l),
        }).train();
        assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
        assert.deepEqual(
          logs.map((l) => l.loss),
          expLosses,
        );
        assert.equal(maxParamDiff(ceParams(expected), ceParams(ddp)), 0);
        assert.equal(paramsChecksum(ceParams(ddp)), paramsChecksum(ceParams(expected)));
      } finally {
        expected.dispose();
        ddp.dispose();
      }
    });
  }

  for (const exchange of ['shared', 'transfer'] as const) {
    it(`CrossEncoderTrainer over the ${exchange === 'shared' ? 'shared-arena exchange (reduce-scatter in place)' : 'transfer exchange (buffers posted to the coordinator)'} with 3 replicas: 2 steps equal the in-process expectation bit for bit; replicas identical`, async () => {
      const lr = 1e-3;
      const rows = rowsOf(24, (i) => i % 2);
      const expected = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
      const ddp = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
      try {
        const expLosses = await expectedRun(ceParams(expected), (shard, vars) => crossEncoderGradients(expected, undefined, (x) => x, shard, vars, NO_DROPOUT_PROBS, new Rng(0)), asExamples(rows), 12, 3, 2, lr, 0.01);
        const before = tf.memory().numTensors;
        const logs: StepLog[] = [];
        await new CrossEncoderTrainer({
          model: ddp,
          args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 2, lrSchedulerType: 'constant', weightDecay: 0.01, shuffle: false, dataParallel: { workers: 3, verifyEvery: 1, exchangeForTesting: exchange } },
          trainDataset: rows,
          callback: (l) => void logs.push(l),
        }).train();
        assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
        assert.deepEqual(
          logs.map((l) => l.loss),
          expLosses,
        );
        assert.equal(maxParamDiff(ceParams(expected), ceParams(ddp)), 0);
      } finally {
        expected.dispose();
        ddp.dispose();
      }
    });
  }

  it('CrossEncoder.fit with dataParallel: batchSize per replica (16 rows, 4 per replica x 2 = 2 steps), equal to the in-process expectation bit for bit', async () => {
    const lr = 2e-3;
    const rows = rowsOf(16, (i) => i % 2);
    const expected = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    const ddp = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    try {
      const expLosses = await expectedRun(ceParams(expected), (shard, vars) => crossEncoderGradients(expected, undefined, (x) => x, shard, vars, NO_DROPOUT_PROBS, new Rng(0)), asExamples(rows), 8, 2, 2, lr, 0);
      const out = await ddp.fit({ trainData: rows, batchSize: 4, shuffle: false, scheduler: 'ConstantLR', optimizerParams: { lr }, weightDecay: 0, dataParallel: { workers: 2, verifyEvery: 1 } });
      assert.equal(out.globalStep, 2);
      assert.deepEqual(
        out.logs.map((l) => l.loss),
        expLosses,
      );
      assert.equal(maxParamDiff(ceParams(expected), ceParams(ddp)), 0);
      // fit refuses a custom activation under dataParallel (the workers train with Identity)
      await assert.rejects(ddp.fit({ trainData: rows, batchSize: 4, activationFct: (x) => tf.sigmoid(x), dataParallel: { workers: 2 } }), /dataParallel: CrossEncoder training with a custom activationFct cannot be replicated/);
    } finally {
      expected.dispose();
      ddp.dispose();
    }
  });

  it('CrossEncoderTrainer with gradientAccumulationSteps 2 and 2 replicas: each replica sums its micro-steps (losses / 2), then the average; 3 steps equal the in-process expectation bit for bit; replicas identical; numTensors flat', async () => {
    const lr = 1e-3;
    const rows = rowsOf(24, (i) => i % 2);
    const expected = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    const ddp = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    try {
      // a step: 2 micro-batches of 4 rows (2 per replica each), 8 rows in all
      const expLosses = await expectedRun(ceParams(expected), (shard, vars, scale) => crossEncoderGradients(expected, undefined, (x) => x, shard, vars, NO_DROPOUT_PROBS, new Rng(0), scale), asExamples(rows), 4, 2, 3, lr, 0.01, undefined, 1, 2);
      const before = tf.memory().numTensors;
      const logs: StepLog[] = [];
      await new CrossEncoderTrainer({
        model: ddp,
        args: { perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0.01, shuffle: false, dataParallel: { workers: 2, verifyEvery: 1 } },
        trainDataset: rows,
        callback: (l) => void logs.push(l),
      }).train();
      assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
      assert.equal(logs.length, 3);
      assert.deepEqual(
        logs.map((l) => l.loss),
        expLosses,
      );
      assert.equal(maxParamDiff(ceParams(expected), ceParams(ddp)), 0);
      assert.equal(paramsChecksum(ceParams(ddp)), paramsChecksum(ceParams(expected)));
    } finally {
      expected.dispose();
      ddp.dispose();
    }
  });

  it('CrossEncoderTrainer under dataParallel with gradient accumulation and dropout: a run resumed from a checkpoint (optimizer state sent to the replicas, the generator and the epoch position restored) reproduces the uninterrupted run bit for bit', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ddp-ce-resume-'));
    // dropout on (the fixture's config): the shards' seeds come from rank 0's generator, which the checkpoint holds;
    // 20 rows, batches of 4 (2 per replica), 2 per step: 3 steps an epoch (the last takes one batch), 2 epochs
    const args = { perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: 1e-3, numTrainEpochs: 2, warmupRatio: 0.2, weightDecay: 0.01, dataParallel: { workers: 2, verifyEvery: 1 } } as const;
    const rows = rowsOf(20, (i) => (i % 3 === 0 ? 1 : 0));
    const full = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'));
    const resumed = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'));
    try {
      const fullLogs: StepLog[] = [];
      await new CrossEncoderTrainer({ model: full, args: { ...args, outputDir: tmp, saveStrategy: 'steps', saveSteps: 2 }, trainDataset: rows, callback: (l) => void fullLogs.push(l) }).train();
      assert.equal(fullLogs.length, 6);
      for (const at of [2, 4]) {
        const again = at === 2 ? resumed : await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'));
        try {
          const logs: StepLog[] = [];
          await new CrossEncoderTrainer({ model: again, args: { ...args, saveStrategy: 'no' }, trainDataset: rows, callback: (l) => void logs.push(l) }).train({ resumeFromCheckpoint: join(tmp, `checkpoint-${at}`) });
          assert.deepEqual(logs, fullLogs.slice(at), `resumed from checkpoint-${at}`);
          assert.equal(paramsChecksum(ceParams(again)), paramsChecksum(ceParams(full)), `parameters after resuming from checkpoint-${at}`);
        } finally {
          if (again !== resumed) again.dispose();
        }
      }
    } finally {
      full.dispose();
      resumed.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('CrossEncoderTrainer matches PyTorch DDP (torchrun --nproc_per_node 2, gloo, 6.0.1 CrossEncoderTrainer, BinaryCrossEntropyLoss): per-step loss (mean over ranks), grad norm, lr, parameters and logits after 3 steps', async () => {
    const ref = JSON.parse(readFileSync(CE_DDP_REFERENCE, 'utf8')) as CrossEncoderDdpReference;
    assert.equal(ref.world_size, 2);
    const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    try {
      const logs: StepLog[] = [];
      await new CrossEncoderTrainer({
        model: ce,
        args: { perDeviceTrainBatchSize: ref.per_device_train_batch_size, maxSteps: 3, learningRate: ref.learning_rate, weightDecay: ref.weight_decay, lrSchedulerType: 'linear', shuffle: false, dataParallel: { workers: 2, verifyEvery: 1 } },
        trainDataset: ref.rows,
        loss: 'BinaryCrossEntropyLoss',
        callback: (l) => void logs.push(l),
      }).train();
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      assert.equal(logs.length, ref.loss.length);
      const worst = { loss: 0, norm: 0, param: 0, logit: 0 };
      logs.forEach((l, k) => {
        worst.loss = Math.max(worst.loss, rel(l.loss, ref.loss[k]));
        worst.norm = Math.max(worst.norm, rel(l.gradNorm, ref.grad_norm[k]));
        assert.ok(Math.abs(l.learningRate - ref.lr[k]) <= 1e-15, `lr step ${k + 1}: ${l.learningRate} vs ${ref.lr[k]}`);
      });
      const named = new Map(ceParams(ce).map((p) => [p.key, p]));
      const sumLr = ref.lr.reduce((a, b) => a + b, 0);
      const noise: string[] = [];
      for (const [key, want] of Object.entries(ref.params)) {
        const p = named.get(key);
        assert.ok(p, key);
        // A linear weight is held transposed ([in, out]); torch's is [out, in].
        const got = tf.tidy(() => (p.transposed ? tf.transpose(p.variable) : p.variable).dataSync());
        assert.deepEqual(p.transposed ? [...p.variable.shape].reverse() : p.variable.shape, want.shape, key);
        want.data.forEach((v, i) => {
          const d = Math.abs(got[i] - v);
          // An element whose gradient is below Adam's eps (1e-8) moves by noise: float32 reassociation changes such a
          // cancelled gradient by a large fraction, and Adam's m / (sqrt(v) + eps) turns that into a fraction of lr.
          // Those may differ up to sum(lr) (as the key-bias rule of the single-process references); all others 1e-5.
          if (Math.abs(ref.first_step_grads[key][i]) < 1e-8) {
            noise.push(`${key}[${i}] ${d.toExponential(2)} (torch step-1 grad ${ref.first_step_grads[key][i].toExponential(2)})`);
            assert.ok(d <= sumLr, `${key}[${i}]: ${d} > sum(lr) ${sumLr}`);
          } else worst.param = Math.max(worst.param, d);
        });
      }
      const logits = (await ce.predict(ref.probes, { activationFn: (x) => x })) as number[];
      ref.probe_logits.forEach((v, i) => (worst.logit = Math.max(worst.logit, Math.abs(logits[i] - v))));
      console.log(`      vs torchrun: ${JSON.stringify(worst)}; gradient below eps: ${noise.length} elements`);
      // The single-process parity bars of the multi-step references (README, issue 14): float32 reassociation only.
      assert.ok(worst.loss <= 1e-5 && worst.norm <= 1e-5, JSON.stringify(worst));
      assert.ok(worst.param <= 1e-5 && worst.logit <= 1e-5, JSON.stringify(worst));
    } finally {
      ce.dispose();
    }
  });

  for (const [kind, message] of [
    ['throw', /^RangeError: dataParallel: worker rank 1 failed: injected fault in rank 1 at step 2$/],
    ['exit', /^Error: dataParallel: worker rank 1 ended \(exit code 3\) during training$/],
  ] as const) {
    it(`CrossEncoderTrainer: a worker that ${kind === 'throw' ? 'throws' : 'dies'} mid-run rejects with a named error, no hang, workers terminated, numTensors flat`, async () => {
      const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
      try {
        const before = tf.memory().numTensors;
        const err = await new CrossEncoderTrainer({
          model: ce,
          args: { perDeviceTrainBatchSize: 2, maxSteps: 4, shuffle: false, dataParallel: { workers: 2, faultForTesting: { rank: 1, step: 2, kind } } },
          trainDataset: rowsOf(16, (i) => i % 2),
        })
          .train()
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          );
        assert.ok(err, 'the run rejects');
        assert.match(`${err.name}: ${err.message}`, message);
        assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator after the failure');
      } finally {
        ce.dispose();
      }
    });
  }

  const softmaxRows = rowsOf(16, (i) => i % 3);
  const makeSoftmax = (seed: number) => new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3, seed });

  it("SoftmaxLoss's classifier takes part as 6.0.1's trainer groups it: `classifier.weight` decayed, `classifier.bias` not", () => {
    const loss = makeSoftmax(7);
    try {
      const params = lossParameters([loss]);
      assert.deepEqual(
        params.map((p) => p.key),
        ['loss.0.classifier.weight', 'loss.0.classifier.bias'],
      );
      const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.01 });
      assert.deepEqual(opt.noDecayNames, ['loss.0.classifier.bias']);
      opt.dispose();
    } finally {
      loss.dispose();
    }
  });

  // The reference zeroes the classifier's gradients after each step (transformers 5.18 zeroes the model's only, so
  // upstream the classifier accumulates its gradients across steps: see gen_softmax_trainer.py).
  it('SoftmaxLoss matches 6.0.1 SentenceTransformerTrainer (one process): classifier trained with its decay groups, grad norm and clipping over the model only (max_grad_norm 0.1 clips); loss, grad norm, classifier and parameters after 3 steps', async () => {
    const ref = JSON.parse(readFileSync(SOFTMAX_REFERENCE, 'utf8')) as SoftmaxReference;
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const loss = new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3, initialWeights: ref.classifier_init });
    try {
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: ref.batch_size, maxSteps: 3, learningRate: ref.learning_rate, weightDecay: ref.weight_decay, maxGradNorm: ref.max_grad_norm, lrSchedulerType: 'constant', shuffle: false, saveStrategy: 'no' },
        trainDataset: ref.rows,
        loss,
        callback: (l) => void logs.push(l),
      }).train();
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      const worst = { loss: 0, norm: 0, classifier: 0, param: 0 };
      logs.forEach((l, k) => {
        worst.loss = Math.max(worst.loss, rel(l.loss, ref.loss[k]));
        worst.norm = Math.max(worst.norm, rel(l.gradNorm, ref.grad_norm[k]));
      });
      const w = loss.weight.dataSync();
      const b = loss.bias.dataSync();
      ref.classifier.weight.forEach((v, i) => (worst.classifier = Math.max(worst.classifier, Math.abs(w[i] - v))));
      ref.classifier.bias.forEach((v, i) => (worst.classifier = Math.max(worst.classifier, Math.abs(b[i] - v))));
      const named = new Map(modelParameters(model).map((p) => [p.key.replace(/^0\.auto_model\./, ''), p]));
      for (const [key, want] of Object.entries(ref.params)) {
        const p = named.get(key)!;
        const got = tf.tidy(() => (p.transposed ? tf.transpose(p.variable) : p.variable).dataSync());
        want.data.forEach((v, i) => (worst.param = Math.max(worst.param, Math.abs(got[i] - v))));
      }
      console.log(`      vs 6.0.1: ${JSON.stringify(worst)}`);
      assert.ok(worst.loss <= 1e-5 && worst.norm <= 1e-5, JSON.stringify(worst));
      assert.ok(worst.classifier <= 1e-5 && worst.param <= 1e-5, JSON.stringify(worst));
    } finally {
      model.dispose();
      loss.dispose();
    }
  });

  it("SoftmaxLoss under dataParallel: 2 steps with 2 replicas (workers take rank 0's classifier, not their own init) equal the in-process expectation bit for bit, classifier included", async () => {
    const lr = 2e-3;
    const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const expLoss = makeSoftmax(7);
    const ddpLoss = makeSoftmax(7);
    try {
      const expParams = [...modelParameters(expected), ...lossParameters([expLoss])];
      const unclipped = new Set(lossParameters([expLoss]).map((p) => p.variable.name));
      const expLosses = await expectedRun(expParams, (shard, vars) => computeGradients(expected, expLoss, shard, vars, NO_DROPOUT_PROBS, new Rng(0)), asExamples(softmaxRows), 8, 2, 2, lr, 0.01, unclipped);
      const before = tf.memory().numTensors;
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({
        model: ddp,
        args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 2, lrSchedulerType: 'constant', weightDecay: 0.01, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1 } },
        trainDataset: softmaxRows,
        loss: ddpLoss,
        callback: (l) => void logs.push(l),
      }).train();
      assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
      assert.deepEqual(
        logs.map((l) => l.loss),
        expLosses,
      );
      assert.equal(maxParamDiff(expParams, [...modelParameters(ddp), ...lossParameters([ddpLoss])]), 0);
      // the classifier moved (it is trained, not just carried)
      const init = makeSoftmax(7);
      assert.ok(maxParamDiff(lossParameters([init]), lossParameters([ddpLoss])) > 1e-3);
      init.dispose();
    } finally {
      expected.dispose();
      ddp.dispose();
      expLoss.dispose();
      ddpLoss.dispose();
    }
  });

  for (const exchange of ['shared', 'transfer'] as const) {
    it(`SoftmaxLoss under dataParallel with clipping at work (maxGradNorm 0.05), ${exchange} exchange: every replica leaves the classifier out of its norm and unclipped, as rank 0; 2 steps equal the in-process expectation bit for bit`, async () => {
      const lr = 2e-3;
      const maxGradNorm = 0.05;
      const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      const clippedAll = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      const expLoss = makeSoftmax(7);
      const allLoss = makeSoftmax(7);
      const ddpLoss = makeSoftmax(7);
      try {
        const expParams = [...modelParameters(expected), ...lossParameters([expLoss])];
        const unclipped = new Set(lossParameters([expLoss]).map((p) => p.variable.name));
        const expLosses = await expectedRun(expParams, (shard, vars) => computeGradients(expected, expLoss, shard, vars, NO_DROPOUT_PROBS, new Rng(0)), asExamples(softmaxRows), 8, 2, 2, lr, 0.01, unclipped, maxGradNorm);
        // the control: the classifier clipped with the model (what a replica ignoring `unclipped` would do) ends elsewhere
        const allParams = [...modelParameters(clippedAll), ...lossParameters([allLoss])];
        await expectedRun(allParams, (shard, vars) => computeGradients(clippedAll, allLoss, shard, vars, NO_DROPOUT_PROBS, new Rng(0)), asExamples(softmaxRows), 8, 2, 2, lr, 0.01, undefined, maxGradNorm);
        assert.ok(maxParamDiff(lossParameters([expLoss]), lossParameters([allLoss])) > 1e-4, 'the control differs in the classifier');
        const before = tf.memory().numTensors;
        const logs: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model: ddp,
          args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 2, lrSchedulerType: 'constant', weightDecay: 0.01, maxGradNorm, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1, exchangeForTesting: exchange } },
          trainDataset: softmaxRows,
          loss: ddpLoss,
          callback: (l) => void logs.push(l),
        }).train();
        assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
        for (const l of logs) assert.ok(l.gradNorm > maxGradNorm, `the clip is at work: grad norm ${l.gradNorm} > ${maxGradNorm}`);
        assert.deepEqual(
          logs.map((l) => l.loss),
          expLosses,
        );
        assert.equal(maxParamDiff(expParams, [...modelParameters(ddp), ...lossParameters([ddpLoss])]), 0);
      } finally {
        for (const m of [expected, clippedAll, ddp]) m.dispose();
        for (const l of [expLoss, allLoss, ddpLoss]) l.dispose();
      }
    });
  }

  it('SoftmaxLoss under dataParallel: a run resumed from a checkpoint (a fresh classifier, another seed) reproduces the uninterrupted run bit for bit', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ddp-softmax-resume-'));
    const args = { perDeviceTrainBatchSize: 2, learningRate: 2e-3, maxSteps: 4, weightDecay: 0.01, shuffle: false, dataParallel: { workers: 2, verifyEvery: 1 } } as const;
    const full = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const resumed = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const fullLoss = makeSoftmax(7);
    const resumedLoss = makeSoftmax(99); // its values come from the checkpoint
    try {
      const fullLogs: StepLog[] = [];
      await new SentenceTransformerTrainer({ model: full, args: { ...args, outputDir: tmp, saveStrategy: 'steps', saveSteps: 2 }, trainDataset: softmaxRows, loss: fullLoss, callback: (l) => void fullLogs.push(l) }).train();
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({ model: resumed, args: { ...args, saveStrategy: 'no' }, trainDataset: softmaxRows, loss: resumedLoss as Loss, callback: (l) => void logs.push(l) }).train({
        resumeFromCheckpoint: join(tmp, 'checkpoint-2'),
      });
      assert.deepEqual(logs, fullLogs.slice(2));
      assert.equal(maxParamDiff([...modelParameters(full), ...lossParameters([fullLoss])], [...modelParameters(resumed), ...lossParameters([resumedLoss])]), 0);
    } finally {
      full.dispose();
      resumed.dispose();
      fullLoss.dispose();
      resumedLoss.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

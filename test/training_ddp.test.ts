/**
 * Data-parallel training (training/data_parallel.ts, DDP semantics) against an in-process expectation built with the
 * single-process code: each shard's gradients computed separately with computeGradients, averaged, clipped, one
 * AdamW step; the replicas' parameters compared bit for bit (checksums); the errors (batch not divisible, a worker
 * that throws or dies mid-step, replicas that drift apart) and tf.memory() flat in the coordinator.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { CosineSimilarityLoss } from '../src/losses/cosine_similarity.js';
import { MatryoshkaLoss } from '../src/losses/matryoshka.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import type { Loss } from '../src/losses/types.js';
import { liveWorkerCount } from '../src/platform/workers.js';
import type { Example } from '../src/training/datasets.js';
import { exchangeMode, paramsChecksum } from '../src/training/data_parallel.js';
import { computeGradients, modelParameters, type StepLog } from '../src/training/loop.js';
import { AdamW, clipGradNorm } from '../src/training/optimizer.js';
import { Rng } from '../src/training/rng.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { ensureGradients } from '../src/training/gradients.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const WORDS = 'the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music'.split(' ');
const sentence = (i: number) => Array.from({ length: 4 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ anchor: sentence(2 * i), positive: sentence(2 * i + 1) }));
const scored = (n: number) => Array.from({ length: n }, (_, i) => ({ sentence1: sentence(2 * i), sentence2: sentence(2 * i + 1), score: (i % 5) / 5 }));
const asExamples = (rows: Record<string, unknown>[], cols: string[], label?: string): Example[] =>
  rows.map((r) => ({ texts: cols.map((c) => r[c] as string), label: label ? (r[label] as number) : null }));

/**
 * The expectation: `steps` optimizer steps of a global batch `batch` cut into `n` contiguous shards, computed in
 * this process with the single-process code: per shard computeGradients, the shard gradients summed in rank order
 * and divided by n (tf.add, tf.div: float32), clipGradNorm, AdamW at a constant lr. Returns the per-step mean of
 * the shard losses; the model's parameters are updated in place.
 */
async function expectedRun(model: SentenceTransformer, loss: Loss, examples: Example[], batch: number, n: number, steps: number, lr: number, accum = 1): Promise<number[]> {
  const params = modelParameters(model);
  const vars = params.map((p) => p.variable);
  const opt = new AdamW(params, { lr, weightDecay: 0 });
  const losses: number[] = [];
  const noDropout = { hidden: 0, attention: 0 };
  const addInto = (acc: Record<string, tf.Tensor> | undefined, g: Record<string, tf.Tensor>) => {
    if (!acc) return g;
    for (const key of Object.keys(g)) {
      const t = tf.add(acc[key], g[key]);
      acc[key].dispose();
      g[key].dispose();
      acc[key] = t;
    }
    return acc;
  };
  const k = batch / n;
  let next = 0;
  for (let s = 0; s < steps; s++) {
    const micro = Array.from({ length: accum }, () => examples.slice(next, (next += batch)));
    // Each rank sums its micro-steps' gradients (loss scaled by 1 / accum); then the ranks are summed in order, / n.
    let sum: Record<string, tf.Tensor> | undefined;
    const shardLoss = micro.map(() => new Array<number>(n).fill(0));
    for (let r = 0; r < n; r++) {
      let rank: Record<string, tf.Tensor> | undefined;
      micro.forEach((rows, m) => {
        const g = computeGradients(model, loss, rows.slice(r * k, (r + 1) * k), vars, noDropout, new Rng(r), 1 / accum);
        shardLoss[m][r] = g.loss.dataSync()[0];
        g.loss.dispose();
        rank = addInto(rank, g.grads);
      });
      sum = addInto(sum, rank!);
    }
    const avg: Record<string, tf.Tensor> = {};
    for (const key of Object.keys(sum!)) {
      avg[key] = tf.div(sum![key], n);
      sum![key].dispose();
    }
    const { grads } = await clipGradNorm(avg, 1);
    opt.step(grads, lr);
    tf.dispose(Object.values(grads));
    losses.push(shardLoss.reduce((a, ls) => a + ls.reduce((x, y) => x + y, 0) / n, 0) / accum);
  }
  opt.dispose();
  return losses;
}

interface DdpReference {
  world_size: number;
  rows: { anchor: string; positive: string }[];
  per_device_train_batch_size: number;
  learning_rate: number;
  weight_decay: number;
  loss: number[];
  grad_norm: number[];
  lr: number[];
  probes: string[];
  probe_embeddings: number[][];
  params: Record<string, { shape: number[]; data: number[] }>;
}

const DDP_REFERENCE = join(dirname(fileURLToPath(import.meta.url)), 'data', 'ddp', 'ddp_mnrl.json');

describe('training: data-parallel over worker replicas (DDP semantics, wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    await ensureGradients();
  });

  afterEach(() => assert.equal(liveWorkerCount(), 0, 'every replica worker is terminated after the run'));

  for (const [name, makeLoss, rows, cols, label] of [
    ['MultipleNegativesRankingLoss (in-batch negatives per shard)', () => new MultipleNegativesRankingLoss(), pairs(24), ['anchor', 'positive'], undefined],
    ['CosineSimilarityLoss', () => new CosineSimilarityLoss(), scored(24), ['sentence1', 'sentence2'], 'score'],
  ] as const) {
    it(`${name}: 3 steps with 2 replicas equal the in-process average of the two shards' gradients + the same AdamW step; replicas stay bit-identical; the loss record is the mean of the shard losses`, async () => {
      const lr = 1e-3;
      const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      try {
        const expLosses = await expectedRun(expected, makeLoss(), asExamples(rows as Record<string, unknown>[], [...cols], label), 8, 2, 3, lr);
        const before = tf.memory().numTensors;
        const logs: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model: ddp,
          args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1 } },
          trainDataset: rows as Record<string, unknown>[],
          loss: makeLoss(),
          callback: (l) => void logs.push(l),
        }).train();
        assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
        assert.equal(logs.length, 3);
        // The loss record: (l0 + l1) / 2 of the shard losses, each computed the same way in both runs.
        logs.forEach((l, k) => assert.ok(Math.abs(l.loss - expLosses[k]) <= 1e-6 * Math.abs(expLosses[k]), `step ${k + 1}: ${l.loss} vs ${expLosses[k]}`));
        const a = modelParameters(expected);
        const b = modelParameters(ddp);
        let maxDiff = 0;
        a.forEach((p, i) => {
          const x = p.variable.dataSync();
          const y = b[i].variable.dataSync();
          for (let j = 0; j < x.length; j++) maxDiff = Math.max(maxDiff, Math.abs(x[j] - y[j]));
        });
        // Same backend, same kernels, same float32 operations in the same order: bit-identical is expected (the bar
        // is exact equality; see the report for why no float32 noise enters).
        assert.equal(maxDiff, 0, `max |param diff| ${maxDiff}`);
        assert.equal(paramsChecksum(b), paramsChecksum(a));
      } finally {
        expected.dispose();
        ddp.dispose();
      }
    });
  }

  it('the gradient exchange: shared arenas (reduce-scatter in place) where SharedArrayBuffer is usable, else transferred buffers (a page that is not cross-origin isolated); with 3 replicas both give the in-process expectation bit for bit', async () => {
    assert.equal(exchangeMode(), 'shared', 'Node has SharedArrayBuffer');
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      assert.equal(exchangeMode(), 'transfer', 'a page that is not cross-origin isolated');
    } finally {
      delete g.crossOriginIsolated;
    }
    const lr = 1e-3;
    const rows = pairs(36);
    const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const expLosses = await expectedRun(expected, new MultipleNegativesRankingLoss(), asExamples(rows, ['anchor', 'positive']), 12, 3, 3, lr);
    try {
      for (const exchange of ['shared', 'transfer'] as const) {
        const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
        try {
          const before = tf.memory().numTensors;
          const logs: StepLog[] = [];
          await new SentenceTransformerTrainer({
            model: ddp,
            args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 3, verifyEvery: 1, exchangeForTesting: exchange } },
            trainDataset: rows,
            loss: new MultipleNegativesRankingLoss(),
            callback: (l) => void logs.push(l),
          }).train();
          assert.equal(tf.memory().numTensors, before, `${exchange}: numTensors flat in the coordinator`);
          logs.forEach((l, k) => assert.ok(Math.abs(l.loss - expLosses[k]) <= 1e-6 * Math.abs(expLosses[k]), `${exchange} step ${k + 1}: ${l.loss} vs ${expLosses[k]}`));
          assert.equal(paramsChecksum(modelParameters(ddp)), paramsChecksum(modelParameters(expected)), `${exchange}: parameters bit-identical to the expectation`);
        } finally {
          ddp.dispose();
        }
      }
    } finally {
      expected.dispose();
    }
  });

  it('a maxSeqLength set after load reaches the replicas (rank 0 truncates at 5 tokens; the workers tokenize the same way): 2 MNRL steps equal the in-process expectation bit for bit, and differ from the untruncated run', async () => {
    const lr = 1e-3;
    const rows = pairs(16);
    const examples = asExamples(rows, ['anchor', 'positive']);
    const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const untruncated = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      expected.maxSeqLength = ddp.maxSeqLength = 5;
      await expectedRun(expected, new MultipleNegativesRankingLoss(), examples, 8, 2, 2, lr);
      await expectedRun(untruncated, new MultipleNegativesRankingLoss(), examples, 8, 2, 2, lr);
      await new SentenceTransformerTrainer({
        model: ddp,
        args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 2, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1 } },
        trainDataset: rows,
        loss: new MultipleNegativesRankingLoss(),
      }).train();
      assert.equal(paramsChecksum(modelParameters(ddp)), paramsChecksum(modelParameters(expected)), 'DDP with truncation = in-process with truncation');
      assert.notEqual(paramsChecksum(modelParameters(untruncated)), paramsChecksum(modelParameters(expected)), 'the truncation changes the run (the test would not see a worker that ignores it otherwise)');
    } finally {
      expected.dispose();
      untruncated.dispose();
      ddp.dispose();
    }
  });

  it('gradient accumulation (2 micro-steps) with 2 replicas: each replica sums its micro-steps, then the average; equals the in-process expectation exactly', async () => {
    const lr = 1e-3;
    const rows = pairs(24);
    const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const expLosses = await expectedRun(expected, new MultipleNegativesRankingLoss(), asExamples(rows, ['anchor', 'positive']), 4, 2, 3, lr, 2);
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({
        model: ddp,
        args: { perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 3 } },
        trainDataset: rows,
        loss: new MultipleNegativesRankingLoss(),
        callback: (l) => void logs.push(l),
      }).train();
      assert.deepEqual(
        logs.map((l) => l.loss),
        expLosses,
      );
      assert.equal(paramsChecksum(modelParameters(ddp)), paramsChecksum(modelParameters(expected)));
    } finally {
      expected.dispose();
      ddp.dispose();
    }
  });

  it('a run resumed from a checkpoint (optimizer state sent to the replicas) reproduces the uninterrupted data-parallel run bit for bit', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ddp-resume-'));
    const args = { perDeviceTrainBatchSize: 2, learningRate: 1e-3, maxSteps: 4, shuffle: false, dataParallel: { workers: 2, verifyEvery: 1 } } as const;
    const full = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const resumed = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const fullLogs: StepLog[] = [];
      await new SentenceTransformerTrainer({ model: full, args: { ...args, outputDir: tmp, saveStrategy: 'steps', saveSteps: 2 }, trainDataset: pairs(16), loss: new MultipleNegativesRankingLoss(), callback: (l) => void fullLogs.push(l) }).train();
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({ model: resumed, args: { ...args, saveStrategy: 'no' }, trainDataset: pairs(16), loss: new MultipleNegativesRankingLoss(), callback: (l) => void logs.push(l) }).train({
        resumeFromCheckpoint: join(tmp, 'checkpoint-2'),
      });
      assert.deepEqual(logs, fullLogs.slice(2));
      assert.equal(paramsChecksum(modelParameters(resumed)), paramsChecksum(modelParameters(full)));
    } finally {
      full.dispose();
      resumed.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a loss the workers cannot rebuild from its config (a MatryoshkaLoss over MNRL with scale 10) is refused at start, naming dataParallel.lossOptions; with lossOptions it trains', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const run = (lossOptions?: Record<string, unknown>) =>
        new SentenceTransformerTrainer({
          model,
          args: { perDeviceTrainBatchSize: 2, maxSteps: 1, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1, lossOptions } },
          trainDataset: pairs(8),
          loss: new MatryoshkaLoss(new MultipleNegativesRankingLoss({ scale: 10 }), { matryoshkaDims: [32, 16] }),
        }).train();
      await assert.rejects(run(), /dataParallel: worker rank 1 could not start: MatryoshkaLoss rebuilt from .* not rank 0's .*"scale":10.*; pass dataParallel\.lossOptions/);
      const out = await run({ loss: 'MultipleNegativesRankingLoss', lossOptions: { scale: 10 }, matryoshkaDims: [32, 16] });
      assert.equal(out.globalStep, 1);
    } finally {
      model.dispose();
    }
  });

  it('the batch size is per replica (a step takes one batch per replica); a bad worker count and a short last batch are refused, naming the numbers', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const out = await new SentenceTransformerTrainer({ model, args: { perDeviceTrainBatchSize: 5, numTrainEpochs: 1, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2 } }, trainDataset: pairs(20), loss: new MultipleNegativesRankingLoss() }).train();
      assert.equal(out.globalStep, 2); // 20 rows / (5 per replica x 2 replicas)
      await assert.rejects(
        new SentenceTransformerTrainer({ model, args: { perDeviceTrainBatchSize: 4, saveStrategy: 'no', dataParallel: { workers: 0 } }, trainDataset: pairs(8), loss: new MultipleNegativesRankingLoss() }).train(),
        /dataParallel\.workers must be a positive integer, got 0/,
      );
      await assert.rejects(
        new SentenceTransformerTrainer({ model, args: { perDeviceTrainBatchSize: 2, numTrainEpochs: 1, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2 } }, trainDataset: pairs(9), loss: new MultipleNegativesRankingLoss() }).train(),
        /the batch of step 3 \(epoch 0\) has 1 rows, not divisible by workers = 2/,
      );
    } finally {
      model.dispose();
    }
  });

  for (const [kind, message] of [
    ['throw', /^RangeError: dataParallel: worker rank 1 failed: injected fault in rank 1 at step 2$/],
    ['exit', /^Error: dataParallel: worker rank 1 ended \(exit code 3\) during training$/],
    ['perturb', /^Error: dataParallel: replica rank 1 differs from rank 0 after step 2 \(parameter checksums [0-9a-f]{8} vs [0-9a-f]{8}\)$/],
  ] as const) {
    it(`a worker that ${kind === 'throw' ? 'throws' : kind === 'exit' ? 'dies' : 'drifts'} mid-run: the trainer rejects with ${kind === 'throw' ? "the worker's error" : 'a named error'}, no hang, workers terminated`, async () => {
      const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      try {
        const before = tf.memory().numTensors;
        const err = await new SentenceTransformerTrainer({
          model,
          args: { perDeviceTrainBatchSize: 2, maxSteps: 4, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1, faultForTesting: { rank: 1, step: 2, kind } } },
          trainDataset: pairs(16),
          loss: new MultipleNegativesRankingLoss(),
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
        model.dispose();
      }
    });
  }

  it('matches PyTorch DDP (torchrun --nproc_per_node 2, gloo, SentenceTransformerTrainer): per-step loss (mean over ranks), grad norm, lr, parameters and embeddings after 3 MNRL steps', async () => {
    const ref = JSON.parse(readFileSync(DDP_REFERENCE, 'utf8')) as DdpReference;
    assert.equal(ref.world_size, 2);
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({
        model,
        args: {
          perDeviceTrainBatchSize: ref.per_device_train_batch_size, // per replica, as Python's
          maxSteps: 3,
          learningRate: ref.learning_rate,
          weightDecay: ref.weight_decay,
          lrSchedulerType: 'linear',
          shuffle: false,
          saveStrategy: 'no',
          dataParallel: { workers: 2, verifyEvery: 1 },
        },
        trainDataset: ref.rows,
        loss: new MultipleNegativesRankingLoss(),
        callback: (l) => void logs.push(l),
      }).train();
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      assert.equal(logs.length, ref.loss.length);
      const worst = { loss: 0, norm: 0, param: 0, emb: 0 };
      logs.forEach((l, k) => {
        worst.loss = Math.max(worst.loss, rel(l.loss, ref.loss[k]));
        worst.norm = Math.max(worst.norm, rel(l.gradNorm, ref.grad_norm[k]));
        assert.ok(Math.abs(l.learningRate - ref.lr[k]) <= 1e-15, `lr step ${k + 1}: ${l.learningRate} vs ${ref.lr[k]}`);
      });
      const named = new Map(modelParameters(model).map((p) => [p.key.replace(/^0\.auto_model\./, ''), p]));
      for (const [key, want] of Object.entries(ref.params)) {
        const p = named.get(key)!;
        // A linear weight is held transposed ([in, out]); torch's is [out, in].
        const got = tf.tidy(() => (p.transposed ? tf.transpose(p.variable) : p.variable).dataSync());
        assert.deepEqual(p.transposed ? [...p.variable.shape].reverse() : p.variable.shape, want.shape, key);
        want.data.forEach((v, i) => (worst.param = Math.max(worst.param, Math.abs(got[i] - v))));
      }
      const emb = await model.encode(ref.probes);
      ref.probe_embeddings.forEach((row, i) => row.forEach((v, j) => (worst.emb = Math.max(worst.emb, Math.abs((emb[i] as Float32Array)[j] - v)))));
      // The single-process parity bars of the 9-step runs (README, issue 14): float32 reassociation only.
      assert.ok(worst.loss <= 1e-5 && worst.norm <= 1e-5, JSON.stringify(worst));
      assert.ok(worst.param <= 1e-5 && worst.emb <= 1e-5, JSON.stringify(worst));
    } finally {
      model.dispose();
    }
  });

  it('the PyTorch DDP reference is not what one process on the global batch gives (MNRL negatives are per shard)', async () => {
    const ref = JSON.parse(readFileSync(DDP_REFERENCE, 'utf8')) as DdpReference;
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 8, maxSteps: 1, learningRate: ref.learning_rate, shuffle: false, saveStrategy: 'no' },
        trainDataset: ref.rows,
        loss: new MultipleNegativesRankingLoss(),
        callback: (l) => void logs.push(l),
      }).train();
      assert.ok(Math.abs(logs[0].loss - ref.loss[0]) / ref.loss[0] > 1e-2, `${logs[0].loss} vs ${ref.loss[0]}`);
    } finally {
      model.dispose();
    }
  });
});

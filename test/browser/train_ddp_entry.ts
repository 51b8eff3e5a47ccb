/**
 * The page side of test/training_browser_ddp.test.ts, bundled by scripts/build-browser.mjs --train-worker together
 * with the training replica's worker entry (train-worker.js beside this bundle). It exposes
 * `globalThis.sentenceTfjsTrainDdp`: a 2-replica run of SentenceTransformerTrainer on models/tiny-bert (wasm) next to
 * the same steps computed in this page with the single-process code, and the runs that must fail with a named error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { initBackend } from '../../src/backends/index.js';
import { MultipleNegativesRankingLoss } from '../../src/losses/multiple_negatives_ranking.js';
import { liveWorkerCount } from '../../src/platform/workers.js';
import { paramsChecksum, type DataParallelOptions } from '../../src/training/data_parallel.js';
import { ensureGradients } from '../../src/training/gradients.js';
import { computeGradients, modelParameters, type StepLog } from '../../src/training/loop.js';
import { AdamW, clipGradNorm } from '../../src/training/optimizer.js';
import { Rng } from '../../src/training/rng.js';
import { SentenceTransformerTrainer } from '../../src/training/trainer.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const WORDS = 'the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music'.split(' ');
const sentence = (i: number) => Array.from({ length: 4 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ anchor: sentence(2 * i), positive: sentence(2 * i + 1) }));

const PER_DEVICE = 4;
const REPLICAS = 2;
const LR = 1e-3;

const modelUrl = () => `${location.origin}/fixtures/models/tiny-bert`;

/**
 * The expectation, in this page: `steps` optimizer steps, each of REPLICAS consecutive per-device batches; per shard
 * computeGradients, the shard gradients summed in rank order and divided by REPLICAS (tf.add, tf.div: float32),
 * clipGradNorm(1), AdamW at a constant lr without weight decay. Returns the per-step mean of the shard losses.
 */
async function expectedRun(model: SentenceTransformer, rows: { anchor: string; positive: string }[], steps: number): Promise<number[]> {
  await ensureGradients(); // tfjs-core's own gradients (the trainers load them themselves)
  const params = modelParameters(model);
  const vars = params.map((p) => p.variable);
  const opt = new AdamW(params, { lr: LR, weightDecay: 0 });
  const loss = new MultipleNegativesRankingLoss();
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    let sum: Record<string, tf.Tensor> | undefined;
    let lossSum = 0;
    for (let r = 0; r < REPLICAS; r++) {
      const start = (s * REPLICAS + r) * PER_DEVICE;
      const shard = rows.slice(start, start + PER_DEVICE).map((x) => ({ texts: [x.anchor, x.positive], label: null }));
      const g = computeGradients(model, loss, shard, vars, { hidden: 0, attention: 0 }, new Rng(r), 1);
      lossSum += g.loss.dataSync()[0];
      g.loss.dispose();
      if (!sum) sum = g.grads;
      else {
        for (const key of Object.keys(g.grads)) {
          const t = tf.add(sum[key], g.grads[key]);
          sum[key].dispose();
          g.grads[key].dispose();
          sum[key] = t;
        }
      }
    }
    const avg: Record<string, tf.Tensor> = {};
    for (const key of Object.keys(sum!)) {
      avg[key] = tf.div(sum![key], REPLICAS);
      sum![key].dispose();
    }
    const { grads } = await clipGradNorm(avg, 1);
    opt.step(grads, LR);
    tf.dispose(Object.values(grads));
    losses.push(lossSum / REPLICAS);
  }
  opt.dispose();
  return losses;
}

function trainer(model: SentenceTransformer, steps: number, dataParallel: DataParallelOptions, logs: StepLog[] = []): SentenceTransformerTrainer {
  return new SentenceTransformerTrainer({
    model,
    args: { perDeviceTrainBatchSize: PER_DEVICE, learningRate: LR, maxSteps: steps, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel },
    trainDataset: pairs(PER_DEVICE * REPLICAS * steps),
    loss: new MultipleNegativesRankingLoss(),
    callback: (l) => void logs.push(l),
  });
}

const asError = (e: unknown) => ({ name: (e as Error).name, message: (e as Error).message });

const api = {
  /** Set up the wasm backend from the served binaries (no fallback to cpu). */
  async init(wasmPaths: string): Promise<string> {
    return initBackend('wasm', { wasmPaths, fallbackToCpu: false });
  },

  /** `steps` DDP steps (2 replicas: this page + one Web Worker) next to the in-page expectation. */
  async run(workerUrl: string, steps: number) {
    const expected = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
    const ddp = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
    try {
      const t0 = performance.now();
      const expectedLosses = await expectedRun(expected, pairs(PER_DEVICE * REPLICAS * steps), steps);
      const inProcessMs = performance.now() - t0;
      const before = tf.memory().numTensors;
      const logs: StepLog[] = [];
      const t1 = performance.now();
      await trainer(ddp, steps, { workers: REPLICAS, verifyEvery: 1, workerUrl }, logs).train();
      const ddpMs = performance.now() - t1;
      const after = tf.memory().numTensors;
      const a = modelParameters(expected);
      const b = modelParameters(ddp);
      let maxDiff = 0;
      let differing = 0;
      a.forEach((p, i) => {
        const x = p.variable.dataSync();
        const y = b[i].variable.dataSync();
        for (let j = 0; j < x.length; j++) {
          const d = Math.abs(x[j] - y[j]);
          if (d > maxDiff) maxDiff = d;
          if (!Object.is(x[j], y[j])) differing++;
        }
      });
      const initial = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
      let moved = 0;
      try {
        const c = modelParameters(initial);
        c.forEach((p, i) => {
          const x = p.variable.dataSync();
          const y = b[i].variable.dataSync();
          for (let j = 0; j < x.length; j++) moved = Math.max(moved, Math.abs(x[j] - y[j]));
        });
      } finally {
        initial.dispose();
      }
      return {
        losses: logs.map((l) => l.loss),
        expectedLosses,
        maxDiff,
        differing,
        moved,
        checksums: [paramsChecksum(a), paramsChecksum(b)],
        numTensors: [before, after],
        liveWorkers: liveWorkerCount(),
        inProcessMs,
        ddpMs,
      };
    } finally {
      expected.dispose();
      ddp.dispose();
    }
  },

  /** A DDP run whose rank 1 fails at step 2 (`throw` or `exit`), or whose worker entry does not load. */
  async failing(workerUrl: string, kind: 'throw' | 'exit' | 'bad-url') {
    const model = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
    try {
      const before = tf.memory().numTensors;
      const dp: DataParallelOptions = kind === 'bad-url' ? { workers: REPLICAS, workerUrl } : { workers: REPLICAS, workerUrl, faultForTesting: { rank: 1, step: 2, kind } };
      const error = await trainer(model, 3, dp).train().then(() => undefined, asError);
      return { error, numTensorsFlat: tf.memory().numTensors === before, liveWorkers: liveWorkerCount() };
    } finally {
      model.dispose();
    }
  },

  /** model.fit with dataParallel where no Worker constructor exists, and where no workerUrl is given. */
  async refused(): Promise<{ noWorker?: { name: string; message: string }; noUrl?: { name: string; message: string } }> {
    const model = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
    const fit = (dataParallel: DataParallelOptions) =>
      model.fit({ trainObjectives: [{ data: pairs(8), loss: new MultipleNegativesRankingLoss(), batchSize: PER_DEVICE }], epochs: 1, showProgressBar: false, dataParallel }).then(() => undefined, asError);
    try {
      const g = globalThis as { Worker?: unknown };
      const saved = g.Worker;
      g.Worker = undefined;
      let noWorker;
      try {
        noWorker = await fit({ workers: 2, workerUrl: 'bundle/train-worker.js' });
      } finally {
        g.Worker = saved;
      }
      const noUrl = await fit({ workers: 2 });
      return { noWorker, noUrl };
    } finally {
      model.dispose();
    }
  },

  liveWorkerCount,
};

(globalThis as { sentenceTfjsTrainDdp?: typeof api }).sentenceTfjsTrainDdp = api;
export type BrowserTrainDdpApi = typeof api;

/**
 * The page side of test/training_browser_ddp.test.ts, bundled by scripts/build-browser.mjs --train-worker together
 * with the training replica's worker entry (train-worker.js beside this bundle). It exposes
 * `globalThis.sentenceTfjsTrainDdp`: a 2-replica run of SentenceTransformerTrainer on models/tiny-bert (wasm) next to
 * the same steps computed in this page with the single-process code (and of CrossEncoderTrainer on
 * models/tiny-bert-cross-encoder), and the runs that must fail with a named error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../../src/api/cross_encoder.js';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { initBackend } from '../../src/backends/index.js';
import { CosineSimilarityLoss } from '../../src/losses/cosine_similarity.js';
import { MultipleNegativesRankingLoss } from '../../src/losses/multiple_negatives_ranking.js';
import type { Loss } from '../../src/losses/types.js';
import type { Example } from '../../src/training/datasets.js';
import { liveWorkerCount } from '../../src/platform/workers.js';
import { exchangeMode, paramsChecksum, type DataParallelOptions } from '../../src/training/data_parallel.js';
import { ensureGradients } from '../../src/training/gradients.js';
import { computeGradients, modelParameters, type StepLog } from '../../src/training/loop.js';
import { AdamW, clipGradNorm } from '../../src/training/optimizer.js';
import { Rng } from '../../src/training/rng.js';
import { CrossEncoderTrainer, crossEncoderGradients } from '../../src/training/cross_encoder_trainer.js';
import { SentenceTransformerTrainer } from '../../src/training/trainer.js';
import type { NamedParameter } from '../../src/weights/index.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const WORDS = 'the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music'.split(' ');
const sentence = (i: number) => Array.from({ length: 4 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ anchor: sentence(2 * i), positive: sentence(2 * i + 1) }));
const scored = (n: number) => Array.from({ length: n }, (_, i) => ({ sentence1: sentence(2 * i), sentence2: sentence(2 * i + 1), score: (i % 5) / 5 }));

const PER_DEVICE = 4;
const REPLICAS = 2;
const LR = 1e-3;

const modelUrl = () => `${location.origin}/fixtures/models/tiny-bert`;
const crossEncoderUrl = () => `${location.origin}/fixtures/models/tiny-bert-cross-encoder`;

/**
 * The expectation, in this page: `steps` optimizer steps, each of REPLICAS consecutive per-device batches of
 * `examples`; per shard computeGradients, the shard gradients summed in rank order and divided by REPLICAS (tf.add,
 * tf.div: float32), clipGradNorm(1), AdamW at a constant lr without weight decay. Returns the per-step mean of the
 * shard losses; the model's parameters are updated in place.
 */
async function expectedRun(model: SentenceTransformer, loss: Loss, examples: Example[], steps: number): Promise<number[]> {
  return expectedShardRun(modelParameters(model), (rows, vars, r) => computeGradients(model, loss, rows, vars, { hidden: 0, attention: 0 }, new Rng(r), 1), examples, steps);
}

/** {@link expectedRun} over any parameters and per-shard gradients (`shard(rows, vars, rank)`). */
async function expectedShardRun(
  params: NamedParameter[],
  shard: (rows: Example[], vars: tf.Variable[], rank: number) => { loss: tf.Scalar; grads: Record<string, tf.Tensor> },
  examples: Example[],
  steps: number,
): Promise<number[]> {
  await ensureGradients(); // tfjs-core's own gradients (the trainers load them themselves)
  const vars = params.map((p) => p.variable);
  const opt = new AdamW(params, { lr: LR, weightDecay: 0 });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    let sum: Record<string, tf.Tensor> | undefined;
    let lossSum = 0;
    for (let r = 0; r < REPLICAS; r++) {
      const start = (s * REPLICAS + r) * PER_DEVICE;
      const g = shard(examples.slice(start, start + PER_DEVICE), vars, r);
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

/** Compare two models' parameters: the largest difference and how many float32 values are not bit-identical. */
function compare(a: SentenceTransformer, b: SentenceTransformer): { maxDiff: number; differing: number } {
  return compareParams(modelParameters(a), modelParameters(b));
}

function compareParams(pa: NamedParameter[], pb: NamedParameter[]): { maxDiff: number; differing: number } {
  let maxDiff = 0;
  let differing = 0;
  pa.forEach((p, i) => {
    const x = p.variable.dataSync();
    const y = pb[i].variable.dataSync();
    for (let j = 0; j < x.length; j++) {
      maxDiff = Math.max(maxDiff, Math.abs(x[j] - y[j]));
      if (!Object.is(x[j], y[j])) differing++;
    }
  });
  return { maxDiff, differing };
}

/**
 * One DDP run (`ddpRun` trains `ddp` with 2 replicas) next to the in-page expectation on a second copy of the model:
 * losses, parameter differences, checksums, numTensors before/after, workers left, timings.
 */
async function versusInProcess(loss: Loss, examples: Example[], steps: number, ddpRun: (ddp: SentenceTransformer, logs: StepLog[]) => Promise<unknown>) {
  const expected = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
  const ddp = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
  const initial = await SentenceTransformer.load(modelUrl(), NO_DROPOUT);
  try {
    const t0 = performance.now();
    const expectedLosses = await expectedRun(expected, loss, examples, steps);
    const inProcessMs = performance.now() - t0;
    const before = tf.memory().numTensors;
    const logs: StepLog[] = [];
    const t1 = performance.now();
    await ddpRun(ddp, logs);
    const ddpMs = performance.now() - t1;
    const after = tf.memory().numTensors;
    const { maxDiff, differing } = compare(expected, ddp);
    return {
      losses: logs.map((l) => l.loss),
      expectedLosses,
      maxDiff,
      differing,
      moved: compare(initial, ddp).maxDiff,
      checksums: [paramsChecksum(modelParameters(expected)), paramsChecksum(modelParameters(ddp))],
      numTensors: [before, after],
      liveWorkers: liveWorkerCount(),
      inProcessMs,
      ddpMs,
    };
  } finally {
    expected.dispose();
    ddp.dispose();
    initial.dispose();
  }
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
  /** Set up the wasm backend from the served binaries (no fallback to cpu) and load the models once (into the Cache API). */
  async init(wasmPaths: string): Promise<string> {
    const device = await initBackend('wasm', { wasmPaths, fallbackToCpu: false });
    (await SentenceTransformer.load(modelUrl(), NO_DROPOUT)).dispose();
    (await CrossEncoder.load(crossEncoderUrl(), NO_DROPOUT)).dispose();
    return device;
  },

  /** SentenceTransformerTrainer: `steps` MNRL steps with 2 replicas (this page + one Web Worker) next to the in-page expectation. */
  async runTrainer(workerUrl: string, steps: number) {
    const rows = pairs(PER_DEVICE * REPLICAS * steps);
    const examples = rows.map((x) => ({ texts: [x.anchor, x.positive], label: null }));
    return versusInProcess(new MultipleNegativesRankingLoss(), examples, steps, (ddp, logs) => trainer(ddp, steps, { workers: REPLICAS, verifyEvery: 1, workerUrl }, logs).train());
  },

  /** model.fit: one epoch of `steps` CosineSimilarityLoss steps with 2 replicas next to the in-page expectation. */
  async runFit(workerUrl: string, steps: number) {
    const rows = scored(PER_DEVICE * REPLICAS * steps);
    const examples = rows.map((x) => ({ texts: [x.sentence1, x.sentence2], label: x.score }));
    return versusInProcess(new CosineSimilarityLoss(), examples, steps, (ddp, logs) =>
      ddp.fit({
        trainObjectives: [{ data: rows, loss: new CosineSimilarityLoss(), batchSize: PER_DEVICE }],
        epochs: 1,
        scheduler: 'constantlr',
        optimizerParams: { lr: LR },
        weightDecay: 0,
        maxGradNorm: 1,
        shuffle: false,
        showProgressBar: false,
        dataParallel: { workers: REPLICAS, verifyEvery: 1, workerUrl },
        callback: (l) => void logs.push(l),
      }),
    );
  },

  /**
   * CrossEncoderTrainer: `steps` steps of the default loss (BCEWithLogits) with 2 replicas (this page + one Web Worker
   * that loads the cross-encoder from this page's URL) next to the in-page expectation with crossEncoderGradients.
   */
  async runCrossEncoder(workerUrl: string, steps: number) {
    const rows = Array.from({ length: PER_DEVICE * REPLICAS * steps }, (_, i) => ({ sentence1: sentence(2 * i), sentence2: sentence(2 * i + 1), label: i % 2 }));
    const examples = rows.map((x) => ({ texts: [x.sentence1, x.sentence2], label: x.label }));
    const [expected, ddp, initial] = await Promise.all([0, 1, 2].map(() => CrossEncoder.load(crossEncoderUrl(), NO_DROPOUT)));
    const params = (ce: CrossEncoder) => ce.model.parameters!();
    try {
      const t0 = performance.now();
      const expectedLosses = await expectedShardRun(params(expected), (shard, vars, r) => crossEncoderGradients(expected, undefined, (x) => x, shard, vars, { hidden: 0, attention: 0 }, new Rng(r)), examples, steps);
      const inProcessMs = performance.now() - t0;
      const before = tf.memory().numTensors;
      const logs: StepLog[] = [];
      const t1 = performance.now();
      await new CrossEncoderTrainer({
        model: ddp,
        args: { perDeviceTrainBatchSize: PER_DEVICE, learningRate: LR, maxSteps: steps, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, dataParallel: { workers: REPLICAS, verifyEvery: 1, workerUrl } },
        trainDataset: rows,
        callback: (l) => void logs.push(l),
      }).train();
      const ddpMs = performance.now() - t1;
      const after = tf.memory().numTensors;
      const { maxDiff, differing } = compareParams(params(expected), params(ddp));
      return {
        losses: logs.map((l) => l.loss),
        expectedLosses,
        maxDiff,
        differing,
        moved: compareParams(params(initial), params(ddp)).maxDiff,
        checksums: [paramsChecksum(params(expected)), paramsChecksum(params(ddp))],
        numTensors: [before, after],
        liveWorkers: liveWorkerCount(),
        inProcessMs,
        ddpMs,
      };
    } finally {
      for (const m of [expected, ddp, initial]) m.dispose();
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

  /** Whether this page is cross-origin isolated, has SharedArrayBuffer, runs tfjs-wasm multithreaded, and the gradient exchange DDP picks here. */
  environment() {
    return { crossOriginIsolated: globalThis.crossOriginIsolated === true, sharedArrayBuffer: typeof SharedArrayBuffer === 'function', wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), exchange: exchangeMode() };
  },
};

(globalThis as { sentenceTfjsTrainDdp?: typeof api }).sentenceTfjsTrainDdp = api;
export type BrowserTrainDdpApi = typeof api;

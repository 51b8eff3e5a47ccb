/**
 * gather_across_devices under data-parallel training (training/gather.ts): MultipleNegativesRankingLoss and
 * CachedMultipleNegativesRankingLoss score each replica's anchors against every replica's candidates.
 * Expectations: (1) the local losses with 6.0.1's offsets, averaged over ranks, and the all-gather's backward equal
 * ONE MNRL over the global batch (whose values the PyTorch fixtures of losses_mnrl.test.ts pin), on random
 * embeddings, for every direction, partition and hardness mode; (2) the trainer with 2 worker replicas equals the
 * same three phases run in this process, bit for bit, and the gradients of those phases equal the single-process
 * gradient of MNRL over the global batch; (3) PyTorch DDP (torchrun, gloo) of 6.0.1 with gather_across_devices=True
 * (test/data/ddp/gen_ddp_gather.py), within the bars of training_ddp.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { CachedMultipleNegativesRankingLoss } from '../src/losses/cached_multiple_negatives_ranking.js';
import { MatryoshkaLoss } from '../src/losses/matryoshka.js';
import { mnrlLoss, mnrlSettings, MultipleNegativesRankingLoss, type MultipleNegativesRankingLossOptions } from '../src/losses/multiple_negatives_ranking.js';
import type { Loss } from '../src/losses/types.js';
import { liveWorkerCount } from '../src/platform/workers.js';
import type { Example } from '../src/training/datasets.js';
import { paramsChecksum } from '../src/training/data_parallel.js';
import { concatRanks, sumOwnRows } from '../src/training/gather.js';
import { computeGradients, gatherShardOf, modelParameters, type StepLog } from '../src/training/loop.js';
import { AdamW, clipGradNorm } from '../src/training/optimizer.js';
import { Rng } from '../src/training/rng.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { ensureGradients } from '../src/training/gradients.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const NO_DROPOUT_PROBS = { hidden: 0, attention: 0 };
const WORDS = 'the a model query document search neural network embedding vector data text quick brown fox jumps over lazy dog city river music'.split(' ');
const sentence = (i: number) => Array.from({ length: 4 + (i % 7) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ anchor: sentence(2 * i), positive: sentence(2 * i + 1 + (i % 3) * 40) }));
const triplets = (n: number) => pairs(n).map((r, i) => ({ ...r, negative: sentence(3 * i + 5) }));
const asExamples = (rows: Record<string, string>[]): Example[] => rows.map((r) => ({ texts: Object.values(r), label: null }));
const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data', 'ddp');
const ALL_FOUR = ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'] as const;
const CACHED_OPTS = { miniBatchSize: 2, gatherAcrossDevices: true, directions: [...ALL_FOUR], partitionMode: 'joint', hardnessMode: 'all_negatives', hardnessStrength: 5 } as const;

/** tfjs' `[in, out]` linear weights read as torch's `[out, in]`. */
const torchLayout = (p: ReturnType<typeof modelParameters>[number]) => tf.tidy(() => (p.transposed ? tf.transpose(p.variable) : p.variable).dataSync());

/**
 * The three phases of training/gather.ts run in this process for `n` ranks of one global batch: every rank's shard
 * embedded, the columns concatenated in rank order, every rank's loss gradient on them, each rank's rows summed over
 * ranks, each rank's backward. Returns every rank's loss and parameter gradients (caller owns them).
 */
function gatheredRanks(model: SentenceTransformer, loss: Loss, rows: Example[], n: number, vars: tf.Variable[], scale = 1, dropout = NO_DROPOUT_PROBS): { loss: number; grads: Record<string, tf.Tensor> }[] {
  const k = rows.length / n;
  const shards = Array.from({ length: n }, (_, r) => gatherShardOf(model, loss, rows.slice(r * k, (r + 1) * k), vars, dropout, new Rng(r), scale));
  const gathered = concatRanks(shards.map((s) => s.embeddings));
  const lossGrads = shards.map((s, r) => s.lossGrads(gathered, r).grads);
  return shards.map((s, r) => {
    const out = s.backward(sumOwnRows(lossGrads, r));
    const l = out.loss.dataSync()[0];
    out.loss.dispose();
    return { loss: l, grads: out.grads };
  });
}

/** `acc += g` per key in float32 (tf.add), disposing the operands; returns acc (g when acc is undefined). */
function addInto(acc: Record<string, tf.Tensor> | undefined, g: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  if (!acc) return g;
  for (const key of Object.keys(g)) {
    const t = tf.add(acc[key], g[key]);
    tf.dispose([acc[key], g[key]]);
    acc[key] = t;
  }
  return acc;
}

/**
 * One optimizer step of {@link gatheredRanks} over `micro` (each a global batch; loss scaled by 1 / micro steps):
 * each rank sums its micro-steps' gradients, the ranks are summed in rank order and divided by n (float32, as the
 * all-reduce). Returns the sum over micro-steps of the mean of the ranks' losses and the averaged gradients.
 */
function gatheredStep(model: SentenceTransformer, loss: Loss, micro: Example[][], n: number, vars: tf.Variable[], dropout = NO_DROPOUT_PROBS): { loss: number; grads: Record<string, tf.Tensor> } {
  const perRank: (Record<string, tf.Tensor> | undefined)[] = new Array(n).fill(undefined);
  let lossSum = 0;
  for (const rows of micro) {
    const ranks = gatheredRanks(model, loss, rows, n, vars, 1 / micro.length, dropout);
    lossSum += ranks.reduce((a, r) => a + r.loss, 0) / n;
    ranks.forEach((r, i) => (perRank[i] = addInto(perRank[i], r.grads)));
  }
  const sum = perRank.reduce((a, g) => addInto(a, g!), undefined);
  const avg: Record<string, tf.Tensor> = {};
  for (const key of Object.keys(sum!)) {
    avg[key] = tf.div(sum![key], n);
    sum![key].dispose();
  }
  return { loss: lossSum, grads: avg };
}

/** `steps` optimizer steps of {@link gatheredStep} (clip 1, AdamW at a constant lr, no decay); the per-step losses. */
async function expectedGatherRun(model: SentenceTransformer, loss: Loss, rows: Example[], batch: number, n: number, steps: number, lr: number, accum = 1): Promise<number[]> {
  const params = modelParameters(model);
  const vars = params.map((p) => p.variable);
  const opt = new AdamW(params, { lr, weightDecay: 0 });
  const losses: number[] = [];
  let next = 0;
  for (let s = 0; s < steps; s++) {
    const micro = Array.from({ length: accum }, () => rows.slice(next, (next += batch)));
    const g = gatheredStep(model, loss, micro, n, vars);
    const { grads } = await clipGradNorm(g.grads, 1);
    opt.step(grads, lr);
    tf.dispose(Object.values(grads));
    losses.push(g.loss / accum);
  }
  opt.dispose();
  return losses;
}

describe('MultipleNegativesRankingLoss gather_across_devices: one rank’s anchors against the gathered candidates (6.0.1’s offsets)', () => {
  before(async () => {
    await initBackend('cpu');
    await ensureGradients();
  });

  const cases: [string, MultipleNegativesRankingLossOptions, number][] = [
    ['query_to_doc, pairs', {}, 2],
    ['query_to_doc, 2 hard negatives, hard_negatives 5', { hardnessMode: 'hard_negatives', hardnessStrength: 5 }, 4],
    ['all four directions joint, 1 hard negative, all_negatives 5', { directions: [...ALL_FOUR], hardnessMode: 'all_negatives', hardnessStrength: 5 }, 3],
    ['all four directions joint, in_batch_negatives 9', { directions: [...ALL_FOUR], hardnessMode: 'in_batch_negatives', hardnessStrength: 9 }, 2],
    ['query_to_doc + doc_to_query per_direction, dot_score, 1 hard negative', { directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction', similarityFct: 'dot_score', scale: 1 }, 3],
  ];
  for (const [name, opts, columns] of cases) {
    it(`${name}: the mean over 3 ranks of the local losses, and the summed gradients of the gathered columns / 3, equal one MNRL over the global batch`, () => {
      const s = mnrlSettings({ ...opts, gatherAcrossDevices: true }, 'test');
      const [n, b, d] = [3, 2, 8];
      const before = tf.memory().numTensors;
      const emb = Array.from({ length: columns }, (_, c) => tf.randomNormal([n * b, d], 0, 1, 'float32', 17 + c) as tf.Tensor2D);
      const global = tf.valueAndGrads((...e: tf.Tensor[]) => mnrlLoss(s, e as tf.Tensor2D[], 'test'))(emb);
      const ranks = Array.from({ length: n }, (_, r) => tf.valueAndGrads((...e: tf.Tensor[]) => mnrlLoss(s, e as tf.Tensor2D[], 'test', { offset: r * b, rows: b }))(emb));
      const want = global.value.dataSync()[0];
      const got = ranks.reduce((a, r) => a + r.value.dataSync()[0], 0) / n;
      assert.ok(Math.abs(got - want) <= 2e-6 * Math.abs(want), `loss ${got} vs ${want}`);
      let worst = 0;
      let scale = 0;
      global.grads.forEach((g, c) => {
        const w = g.dataSync();
        const sum = tf.tidy(() => tf.div(tf.addN(ranks.map((r) => r.grads[c])), n).dataSync());
        w.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(sum[i] - v));
          scale = Math.max(scale, Math.abs(v));
        });
      });
      assert.ok(scale > 0 && worst <= 1e-6 * Math.max(1, scale), `max |grad diff| ${worst} (max |grad| ${scale})`);
      console.log(`      loss rel diff ${(Math.abs(got - want) / Math.abs(want)).toExponential(2)}, max |grad diff| ${worst.toExponential(2)} (max |grad| ${scale.toFixed(3)})`);
      // a rank alone is not the global loss (the offsets matter)
      assert.ok(Math.abs(ranks[1].value.dataSync()[0] - want) > 1e-4, 'rank 1 alone differs from the global loss');
      tf.dispose([global.value, ...global.grads, ...ranks.flatMap((r) => [r.value, ...r.grads]), ...emb]); // spread-ok: a few tensors
      assert.equal(tf.memory().numTensors, before);
    });
  }

  it('a local slice outside the gathered rows is refused, naming offset and rows', () => {
    const s = mnrlSettings({ gatherAcrossDevices: true }, 'MNRL');
    const e = [tf.zeros([4, 2]), tf.zeros([4, 2])] as tf.Tensor2D[];
    assert.throws(() => mnrlLoss(s, e, 'MNRL', { offset: 3, rows: 2 }), /MNRL: the local anchors \[offset, offset \+ rows\) must lie within the 4 gathered rows, got offset 3, rows 2/);
    tf.dispose(e);
  });
});

describe('training: gather_across_devices under data-parallel replicas (wasm)', function () {
  this.timeout(300000);
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    await ensureGradients();
  });
  afterEach(() => assert.equal(liveWorkerCount(), 0, 'every replica worker is terminated after the run'));

  it('in this process: the gathered phases over 2 ranks give the gradient of one MNRL over the global batch of 8 (the update DDP + all_gather_with_grad makes)', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const rows = asExamples(pairs(8));
      const loss = new MultipleNegativesRankingLoss({ gatherAcrossDevices: true });
      const before = tf.memory().numTensors;
      const g = gatheredStep(model, loss, [rows], 2, vars);
      const one = computeGradients(model, new MultipleNegativesRankingLoss(), rows, vars, NO_DROPOUT_PROBS, new Rng(0));
      const want = one.loss.dataSync()[0];
      assert.ok(Math.abs(g.loss - want) <= 1e-6 * want, `loss ${g.loss} vs ${want}`);
      let worst = 0;
      let scale = 0;
      for (const [name, t] of Object.entries(one.grads)) {
        const a = t.dataSync();
        const b = g.grads[name].dataSync();
        a.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - b[i]));
          scale = Math.max(scale, Math.abs(v));
        });
      }
      assert.deepEqual(Object.keys(g.grads).sort(), Object.keys(one.grads).sort());
      assert.ok(worst <= 1e-5 * scale, `max |grad diff| ${worst} (max |grad| ${scale})`);
      console.log(`      loss ${g.loss} vs ${want}; max |grad diff| ${worst.toExponential(2)} (max |grad| ${scale.toFixed(3)})`);
      tf.dispose([one.loss, ...Object.values(one.grads), ...Object.values(g.grads)]); // spread-ok: one per parameter
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });

  it('with dropout on, phase 3 replays phase 1 masks: the gathered gradient (2 ranks, CachedMNRL mini-batches of 2) matches a central finite difference of the mean of the ranks\' losses (same seeds)', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'));
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const drop = { hidden: 0.1, attention: 0.1 };
      const loss = new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2, gatherAcrossDevices: true });
      const rows = [asExamples(pairs(8))];
      const r = gatheredStep(model, loss, rows, 2, vars, drop);
      let best = { name: '', index: 0, g: 0 };
      for (const [name, g] of Object.entries(r.grads)) {
        const d = g.dataSync();
        for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) > Math.abs(best.g)) best = { name, index: i, g: d[i] };
      }
      tf.dispose(Object.values(r.grads));
      const v = vars.find((x) => x.name === best.name)!;
      const original = v.dataSync().slice();
      const lossAt = (delta: number) => {
        const moved = original.slice();
        moved[best.index] += delta;
        v.assign(tf.tensor(moved, v.shape));
        const out = gatheredStep(model, loss, rows, 2, vars, drop); // the same seeds: the same masks
        tf.dispose(Object.values(out.grads));
        return out.loss;
      };
      const h = 1e-2;
      const fd = (lossAt(h) - lossAt(-h)) / (2 * h);
      v.assign(tf.tensor(original, v.shape));
      const noDrop = gatheredStep(model, loss, rows, 2, vars);
      tf.dispose(Object.values(noDrop.grads));
      assert.notEqual(noDrop.loss, r.loss, 'the masks change the loss (dropout is on)');
      console.log(`      dropout 0.1: d loss / d ${best.name}[${best.index}] gathered ${best.g.toFixed(5)}, finite difference ${fd.toFixed(5)}`);
      assert.ok(Math.abs(fd - best.g) <= 0.02 * Math.abs(best.g), `gathered ${best.g} vs finite difference ${fd}`);
    } finally {
      model.dispose();
    }
  });

  for (const [name, make, rows] of [
    ['MultipleNegativesRankingLoss', () => new MultipleNegativesRankingLoss({ gatherAcrossDevices: true }), pairs(24)],
    ['CachedMultipleNegativesRankingLoss (miniBatchSize 2, all four directions, all_negatives 5, triplets)', () => new CachedMultipleNegativesRankingLoss(CACHED_OPTS), triplets(24)],
  ] as const) {
    it(`${name}: 3 steps with 2 replicas equal the gathered phases run in this process bit for bit; the replicas stay bit-identical`, async () => {
      const lr = 1e-3;
      const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      try {
        const expLosses = await expectedGatherRun(expected, make(), asExamples(rows as Record<string, string>[]), 8, 2, 3, lr);
        const before = tf.memory().numTensors;
        const logs: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model: ddp,
          args: { perDeviceTrainBatchSize: 4, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 1 } },
          trainDataset: rows as Record<string, string>[],
          loss: make(),
          callback: (l) => void logs.push(l),
        }).train();
        assert.equal(tf.memory().numTensors, before, 'numTensors flat in the coordinator');
        assert.deepEqual(
          logs.map((l) => l.loss),
          expLosses,
        );
        assert.equal(paramsChecksum(modelParameters(ddp)), paramsChecksum(modelParameters(expected)), 'parameters bit-identical to the in-process expectation');
      } finally {
        expected.dispose();
        ddp.dispose();
      }
    });
  }

  it('gradient accumulation (2 micro-steps, each gathered on its own) with 2 replicas equals the in-process expectation bit for bit', async () => {
    const lr = 1e-3;
    const rows = pairs(24);
    const expected = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const ddp = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const expLosses = await expectedGatherRun(expected, new MultipleNegativesRankingLoss({ gatherAcrossDevices: true }), asExamples(rows), 4, 2, 3, lr, 2);
      const logs: StepLog[] = [];
      await new SentenceTransformerTrainer({
        model: ddp,
        args: { perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: lr, maxSteps: 3, lrSchedulerType: 'constant', weightDecay: 0, shuffle: false, saveStrategy: 'no', dataParallel: { workers: 2, verifyEvery: 3 } },
        trainDataset: rows,
        loss: new MultipleNegativesRankingLoss({ gatherAcrossDevices: true }),
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

  it("fit() passes it too: the first step's loss of fit({ dataParallel: { workers: 2 } }) is the gathered one (one MNRL over the global batch of 8), not the per-replica one", async () => {
    const rows = pairs(8);
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const global = computeGradients(model, new MultipleNegativesRankingLoss(), asExamples(rows), vars, NO_DROPOUT_PROBS, new Rng(0));
      const want = global.loss.dataSync()[0];
      tf.dispose([global.loss, ...Object.values(global.grads)]); // spread-ok: one per parameter
      const run = (gatherAcrossDevices: boolean) => model.fit({ trainObjectives: [{ data: rows, loss: new MultipleNegativesRankingLoss({ gatherAcrossDevices }), batchSize: 4 }], epochs: 1, shuffle: false, dataParallel: { workers: 2 } });
      const gathered = await run(true);
      assert.equal(gathered.logs.length, 1);
      assert.ok(Math.abs(gathered.logs[0].loss - want) <= 1e-6 * want, `${gathered.logs[0].loss} vs ${want}`);
      const perReplica = await run(false);
      assert.ok(Math.abs(perReplica.logs[0].loss - want) > 1e-2 * want, `per replica ${perReplica.logs[0].loss} vs gathered ${want}`);
    } finally {
      model.dispose();
    }
  });

  it('two objectives, one gathering and one not, alternate under fit({ dataParallel }): step 1 (the gathering one) has the global-batch loss, step 2 runs per replica, and the replicas stay bit-identical', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const a = pairs(8);
      const b = pairs(16).slice(8);
      const vars = modelParameters(model).map((p) => p.variable);
      const global = computeGradients(model, new MultipleNegativesRankingLoss(), asExamples(a), vars, NO_DROPOUT_PROBS, new Rng(0));
      const want = global.loss.dataSync()[0];
      tf.dispose([global.loss, ...Object.values(global.grads)]); // spread-ok: one per parameter
      const out = await model.fit({
        trainObjectives: [
          { data: a, loss: new MultipleNegativesRankingLoss({ gatherAcrossDevices: true }), batchSize: 4 },
          { data: b, loss: new MultipleNegativesRankingLoss(), batchSize: 4 },
        ],
        epochs: 1,
        stepsPerEpoch: 2,
        shuffle: false,
        dataParallel: { workers: 2, verifyEvery: 1 },
      });
      assert.equal(out.logs.length, 2);
      assert.ok(Math.abs(out.logs[0].loss - want) <= 1e-6 * want, `${out.logs[0].loss} vs ${want}`);
      assert.ok(Number.isFinite(out.logs[1].loss));
    } finally {
      model.dispose();
    }
  });

  it('a MatryoshkaLoss around a gathering MNRL is refused at start (its inner loss would not gather), before any worker starts', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'));
    try {
      const loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss({ gatherAcrossDevices: true }), { matryoshkaDims: [32, 16] });
      await assert.rejects(
        new SentenceTransformerTrainer({ model, args: { perDeviceTrainBatchSize: 4, maxSteps: 1, saveStrategy: 'no', dataParallel: { workers: 2 } }, trainDataset: pairs(8), loss }).train(),
        /MatryoshkaLoss: dataParallel gathers embeddings across replicas only for MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss and CachedMultipleNegativesRankingLoss used directly; gather_across_devices \(gatherAcrossDevices\) must be false in MatryoshkaLoss, got true/,
      );
      assert.equal(liveWorkerCount(), 0, 'no worker started');
    } finally {
      model.dispose();
    }
  });

  for (const [file, make] of [
    ['ddp_gather_mnrl.json', () => new MultipleNegativesRankingLoss({ gatherAcrossDevices: true })],
    ['ddp_gather_cached.json', () => new CachedMultipleNegativesRankingLoss(CACHED_OPTS)],
  ] as const) {
    it(`matches PyTorch DDP with gather_across_devices=True (${file}: torchrun --nproc_per_node 2, gloo): per-step loss, grad norm, lr, parameters and embeddings after 3 steps`, async () => {
      const ref = JSON.parse(readFileSync(join(DATA, file), 'utf8')) as {
        world_size: number;
        loss_config: Record<string, unknown>;
        rows: Record<string, string>[];
        per_device_train_batch_size: number;
        learning_rate: number;
        weight_decay: number;
        loss: number[];
        grad_norm: number[];
        lr: number[];
        probes: string[];
        probe_embeddings: number[][];
        params: Record<string, { shape: number[]; data: number[] }>;
      };
      assert.equal(ref.world_size, 2);
      const loss = make();
      assert.deepEqual(JSON.parse(JSON.stringify(loss.getConfigDict())), ref.loss_config);
      const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      try {
        const logs: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model,
          args: {
            perDeviceTrainBatchSize: ref.per_device_train_batch_size,
            maxSteps: 3,
            learningRate: ref.learning_rate,
            weightDecay: ref.weight_decay,
            lrSchedulerType: 'linear',
            shuffle: false,
            saveStrategy: 'no',
            dataParallel: { workers: 2, verifyEvery: 1 },
          },
          trainDataset: ref.rows,
          loss,
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
          const got = torchLayout(named.get(key)!);
          want.data.forEach((v, i) => (worst.param = Math.max(worst.param, Math.abs(got[i] - v))));
        }
        const emb = await model.encode(ref.probes);
        ref.probe_embeddings.forEach((row, i) => row.forEach((v, j) => (worst.emb = Math.max(worst.emb, Math.abs((emb[i] as Float32Array)[j] - v)))));
        // training_ddp.test.ts' bars (float32 reassociation only)
        assert.ok(worst.loss <= 1e-5 && worst.norm <= 1e-5, JSON.stringify(worst));
        assert.ok(worst.param <= 1e-5 && worst.emb <= 1e-5, JSON.stringify(worst));
        console.log(`      ${file}: ${JSON.stringify(worst)}`);
      } finally {
        model.dispose();
      }
    });
  }

  it('the gathered PyTorch reference is not the per-shard one (ddp_mnrl.json: the same rows without gather_across_devices)', () => {
    const gathered = JSON.parse(readFileSync(join(DATA, 'ddp_gather_mnrl.json'), 'utf8')) as { rows: unknown[]; loss: number[] };
    const perShard = JSON.parse(readFileSync(join(DATA, 'ddp_mnrl.json'), 'utf8')) as { rows: unknown[]; loss: number[] };
    assert.deepEqual(gathered.rows, perShard.rows);
    assert.ok(Math.abs(gathered.loss[0] - perShard.loss[0]) / perShard.loss[0] > 1e-2, `${gathered.loss[0]} vs ${perShard.loss[0]}`);
  });
});

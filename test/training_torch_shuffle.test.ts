/**
 * Shuffling as sentence-transformers 6.0.1 shuffles: torch's CPU generator (mt19937) and torch.randperm reproduced
 * exactly, and the batches of real 6.0.1 SentenceTransformerTrainer runs (default and no_duplicates samplers) and of
 * the legacy fit() (DataLoader(shuffle=True) after torch.manual_seed) for the same seeds. The references were recorded
 * with /work/venv by test/data/torch_shuffle/gen_torch_shuffle.py.
 */
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import type { CrossEncoderLoss, EmbeddingBatch, Loss } from '../src/losses/types.js';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { batchOrder, readDataset } from '../src/training/datasets.js';
import { dataLoaderPermutations, roundRobinEpoch } from '../src/training/samplers.js';
import { TorchGenerator } from '../src/training/torch_generator.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

interface TrainerRun {
  n: number;
  batch_size: number;
  epochs: number;
  seed: number;
  sampler: 'batch_sampler' | 'no_duplicates';
  dup_every: number;
  batches: number[][];
}
const REF = JSON.parse(readFileSync(new URL('./data/torch_shuffle/torch_shuffle.json', import.meta.url), 'utf8')) as {
  randperm: { n: number; seed: number; perm: number[] }[];
  randperm_twice: { n: number; seed: number; perms: number[][] }[];
  trainer: TrainerRun[];
  fit: { seed: number; n: number; batch_size: number; epochs: number; batches: number[][] }[];
  fit_two_objectives: { seed: number; sizes: number[]; batch_sizes: number[]; epochs: number; batches: string[][] };
  cross_encoder_trainer: { n: number; batch_size: number; epochs: number; seed: number; batches: number[][] };
  cross_encoder_fit: { n: number; batch_size: number; epochs: number; seed: number; batches: number[][] };
};

/** A CrossEncoder loss that records each batch's row ids (its labels) and contributes nothing. */
class RecordingCrossEncoderLoss implements CrossEncoderLoss {
  readonly name = 'RecordingCrossEncoderLoss';
  readonly batches: number[][] = [];
  compute(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    this.batches.push(Array.from(labels.dataSync()));
    return tf.mul(tf.sum(logits), 0) as tf.Scalar;
  }
  getConfigDict(): Record<string, unknown> {
    return {};
  }
}

/** The rows of a recorded run: anchors `a<i>`, positives `p<i>` (or `p0` every dup_every-th row), label = row id. */
function rows(r: { n: number; dup_every?: number }) {
  return Array.from({ length: r.n }, (_, i) => ({ anchor: `a${i}`, positive: r.dup_every && i % r.dup_every === 0 ? 'p0' : `p${i}`, label: i }));
}

/** A loss that records each batch's row ids (its labels) and contributes nothing to the update. */
class RecordingLoss implements Loss {
  readonly name = 'RecordingLoss';
  readonly textColumns = { min: 2, max: 2 };
  readonly needsLabels = true;
  readonly batches: number[][] = [];
  /** `tagged`: also push `<tag><row id>` lists there (several objectives into one record). */
  constructor(private readonly tag = '', private readonly tagged?: string[][]) {}
  compute(batch: EmbeddingBatch): tf.Scalar {
    const ids = Array.from(batch.labels!.dataSync());
    this.batches.push(ids);
    this.tagged?.push(ids.map((i) => `${this.tag}${i}`));
    return tf.mul(tf.sum(batch.embeddings[0]), 0) as tf.Scalar;
  }
  getConfigDict(): Record<string, unknown> {
    return {};
  }
}

describe('training: shuffling as sentence-transformers 6.0.1 (torch generator)', function () {
  it('torch.randperm(n, generator=manual_seed(seed)) for 35 (n, seed), seeds above 2^32 included, exactly', () => {
    for (const r of REF.randperm) assert.deepEqual(new TorchGenerator(r.seed).randperm(r.n), r.perm, `n ${r.n} seed ${r.seed}`);
  });

  it('the generator state carries over: two randperms in a row from one generator', () => {
    for (const r of REF.randperm_twice) {
      const g = new TorchGenerator(r.seed);
      assert.deepEqual([g.randperm(r.n), g.randperm(r.n)], r.perms);
    }
  });

  it('a saved state restores the sequence; a bad state or seed is refused naming it', () => {
    const g = new TorchGenerator(9);
    g.randperm(700); // past one 624-word twist
    const s = g.state;
    const next = g.randperm(50);
    const h = new TorchGenerator(0);
    h.setState(s);
    assert.deepEqual(h.randperm(50), next);
    assert.throws(() => h.setState({ words: [1], index: 0 }), /generator state must be \{ words: 624 integers/);
    assert.throws(() => new TorchGenerator(-1), /seed must be a non-negative safe integer, got -1/);
  });

  it('batchOrder gives the batches of 6.0.1 trainer runs: default sampler (seed + epoch) and no_duplicates (0 + epoch)', () => {
    for (const r of REF.trainer) {
      const examples = readDataset(rows(r), { what: 'test', textColumns: { min: 2, max: 2 }, needsLabels: true });
      const got: number[][] = [];
      for (let epoch = 0; epoch < r.epochs; epoch++) got.push(...batchOrder(examples, { batchSize: r.batch_size, shuffle: true, dropLast: false, sampler: r.sampler, seed: r.seed, epoch }));
      assert.deepEqual(got, r.batches, `${r.sampler} seed ${r.seed}`);
    }
  });

  it('the fit() order: the DataLoader order after torch.manual_seed, then the round robin with seed 42 + epoch', () => {
    for (const f of REF.fit) {
      const [loader] = dataLoaderPermutations([f.n], f.seed);
      const got: number[][] = [];
      for (let e = 0; e < f.epochs; e++) got.push(...roundRobinEpoch([f.n], f.batch_size, e)[0].map((b) => b.map((j) => loader[j])));
      assert.deepEqual(got, f.batches, `seed ${f.seed}`);
    }
  });

  it('fit() with two objectives: the loaders in turn on the global generator, one shared round-robin generator, the last loader\'s batch size', () => {
    const f = REF.fit_two_objectives;
    const loaders = dataLoaderPermutations(f.sizes, f.seed);
    const batchSize = f.batch_sizes[f.batch_sizes.length - 1];
    const got: string[][] = [];
    for (let e = 0; e < f.epochs; e++) {
      const plan = roundRobinEpoch(f.sizes, batchSize, e);
      for (let s = 0; s < plan[0].length + plan[1].length; s++) got.push(plan[s % 2][Math.floor(s / 2)].map((j) => `${'ab'[s % 2]}${loaders[s % 2][j]}`));
    }
    assert.deepEqual(got, f.batches);
  });

  // The recorded batches are what these tests compare (learning rate 0, a loss that records the row ids): the
  // backend does not enter the assertion, so they run on wasm (about 6x less CPU than on the cpu backend).
  describe('end to end on tiny-bert (wasm)', function () {
    before(async function () {
      requireFixtures(this, ['models', 'tiny-bert']);
      await initBackend('wasm');
    });

    it('SentenceTransformerTrainer trains on 6.0.1\'s batches for the same seed (both samplers)', async () => {
      const model = await SentenceTransformer.load(modelDir('tiny-bert'));
      try {
        for (const r of [REF.trainer[0], REF.trainer[3]]) {
          const loss = new RecordingLoss();
          await new SentenceTransformerTrainer({
            model,
            args: { perDeviceTrainBatchSize: r.batch_size, numTrainEpochs: r.epochs, learningRate: 0, seed: r.seed, batchSampler: r.sampler, saveStrategy: 'no' },
            trainDataset: rows(r),
            loss,
          }).train();
          assert.deepEqual(loss.batches, r.batches, `${r.sampler} seed ${r.seed}`);
        }
      } finally {
        model.dispose();
      }
    });

    it('fit() trains on the batches of 6.0.1\'s fit after torch.manual_seed(seed), short last batches included', async () => {
      const model = await SentenceTransformer.load(modelDir('tiny-bert'));
      try {
        for (const f of REF.fit) {
          const loss = new RecordingLoss();
          await model.fit({ trainObjectives: [{ data: rows(f).map((x) => ({ texts: [x.anchor, x.positive], label: x.label })), loss }], epochs: f.epochs, batchSize: f.batch_size, warmupSteps: 0, optimizerParams: { lr: 0 }, seed: f.seed });
          assert.deepEqual(loss.batches, f.batches, `seed ${f.seed}`);
        }
      } finally {
        model.dispose();
      }
    });

    it('fit() with two objectives and different batch sizes trains on 6.0.1\'s round-robin batches (the last batch size for both)', async () => {
      const f = REF.fit_two_objectives;
      const model = await SentenceTransformer.load(modelDir('tiny-bert'));
      try {
        const record: string[][] = [];
        const data = (prefix: string, second: string, n: number) => Array.from({ length: n }, (_, i) => ({ texts: [`${prefix}${i}`, `${second}${i}`], label: i }));
        await model.fit({
          trainObjectives: [
            { data: data('a', 'p', f.sizes[0]), loss: new RecordingLoss('a', record), batchSize: f.batch_sizes[0] },
            { data: data('b', 'q', f.sizes[1]), loss: new RecordingLoss('b', record), batchSize: f.batch_sizes[1] },
          ],
          epochs: f.epochs,
          warmupSteps: 0,
          optimizerParams: { lr: 0 },
          seed: f.seed,
        });
        assert.deepEqual(record, f.batches);
      } finally {
        model.dispose();
      }
    });

    it('CrossEncoderTrainer (seed + epoch) and CrossEncoder.fit (loader order, then 42 + epoch) train on 6.0.1\'s batches', async function () {
      requireFixtures(this, ['models', 'tiny-bert-cross-encoder']);
      const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'));
      try {
        const rowsCe = (n: number) => Array.from({ length: n }, (_, i) => ({ sentence1: `a${i}`, sentence2: `p${i}`, label: i }));
        const t = REF.cross_encoder_trainer;
        const tl = new RecordingCrossEncoderLoss();
        await new CrossEncoderTrainer({ model: ce, args: { perDeviceTrainBatchSize: t.batch_size, numTrainEpochs: t.epochs, learningRate: 0, seed: t.seed }, trainDataset: rowsCe(t.n), loss: tl }).train();
        assert.deepEqual(tl.batches, t.batches, 'CrossEncoderTrainer');
        const f = REF.cross_encoder_fit;
        const fl = new RecordingCrossEncoderLoss();
        await ce.fit({ trainData: rowsCe(f.n).map((r) => ({ texts: [r.sentence1, r.sentence2], label: r.label })), batchSize: f.batch_size, epochs: f.epochs, warmupSteps: 0, optimizerParams: { lr: 0 }, lossFct: fl, seed: f.seed });
        assert.deepEqual(fl.batches, f.batches, 'CrossEncoder.fit');
      } finally {
        ce.dispose();
      }
    });
  });
});

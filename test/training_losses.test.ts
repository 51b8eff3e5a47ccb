/**
 * The loss registry covers every loss in src/losses, and the trainer drives the losses that need more than
 * embeddings: MSELoss gets the teacher vectors of the label column as `labelVectors`, SoftmaxLoss's classifier is
 * trained by the optimizer, TripletLoss takes three columns. Each short fit (one repeated batch, no dropout) lowers
 * the loss.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { MSELoss } from '../src/losses/mse.js';
import { createCrossEncoderLoss, createLoss, crossEncoderLossNames, lossNames } from '../src/losses/registry.js';
import { SoftmaxLoss } from '../src/losses/softmax.js';
import type { EmbeddingBatch, Loss } from '../src/losses/types.js';
import type { StepLog } from '../src/training/loop.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const LOSS_DIR = fileURLToPath(new URL('../src/losses/', import.meta.url));

/** Class names declared in src/losses, by the contract they implement (read from the sources, not the registry). */
function declaredLosses(contract: 'Loss' | 'CrossEncoderLoss'): Map<string, string> {
  const out = new Map<string, string>(); // Python name -> class name
  for (const f of readdirSync(LOSS_DIR).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(LOSS_DIR + f, 'utf8');
    for (const m of src.matchAll(/export class (\w+) implements (\w+) \{[^]*?readonly name(?:: string)? = '(\w+)'/g)) {
      if (m[2] === contract) out.set(m[3], m[1]);
    }
  }
  return out;
}

describe('losses: the registry covers every loss in src/losses', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('createLoss knows every bi-encoder loss class (by its Python name) and builds that class', () => {
    const declared = declaredLosses('Loss');
    assert.ok(declared.size >= 14, `found only ${declared.size} loss classes`);
    const opts: Record<string, Record<string, unknown>> = { SoftmaxLoss: { embeddingDimension: 4, numLabels: 3 }, MatryoshkaLoss: { matryoshkaDims: [4, 2] } };
    for (const [name, cls] of declared) {
      assert.ok(lossNames().includes(name), `createLoss lacks ${name}`);
      const loss = createLoss(name, opts[name] ?? {});
      assert.equal(loss.constructor.name, cls);
      assert.equal(loss.name, name);
      (loss as { dispose?: () => void }).dispose?.();
    }
  });

  it('createCrossEncoderLoss knows every CrossEncoder loss class; unknown names are errors listing the known ones', () => {
    const declared = declaredLosses('CrossEncoderLoss');
    assert.deepEqual([...declared.keys()].sort(), crossEncoderLossNames());
    for (const [name, cls] of declared) assert.equal(createCrossEncoderLoss(name).constructor.name, cls);
    assert.throws(() => createLoss('NopeLoss'), /loss: unknown loss "NopeLoss"; known: AnglELoss, BatchAllTripletLoss/);
    assert.throws(() => createCrossEncoderLoss('CoSENTLoss'), /cross-encoder loss: unknown loss "CoSENTLoss"; known: BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss/);
  });
});

describe('losses: short fits with MSELoss, SoftmaxLoss and TripletLoss lower the loss (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
  });

  const SENTS = ['A man is eating food.', 'A man is riding a horse.', 'The girl is carrying a baby.', 'A woman plays the violin.', 'Two dogs run in a park.', 'Stocks fell sharply today.'];
  const OTHER = ['Someone eats a meal.', 'A rider on a horse.', 'A child holds an infant.', 'Music played on a violin.', 'Dogs running outside.', 'The market dropped.'];

  async function fit(model: SentenceTransformer, rows: Record<string, unknown>[], loss: Loss, steps = 6, lr = 2e-3): Promise<StepLog[]> {
    const logs: StepLog[] = [];
    await new SentenceTransformerTrainer({
      model,
      args: { perDeviceTrainBatchSize: rows.length, learningRate: lr, maxSteps: steps, lrSchedulerType: 'constant', maxGradNorm: 1, shuffle: false, saveStrategy: 'no' },
      trainDataset: rows,
      loss,
      callback: (l) => void logs.push(l),
    }).train();
    return logs;
  }

  it('MSELoss: the label column of teacher vectors reaches the loss as labelVectors [batch, dim], and the student moves toward them', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const teacher = (await model.encode(SENTS)) as Float32Array[]; // the teacher: the model's own English embeddings
      const rows = OTHER.map((t, i) => ({ non_english: t, label: Array.from(teacher[i]) }));
      const inner = new MSELoss();
      const seen: number[][][] = [];
      const spy: Loss = {
        name: inner.name,
        textColumns: inner.textColumns,
        needsLabels: inner.needsLabels,
        compute(batch: EmbeddingBatch) {
          assert.equal(batch.labels, null);
          seen.push(batch.labelVectors!.arraySync() as number[][]);
          return inner.compute(batch);
        },
        getConfigDict: () => inner.getConfigDict(),
      };
      const before = tf.memory().numTensors;
      const logs = await fit(model, rows, spy);
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(seen[0].length, 6);
      seen[0].forEach((v, i) => v.forEach((x, j) => assert.equal(x, teacher[i][j])));
      // Step 0's loss is the MSE of the untrained student against the teacher, computed here on the host.
      const student = (await model.encode(OTHER)) as Float32Array[];
      assert.ok(logs[5].loss < logs[0].loss * 0.8, `loss ${logs[0].loss} -> ${logs[5].loss}`);
      const after = OTHER.reduce((s, _, i) => s + student[i].reduce((a, x, j) => a + (x - teacher[i][j]) ** 2, 0), 0) / (6 * teacher[0].length);
      assert.ok(after < logs[0].loss, `after training the host MSE ${after} is below step 0's ${logs[0].loss}`);
    } finally {
      model.dispose();
    }
  });

  it('SoftmaxLoss: the classifier (trainableVariables) is updated by the optimizer and the loss falls', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    const loss = new SoftmaxLoss({ embeddingDimension: 32, numLabels: 3, seed: 7 });
    try {
      const w0 = loss.weight.dataSync().slice();
      const b0 = loss.bias.dataSync().slice();
      const rows = SENTS.map((s, i) => ({ premise: s, hypothesis: OTHER[(i + (i % 3)) % 6], label: i % 3 }));
      const logs = await fit(model, rows, loss, 8, 5e-3);
      assert.ok(logs[7].loss < logs[0].loss * 0.9, `loss ${logs[0].loss} -> ${logs[7].loss}`);
      const w1 = loss.weight.dataSync();
      const b1 = loss.bias.dataSync();
      const moved = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
      // AdamW's first steps move every weight with a gradient by about lr; 8 steps at 5e-3 (constant) move ~1e-2.
      assert.ok(moved(w0, w1) > 5e-3, `classifier weight moved ${moved(w0, w1)}`);
      assert.ok(moved(b0, b1) > 5e-3, `classifier bias moved ${moved(b0, b1)}`);
    } finally {
      loss.dispose();
      model.dispose();
    }
  });

  it('TripletLoss: (anchor, positive, negative) columns train and the loss falls', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const rows = SENTS.map((s, i) => ({ anchor: s, positive: OTHER[i], negative: OTHER[(i + 3) % 6] }));
      const logs = await fit(model, rows, createLoss('TripletLoss', { distanceMetric: 'COSINE', tripletMargin: 0.5 }));
      assert.ok(logs[0].loss > 0);
      assert.ok(logs[5].loss < logs[0].loss * 0.8, `loss ${logs[0].loss} -> ${logs[5].loss}`);
    } finally {
      model.dispose();
    }
  });
});

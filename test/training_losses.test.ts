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
import { CachedMultipleNegativesRankingLoss } from '../src/losses/cached_multiple_negatives_ranking.js';
import { MatryoshkaLoss } from '../src/losses/matryoshka.js';
import { MSELoss } from '../src/losses/mse.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import { createCrossEncoderLoss, createLoss, crossEncoderLossNames, lossNames } from '../src/losses/registry.js';
import { SoftmaxLoss } from '../src/losses/softmax.js';
import type { EmbeddingBatch, Loss } from '../src/losses/types.js';
import type { Example } from '../src/training/datasets.js';
import { computeGradients, modelParameters, type StepLog } from '../src/training/loop.js';
import { ensureGradients } from '../src/training/gradients.js';
import { Rng } from '../src/training/rng.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const LOSS_DIR = fileURLToPath(new URL('../src/losses/', import.meta.url));

/** Class names declared in src/losses, by the contract they implement (read from the sources, not the registry). */
function declaredLosses(contract: 'Loss' | 'CrossEncoderLoss'): Map<string, string> {
  const out = new Map<string, string>(); // Python name -> class name
  const bases = new Map<string, string>(); // abstract base -> the contract it implements
  for (const f of readdirSync(LOSS_DIR).filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(LOSS_DIR + f, 'utf8').matchAll(/export abstract class (\w+) implements (\w+)/g)) bases.set(m[1]!, m[2]!);
  }
  for (const f of readdirSync(LOSS_DIR).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(LOSS_DIR + f, 'utf8');
    for (const m of src.matchAll(/export class (\w+) implements (\w+) \{[^]*?readonly name(?:: string)? = '(\w+)'/g)) {
      if (m[2] === contract) out.set(m[3], m[1]);
    }
    // losses built on a shared base name themselves in the base constructor: `extends Base { constructor(...) { super('Name'`
    for (const m of src.matchAll(/export class (\w+) extends (\w+) \{\s*constructor\([^)]*\) \{\s*super\('(\w+)'/g)) {
      if (bases.get(m[2]!) === contract) out.set(m[3]!, m[1]!);
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
    assert.ok(declared.size >= 15, `found only ${declared.size} loss classes`);
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

describe('losses: CachedMultipleNegativesRankingLoss (GradCache) is exact and smaller (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    await ensureGradients(); // computeGradients is called directly here (the trainers do this first)
  });

  const NO_DROP = { hidden: 0, attention: 0 };
  const WORDS = ['apple', 'river', 'music', 'stone', 'cloud', 'train', 'garden', 'paper', 'window', 'silver', 'forest', 'ocean'];
  /** n rows of (anchor, positive, negative) with distinct, varied-length texts. */
  function rows(n: number): Example[] {
    return Array.from({ length: n }, (_, i) => {
      const w = (k: number) => WORDS[(i * 7 + k) % WORDS.length];
      return { texts: [`${w(0)} ${w(1)} number ${i}`, `a ${w(0)} near the ${w(1)} ${i} ${'x '.repeat(i % 4)}`, `${w(5)} and ${w(3)} ${i + 100}`], label: null };
    });
  }

  it('the loss and the step-0 gradient of every parameter equal plain MNRL on the same batch (≤1e-5), for mini-batches 1, 3 and the whole batch', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const batch = rows(8);
      const ref = computeGradients(model, new MultipleNegativesRankingLoss(), batch, vars, NO_DROP, new Rng(1));
      const refLoss = ref.loss.dataSync()[0];
      const before = tf.memory().numTensors;
      for (const m of [1, 3, 8]) {
        const got = computeGradients(model, new CachedMultipleNegativesRankingLoss({ miniBatchSize: m }), batch, vars, NO_DROP, new Rng(1));
        const lossDiff = Math.abs(got.loss.dataSync()[0] - refLoss);
        assert.deepEqual(Object.keys(got.grads).sort(), Object.keys(ref.grads).sort());
        let maxDiff = 0;
        for (const [k, g] of Object.entries(ref.grads)) maxDiff = Math.max(maxDiff, tf.tidy(() => tf.max(tf.abs(tf.sub(g, got.grads[k]))).dataSync()[0]));
        console.log(`      miniBatchSize ${m}: loss ${refLoss.toFixed(6)} diff ${lossDiff.toExponential(2)}, max grad diff ${maxDiff.toExponential(2)} over ${Object.keys(ref.grads).length} parameters`);
        assert.ok(lossDiff <= 1e-5, `loss diff ${lossDiff}`);
        assert.ok(maxDiff <= 1e-5, `grad diff ${maxDiff}`);
        got.loss.dispose();
        tf.dispose(Object.values(got.grads));
      }
      assert.equal(tf.memory().numTensors, before);
      ref.loss.dispose();
      tf.dispose(Object.values(ref.grads));
    } finally {
      model.dispose();
    }
  });

  it("with 6.0.1's options (GTE's four directions + hard-negative hardness; symmetric per_direction + all-negative hardness) the loss and gradients equal plain MNRL's with the same options (≤1e-5)", async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const batch = rows(7);
      const configs = [
        { directions: ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'] as const, hardnessMode: 'hard_negatives' as const, hardnessStrength: 5 },
        { directions: ['query_to_doc', 'doc_to_query'] as const, partitionMode: 'per_direction' as const, hardnessMode: 'all_negatives' as const, hardnessStrength: 9 },
      ];
      for (const opts of configs) {
        const ref = computeGradients(model, new MultipleNegativesRankingLoss(opts), batch, vars, NO_DROP, new Rng(1));
        const refLoss = ref.loss.dataSync()[0];
        const got = computeGradients(model, new CachedMultipleNegativesRankingLoss({ ...opts, miniBatchSize: 3 }), batch, vars, NO_DROP, new Rng(1));
        const lossDiff = Math.abs(got.loss.dataSync()[0] - refLoss);
        let maxDiff = 0;
        for (const [k, g] of Object.entries(ref.grads)) maxDiff = Math.max(maxDiff, tf.tidy(() => tf.max(tf.abs(tf.sub(g, got.grads[k]))).dataSync()[0]));
        console.log(`      ${opts.directions.length} directions ${opts.hardnessMode}: loss ${refLoss.toFixed(6)} diff ${lossDiff.toExponential(2)}, max grad diff ${maxDiff.toExponential(2)}`);
        assert.ok(lossDiff <= 1e-5, `loss diff ${lossDiff}`);
        assert.ok(maxDiff <= 1e-5, `grad diff ${maxDiff}`);
        tf.dispose([ref.loss, got.loss, ...Object.values(ref.grads), ...Object.values(got.grads)]); // spread-ok: one model's parameters
      }
    } finally {
      model.dispose();
    }
  });

  it('MatryoshkaLoss around it runs the truncations inside GradCache: loss and gradients equal MatryoshkaLoss(MNRL) (≤1e-5)', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const batch = rows(8);
      const opts = { matryoshkaDims: [32, 16, 8], matryoshkaWeights: [1, 0.5, 0.25] };
      const cachedLoss = new MatryoshkaLoss(new CachedMultipleNegativesRankingLoss({ miniBatchSize: 3 }), opts);
      assert.equal(typeof cachedLoss.computeWithModel, 'function');
      assert.equal(new MatryoshkaLoss(new MultipleNegativesRankingLoss(), opts).computeWithModel, undefined);
      const ref = computeGradients(model, new MatryoshkaLoss(new MultipleNegativesRankingLoss(), opts), batch, vars, NO_DROP, new Rng(1));
      const got = computeGradients(model, cachedLoss, batch, vars, NO_DROP, new Rng(1));
      const lossDiff = Math.abs(got.loss.dataSync()[0] - ref.loss.dataSync()[0]);
      let maxDiff = 0;
      for (const [k, g] of Object.entries(ref.grads)) maxDiff = Math.max(maxDiff, tf.tidy(() => tf.max(tf.abs(tf.sub(g, got.grads[k]))).dataSync()[0]));
      console.log(`      Matryoshka(Cached): loss diff ${lossDiff.toExponential(2)}, max grad diff ${maxDiff.toExponential(2)}`);
      assert.ok(lossDiff <= 1e-5 && maxDiff <= 1e-5, `loss diff ${lossDiff}, grad diff ${maxDiff}`);
      tf.dispose([ref.loss, got.loss, ...Object.values(ref.grads), ...Object.values(got.grads)]); // spread-ok: one model's parameters
    } finally {
      model.dispose();
    }
  });

  // Stage 1 runs without a tape: this also checks that training-mode dropout is applied there (the fused wasm BERT
  // layer, which has no dropout sites, steps aside while dropout is active; it did not, and masks went missing).
  it('with dropout on, stage 3 replays stage 1 masks: the gradient matches a central finite difference of the loss (same seeds)', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'));
    try {
      const params = modelParameters(model);
      const vars = params.map((p) => p.variable);
      const drop = { hidden: 0.1, attention: 0.1 };
      const loss = new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2 });
      const batch = rows(6);
      const r = computeGradients(model, loss, batch, vars, drop, new Rng(5));
      // The largest gradient entry of the whole model.
      let best = { name: '', index: 0, g: 0 };
      for (const [name, g] of Object.entries(r.grads)) {
        const d = g.dataSync();
        for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) > Math.abs(best.g)) best = { name, index: i, g: d[i] };
      }
      tf.dispose([r.loss, ...Object.values(r.grads)]); // spread-ok: one model's parameters
      const v = vars.find((x) => x.name === best.name)!;
      const original = v.dataSync().slice();
      const lossAt = (delta: number) => {
        const moved = original.slice();
        moved[best.index] += delta;
        v.assign(tf.tensor(moved, v.shape));
        const out = computeGradients(model, loss, batch, vars, drop, new Rng(5)); // the same seeds: the same masks
        const value = out.loss.dataSync()[0];
        tf.dispose([out.loss, ...Object.values(out.grads)]); // spread-ok: one model's parameters
        return value;
      };
      const h = 1e-2;
      const fd = (lossAt(h) - lossAt(-h)) / (2 * h);
      v.assign(tf.tensor(original, v.shape));
      console.log(`      dropout 0.1: d loss / d ${best.name}[${best.index}] GradCache ${best.g.toFixed(5)}, finite difference ${fd.toFixed(5)}`);
      assert.ok(Math.abs(fd - best.g) <= 0.02 * Math.abs(best.g), `GradCache ${best.g} vs finite difference ${fd}`);
    } finally {
      model.dispose();
    }
  });

  it('a gradient-accumulation scale multiplies the gradients, not the reported loss', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const loss = new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2 });
      const a = computeGradients(model, loss, rows(4), vars, NO_DROP, new Rng(1));
      const b = computeGradients(model, loss, rows(4), vars, NO_DROP, new Rng(1), 0.25);
      assert.ok(Math.abs(a.loss.dataSync()[0] - b.loss.dataSync()[0]) <= 1e-7);
      const k = Object.keys(a.grads)[0];
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mul(a.grads[k], 0.25), b.grads[k]))).dataSync()[0]);
      assert.ok(diff <= 1e-7, `scaled grad diff ${diff}`);
      tf.dispose([a.loss, b.loss, ...Object.values(a.grads), ...Object.values(b.grads)]); // spread-ok: one model's parameters
    } finally {
      model.dispose();
    }
  });

  it('peak memory of one step at batch 96 is smaller than plain MNRL (tf.profile peakBytes), and a short fit lowers the loss', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const vars = modelParameters(model).map((p) => p.variable);
      const batch = rows(96);
      const peak = async (loss: Loss) => {
        const info = await tf.profile(() => {
          const r = computeGradients(model, loss, batch, vars, NO_DROP, new Rng(1));
          r.loss.dispose();
          tf.dispose(Object.values(r.grads));
        });
        return info.peakBytes;
      };
      const plain = await peak(new MultipleNegativesRankingLoss());
      const cached = await peak(new CachedMultipleNegativesRankingLoss({ miniBatchSize: 8 }));
      console.log(`      batch 96 x 3 columns: peak bytes MNRL ${(plain / 2 ** 20).toFixed(1)} MiB, cached (mini-batch 8) ${(cached / 2 ** 20).toFixed(1)} MiB (${(cached / plain).toFixed(2)}x)`);
      assert.ok(cached < plain * 0.6, `cached ${cached} vs plain ${plain}`);
      const logs = await (async () => {
        const out: StepLog[] = [];
        await new SentenceTransformerTrainer({
          model,
          args: { perDeviceTrainBatchSize: 12, learningRate: 2e-3, maxSteps: 5, lrSchedulerType: 'constant', shuffle: false, saveStrategy: 'no' },
          trainDataset: rows(12).map((e) => ({ anchor: e.texts[0], positive: e.texts[1], negative: e.texts[2] })),
          loss: createLoss('CachedMultipleNegativesRankingLoss', { miniBatchSize: 4 }),
          callback: (l) => void out.push(l),
        }).train();
        return out;
      })();
      assert.ok(logs[4].loss < logs[0].loss * 0.8, `loss ${logs[0].loss} -> ${logs[4].loss}`);
    } finally {
      model.dispose();
    }
  });
});

/**
 * CrossEncoder.fit parity with PyTorch (fixtures/reference/training `cross_encoder`: the real 3.4.1 fit() on
 * tiny-bert-cross-encoder, 8 steps): per-step loss, lr and gradient norm, every parameter after training (key
 * biases within sum(lr)), predict after training (Sigmoid scores and Identity logits), on wasm (kernels on/off)
 * and cpu.
 */
import assert from 'node:assert/strict';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import type { StepLog } from '../src/training/loop.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';
import { checkCrossEncoderFit, trainingReference } from './helpers/training_reference.js';

const SETUPS = [
  { name: 'wasm, kernels on', device: 'wasm', kernels: true },
  { name: 'wasm, kernels off', device: 'wasm', kernels: false },
  { name: 'cpu', device: 'cpu', kernels: true },
] as const;

for (const setup of SETUPS) {
  describe(`CrossEncoder.fit parity with PyTorch (${setup.name})`, function () {
    before(async function () {
      requireFixtures(this, ['models', 'tiny-bert-cross-encoder'], ['reference', 'training']);
      assert.equal(await initBackend(setup.device, { fallbackToCpu: false }), setup.device);
      if (!setup.kernels) disableWasmKernels();
    });
    after(async () => {
      enableWasmKernels();
      await initBackend('wasm');
    });

    it('8 steps: per-step loss and grad norm (1e-5 rel), lr, every parameter (1e-5; key biases within sum(lr)), predict after (1e-5)', async () => {
      const rec = trainingReference().json.cross_encoder;
      const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
      try {
        const logs: StepLog[] = [];
        await ce.fit({
          trainData: rec.train_examples.map((e: { texts: string[]; label: number }) => ({ texts: e.texts, label: e.label })),
          batchSize: 4,
          shuffle: false,
          epochs: 4,
          warmupSteps: 1,
          optimizerParams: { lr: 2e-3 },
          weightDecay: 0.01,
          maxGradNorm: 1,
          callback: (l) => void logs.push(l),
        });
        const d = await checkCrossEncoderFit(ce, logs);
        console.log(`      ${setup.name}: loss rel ${d.lossRel.toExponential(2)}, grad norm rel ${d.normRel.toExponential(2)}, params ${d.params.toExponential(2)}, key biases ${d.keyBiases.toExponential(2)}, predict ${d.predict.toExponential(2)}`);
      } finally {
        ce.dispose();
      }
    });
  });
}

describe('CrossEncoderTrainer (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert-cross-encoder'], ['reference', 'training']);
    await initBackend('wasm');
  });

  it('with the reference arguments (shuffle off) gives CrossEncoder.fit reference losses', async () => {
    const rec = trainingReference().json.cross_encoder;
    const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
    try {
      const logs: StepLog[] = [];
      await new CrossEncoderTrainer({
        model: ce,
        args: { perDeviceTrainBatchSize: 4, numTrainEpochs: 4, warmupSteps: 1, learningRate: 2e-3, weightDecay: 0.01, maxGradNorm: 1, shuffle: false },
        trainDataset: rec.train_examples.map((e: { texts: string[]; label: number }) => ({ texts: e.texts, label: e.label })),
        callback: (l) => void logs.push(l),
      }).train();
      assert.equal(logs.length, 8);
      logs.forEach((l, k) => assert.ok(Math.abs(l.loss - rec.loss_per_step[k]) / rec.loss_per_step[k] <= 1e-5, `loss ${k}: ${l.loss} vs ${rec.loss_per_step[k]}`));
    } finally {
      ce.dispose();
    }
  });

  it('maxSteps stops mid-epoch and sets the linear schedule\'s length (lr * (1 - k / maxSteps))', async () => {
    const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'));
    try {
      const logs: StepLog[] = [];
      const rows = ['a', 'b', 'c', 'd'].map((t, i) => ({ sentence1: `query ${t}`, sentence2: `passage ${t}`, label: i % 2 }));
      const out = await new CrossEncoderTrainer({ model: ce, args: { perDeviceTrainBatchSize: 2, numTrainEpochs: 5, maxSteps: 3, learningRate: 3e-4 }, trainDataset: rows, callback: (l) => void logs.push(l) }).train();
      assert.equal(out.globalStep, 3);
      assert.deepEqual(logs.map((l) => l.epoch), [0.5, 1, 1.5]);
      [3e-4, 2e-4, 1e-4].forEach((lr, k) => assert.ok(Math.abs(logs[k].learningRate - lr) < 1e-15, `lr ${k}: ${logs[k].learningRate}`));
      assert.match(JSON.stringify(ce.modelCardData?.allHyperparameters), /"max_steps":3/);
    } finally {
      ce.dispose();
    }
  });
});

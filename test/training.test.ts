/**
 * Fine-tuning parity with PyTorch (fixtures/reference/training, README "Fine-tuning references (multi-step)"):
 * gradients of every parameter at step 0, then the four 9-step bi-encoder runs (per-step loss, lr and gradient
 * norm, final parameters, encode after training), on wasm with the kernels, wasm without them, and cpu.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import { readDataset } from '../src/training/datasets.js';
import { ensureGradients } from '../src/training/gradients.js';
import { computeGradients, modelParameters, type StepLog } from '../src/training/loop.js';
import { Rng } from '../src/training/rng.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';
import { checkBiEncoderFit, diffs, lossOf, refName, RUNS, runRows, torchLayout, trainingReference } from './helpers/training_reference.js';

const SETUPS = [
  { name: 'wasm, kernels on', device: 'wasm', kernels: true },
  { name: 'wasm, kernels off', device: 'wasm', kernels: false },
  { name: 'cpu', device: 'cpu', kernels: true },
] as const;

for (const setup of SETUPS) {
  describe(`training parity with PyTorch (${setup.name})`, function () {
    before(async function () {
      requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training']);
      assert.equal(await initBackend(setup.device, { fallbackToCpu: false }), setup.device);
      if (!setup.kernels) disableWasmKernels();
      await ensureGradients(); // what fit() does first (the generated bundle, src/training/tfjs_gradients.js)
    });
    after(async () => {
      enableWasmKernels();
      await initBackend('wasm');
    });

    for (const run of RUNS) {
      it(`${run}: fit() for 9 steps matches per-step loss and grad norm (1e-5 rel), lr, final parameters (1e-5 abs; key biases within sum(lr)) and encode after (1e-5)`, async () => {
        const model = await SentenceTransformer.load(modelDir('tiny-bert'), { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
        try {
          const logs: StepLog[] = [];
          await model.fit({
            trainObjectives: [{ data: runRows(run), loss: lossOf(run) }],
            batchSize: 4,
            epochs: 3,
            warmupSteps: 2,
            optimizerParams: { lr: 2e-3 },
            weightDecay: 0.01,
            maxGradNorm: 1,
            shuffle: false,
            callback: (l) => void logs.push(l),
          });
          const d = await checkBiEncoderFit(model, run, logs);
          console.log(
            `      ${setup.name} ${run}: loss rel ${d.lossRel.toExponential(2)}, grad norm rel ${d.normRel.toExponential(2)}, params ${d.params.toExponential(2)} (sensitive elements ${d.sensitive.toExponential(2)}), key biases ${d.keyBiases.toExponential(2)}, encode ${d.encode.toExponential(2)}`,
          );
        } finally {
          model.dispose();
        }
      });

      it(`${run}: the step-0 loss and the gradient of every parameter match within 1e-5`, async () => {
        const ref = trainingReference();
        const rows: number[] = ref.json.bi_encoder.word_embedding_rows;
        const model = await SentenceTransformer.load(modelDir('tiny-bert'));
        try {
          const loss = lossOf(run);
          const examples = readDataset(runRows(run), { what: loss.name, textColumns: loss.textColumns, needsLabels: loss.needsLabels });
          const params = modelParameters(model);
          const { loss: l, grads } = computeGradients(model, loss, examples.slice(0, 4), params.map((p) => p.variable), { hidden: 0, attention: 0 }, new Rng(1));
          try {
            const lv = l.dataSync()[0];
            const want = ref.json.bi_encoder.runs[run].loss_per_step[0];
            assert.ok(Math.abs(lv - want) <= 1e-5 * Math.abs(want), `loss ${lv} vs ${want}`);
            const withGrad = new Set<string>();
            let worst = 0;
            for (const p of params) {
              const hf = p.key.replace(/^0\.auto_model\./, '');
              const name = refName(`bi.${run}.grad_step0`, hf);
              const g = grads[p.variable.name];
              assert.ok(ref.has(name), `no reference gradient for ${hf}`);
              assert.ok(g, `no gradient for ${hf}`);
              withGrad.add(hf);
              const d = diffs(torchLayout(p, g, rows), ref.f32(name)).abs;
              assert.ok(d <= 1e-5, `${hf}: gradient max abs diff ${d}`);
              worst = Math.max(worst, d);
            }
            const recorded = Object.keys(ref.json.bi_encoder.runs[run].grad_step0_tensors);
            assert.deepEqual([...withGrad].sort(), recorded.sort(), 'the parameters with a gradient');
            console.log(`      ${setup.name} ${run}: loss diff ${Math.abs(lv - want).toExponential(2)}, max grad diff ${worst.toExponential(2)}`);
          } finally {
            tf.dispose([l, ...Object.values(grads)]);
          }
        } finally {
          model.dispose();
        }
      });
    }
  });
}

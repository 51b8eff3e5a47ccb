/**
 * Fine-tuning parity with PyTorch (fixtures/reference/training, README "Fine-tuning references (multi-step)"):
 * gradients of every parameter at step 0, then the four 9-step bi-encoder runs (per-step loss, lr and gradient
 * norm, final parameters, encode after training), on wasm with the kernels, wasm without them, and cpu.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import { createLoss } from '../src/losses/registry.js';
import type { Loss } from '../src/losses/types.js';
import { readDataset } from '../src/training/datasets.js';
import { computeGradients, modelParameters } from '../src/training/loop.js';
import { Rng } from '../src/training/rng.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';
import { diffs, refName, RUNS, runRows, torchLayout, trainingReference, type RunName } from './helpers/training_reference.js';

function lossOf(run: RunName): Loss {
  switch (run) {
    case 'cosine_similarity_loss':
      return createLoss('CosineSimilarityLoss');
    case 'multiple_negatives_ranking_loss':
      return createLoss('MultipleNegativesRankingLoss', { scale: 20, similarityFct: 'cos_sim' });
    case 'cosent_loss':
      return createLoss('CoSENTLoss');
    case 'matryoshka_mnrl_loss':
      return createLoss('MatryoshkaLoss', { matryoshkaDims: [32, 16, 8] });
  }
}

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
    });
    after(async () => {
      enableWasmKernels();
      await initBackend('wasm');
    });

    for (const run of RUNS) {
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

/**
 * Fine-tuning on webgpu in Node (Dawn; SwiftShader's software Vulkan where there is no GPU): the reference's 9-step
 * bi-encoder `fit()` runs (fixtures/reference/training, README "Fine-tuning references (multi-step)") at the bars of
 * test/training.test.ts (per-step loss and grad norm 1e-5 relative, final parameters 1e-5, encode after 1e-5), the
 * step-0 gradients of every parameter (1e-5), the model fit() saves (outputPath) equal to the trained parameters, and
 * tf.memory().numTensors flat over the steps. Dawn has no synchronous read at all (tfjs' readSync needs an
 * OffscreenCanvas), so this also guards the training loop against any dataSync()/arraySync().
 *
 * Dawn's env (VK_ICD_FILENAMES) must be set before Node starts, so the checks run in a child mocha process on this
 * file. SwiftShader is slow: by default one run (CosineSimilarityLoss); TRAINING_WEBGPU_RUNS=all (the four losses and
 * the 8-step CrossEncoder.fit run) or a comma list of run names (`cross_encoder` for the CrossEncoder) runs more.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { SafetensorsFile } from '../src/formats/safetensors.js';
import { readDataset } from '../src/training/datasets.js';
import { ensureGradients } from '../src/training/gradients.js';
import { computeGradients, modelParameters, type StepLog } from '../src/training/loop.js';
import { Rng } from '../src/training/rng.js';
import { dawnChildEnv } from './helpers/dawn_env.js';
import { PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';
import { checkBiEncoderFit, checkCrossEncoderFit, diffs, lossOf, refName, RUNS, runRows, torchLayoutAsync, trainingReference, type RunName } from './helpers/training_reference.js';

const CHILD = process.env.TRAINING_WEBGPU_CHILD === '1';
const SELECTED = process.env.TRAINING_WEBGPU_RUNS ?? 'cosine_similarity_loss';
const ALL = [...RUNS, 'cross_encoder'] as const;
const RUNS_HERE = (SELECTED === 'all' ? ALL : SELECTED.split(',')) as (RunName | 'cross_encoder')[];
for (const r of RUNS_HERE) assert.ok((ALL as readonly string[]).includes(r), `TRAINING_WEBGPU_RUNS: unknown run '${r}', expected 'all' or some of ${ALL.join(', ')}`);

if (CHILD) {
  describe('training on webgpu (Dawn in Node)', function () {
    this.timeout(600_000);
    before(async function () {
      if (!requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training'])) return;
      assert.equal(await initBackend('webgpu', { fallbackToCpu: false }), 'webgpu');
      await ensureGradients();
    });

    for (const run of RUNS_HERE) {
      if (run === 'cross_encoder') {
        it('CrossEncoder.fit for 8 steps matches PyTorch (loss, grad norm, every parameter, predict after) with numTensors flat', async function () {
          if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'])) return;
          const started = Date.now();
          const rec = trainingReference().json.cross_encoder;
          const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
          try {
            const logs: StepLog[] = [];
            const live: number[] = [];
            await ce.fit({
              trainData: rec.train_examples.map((e: { texts: string[]; label: number }) => ({ texts: e.texts, label: e.label })),
              batchSize: 4,
              shuffle: false,
              epochs: 4,
              warmupSteps: 1,
              optimizerParams: { lr: 2e-3 },
              weightDecay: 0.01,
              maxGradNorm: 1,
              callback: (l) => {
                logs.push(l);
                live.push(tf.memory().numTensors);
              },
            });
            assert.deepEqual(live, live.map(() => live[0]), `numTensors after each step: ${live.join(', ')}`);
            const d = await checkCrossEncoderFit(ce, logs);
            console.log(
              `      webgpu cross_encoder: loss rel ${d.lossRel.toExponential(2)}, grad norm rel ${d.normRel.toExponential(2)}, params ${d.params.toExponential(2)}, key biases ${d.keyBiases.toExponential(2)}, predict ${d.predict.toExponential(2)}; numTensors ${live[0]} at every step; ${((Date.now() - started) / 1000).toFixed(1)} s`,
            );
          } finally {
            ce.dispose();
          }
        });
        continue;
      }
      it(`${run}: fit() for 9 steps matches PyTorch (loss, grad norm, final parameters, encode after) with numTensors flat`, async () => {
        const started = Date.now();
        const alive = tf.memory().numTensors;
        const saved = join(mkdtempSync(join(tmpdir(), 'sentence-tfjs-webgpu-fit-')), 'model');
        const model = await SentenceTransformer.load(modelDir('tiny-bert'), { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
        try {
          const logs: StepLog[] = [];
          const live: number[] = [];
          await model.fit({
            trainObjectives: [{ data: runRows(run), loss: lossOf(run) }],
            batchSize: 4,
            epochs: 3,
            warmupSteps: 2,
            optimizerParams: { lr: 2e-3 },
            weightDecay: 0.01,
            maxGradNorm: 1,
            shuffle: false,
            outputPath: saved,
            callback: (l) => {
              logs.push(l);
              live.push(tf.memory().numTensors);
            },
          });
          // After every step: the parameters, Adam's two moments per parameter and nothing else that grows.
          assert.deepEqual(live, live.map(() => live[0]), `numTensors after each step: ${live.join(', ')}`);
          const d = await checkBiEncoderFit(model, run, logs);
          // fit() saved the trained model (outputPath) through asynchronous reads: the file holds the parameters exactly.
          const st = SafetensorsFile.parse(readFileSync(join(saved, 'model.safetensors')), 'model.safetensors');
          for (const p of modelParameters(model)) {
            const hf = p.key.replace(/^0\.auto_model\./, '');
            assert.deepEqual(st.float32(hf), await torchLayoutAsync(p, p.variable, undefined), `saved ${hf}`);
          }
          console.log(
            `      webgpu ${run}: loss rel ${d.lossRel.toExponential(2)}, grad norm rel ${d.normRel.toExponential(2)}, params ${d.params.toExponential(2)} (sensitive elements ${d.sensitive.toExponential(2)}), key biases ${d.keyBiases.toExponential(2)}, encode ${d.encode.toExponential(2)}; numTensors ${live[0]} at every step; ${((Date.now() - started) / 1000).toFixed(1)} s`,
          );
        } finally {
          model.dispose();
        }
        assert.equal(tf.memory().numTensors, alive, 'numTensors after the trained model is disposed');
        rmSync(dirname(saved), { recursive: true, force: true });
      });

      it(`${run}: the step-0 loss and the gradient of every parameter match PyTorch within 1e-5`, async () => {
        const ref = trainingReference();
        const rows: number[] = ref.json.bi_encoder.word_embedding_rows;
        const model = await SentenceTransformer.load(modelDir('tiny-bert'));
        try {
          const loss = lossOf(run);
          const examples = readDataset(runRows(run), { what: loss.name, textColumns: loss.textColumns, needsLabels: loss.needsLabels });
          const params = modelParameters(model);
          const { loss: l, grads } = computeGradients(model, loss, examples.slice(0, 4), params.map((p) => p.variable), { hidden: 0, attention: 0 }, new Rng(1));
          try {
            const lv = (await l.data())[0];
            const want = ref.json.bi_encoder.runs[run].loss_per_step[0];
            assert.ok(Math.abs(lv - want) <= 1e-5 * Math.abs(want), `loss ${lv} vs ${want}`);
            let worst = 0;
            for (const p of params) {
              const hf = p.key.replace(/^0\.auto_model\./, '');
              const g = grads[p.variable.name];
              assert.ok(g, `no gradient for ${hf}`);
              const d: number = diffs(await torchLayoutAsync(p, g, rows), ref.f32(refName(`bi.${run}.grad_step0`, hf))).abs;
              assert.ok(d <= 1e-5, `${hf}: gradient max abs diff ${d}`);
              worst = Math.max(worst, d);
            }
            assert.equal(params.length, Object.keys(ref.json.bi_encoder.runs[run].grad_step0_tensors).length, 'parameters with a gradient');
            console.log(`      webgpu ${run}: step 0 loss diff ${Math.abs(lv - want).toExponential(2)}, max grad diff ${worst.toExponential(2)}`);
          } finally {
            tf.dispose([l, ...Object.values(grads)]); // spread-ok: one gradient per parameter
          }
        } finally {
          model.dispose();
        }
      });
    }
  });
} else {
  describe('training on webgpu (Dawn in Node, a child process)', function () {
    this.timeout(900_000);
    it(`fit() and step-0 gradients on webgpu match the PyTorch reference (${RUNS_HERE.join(', ')}) with numTensors flat`, function () {
      const dawn = dawnChildEnv();
      if ('skip' in dawn) {
        console.warn(`  [skip] webgpu training test: ${dawn.skip}`);
        this.skip();
      }
      if (!requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training'])) return;
      const mocha = fileURLToPath(new URL('../node_modules/mocha/bin/mocha.js', import.meta.url));
      const r = spawnSync(process.execPath, [mocha, '--no-config', '--node-option', 'import=tsx', '--timeout', '600000', fileURLToPath(import.meta.url)], {
        cwd: PROJECT_ROOT,
        env: { ...dawn.env, TRAINING_WEBGPU_CHILD: '1' },
        encoding: 'utf8',
      });
      console.log((r.stdout ?? '').split('\n').filter((l) => /passing|failing|pending|webgpu \w+(_loss|_encoder):|^\s+\d+\) /.test(l)).join('\n'));
      assert.equal(r.status, 0, `webgpu child failed:\n${r.stdout}\n${r.stderr}`);
      // two tests per bi-encoder run (fit, step-0 gradients), one for the CrossEncoder
      assert.match(r.stdout, new RegExp(`${RUNS_HERE.length + RUNS_HERE.filter((x) => x !== 'cross_encoder').length} passing`));
    });
  });
}

/**
 * Training in headless Chromium: the reference's CosineSimilarityLoss run (9 steps of models/tiny-bert) in a page on
 * wasm, webgpu and webgl (SwiftShader where there is no GPU), per-step loss and gradient norm within 1e-5 relative
 * and encode after training within 1e-5 of PyTorch, tf.memory().numTensors flat over the steps.
 */
import assert from 'node:assert/strict';
import type { BrowserTrainApi } from './browser/train_entry.js';
import { buildBrowserEntry, startBrowserHarness, type BrowserHarness } from './helpers/browser_harness.js';
import { chromiumMissing } from './helpers/chromium.js';
import { requireFixtures } from './helpers/fixtures.js';
import { diffs, trainingReference } from './helpers/training_reference.js';

type Api = { sentenceTfjsTrain: BrowserTrainApi };

describe('training in headless Chromium', function () {
  this.timeout(600_000);
  let h: BrowserHarness | undefined;

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`  [skip] browser training test: ${missing}`);
      this.skip();
    }
    if (!requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'training'])) return;
    const dir = buildBrowserEntry('test/browser/train_entry.ts', 'browser-train');
    h = await startBrowserHarness(dir, 'browser-train.js');
  });
  after(async () => h?.close());

  // webgpu: no synchronous read may happen in the loop. tfjs-webgpu 4.22's readSync copies the buffer into
  // OffscreenCanvas WebGPU textures and reads them through a 2D canvas; in headless Chromium on SwiftShader that
  // returns zeros (dataSync of [1, 4, 9, 16] gave [0, 0, 0, 0]) and loses the device: the next mapAsync fails with
  // "a valid external Instance reference no longer exists". clipGradNorm's dataSync did that until it became async.
  for (const device of ['wasm', 'webgpu', 'webgl'] as const) {
  it(`${device}: 9 CosineSimilarityLoss steps match PyTorch (loss and grad norm 1e-5 relative, encode after 1e-5), numTensors flat`, async () => {
    const page = await h!.openPage();
    try {
      const r = await page.evaluate((d) => (window as unknown as Api).sentenceTfjsTrain.train(d, '/wasm/'), device);
      assert.equal(r.backend, device);
      const rec = trainingReference().json.bi_encoder.runs.cosine_similarity_loss;
      assert.equal(r.logs.length, 9);
      assert.deepEqual(r.live, r.live.map(() => r.live[0]), `numTensors after each step: ${r.live.join(', ')}`);
      r.logs.forEach((l, k) => {
        assert.ok(Math.abs(l.loss - rec.loss_per_step[k]) / rec.loss_per_step[k] <= 1e-5, `loss ${k}: ${l.loss} vs ${rec.loss_per_step[k]}`);
        assert.ok(Math.abs(l.gradNorm - rec.grad_norm_before_clipping_per_step[k]) / rec.grad_norm_before_clipping_per_step[k] <= 1e-5, `grad norm ${k}`);
      });
      const e = diffs(r.encodeAfter.flat(), trainingReference().f32('bi.cosine_similarity_loss.encode_after')).abs;
      assert.ok(e <= 1e-5, `encode after: ${e}`);
      const lossRel = Math.max(...r.logs.map((l, k) => Math.abs(l.loss - rec.loss_per_step[k]) / rec.loss_per_step[k])); // spread-ok: 9 steps
      const normRel = Math.max(...r.logs.map((l, k) => Math.abs(l.gradNorm - rec.grad_norm_before_clipping_per_step[k]) / rec.grad_norm_before_clipping_per_step[k])); // spread-ok: 9 steps
      console.log(`      chromium ${device}: loss rel ${lossRel.toExponential(2)}, grad norm rel ${normRel.toExponential(2)}, encode after ${e.toExponential(2)}; numTensors ${r.live[0]} at every step; fit ${(r.fitMs / 1000).toFixed(1)} s`);
    } finally {
      await page.close();
    }
  });
  }
});

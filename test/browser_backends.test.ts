/**
 * The same library code on every browser backend, in headless Chromium (WebGPU and WebGL on SwiftShader, wasm):
 * the browser bundle initializes each device and runs the float64-checked op set.
 */
import assert from 'node:assert/strict';
import type { BrowserTestApi } from './browser/entry.js';
import { chromiumMissing } from './helpers/chromium.js';
import { buildBrowserEntry, startBrowserHarness, type BrowserHarness } from './helpers/browser_harness.js';
import { assertModelParity, MODEL_TOLERANCE } from './parity/assert_parity.js';
import { requireFixtures } from './helpers/fixtures.js';
import { PARITY_MODELS, type ModelParityReport, type ParityModel } from './parity/model_job.js';
import type { OpsReport } from './parity/ops_job.js';

type Api = { sentenceTfjsTest: BrowserTestApi };
const OPS_TOLERANCE = 1e-5;

describe('backends in headless Chromium', function () {
  this.timeout(240_000);
  let h: BrowserHarness | undefined;

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`  [skip] browser tests: ${missing}`);
      this.skip();
    }
    const dir = buildBrowserEntry('test/browser/entry.ts', 'browser-entry');
    h = await startBrowserHarness(dir, 'browser-entry.js');
  });
  after(async () => h?.close());

  for (const device of ['webgpu', 'webgl', 'wasm'] as const) {
    it(`plain tfjs ops on ${device} in Chromium match float64 math within 1e-5`, async () => {
      const page = await h!.openPage();
      try {
        const backend = await page.evaluate((d) => (window as unknown as Api).sentenceTfjsTest.init(d, '/wasm/'), device);
        assert.equal(backend, device);
        const report: OpsReport = await page.evaluate(() => (window as unknown as Api).sentenceTfjsTest.runOps());
        assert.equal(Object.keys(report).length, 9);
        for (const [op, { maxAbsDiff }] of Object.entries(report)) {
          assert.ok(maxAbsDiff <= OPS_TOLERANCE, `${device} ${op}: max |diff| vs float64 ${maxAbsDiff} > ${OPS_TOLERANCE}`);
        }
        assert.equal(report.gather.maxAbsDiff, 0);
      } finally {
        await page.close();
      }
    });
  }

  for (const device of ['webgpu', 'webgl', 'wasm'] as const) {
    it(`the parity models (${Object.keys(PARITY_MODELS).join(', ')}) on ${device} in Chromium match PyTorch within ${MODEL_TOLERANCE[device].toExponential()}`, async function () {
      this.timeout(900_000);
      if (!requireFixtures(this, ...Object.keys(PARITY_MODELS).flatMap((n) => [['models', n], ['reference', n]]))) return;
      const page = await h!.openPage();
      try {
        await page.evaluate((d) => (window as unknown as Api).sentenceTfjsTest.init(d, '/wasm/'), device);
        const names = Object.keys(PARITY_MODELS) as ParityModel[];
        const result: Record<string, ModelParityReport> = await page.evaluate((n) => (window as unknown as Api).sentenceTfjsTest.runModels(n), names);
        assertModelParity(result, device);
      } finally {
        await page.close();
      }
    });
  }

  it('webgl computes with float32 textures, never silently in float16', async () => {
    const page = await h!.openPage();
    try {
      await page.evaluate(() => (window as unknown as Api).sentenceTfjsTest.init('webgl', '/wasm/'));
      const flags = await page.evaluate(() => (window as unknown as Api).sentenceTfjsTest.precisionFlags());
      assert.equal(flags.WEBGL_RENDER_FLOAT32_ENABLED, true);
      assert.equal(flags.WEBGL_FORCE_F16_TEXTURES, false);
    } finally {
      await page.close();
    }
  });

  it('the default device in a browser with a WebGPU adapter is webgpu', async () => {
    const page = await h!.openPage();
    try {
      const device = await page.evaluate(() => (window as unknown as Api).sentenceTfjsTest.defaultInit('/wasm/'));
      assert.equal(device, 'webgpu');
    } finally {
      await page.close();
    }
  });
});

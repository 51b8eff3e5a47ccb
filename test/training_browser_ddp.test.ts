/**
 * Data-parallel training in headless Chromium (module Web Workers, tiny-bert on wasm): SentenceTransformerTrainer,
 * model.fit and CrossEncoderTrainer (tiny-bert-cross-encoder) with `dataParallel: { workers: 2 }` in a page, whose rank 1 runs the browser bundle of src/api/train_worker.ts
 * (scripts/build-browser.mjs --train-worker, served beside the page's bundle) and loads the model from the page's
 * URL (the files from the Cache API, where the page's own load put them). Expectation: the same 2 steps computed in
 * the same page with the single-process code (per-shard gradients averaged in rank order, one clip, AdamW), bit for
 * bit; the errors where a worker fails or DDP cannot run.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { BrowserTrainDdpApi } from './browser/train_ddp_entry.js';
import { buildBrowserEntry, startBrowserHarness, type BrowserHarness } from './helpers/browser_harness.js';
import { chromiumMissing } from './helpers/chromium.js';
import { requireFixtures } from './helpers/fixtures.js';
import { replicaSpecFor } from '../src/training/replica_spec.js';

type Api = { sentenceTfjsTrainDdp: BrowserTrainDdpApi };

/** Run `fn(api, arg)` in the page (fn's source is sent; it must only use its arguments). */
const call = <R>(page: Page, fn: (a: BrowserTrainDdpApi, arg: unknown) => R | Promise<R>, arg?: unknown): Promise<R> =>
  page.evaluate(([src, a]) => new Function('api', 'arg', `return (${src})(api, arg);`)((window as unknown as Api).sentenceTfjsTrainDdp, a), [fn.toString(), arg] as const) as Promise<R>;

const RUNS = [
  ['SentenceTransformerTrainer: 2 MNRL steps', 'runTrainer'],
  ['model.fit: 2 CosineSimilarityLoss steps', 'runFit'],
  ['CrossEncoderTrainer: 2 BCEWithLogits steps (the cross-encoder replica loaded from the page URL)', 'runCrossEncoder'],
] as const;

/**
 * A DDP run in the page vs the same steps in-process in the page: bit-identical parameters, the same losses, the
 * worker on wasm from the page's wasmPaths and the model from the page's Cache API (no network fetch), numTensors
 * flat, no worker left.
 */
async function bitForBit(page: Page, what: string, run: (typeof RUNS)[number][1], label = ''): Promise<void> {
  // No model file from the network: the page has the model (init loaded it); the replica loads from what it has.
  // The worker must run on wasm from the page's wasmPaths, not fall back to cpu: it fetches the tfjs .wasm binary.
  const wasmFetches: string[] = [];
  const modelFetches: string[] = [];
  const onRequest = (q: { url(): string }) => {
    if (/\/wasm\/tfjs-backend-wasm[\w-]*\.wasm$/.test(q.url())) wasmFetches.push(q.url());
    if (q.url().includes('/fixtures/models/')) modelFetches.push(q.url());
  };
  page.on('request', onRequest);
  // A relative worker URL, as a page would write it: resolved against the page, not the worker's script.
  const r = await call(page, (a, arg) => a[arg as 'runTrainer' | 'runFit' | 'runCrossEncoder']('bundle/train-worker.js', 2), run).finally(() => page.off('request', onRequest));
  assert.ok(wasmFetches.length > 0, 'the replica worker fetched no tfjs .wasm binary from /wasm/');
  // The page loaded the model before (init): the worker reads its files from the Cache API, as the page does.
  assert.deepEqual(modelFetches, [], 'model files fetched from the network during the run');
  assert.equal(r.losses.length, 2);
  // The loss record is the mean of the shard losses (the same float64 values, summed in another order).
  r.losses.forEach((l, k) => assert.ok(Math.abs(l - r.expectedLosses[k]) <= 1e-6 * Math.abs(r.expectedLosses[k]), `step ${k + 1}: ${l} vs ${r.expectedLosses[k]}`));
  assert.ok(r.moved > 0, 'the parameters moved');
  assert.equal(r.maxDiff, 0, `max |param diff| ${r.maxDiff} (${r.differing} values differ)`);
  assert.equal(r.differing, 0);
  assert.equal(r.checksums[1], r.checksums[0]);
  assert.equal(r.numTensors[1], r.numTensors[0], 'numTensors flat in the page');
  assert.equal(r.liveWorkers, 0, 'every replica worker is terminated after the run');
  const t0 = Date.now();
  while (page.workers().some((w) => !w.url().startsWith('blob:')) && Date.now() - t0 < 10_000) await new Promise((res) => setTimeout(res, 50));
  // (Chromium's own list; a multithreaded tfjs-wasm in the page has its pthread workers there too, as blob: URLs.)
  assert.deepEqual(page.workers().map((w) => w.url()).filter((u) => !u.startsWith('blob:')), [], "Chromium's own list of the page's workers");
  console.log(`      chromium wasm DDP${label}, ${what}: losses ${r.losses.map((l) => l.toFixed(6)).join(', ')} (in-process ${r.expectedLosses.map((l) => l.toFixed(6)).join(', ')}); max param diff ${r.maxDiff}; largest parameter move ${r.moved.toExponential(2)}; in-process ${(r.inProcessMs / 1000).toFixed(1)} s, DDP ${(r.ddpMs / 1000).toFixed(1)} s (under load); worker .wasm fetched: ${[...new Set(wasmFetches.map((u) => u.slice(u.lastIndexOf('/') + 1)))].join(', ')}`);
}

describe('data-parallel training in headless Chromium (2 replicas: the page + a module Web Worker, wasm)', function () {
  this.timeout(120_000);
  let h: BrowserHarness | undefined;
  let page: Page | undefined;
  let workerUrl = '';

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`  [skip] browser DDP training test: ${missing}`);
      this.skip();
    }
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    // One build: the page's bundle and the replica's worker entry (train-worker.js), sharing chunks.
    const dir = buildBrowserEntry('test/browser/train_ddp_entry.ts', 'browser-train-ddp', ['--train-worker']);
    h = await startBrowserHarness(dir, 'browser-train-ddp.js');
    page = await h.openPage();
    workerUrl = `${h.server.url}/bundle/train-worker.js`;
    assert.equal(await page.evaluate((w) => (window as unknown as Api).sentenceTfjsTrainDdp.init(w), `${h.server.url}/wasm/`), 'wasm');
    const env = await call(page, (a) => a.environment());
    assert.equal(env.exchange, 'transfer', `the gradient exchange in a page that is not cross-origin isolated: ${JSON.stringify(env)}`);
  });
  after(async () => {
    await page?.close().catch(() => undefined);
    await h?.close();
  });

  const api = <R>(fn: (a: BrowserTrainDdpApi, arg: unknown) => R | Promise<R>, arg?: unknown): Promise<R> => call(page!, fn, arg);

  for (const [what, run] of RUNS) it(`${what} with dataParallel.workers = 2 equal the same steps in-process in the page bit for bit; numTensors flat; the worker is terminated`, () => bitForBit(page!, what, run));

  for (const [kind, message] of [
    ['throw', /^RangeError: dataParallel: worker rank 1 failed: injected fault in rank 1 at step 2/],
    ['exit', /^Error: dataParallel: worker rank 1 ended \(exit code 3\) during training/],
  ] as const) {
    it(`a worker that ${kind === 'throw' ? 'throws' : 'closes itself'} mid-run rejects the run with a named error (no hang), numTensors flat, no worker left`, async () => {
      const r = await api((a, arg) => a.failing('bundle/train-worker.js', arg as 'throw' | 'exit'), kind);
      assert.ok(r.error, 'the run rejects');
      assert.match(`${r.error.name}: ${r.error.message}`, message);
      assert.ok(r.numTensorsFlat, 'numTensors flat after the failure');
      assert.equal(r.liveWorkers, 0);
    });
  }

  it('a worker entry that does not load rejects the run with its URL, leaving no worker', async () => {
    const bad = `${h!.server.url}/bundle/no-such-train-worker.js`;
    const r = await api((a, arg) => a.failing(arg as string, 'bad-url'), bad);
    assert.ok(r.error, 'the run rejects');
    assert.match(r.error.message, /dataParallel: worker rank 1 ended while loading the model/);
    assert.ok(r.error.message.includes(bad), r.error.message);
    assert.equal(r.liveWorkers, 0);
  });

  it('fit() refuses dataParallel where there is no Worker constructor (naming dataParallel.workers) and without a workerUrl (naming dataParallel.workerUrl)', async () => {
    const r = await api((a) => a.refused());
    assert.ok(r.noWorker && r.noUrl, JSON.stringify(r));
    assert.match(r.noWorker.message, /dataParallel\.workers = 2 needs workers .*no Worker constructor/);
    assert.match(r.noUrl.message, /dataParallel\.workerUrl/);
    assert.match(r.noUrl.message, /--train-worker/);
    assert.equal(await api((a) => a.liveWorkerCount()), 0);
  });
});

describe('data-parallel training in a cross-origin-isolated page (COOP + COEP: SharedArrayBuffer present)', function () {
  this.timeout(120_000);
  let h: BrowserHarness | undefined;
  let page: Page | undefined;

  before(async function () {
    if (chromiumMissing() || !requireFixtures(this, ['models', 'tiny-bert'])) return this.skip();
    const dir = buildBrowserEntry('test/browser/train_ddp_entry.ts', 'browser-train-ddp-coi', ['--train-worker']);
    h = await startBrowserHarness(dir, 'browser-train-ddp-coi.js', { crossOriginIsolated: true });
    page = await h.openPage();
    assert.equal(await page.evaluate((w) => (window as unknown as Api).sentenceTfjsTrainDdp.init(w), `${h.server.url}/wasm/`), 'wasm');
    const env = await call(page, (a) => a.environment());
    assert.equal(env.crossOriginIsolated, true, JSON.stringify(env));
    assert.equal(env.sharedArrayBuffer, true, JSON.stringify(env));
    assert.equal(env.exchange, 'shared', `the gradient exchange in a cross-origin-isolated page: ${JSON.stringify(env)}`);
    console.log(`      page: ${JSON.stringify(env)}`);
  });
  after(async () => {
    await page?.close().catch(() => undefined);
    await h?.close();
  });

  for (const [what, run] of RUNS) it(`${what}: the same bit-for-bit equality with the in-page steps`, () => bitForBit(page!, what, run, ' (cross-origin isolated)'));
});

describe('dataParallel.workerUrl under Node (replica_spec.ts)', () => {
  const spec = { workerUrl: 'file:///lib/api/train_worker.js', modelDir: '/models/m', options: { device: 'wasm' } };
  it("keeps the model's own worker entry by default, takes an absolute file: URL, and names dataParallel.workerUrl for a relative one", () => {
    assert.deepEqual(replicaSpecFor(spec, { workers: 2 }), spec);
    assert.deepEqual(replicaSpecFor(spec, { workers: 2, workerUrl: new URL('file:///app/train-worker.js') }), { ...spec, workerUrl: 'file:///app/train-worker.js' });
    assert.throws(() => replicaSpecFor(spec, { workers: 2, workerUrl: 'train-worker.js' }), /^Error: dataParallel\.workerUrl must be a URL \(absolute under Node: a file: URL\), got "train-worker\.js"$/);
  });
});

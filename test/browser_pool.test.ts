/**
 * The encode pool's browser half (src/api/pool.ts over module Web Workers, src/platform/workers.ts) in headless
 * Chromium: the page loads tiny-bert from the local server on the wasm backend, and the pool's workers run the
 * browser bundle of src/api/pool_worker.ts (scripts/build-browser.mjs --pool-worker, served beside the page's
 * bundle). Expectations come from the same model's single-threaded `encode` in the page, and from the errors
 * `encode` itself throws.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { BrowserPoolTestApi } from './browser/pool_entry.js';
import { chromiumMissing } from './helpers/chromium.js';
import { buildBrowserEntry, startBrowserHarness, type BrowserHarness } from './helpers/browser_harness.js';
import { requireFixtures } from './helpers/fixtures.js';
import { poolTexts } from './helpers/corpus.js';

type Api = { sentenceTfjsPoolTest: BrowserPoolTestApi };


function assertClose(got: number[][], want: number[][]): void {
  assert.equal(got.length, want.length, 'number of embeddings');
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i]!.length, want[i]!.length, `text ${i}: embedding length`);
    let d = 0;
    for (let j = 0; j < want[i]!.length; j++) d = Math.max(d, Math.abs(got[i]![j]! - want[i]![j]!));
    assert.ok(d <= 1e-6, `text ${i}: max abs diff ${d} > 1e-6`);
  }
}

describe('encode pool in headless Chromium (module Web Workers, tiny-bert on wasm)', function () {
  this.timeout(240_000);
  let h: BrowserHarness | undefined;
  let page: Page | undefined;
  let modelUrl = '';
  let wasmUrl = '';
  let workerUrl = '';

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`  [skip] browser pool tests: ${missing}`);
      this.skip();
    }
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    // One build: the page's bundle and the worker entry (pool-worker.js), sharing tfjs and the library as chunks.
    const dir = buildBrowserEntry('test/browser/pool_entry.ts', 'browser-pool', ['--pool-worker']);
    h = await startBrowserHarness(dir, 'browser-pool.js');
    page = await h.openPage();
    modelUrl = `${h.server.url}/fixtures/models/tiny-bert`;
    wasmUrl = `${h.server.url}/wasm/`;
    workerUrl = `${h.server.url}/bundle/pool-worker.js`;
    const device = await page.evaluate(([m, w]) => (window as unknown as Api).sentenceTfjsPoolTest.load(m, w), [modelUrl, wasmUrl] as const);
    assert.equal(device, 'wasm');
  });
  after(async () => {
    await page?.close().catch(() => undefined);
    await h?.close();
  });

  const api = <R>(fn: (a: BrowserPoolTestApi, arg: unknown) => R | Promise<R>, arg?: unknown): Promise<R> =>
    page!.evaluate(([src, a]) => new Function('api', 'arg', `return (${src})(api, arg);`)((window as unknown as Api).sentenceTfjsPoolTest, a), [fn.toString(), arg] as const) as Promise<R>;

  it('starts 2 Web Workers running the bundled pool worker', async () => {
    // Relative URLs, as a page would write them: resolved against the page (at '/'), not the worker's script.
    const size = await api((a, arg) => { const [w, u] = arg as [string, string]; return a.startPool(2, w, u); }, ['bundle/pool-worker.js', 'wasm/']);
    assert.equal(size, 2);
    assert.equal(await api((a) => a.liveWorkerCount()), 2);
    const urls = page!.workers().map((w) => w.url());
    assert.deepEqual(urls, [workerUrl, workerUrl], `the page's dedicated workers: ${JSON.stringify(urls)}`);
    // Each worker fetched the tfjs .wasm binary from wasmPaths: no silent fallback to the cpu backend. (The model
    // files it reads from the Cache API, where the page's own load put them.)
    for (const w of page!.workers()) {
      const fetched: string[] = await w.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
      assert.ok(fetched.some((u) => u.startsWith(wasmUrl) && /tfjs-backend-wasm[\w-]*\.wasm$/.test(u)), `worker fetched no tfjs .wasm from ${wasmUrl}: ${fetched.join(', ')}`);
    }
  });

  it('encodeMultiProcess equals single-threaded encode within 1e-6, in input order', async () => {
    const t = poolTexts();
    const want = await api((a, arg) => a.encode(arg as string[], { batchSize: 8, normalizeEmbeddings: true }), t);
    const got = await api((a, arg) => a.encodeMultiProcess(arg as string[], { batchSize: 8, chunkSize: 5, normalizeEmbeddings: true }), t);
    assertClose(got, want);
    // Chunks that finish out of order (one text per chunk, longest first) still land in input order.
    const order = t.map((_, i) => i).sort((a, b) => t[b]!.length - t[a]!.length);
    const gotOrdered = await api((a, arg) => a.encodeMultiProcess(arg as string[], { chunkSize: 1, normalizeEmbeddings: true }), order.map((i) => t[i]!));
    assertClose(gotOrdered, order.map((i) => want[i]!));
  });

  it("rejects with the worker's own error class and message (a non-string text), and stays usable", async () => {
    const { local, pool } = await api((a) => a.errors(['fine', 42]));
    assert.ok(local, 'single-threaded encode should reject a number');
    assert.ok(pool, 'encodeMultiProcess should reject a number');
    assert.equal(pool.name, local.name);
    assert.equal(pool.message, local.message);
    assert.match(pool.message, /42|string/, pool.message);
    const t = poolTexts().slice(0, 4);
    const want = await api((a, arg) => a.encode(arg as string[], { normalizeEmbeddings: true }), t);
    assertClose(await api((a, arg) => a.encodeMultiProcess(arg as string[], { normalizeEmbeddings: true }), t), want);
  });

  it('replaces a worker that closes itself (crash hook) and keeps encoding', async () => {
    assert.equal(await api((a) => a.crashAndWait(0)), 1);
    assert.equal(await api((a) => a.liveWorkerCount()), 2);
    const t = poolTexts();
    const want = await api((a, arg) => a.encode(arg as string[], { normalizeEmbeddings: true }), t);
    assertClose(await api((a, arg) => a.encodeMultiProcess(arg as string[], { chunkSize: 4, normalizeEmbeddings: true }), t), want);
  });

  it('stopMultiProcessPool leaves no worker behind', async () => {
    await api((a) => a.stopPool());
    assert.equal(await api((a) => a.liveWorkerCount()), 0);
    // What Chromium itself reports: the page's dedicated workers are gone (their close events may lag a little).
    const t0 = Date.now();
    while (page!.workers().length && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(page!.workers().map((w) => w.url()), []);
    await assert.rejects(api((a) => a.encodeMultiProcess(['x'], {})), /no running pool; call startMultiProcessPool\(\) first/);
  });

  it('a worker entry that does not load rejects start() with its URL, leaving no worker', async () => {
    const bad = `${h!.server.url}/bundle/no-such-worker.js`;
    const e = await api((a, arg) => a.startBadPool(arg as string), bad);
    assert.ok(e, 'start() should reject');
    assert.match(e.message, /pool worker \d ended while loading the model/);
    assert.ok(e.message.includes(bad), e.message);
    assert.equal(await api((a) => a.liveWorkerCount()), 0);
  });
});

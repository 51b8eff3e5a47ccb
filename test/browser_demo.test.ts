/**
 * The web demo (examples/web, `npm run demo:web`) in headless Chromium: it loads tiny-bert from a URL, and typing a
 * query ranks the corpus exactly as the same library does in Node with the model's prompts (encodeQuery /
 * encodeDocument, as `sentence-tfjs search`); a cross-encoder reranks the top hits as CrossEncoder.rank does in
 * Node, with no 404 (console error) for optional files; RoBERTa's attention map shows decoded tokens, not `Ġ`.
 * Saves test-output/web-demo.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StaticServer } from '../scripts/static_server.js';
import { startWebDemo } from '../scripts/serve-web-demo.js';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { CORPUS } from '../examples/web/corpus.js';
import { chromiumMissing, launchChromium, type Chromium } from './helpers/chromium.js';
import { fixture, PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';

interface DemoState {
  ready: boolean;
  error?: string;
  device?: string;
  query: string;
  results: { index: number; score: number }[];
  prompts?: { query: string | null; document: string | null };
  reranked?: { index: number; score: number }[];
  tokens?: string[];
}

/** Open the demo with URL parameters and wait until it is ready (or failed). */
async function openDemo(browser: Chromium, url: string) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => { const s = (window as unknown as { demoState?: DemoState }).demoState; return s?.ready || s?.error; }, null, { timeout: 120_000 });
  const state = await page.evaluate(() => (window as unknown as { demoState: DemoState }).demoState);
  assert.equal(state.error, undefined, `demo failed: ${state.error}\n${browser.logs.join('\n')}`);
  return { page, state };
}

/** Type a query and wait for its results. */
async function search(page: Awaited<ReturnType<typeof openDemo>>['page'], query: string): Promise<DemoState> {
  await page.locator('#query').pressSequentially(query, { delay: 20 });
  await page.waitForFunction((q) => (window as unknown as { demoState: DemoState }).demoState.query === q, query, { timeout: 60_000 });
  return page.evaluate(() => (window as unknown as { demoState: DemoState }).demoState);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

describe('web demo in headless Chromium', function () {
  this.timeout(240_000);
  let server: StaticServer | undefined;
  let browser: Chromium | undefined;
  const modelRequests: string[] = [];
  /** Every /models/ request with its status ("404 /models/x/modules.json"). */
  const allModelRequests: string[] = [];

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.warn(`  [skip] web demo test: ${missing}`);
      this.skip();
    }
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    server = await startWebDemo({
      port: 0,
      modelsDir: fixture('models'),
      onRequest: (p, status) => {
        if (!p.startsWith('/models/')) return;
        allModelRequests.push(`${status} ${p}`);
        if (status === 200) modelRequests.push(p);
      },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("search as you type ranks the corpus like the Node library's encodeQuery / encodeDocument (the model's prompts), with both heatmaps drawn", async () => {
    const query = 'a man eating food';
    const page = await browser!.newPage();
    await page.goto(`${server!.url}/?model=models/tiny-bert&device=wasm`);
    await page.waitForFunction(() => { const s = (window as unknown as { demoState?: DemoState }).demoState; return s?.ready || s?.error; }, null, { timeout: 120_000 });
    const ready = await page.evaluate(() => (window as unknown as { demoState: DemoState }).demoState);
    assert.equal(ready.error, undefined, `demo failed: ${ready.error}\n${browser!.logs.join('\n')}`);
    assert.equal(ready.device, 'wasm');

    await page.locator('#query').pressSequentially(query, { delay: 20 });
    await page.waitForFunction((q) => (window as unknown as { demoState: DemoState }).demoState.query === q, query, { timeout: 60_000 });
    const shown = await page.$$eval('#results li', (lis) => lis.map((li) => ({ index: Number((li as HTMLElement).dataset.index), score: Number((li as HTMLElement).dataset.score) })));

    // The same model, query and corpus in Node (wasm), with the prompts as CLI search applies them.
    await initBackend('wasm');
    const model = await SentenceTransformer.load(fixture('models', 'tiny-bert'));
    const q = await model.encodeQuery(query);
    const docs = await model.encodeDocument(CORPUS);
    const plainQ = await model.encode(query);
    const plainDocs = await model.encode(CORPUS);
    model.dispose();
    const expected = docs.map((d, index) => ({ index, score: cosine(q, d) })).sort((a, b) => b.score - a.score);
    // tiny-bert has the prompts "query: " / "passage: ", and they change the scores: the comparison below can tell.
    assert.deepEqual(ready.prompts, { query: 'query: ', document: 'passage: ' });
    const plainScore = (i: number) => cosine(plainQ, plainDocs[i]);
    assert.ok(expected.some((e) => Math.abs(e.score - plainScore(e.index)) > 1e-3), 'prompts do not change the scores of this model');

    assert.equal(shown.length, CORPUS.length);
    for (let i = 0; i < expected.length; i++) {
      const gapBefore = i > 0 ? expected[i - 1].score - expected[i].score : Infinity;
      const gapAfter = i + 1 < expected.length ? expected[i].score - expected[i + 1].score : Infinity;
      // Ranks are compared where the scores are separated by more than the float32 noise of two runtimes.
      if (Math.min(gapBefore, gapAfter) > 1e-5) assert.equal(shown[i].index, expected[i].index, `rank ${i + 1}`);
      const same = shown.find((s) => s.index === expected[i].index)!;
      assert.ok(Math.abs(same.score - expected[i].score) <= 1e-5, `score of corpus ${expected[i].index}: browser ${same.score}, Node ${expected[i].score}`);
    }

    const sizes = await page.$$eval('canvas', (cs) => cs.map((c) => ({ id: c.id, w: (c as HTMLCanvasElement).width, h: (c as HTMLCanvasElement).height })));
    for (const id of ['similarity', 'attention']) {
      const c = sizes.find((s) => s.id === id);
      assert.ok(c && c.w > 100 && c.h > 100, `${id} heatmap not drawn: ${JSON.stringify(c)}`);
    }
    mkdirSync(join(PROJECT_ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: join(PROJECT_ROOT, 'test-output', 'web-demo.png'), fullPage: true });
    await page.close();
  });

  it('a cross-encoder reranks the top hits as CrossEncoder.rank does in Node, and loading it logs no 404', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'])) return;
    const query = 'a man eating food';
    browser!.logs.length = 0;
    allModelRequests.length = 0;
    const { page } = await openDemo(browser!, `${server!.url}/?model=models/tiny-bert&reranker=models/tiny-bert-cross-encoder&device=wasm`);
    const ceRequests = allModelRequests.filter((r) => r.includes('/tiny-bert-cross-encoder/'));
    assert.ok(ceRequests.some((r) => r.startsWith('200 ') && r.endsWith('/model.safetensors')), ceRequests.join('\n'));
    assert.deepEqual(allModelRequests.filter((r) => !r.startsWith('200 ')), [], 'requests that did not find their file');
    const state = await search(page, query);
    assert.deepEqual(browser!.logs.filter((l) => /404|Failed to load resource/.test(l)), [], browser!.logs.join('\n'));

    await initBackend('wasm');
    const ce = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'));
    const top = state.results.slice(0, 5);
    const ranked = await ce.rank(query, top.map((r) => CORPUS[r.index]));
    ce.dispose();
    assert.equal(state.reranked?.length, 5);
    ranked.forEach((r, i) => {
      assert.equal(state.reranked![i].index, top[r.corpusId].index, `reranked ${i + 1}`);
      assert.ok(Math.abs(state.reranked![i].score - r.score) <= 1e-5, `reranked score ${i + 1}: browser ${state.reranked![i].score}, Node ${r.score}`);
    });
    assert.equal(await page.locator('#reranked li').count(), 5);
    await page.close();
  });

  it("RoBERTa's attention map labels tokens with their decoded text, not byte-level 'Ġ'", async function () {
    if (!requireFixtures(this, ['models', 'tiny-roberta'])) return;
    const { page, state } = await openDemo(browser!, `${server!.url}/?model=models/tiny-roberta&device=wasm`);
    await page.close();
    // The map shows the first corpus text; its raw tokens in Node carry the Ġ word-start marks.
    const model = await SentenceTransformer.load(fixture('models', 'tiny-roberta'));
    const tk = model.tokenizer as { encode(t: string): { tokens: string[] } };
    const raw = tk.encode(CORPUS[0]).tokens;
    model.dispose();
    assert.ok(raw.some((t) => t.startsWith('Ġ')), `expected byte-level tokens, got ${raw.join(' ')}`);
    assert.ok(state.tokens && state.tokens.length === raw.length, `labels ${state.tokens?.join(' ')} vs tokens ${raw.join(' ')}`);
    assert.ok(state.tokens.every((t) => !t.includes('Ġ')), state.tokens.join(' '));
    assert.deepEqual(state.tokens, raw.map((t) => t.replace(/^Ġ/, '▁')));
  });

  it('a reload reads the model from the Cache API, downloading nothing', async () => {
    const page = await browser!.newPage();
    const wait = () => page.waitForFunction(() => { const s = (window as unknown as { demoState?: DemoState }).demoState; return s?.ready || s?.error; }, null, { timeout: 120_000 });
    await page.goto(`${server!.url}/?model=models/tiny-bert&device=wasm`);
    await wait();
    modelRequests.length = 0;
    await page.reload();
    await wait();
    assert.equal(await page.evaluate(() => (window as unknown as { demoState: DemoState }).demoState.error), undefined);
    assert.deepEqual(modelRequests, [], 'model files fetched again after a reload');
    await page.close();
  });
});

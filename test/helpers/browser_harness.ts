/**
 * Shared setup of the browser tests: bundle a test entry with scripts/build-browser.mjs, serve it with the tfjs
 * .wasm binaries and the fixture folders from a local static server, and open pages in headless Chromium.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type Chromium } from './chromium.js';
import { fixturesDir, PROJECT_ROOT } from './fixtures.js';
import { startStaticServer, type StaticServer } from '../../scripts/static_server.js';

/** Build `entry` (relative to the project root) into test-output/<name>/<name>.js; throws with esbuild's output. */
export function buildBrowserEntry(entry: string, name: string, extra: string[] = []): string {
  const outdir = join('test-output', name);
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-browser.mjs'), '--entry', entry, '--outdir', outdir, '--name', name, '--quiet', ...extra], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`browser build of ${entry} failed:\n${r.stdout}\n${r.stderr}`);
  return join(PROJECT_ROOT, outdir);
}

/** The folder holding tfjs-backend-wasm's .wasm binaries. */
export function wasmDistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** A page that imports the bundle and sets `window.__loaded` (or `window.__loadError`). */
export function modulePage(bundleUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>sentence-tfjs test</title></head><body>
<script type="module">
import(${JSON.stringify(bundleUrl)}).then(() => { window.__loaded = true; }, (e) => { window.__loadError = String(e && e.stack || e); });
</script></body></html>`;
}

export interface BrowserHarness {
  server: StaticServer;
  chromium: Chromium;
  /** Open the test page and wait until the bundle is loaded. */
  openPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Serve test-output/<name>/ at /bundle/, wasm binaries at /wasm/, fixtures at /fixtures/, and launch Chromium.
 * `crossOriginIsolated`: every response carries COOP same-origin + COEP require-corp, so the page (and its workers)
 * is cross-origin isolated: SharedArrayBuffer exists and tfjs-wasm may run multithreaded.
 */
export async function startBrowserHarness(bundleDir: string, bundleFile: string, opts: { crossOriginIsolated?: boolean } = {}): Promise<BrowserHarness> {
  const server = await startStaticServer({
    ...(opts.crossOriginIsolated ? { headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } } : {}),
    mounts: { '/bundle/': bundleDir, '/wasm/': wasmDistDir(), '/fixtures/': fixturesDir() },
    routes: { '/': ['text/html; charset=utf-8', modulePage(`/bundle/${bundleFile}`)] },
  });
  let chromium: Chromium;
  try {
    chromium = await launchChromium();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    server,
    chromium,
    async openPage() {
      const page = await chromium.newPage();
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => (window as { __loaded?: boolean; __loadError?: string }).__loaded || (window as { __loadError?: string }).__loadError, null, { timeout: 60_000 });
      const err = await page.evaluate(() => (window as { __loadError?: string }).__loadError);
      if (err) throw new Error(`bundle failed to load in Chromium: ${err}\n${chromium.logs.join('\n')}`);
      return page;
    },
    async close() {
      await chromium.close().catch(() => undefined);
      await server.close();
    },
  };
}

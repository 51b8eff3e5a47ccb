/**
 * The package as a user gets it: `npm pack` (which runs `prepare`, i.e. the build), installed from the tarball into
 * a new app outside the project, then the quickstart in Node, the `sentence-tfjs` bin, and a browser app that
 * imports 'sentence-tfjs' bundled by stock esbuild and stock Vite (no plugin, no config) and run in headless
 * Chromium, where its embeddings must equal the Node ones.
 *
 * One pack and one install per run (~1 min). The install uses `--prefer-offline`: the packages come from the npm
 * cache when they are there, from the registry otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromiumMissing, launchChromium } from './helpers/chromium.js';
import { wasmDistDir } from './helpers/browser_harness.js';
import { fixture, fixturesDir, PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';
import { startStaticServer } from '../scripts/static_server.js';

const require = createRequire(import.meta.url);
const SENTENCES = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The quickstart of the README, as a user's app writes it (prints the embeddings and the similarity matrix). */
const QUICKSTART = `import { SentenceTransformer } from 'sentence-tfjs';
const model = await SentenceTransformer.load(process.argv[2]);
const sentences = ${JSON.stringify(SENTENCES)};
const embeddings = await model.encode(sentences);
const similarities = await model.similarity(embeddings, embeddings);
console.log(JSON.stringify({ embeddings: embeddings.map((e) => Array.from(e)), similarities }));
`;

/** A browser app: encodes on wasm with the model served over HTTP; also reports the webgl error without its package. */
const BROWSER_APP = `import { SentenceTransformer, initBackend } from 'sentence-tfjs';
window.encodeQuickstart = async (modelUrl, wasmPaths) => {
  await initBackend('wasm', { wasmPaths, fallbackToCpu: false });
  const model = await SentenceTransformer.load(modelUrl);
  const embeddings = await model.encode(${JSON.stringify(SENTENCES)});
  return embeddings.map((e) => Array.from(e));
};
window.webglError = async () => {
  try {
    await initBackend('webgl', { fallbackToCpu: false });
    return 'no error';
  } catch (e) {
    return String(e && e.message);
  }
};
window.__loaded = true;
`;

describe('package: npm pack, install into a new app, run in Node and in bundled browser apps', function () {
  this.timeout(300_000);
  let work: string;
  let app: string;
  let tarball: string;
  let packedFiles: string[];
  let nodeEmbeddings: number[][];

  before(function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    work = mkdtempSync(join(tmpdir(), 'sentence-tfjs-pack-'));
    app = join(work, 'app');
    mkdirSync(app);
    // `npm pack` runs `prepare` (= npm run build), so the tarball holds a fresh dist/ even without a prior build.
    const packed = JSON.parse(ok(run('npm', ['pack', '--json', '--pack-destination', work], PROJECT_ROOT, 180_000), 'npm pack').replace(/^[^[]*/, '')) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, packed[0]!.filename);
    packedFiles = packed[0]!.files.map((f) => f.path);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2));
    ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, 180_000), 'npm install <tarball>');
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs dist/ with the library, the bin and the browser variants, and nothing from tests or source maps', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/platform/node_builtins.browser.js', 'dist/backends/gpu_peers.browser.js', 'package.json', 'README.md']) {
      assert.ok(packedFiles.includes(f), `${f} missing from the tarball`);
    }
    const stray = packedFiles.filter((f) => f.endsWith('.map') || f.startsWith('dist/web-demo/') || f.startsWith('dist/browser/') || /^(src|test|test-output|bench|scripts)\//.test(f));
    assert.deepEqual(stray, []);
  });

  it('runs the quickstart in Node from the installed tarball (3 embeddings, cosine similarity matrix)', () => {
    writeFileSync(join(app, 'quickstart.mjs'), QUICKSTART);
    const out = JSON.parse(ok(run(process.execPath, ['quickstart.mjs', fixture('models', 'tiny-bert')], app), 'node quickstart.mjs').trim().split('\n').at(-1)!) as {
      embeddings: number[][];
      similarities: number[][];
    };
    nodeEmbeddings = out.embeddings;
    assert.equal(out.embeddings.length, 3);
    const dim = out.embeddings[0]!.length;
    assert.ok(dim > 0 && out.embeddings.every((e) => e.length === dim));
    // Similarities are cosines of the embeddings just printed: check one independently.
    const [a, b] = [out.embeddings[0]!, out.embeddings[1]!];
    const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
    const cos = dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    const sim = out.similarities as unknown as Record<string, number>[] | number[][];
    assert.ok(Math.abs(Number((sim[0] as Record<string, number>)[1]) - cos) < 1e-5, `similarity[0][1] ${JSON.stringify(sim[0])} vs cosine ${cos}`);
  });

  it('`npx sentence-tfjs --help` runs the installed bin', () => {
    const out = ok(run('npx', ['--no-install', 'sentence-tfjs', '--help'], app), 'npx sentence-tfjs --help');
    assert.match(out, /^Usage: sentence-tfjs <command>/m);
  });

  it('`npx sentence-tfjs --help` works in the clone once it is built (npm pack built it)', () => {
    const out = ok(run('npx', ['--no-install', 'sentence-tfjs', '--help'], PROJECT_ROOT), 'npx sentence-tfjs --help in the clone');
    assert.match(out, /^Usage: sentence-tfjs <command>/m);
  });

  describe('browser apps bundled from the installed package (no plugin, no config)', function () {
    let bundles: Record<string, string>;

    before(function () {
      if (!app || !nodeEmbeddings) this.skip();
      writeFileSync(join(app, 'main.js'), BROWSER_APP);
      writeFileSync(join(app, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"></head><body><script type="module" src="./main.js"></script></body></html>\n');
      bundles = {};
    });

    it('esbuild --bundle --platform=browser builds it with no error', () => {
      const esbuild = join(dirname(require.resolve('esbuild/package.json')), 'bin', 'esbuild');
      const r = run(esbuild, ['main.js', '--bundle', '--platform=browser', '--format=esm', '--splitting', '--outdir=out-esbuild', '--log-level=error'], app);
      ok(r, 'esbuild');
      assert.equal(r.stderr.trim(), '');
      writeFileSync(join(app, 'out-esbuild', 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n');
      bundles['esbuild'] = join(app, 'out-esbuild');
    });

    it('vite build builds it with no error', () => {
      const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
      const r = run(process.execPath, [vite, 'build', '--base', './', '--outDir', 'out-vite', '--logLevel', 'error'], app);
      ok(r, 'vite build');
      assert.doesNotMatch(r.stderr, /error/i);
      bundles['vite'] = join(app, 'out-vite');
    });

    it('each bundle encodes the quickstart in headless Chromium as Node does (1e-5), and explains a missing webgl backend', async function () {
      const why = chromiumMissing();
      if (why) {
        console.warn(`  [skip] ${why}`);
        this.skip();
      }
      assert.deepEqual(Object.keys(bundles).sort(), ['esbuild', 'vite'], 'both bundles were built');
      const server = await startStaticServer({
        mounts: { '/esbuild/': bundles['esbuild']!, '/vite/': bundles['vite']!, '/wasm/': wasmDistDir(), '/fixtures/': fixturesDir() },
      });
      const chromium = await launchChromium();
      try {
        for (const name of ['esbuild', 'vite']) {
          const page = await chromium.newPage();
          await page.goto(`${server.url}/${name}/index.html`);
          await page.waitForFunction(() => (window as { __loaded?: boolean }).__loaded === true, null, { timeout: 30_000 }).catch((e: Error) => {
            throw new Error(`${name}: the bundle did not load: ${e.message}`);
          });
          const got = (await page.evaluate(
            ([m, w]) => (window as unknown as { encodeQuickstart(m: string, w: string): Promise<number[][]> }).encodeQuickstart(m!, w!),
            [`${server.url}/fixtures/models/tiny-bert`, `${server.url}/wasm/`],
          )) as number[][];
          assert.equal(got.length, nodeEmbeddings.length, `${name}: number of embeddings`);
          let maxDiff = 0;
          got.forEach((row, i) => row.forEach((x, k) => (maxDiff = Math.max(maxDiff, Math.abs(x - nodeEmbeddings[i]![k]!)))));
          assert.ok(maxDiff <= 1e-5, `${name}: max |browser - node| = ${maxDiff}`);
          const msg = await page.evaluate(() => (window as unknown as { webglError(): Promise<string> }).webglError());
          assert.match(msg, /device 'webgl' needs the optional package '@tensorflow\/tfjs-backend-webgl'.*npm install @tensorflow\/tfjs-backend-webgl.*import '@tensorflow\/tfjs-backend-webgl'/, `${name}: ${msg}`);
          await page.close();
        }
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${chromium.logs.join('\n')}`);
      } finally {
        await chromium.close();
        await server.close();
      }
    });
  });

  it('the tarball has no source-map comment pointing at unshipped sources', () => {
    const js = readFileSync(join(app, 'node_modules', 'sentence-tfjs', 'dist', 'index.js'), 'utf8');
    assert.doesNotMatch(js, /sourceMappingURL/);
  });
});

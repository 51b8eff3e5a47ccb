/**
 * Model folders by URL (platform/url.ts behind platform/fs.ts): what browsers use, and Node too (fetch, no Cache
 * API). Served here by a local static server.
 */
import assert from 'node:assert/strict';
import { startStaticServer, type StaticServer } from '../scripts/static_server.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { joinPath, pathExists, readFileBytes, readJSONFile } from '../src/platform/fs.js';
import { configureUrlFiles, isUrl, joinUrl, looksLikeFolder, type UrlCache } from '../src/platform/url.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { SafetensorsFile } from '../src/formats/safetensors.js';

describe('model files by URL', function () {
  this.timeout(120_000);
  let server: StaticServer;
  const requests: string[] = [];

  before(async () => {
    server = await startStaticServer({ mounts: { '/fixtures/': fixture() }, onRequest: (p) => requests.push(p) });
  });
  after(async () => {
    configureUrlFiles({});
    await server.close();
  });
  beforeEach(() => {
    requests.length = 0;
    configureUrlFiles({});
  });

  it('joins URL parts with single slashes and keeps the scheme', async () => {
    assert.equal(joinUrl('http://h:1/a/', '/b/', 'c.json'), 'http://h:1/a/b/c.json');
    assert.equal(await joinPath('https://h/models/x', '1_Pooling', 'config.json'), 'https://h/models/x/1_Pooling/config.json');
    assert.ok(isUrl('HTTPS://h/x') && !isUrl('/tmp/x') && !isUrl('C:\\x'));
    assert.ok(looksLikeFolder('http://h/models/tiny-bert') && looksLikeFolder('http://h/m/1_Pooling/') && !looksLikeFolder('http://h/m/config.json'));
  });

  it('an existence check and the read that follows cost one request; a missing file is false, then a clear error', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    const url = `${server.url}/fixtures/models/tiny-bert/config.json`;
    assert.equal(await pathExists(url), true);
    const cfg = await readJSONFile<{ model_type: string }>(url);
    assert.equal(cfg.model_type, 'bert');
    assert.deepEqual(requests, ['/fixtures/models/tiny-bert/config.json']);
    const missing = `${server.url}/fixtures/models/tiny-bert/nope.json`;
    assert.equal(await pathExists(missing), false);
    await assert.rejects(readFileBytes(missing), new RegExp(`GET ${missing.replace(/[.]/g, '\\.')}: not found \\(HTTP 404\\)`));
  });

  it('files come from the cache when one is configured (no second download)', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    const store = new Map<string, Response>();
    const cache: UrlCache = {
      match: async (u) => store.get(u)?.clone(),
      put: async (u, r) => void store.set(u, r),
    };
    configureUrlFiles({ cache });
    const url = `${server.url}/fixtures/models/tiny-bert/vocab.txt`;
    const a = await readFileBytes(url);
    configureUrlFiles({ cache }); // forget everything but the cache
    const b = await readFileBytes(url);
    assert.deepEqual(b, a);
    assert.deepEqual(requests, ['/fixtures/models/tiny-bert/vocab.txt']);
  });

  it('SentenceTransformer loads a model folder by URL (the default resolver passes URLs through) and encodes like PyTorch', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'tiny-bert'])) return;
    await initBackend('wasm');
    {
      const model = await SentenceTransformer.load(`${server.url}/fixtures/models/tiny-bert`);
      const ref = SafetensorsFile.parse(await readFileBytes(fixture('reference', 'tiny-bert', 'reference.safetensors')));
      const texts = (await readJSONFile<{ texts: string[] }>(fixture('reference', 'tiny-bert', 'reference.json'))).texts;
      const emb = (await model.encode(texts)) as Float32Array[];
      model.dispose();
      const want = ref.float32('encode.embeddings');
      let max = 0;
      emb.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - want[i * row.length + j])))));
      assert.ok(max <= 1e-5, `max |diff| ${max}`);
      assert.ok(requests.includes('/fixtures/models/tiny-bert/model.safetensors'));
    }
  });
});

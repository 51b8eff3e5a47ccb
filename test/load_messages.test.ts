/**
 * What `SentenceTransformer.load` / `CrossEncoder.load` tell a user who gave them the wrong thing: a directory
 * without modules.json (Python's warning, once, through the silenceable logger), a path that does not exist, a
 * bi-encoder given to CrossEncoder, and a hub id that is not cached while offline. Also the logger itself.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { LocalEntryNotFoundError, repoFolderName } from '../src/hub/index.js';
import { getLogLevel, logger, setLogger, setLogLevel, type LogLevel } from '../src/util/logger.js';
import * as pkg from '../src/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { HubServer } from './helpers/hub_server.js';
import { removeTinyCheckpoint, writeTinySentenceTransformer } from './helpers/tiny_checkpoint.js';

const DEVICE = 'cpu' as const;

/** Collect the logger's messages while `fn` runs (the threshold as set by the caller). */
async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: { level: LogLevel; message: string }[] }> {
  const logs: { level: LogLevel; message: string }[] = [];
  setLogger((level, message) => logs.push({ level, message }));
  try {
    return { result: await fn(), logs };
  } finally {
    setLogger(null);
  }
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe('the library logger', () => {
  afterEach(() => {
    setLogLevel('warn');
    setLogger(null);
  });

  it('shows warnings by default on console.warn with the sentence-tfjs prefix, and setLogLevel("error") silences them', () => {
    const seen: unknown[] = [];
    const orig = console.warn;
    console.warn = (...a: unknown[]) => void seen.push(a.join(' '));
    try {
      assert.equal(getLogLevel(), 'warn');
      logger.warn('first');
      logger.info('not shown at warn');
      setLogLevel('error');
      logger.warn('silenced');
      setLogLevel('silent');
      logger.error('silenced too');
    } finally {
      console.warn = orig;
    }
    assert.deepEqual(seen, ['sentence-tfjs: first']);
  });

  it('setLogger routes messages at or above the level to a function; bad arguments name what was expected', () => {
    const got: string[] = [];
    setLogger((level, message) => got.push(`${level}:${message}`));
    setLogLevel('debug');
    logger.debug('d');
    logger.error('e');
    setLogLevel('error');
    logger.info('dropped');
    assert.deepEqual(got, ['debug:d', 'error:e']);
    assert.throws(() => setLogLevel('loud' as never), /setLogLevel: level must be one of 'silent', 'error', 'warn', 'info', 'debug', got "loud"/);
    assert.throws(() => setLogger('x' as never), /setLogger: expected a function \(level, message\) => void or null, got string/);
  });

  it('is exported from the package entry', () => {
    assert.equal(pkg.setLogLevel, setLogLevel);
    assert.equal(pkg.setLogger, setLogger);
  });
});

describe('SentenceTransformer.load of a directory without modules.json', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    // A saved model with Pooling and Normalize whose modules.json was lost: the folders are there, unread.
    dir = writeTinySentenceTransformer({ normalize: true });
    mkdirSync(join(dir, '2_Normalize'));
    rmSync(join(dir, 'modules.json'));
  });
  after(() => {
    setLogLevel('warn');
    removeTinyCheckpoint(dir);
  });

  it("warns once with Python's text, naming the module folders it ignores (and the embeddings are not normalized)", async () => {
    const { result: model, logs } = await captureLogs(() => SentenceTransformer.load(dir, { device: DEVICE }));
    try {
      assert.equal(logs.length, 1, JSON.stringify(logs));
      assert.equal(logs[0].level, 'warn');
      assert.ok(logs[0].message.startsWith(`No SentenceTransformer model found with name ${dir}. Creating a new one with mean pooling. `), logs[0].message);
      assert.match(logs[0].message, /has no modules\.json, so its module folders 1_Pooling, 2_Normalize are not loaded/);
      assert.deepEqual(model.modules.map((m) => m.typeName.split('.').pop()), ['Transformer', 'Pooling']);
      const { logs: encodeLogs } = await captureLogs(async () => {
        const e = await model.encode('a sentence');
        assert.ok(Math.abs(norm(e) - 1) > 0.1, `norm ${norm(e)}: Normalize was applied`);
      });
      assert.deepEqual(encodeLogs, [], 'the warning is given at load, not per encode');
    } finally {
      model.dispose();
    }
  });

  it("setLogLevel('error') silences it", async () => {
    setLogLevel('error');
    const { result: model, logs } = await captureLogs(() => SentenceTransformer.load(dir, { device: DEVICE }));
    model.dispose();
    assert.deepEqual(logs, []);
  });

  it('a directory with modules.json loads without a warning', async () => {
    const full = writeTinySentenceTransformer({ normalize: true });
    try {
      const { result: model, logs } = await captureLogs(() => SentenceTransformer.load(full, { device: DEVICE }));
      const e = await model.encode('a sentence');
      model.dispose();
      assert.deepEqual(logs, []);
      assert.ok(Math.abs(norm(e) - 1) < 1e-5);
    } finally {
      removeTinyCheckpoint(full);
    }
  });
});

describe('loading a model path that does not exist', () => {
  for (const [name, load] of [
    ['SentenceTransformer', (p: string) => SentenceTransformer.load(p, { device: DEVICE })],
    ['CrossEncoder', (p: string) => CrossEncoder.load(p, { device: DEVICE })],
  ] as const) {
    it(`${name}.load says there is no such directory for ./x, ../x, /x, ~/x, a\\b and a/b/c`, async () => {
      for (const p of ['./nope-model', '../nope-model', '/nope/model', '~/nope-model-xyz', 'a\\b', 'a/b/c']) {
        await assert.rejects(load(p), (e: Error) => {
          assert.ok(!(e instanceof TypeError), `${p}: ${e.name}: ${e.message}`);
          assert.match(e.message, /^modelNameOrPath: no such model directory /, `${p}: ${e.message}`);
          assert.ok(e.message.includes(`${JSON.stringify(p)} is a path, not a hub id`), e.message);
          return true;
        });
      }
      const abs = resolve('nope-model');
      await assert.rejects(load('./nope-model'), (e: Error) => e.message.includes(`no such model directory ${abs} `));
    });
  }

  it('dir/name where dir exists here is a missing directory too, not a hub id', async () => {
    const parent = mkdtempSync(join(process.cwd(), 'tmp-parent-'));
    try {
      const rel = `${parent.split('/').pop()}/nope`;
      await assert.rejects(SentenceTransformer.load(rel, { device: DEVICE }), (e: Error) => {
        assert.equal(e.message, `modelNameOrPath: no such model directory ${join(parent, 'nope')} (${parent} exists, so "${rel}" is read as a path; to load the hub repository of that name, run from another folder)`);
        return true;
      });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('CrossEncoder.load of a bi-encoder', function () {
  this.timeout(120_000);
  before(function () {
    requireFixtures(this, ['models', 'tiny-bert']);
  });

  it('says the directory holds no classification head, is a bi-encoder, and to use SentenceTransformer.load', async () => {
    const dir = fixture('models', 'tiny-bert');
    await assert.rejects(CrossEncoder.load(dir, { device: DEVICE }), (e: Error) => {
      assert.equal(
        e.message,
        `modelIdOrDir (model_name) ${JSON.stringify(dir)}: ${dir} holds no classification head (its modules.json has a Pooling module); ` +
          'it appears to be a sentence-transformers bi-encoder (an embedding model), not a cross-encoder. ' +
          `Load it with SentenceTransformer.load(${JSON.stringify(dir)}) to embed texts, or pass a cross-encoder (a *ForSequenceClassification checkpoint).`,
      );
      return true;
    });
  });

  it('without modules.json, the missing classifier weights and the BertModel architecture say the same', async () => {
    const dir = writeTinySentenceTransformer();
    rmSync(join(dir, 'modules.json'));
    try {
      await assert.rejects(CrossEncoder.load(dir, { device: DEVICE }), (e: Error) => {
        assert.match(e.message, /holds no classification head \(no classifier weights, and config\.json architectures is \["BertModel"\]\); it appears to be a sentence-transformers bi-encoder/);
        assert.match(e.message, /SentenceTransformer\.load/);
        assert.match(String((e.cause as Error)?.message), /classifier/);
        return true;
      });
    } finally {
      removeTinyCheckpoint(dir);
    }
  });

  it('a real cross-encoder still loads', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'])) return;
    const ce = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'), { device: DEVICE });
    ce.dispose();
  });
});

describe('loading a hub id offline with an empty cache', function () {
  this.timeout(60_000);
  let server: HubServer | undefined;
  let cache: string;
  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    server = await HubServer.start({ 'test-org/tiny-bert': { dir: fixture('models', 'tiny-bert') } });
  });
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'stfjs-empty-cache-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));
  after(async () => server?.stop());

  it('names the model, HF_HUB_OFFLINE, the cache folder and the fixes, once each, and asks the hub nothing', async () => {
    const repo = 'test-org/tiny-bert';
    server!.seen.length = 0;
    const hub = { cacheFolder: cache, endpoint: server!.endpoint, env: { HF_HUB_OFFLINE: '1' } };
    for (const load of [() => SentenceTransformer.load(repo, { device: DEVICE, hub }), () => CrossEncoder.load(repo, { device: DEVICE, hub })]) {
      await assert.rejects(load(), (e: Error) => {
        // by name: the loader imports hub/ lazily, and mocha's CommonJS loading of this file gives it its own copy
        assert.equal(e.name, LocalEntryNotFoundError.name, e.message);
        assert.equal(
          e.message,
          `model "${repo}" (revision "main") is not in the cache and HF_HUB_OFFLINE is set (offline mode). Looked in ${join(cache, repoFolderName(repo))} (no refs/main). ` +
            `Download it first where the network is available (\`sentence-tfjs download ${repo}\`, or load it once online; ` +
            'point cacheFolder / HF_HUB_CACHE at that cache), or pass a local model directory instead of the hub id.',
        );
        return true;
      });
    }
    assert.deepEqual(server!.seen, [], 'offline mode asked the hub');
  });

  it('once downloaded online, the same load works offline', async () => {
    const repo = 'test-org/tiny-bert';
    const online = await SentenceTransformer.load(repo, { device: DEVICE, hub: { cacheFolder: cache, endpoint: server!.endpoint, env: {} } });
    online.dispose();
    const offline = await SentenceTransformer.load(repo, { device: DEVICE, hub: { cacheFolder: cache, endpoint: server!.endpoint, env: { HF_HUB_OFFLINE: '1' } } });
    offline.dispose();
  });
});

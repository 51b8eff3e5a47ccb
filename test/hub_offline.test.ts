/**
 * Offline use of a cache laid out exactly as Python's huggingface_hub writes it (built here by hand in a temp dir:
 * blobs named by etag, relative symlinks in snapshots/<commit>/, refs/main, .no_exist markers), with no server
 * running; and the fall-back to the cache when the hub cannot be reached.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  createDirectoryModelSource,
  LocalEntryNotFoundError,
  repoFolderName,
  resolveModelPath,
  snapshotForSentenceTransformer,
} from '../src/hub/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { HubServer } from './helpers/hub_server.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** Build `models--org--name` as huggingface_hub v0.23.4 leaves it after `SentenceTransformer(repo)` in Python. */
function writePythonCache(cacheDir: string, repoId: string, srcDir: string, files: string[], opts: { symlinks?: boolean; noExist?: string[] } = {}) {
  const storage = join(cacheDir, repoFolderName(repoId));
  for (const f of files) {
    const bytes = readFileSync(join(srcDir, f));
    const etag = f.endsWith('.safetensors')
      ? createHash('sha256').update(bytes).digest('hex')
      : createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
    const blob = join(storage, 'blobs', etag);
    mkdirSync(dirname(blob), { recursive: true });
    writeFileSync(blob, bytes);
    const pointer = join(storage, 'snapshots', COMMIT, ...f.split('/'));
    mkdirSync(dirname(pointer), { recursive: true });
    if (opts.symlinks === false) copyFileSync(blob, pointer);
    else symlinkSync(relative(dirname(pointer), blob), pointer);
  }
  for (const f of opts.noExist ?? []) {
    const p = join(storage, '.no_exist', COMMIT, f);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '');
  }
  mkdirSync(join(storage, 'refs'), { recursive: true });
  writeFileSync(join(storage, 'refs', 'main'), COMMIT); // no trailing newline, as Python writes it
}

/** A port with nothing listening (a stopped hub). */
async function deadEndpoint(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const MINILM_FILES = [
  'modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json', 'config.json', 'tokenizer.json',
  'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'model.safetensors', '1_Pooling/config.json',
];

describe('hub offline cache (Python layout, no server)', function () {
  let cache: string;
  beforeEach(function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    cache = mkdtempSync(join(tmpdir(), 'stfjs-pycache-'));
  });
  afterEach(() => cache && rmSync(cache, { recursive: true, force: true }));

  const repo = 'sentence-transformers/all-MiniLM-L6-v2';
  const src = () => fixture('models', 'tiny-bert');

  it('HF_HUB_OFFLINE=1 loads a Python-written cache with no server: every file identical', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES);
    const snap = await snapshotForSentenceTransformer(repo, { cacheFolder: cache, endpoint: await deadEndpoint(), env: { HF_HUB_OFFLINE: '1' } });
    assert.equal(snap.commit, COMMIT);
    assert.equal(snap.dir, join(cache, 'models--sentence-transformers--all-MiniLM-L6-v2', 'snapshots', COMMIT));
    assert.deepEqual([...snap.files].sort(), [...MINILM_FILES].sort());
    for (const f of MINILM_FILES) assert.ok(readFileSync(join(snap.dir, f)).equals(readFileSync(join(src(), f))), f);
  });

  it('a bare name resolves to sentence-transformers/<name> in the cache found through HF_HOME', async () => {
    const hfHome = mkdtempSync(join(tmpdir(), 'stfjs-hfhome-'));
    try {
      writePythonCache(join(hfHome, 'hub'), repo, src(), MINILM_FILES);
      const dir = await resolveModelPath('all-MiniLM-L6-v2', { env: { HF_HOME: hfHome, HF_HUB_OFFLINE: 'true' } });
      assert.equal(dir, join(hfHome, 'hub', 'models--sentence-transformers--all-MiniLM-L6-v2', 'snapshots', COMMIT));
    } finally {
      rmSync(hfHome, { recursive: true, force: true });
    }
  });

  it('localFilesOnly reads a copy-style cache (no symlinks, as on Windows without developer mode)', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES, { symlinks: false });
    const snap = await snapshotForSentenceTransformer(repo, { cacheFolder: cache, localFilesOnly: true, env: {} });
    assert.ok(readFileSync(join(snap.dir, 'model.safetensors')).equals(readFileSync(join(src(), 'model.safetensors'))));
  });

  it('a commit-hash revision is used directly, without refs/', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES);
    rmSync(join(cache, repoFolderName(repo), 'refs'), { recursive: true });
    const snap = await snapshotForSentenceTransformer(repo, { cacheFolder: cache, revision: COMMIT, env: { HF_HUB_OFFLINE: '1' } });
    assert.equal(snap.commit, COMMIT);
  });

  it('offline with a file missing: the error lists the missing files, the folder looked in and what is there', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES.filter((f) => f !== 'model.safetensors' && f !== 'config.json'));
    await assert.rejects(snapshotForSentenceTransformer(repo, { cacheFolder: cache, env: { HF_HUB_OFFLINE: '1' } }), (e: Error) => {
      assert.ok(e instanceof LocalEntryNotFoundError, e.name);
      // only the required files, each once (optional ones such as vocab.json are not "missing")
      assert.match(e.message, /missing config\.json, model\.safetensors \(or model\.safetensors\.index\.json \+ shards\); /);
      assert.equal(e.message.split('model.safetensors (or').length, 2, e.message);
      assert.ok(e.message.includes(`Looked in ${join(cache, repoFolderName(repo), 'snapshots', COMMIT)}:`), e.message);
      assert.match(e.message, /present: modules\.json, .*tokenizer\.json/);
      assert.match(e.message, /only partly in the cache and HF_HUB_OFFLINE is set/);
      return true;
    });
  });

  it('offline with nothing cached: one line names the model, offline mode, the cache folder and the two fixes', async () => {
    for (const [opts, why] of [
      [{ env: { HF_HUB_OFFLINE: 'YES' } }, 'HF_HUB_OFFLINE is set'],
      [{ env: {}, localFilesOnly: true }, 'localFilesOnly is set'],
    ] as const) {
      await assert.rejects(snapshotForSentenceTransformer(repo, { cacheFolder: cache, ...opts }), (e: Error) => {
        assert.ok(e instanceof LocalEntryNotFoundError);
        assert.equal(
          e.message,
          `model "${repo}" (revision "main") is not in the cache and ${why} (offline mode). Looked in ${join(cache, repoFolderName(repo))} (no refs/main). ` +
            `Download it first where the network is available (\`sentence-tfjs download ${repo}\`, or load it once online; ` +
            'point cacheFolder / HF_HUB_CACHE at that cache), or pass a local model directory instead of the hub id.',
        );
        return true;
      });
    }
  });

  it('.no_exist markers written by Python are honoured for optional files', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES, { noExist: ['added_tokens.json', 'vocab.json'] });
    const snap = await snapshotForSentenceTransformer(repo, { cacheFolder: cache, env: { HF_HUB_OFFLINE: '1' } });
    assert.ok(!snap.files.includes('added_tokens.json'), snap.files.join(','));
    assert.ok(snap.files.includes('vocab.txt'));
  });

  it('with the hub unreachable (not offline), the cached revision is used', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES);
    const snap = await snapshotForSentenceTransformer(repo, { cacheFolder: cache, endpoint: await deadEndpoint(), env: {}, maxRetries: 0 });
    assert.equal(snap.commit, COMMIT);
    assert.deepEqual([...snap.files].sort(), [...MINILM_FILES].sort());
  });

  it('with the hub unreachable and nothing cached, the error says so and keeps the connection error as cause', async () => {
    const endpoint = await deadEndpoint();
    await assert.rejects(snapshotForSentenceTransformer(repo, { cacheFolder: cache, endpoint, env: {}, maxRetries: 0 }), (e: Error) => {
      assert.ok(e instanceof LocalEntryNotFoundError, e.name);
      assert.ok(e.message.startsWith(`model "${repo}" (revision "main") is not in the cache and the hub ${endpoint} could not be reached (`), e.message);
      assert.ok(e.message.includes(`Looked in ${join(cache, repoFolderName(repo))} (no refs/main)`), e.message);
      assert.ok(e.message.includes(`sentence-tfjs download ${repo}`), e.message);
      assert.match(String((e.cause as Error).message), /could not reach/);
      return true;
    });
  });

  it('a model downloaded online loads offline after the server is stopped', async () => {
    const server = await HubServer.start({ 'test-org/tiny-bert': { dir: src() } });
    let online: string;
    try {
      online = (await snapshotForSentenceTransformer('test-org/tiny-bert', { cacheFolder: cache, endpoint: server.endpoint, env: {} })).dir;
    } finally {
      await server.stop();
    }
    const offline = await snapshotForSentenceTransformer('test-org/tiny-bert', { cacheFolder: cache, endpoint: server.endpoint, env: { HF_HUB_OFFLINE: '1' } });
    assert.equal(offline.dir, online);
    assert.ok(readFileSync(join(offline.dir, 'model.safetensors')).equals(readFileSync(join(src(), 'model.safetensors'))));
  });

  it('a local model directory is returned as is, without touching the cache', async () => {
    assert.equal(await resolveModelPath(src(), { cacheFolder: cache, env: { HF_HUB_OFFLINE: '1' } }), src());
  });

  it('a directory source reads a cached snapshot through its symlinks, optional files as undefined', async () => {
    writePythonCache(cache, repo, src(), MINILM_FILES);
    const snap = await snapshotForSentenceTransformer(repo, { cacheFolder: cache, env: { HF_HUB_OFFLINE: '1' } });
    const files = createDirectoryModelSource(snap.dir);
    assert.deepEqual(await files.get('1_Pooling/config.json'), new Uint8Array(readFileSync(join(src(), '1_Pooling', 'config.json'))));
    assert.equal(await files.get('merges.txt', true), undefined);
    await assert.rejects(files.get('merges.txt'), (e: Error) => e instanceof LocalEntryNotFoundError && e.message.includes(snap.dir));
  });
});

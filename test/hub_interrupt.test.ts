/**
 * Downloads under faults, byte by byte: a download interrupted after every possible number of bytes leaves no file
 * under snapshots/ and no blob, and the next call resumes the `.incomplete` and gets the exact bytes (sha256 checked
 * against the ETag); a corrupt `.incomplete` is discarded; a disk-full error while writing is a HubError that names
 * the file, keeps nothing visible, and a later call completes. Real local HTTP server on 127.0.0.1, real files.
 * (Two processes downloading one file at once: test/hub_faults.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeSafetensors } from '../src/formats/safetensors.js';
import { HubError, HubIntegrityError, hfHubDownload, repoFolderName } from '../src/hub/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { HubServer } from './helpers/hub_server.js';

const REPO = 'test-org/small-lfs';
const FILE = 'model.safetensors'; // LFS by extension: redirected to the CDN, ETag = sha256
const KEY = `${REPO}/${FILE}`;

describe('hub downloads interrupted at every byte', function () {
  this.timeout(300_000);
  let server: HubServer;
  let repoDir: string;
  let bytes: Buffer;
  let cache: string;

  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-embeddinggemma', '2_Dense'])) return;
    repoDir = mkdtempSync(join(tmpdir(), 'stfjs-smallrepo-'));
    // A small LFS file (a real safetensors file of ~100 bytes) keeps "every byte" short.
    writeFileSync(join(repoDir, FILE), serializeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, 1e-3, 7) } }, { format: 'pt' }));
    copyFileSync(fixture('models', 'tiny-embeddinggemma', '2_Dense', 'config.json'), join(repoDir, 'config.json'));
    bytes = readFileSync(join(repoDir, FILE));
    server = await HubServer.start({ [REPO]: { dir: repoDir } });
  });
  after(async () => {
    await server?.stop();
    if (repoDir) rmSync(repoDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'stfjs-hubint-'));
    if (server) server.faults = {};
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  const opts = (extra: object = {}) => ({ endpoint: server.endpoint, cacheFolder: cache, env: {}, retryBaseDelayMs: 1, ...extra });
  const storage = () => join(cache, repoFolderName(REPO));
  const snapshotFile = () => join(storage(), 'snapshots', server.commitOf(REPO), FILE);
  const blobs = () => (existsSync(join(storage(), 'blobs')) ? readdirSync(join(storage(), 'blobs')) : []);
  const sha = () => createHash('sha256').update(bytes).digest('hex');

  it('after k bytes for every k: nothing under snapshots/, no blob; the next call resumes to the exact file', async () => {
    assert.ok(bytes.length > 64 && bytes.length < 500, String(bytes.length));
    for (let k = 0; k < bytes.length; k++) {
      rmSync(cache, { recursive: true, force: true });
      mkdirSync(cache);
      server.faults.dropAfter = { [KEY]: { bytes: k, times: 1 } };
      await assert.rejects(hfHubDownload(REPO, FILE, opts({ maxResumes: 0 })), (e: Error) => e instanceof HubError || assert.fail(`k=${k}: ${e.name}: ${e.message}`));
      assert.ok(!existsSync(snapshotFile()), `k=${k}: a partial file is visible under snapshots/`);
      const left = blobs();
      assert.ok(left.every((b) => b.endsWith('.incomplete') || b.endsWith('.lock')), `k=${k}: ${left}`);
      const partial = left.find((b) => b.endsWith('.incomplete'));
      if (partial) assert.ok(readFileSync(join(storage(), 'blobs', partial)).equals(bytes.subarray(0, readFileSync(join(storage(), 'blobs', partial)).length)), `k=${k}: .incomplete holds other bytes`);
      server.seen.length = 0;
      const p = await hfHubDownload(REPO, FILE, opts());
      assert.ok(readFileSync(p).equals(bytes), `k=${k}: resumed file differs`);
      assert.deepEqual(blobs().filter((b) => !b.endsWith('.lock')), [sha()], `k=${k}`);
      const get = server.seen.find((r) => r.server === 'cdn' && r.method === 'GET');
      if (partial && readFileSync(join(storage(), 'blobs', sha())).length > 0 && get?.range) assert.match(get.range, /^bytes=\d+-$/);
    }
  });

  it('with resumes allowed, one call survives a break after every k bytes (every 3rd k) and stores the exact file', async () => {
    for (let k = 0; k < bytes.length; k += 3) {
      rmSync(cache, { recursive: true, force: true });
      mkdirSync(cache);
      server.faults.dropAfter = { [KEY]: { bytes: k, times: 2 } };
      const p = await hfHubDownload(REPO, FILE, opts({ maxResumes: 3 }));
      assert.ok(readFileSync(p).equals(bytes), `k=${k}`);
    }
  });

  it('a corrupt .incomplete left by an earlier run is discarded (sha256 against the ETag), and the retry is exact', async () => {
    const blobDir = join(storage(), 'blobs');
    mkdirSync(blobDir, { recursive: true });
    const junk = Buffer.from(bytes.subarray(0, 100));
    junk[50] ^= 0xff;
    writeFileSync(join(blobDir, `${sha()}.incomplete`), junk);
    await assert.rejects(hfHubDownload(REPO, FILE, opts()), (e: Error) => e instanceof HubIntegrityError && /sha256/.test(e.message));
    assert.ok(!existsSync(snapshotFile()));
    assert.deepEqual(blobs().filter((b) => !b.endsWith('.lock')), []);
    const p = await hfHubDownload(REPO, FILE, opts());
    assert.ok(readFileSync(p).equals(bytes));
  });

  it('an .incomplete longer than the file is discarded and the download starts over', async () => {
    const blobDir = join(storage(), 'blobs');
    mkdirSync(blobDir, { recursive: true });
    writeFileSync(join(blobDir, `${sha()}.incomplete`), Buffer.concat([bytes, Buffer.from('extra')]));
    const p = await hfHubDownload(REPO, FILE, opts());
    assert.ok(readFileSync(p).equals(bytes));
    assert.deepEqual(blobs().filter((b) => !b.endsWith('.lock')), [sha()]);
  });

  it('disk full (ENOSPC) while writing: a HubError naming the file, nothing under snapshots/, and a later call completes', async () => {
    const realOpen = fsp.open;
    let budget = 40; // bytes the "disk" still takes
    const patched = (async (path: Parameters<typeof fsp.open>[0], flags?: Parameters<typeof fsp.open>[1], mode?: Parameters<typeof fsp.open>[2]) => {
      const fh = await realOpen(path, flags, mode);
      if (!String(path).endsWith('.incomplete')) return fh;
      const write = fh.write.bind(fh) as (b: Uint8Array) => Promise<unknown>;
      (fh as unknown as { write: (b: Uint8Array) => Promise<unknown> }).write = async (b: Uint8Array) => {
        if (b.byteLength > budget) {
          await write(b.subarray(0, budget));
          budget = 0;
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
        }
        budget -= b.byteLength;
        return write(b);
      };
      return fh;
    }) as typeof fsp.open;
    fsp.open = patched;
    syncBuiltinESMExports();
    try {
      await assert.rejects(hfHubDownload(REPO, FILE, opts()), (e: Error) => {
        assert.ok(e instanceof HubError, `${e.name}: ${e.message}`);
        assert.match(e.message, /model\.safetensors.*disk is full|no space left/i);
        return true;
      });
      assert.ok(!existsSync(snapshotFile()), 'a partial file is visible under snapshots/');
      assert.ok(blobs().every((b) => b.endsWith('.incomplete') || b.endsWith('.lock')), String(blobs()));
    } finally {
      fsp.open = realOpen;
      syncBuiltinESMExports();
    }
    const p = await hfHubDownload(REPO, FILE, opts());
    assert.ok(readFileSync(p).equals(bytes));
  });
});

/**
 * The encode pool (src/api/pool.ts): worker_threads running the TypeScript worker entry through tsx, each with
 * its own tiny-bert on the wasm backend. Expectations come from the same model's single-threaded `encode` in this
 * thread, and from the errors `encode` itself throws.
 */
import { strict as assert } from 'node:assert';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { EncodePool, MIN_CHUNK_CHARS, planChunks } from '../src/api/pool.js';
import { liveWorkerCount } from '../src/platform/workers.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { poolTexts } from './helpers/corpus.js';
import { loadReference, loadSt6Reference, referenceParts, st6Parts } from './helpers/st_reference.js';

const MODEL = ['models', 'tiny-bert'];


function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'embedding lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function assertClose(got: ArrayLike<number>[], want: ArrayLike<number>[]): void {
  assert.equal(got.length, want.length, 'number of embeddings');
  for (let i = 0; i < want.length; i++) {
    const d = maxAbsDiff(got[i]!, want[i]!);
    assert.ok(d <= 1e-6, `text ${i}: max abs diff ${d} > 1e-6`);
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 60000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('encode pool (worker_threads, tiny-bert)', function () {
  let model: SentenceTransformer;
  let pool: EncodePool;
  let expected: Float32Array[];
  let expectedRaw: Float32Array[];
  const workersBefore = liveWorkerCount();

  before(async function () {
    if (!requireFixtures(this, MODEL)) return;
    model = await SentenceTransformer.load(fixture(...MODEL), { device: 'wasm' });
    expected = await model.encode(poolTexts(), { batchSize: 8, normalizeEmbeddings: true });
    expectedRaw = await model.encode(poolTexts(), { batchSize: 8 });
    pool = await EncodePool.start({ modelDir: fixture(...MODEL) }, { workers: 2 });
  });

  after(async function () {
    await pool?.stop();
    model?.dispose();
  });

  it('returns the same embeddings as single-threaded encode, in input order', async function () {
    const got = await pool.encode(poolTexts(), { batchSize: 8, chunkSize: 5, normalizeEmbeddings: true });
    assertClose(got, expected);
  });

  it('passes encode options through to the workers (unnormalized output differs from normalized)', async function () {
    const got = await pool.encode(poolTexts(), { batchSize: 8, chunkSize: 7 });
    assertClose(got, expectedRaw);
  });

  it('keeps input order when chunks finish out of order (one text per chunk, longest first)', async function () {
    const t = poolTexts();
    const order = t.map((_, i) => i).sort((a, b) => t[b]!.length - t[a]!.length);
    const got = await pool.encode(order.map((i) => t[i]!), { chunkSize: 1, normalizeEmbeddings: true });
    assertClose(got, order.map((i) => expected[i]!));
  });

  it('uses the default chunk size and batch size when none are given', async function () {
    const got = await pool.encode(poolTexts(), { normalizeEmbeddings: true });
    assertClose(got, expected);
  });

  it('serves concurrent calls, each getting its own texts back', async function () {
    const t = poolTexts();
    const [a, b] = await Promise.all([
      pool.encode(t.slice(0, 20), { chunkSize: 3, normalizeEmbeddings: true }),
      pool.encode(t.slice(20), { chunkSize: 4, normalizeEmbeddings: true }),
    ]);
    assertClose([...a, ...b], expected);
  });

  it("rejects with the worker's own error class and message for a non-string text", async function () {
    let want: Error | undefined;
    try {
      await model.encode(['fine', 42 as unknown as string]);
    } catch (e) {
      want = e as Error;
    }
    assert.ok(want, 'single-threaded encode should reject a number');
    await assert.rejects(pool.encode(['fine', 42], { chunkSize: 10 }), (e: Error) => {
      assert.equal(e.name, want!.name);
      assert.equal(e.message, want!.message);
      return true;
    });
    // the pool is still usable afterwards
    assertClose(await pool.encode(poolTexts().slice(0, 4), { normalizeEmbeddings: true }), expected.slice(0, 4));
  });

  it('splits a call of one batch over both workers (2 x 16) and matches one batch and batch size 1 within 1e-6, in order', async function () {
    // 32 texts of 1-23 words: the two chunks pad to different lengths than the single batch of 32 does.
    const t = poolTexts().slice(3, 35);
    const wantBatch = await model.encode(t, { batchSize: 32, normalizeEmbeddings: true });
    const wantSingle = await model.encode(t, { batchSize: 1, normalizeEmbeddings: true });
    const before = [...pool.chunkStats.byWorker]; // spread-ok: two workers
    const got = await pool.encode(t, { batchSize: 32, normalizeEmbeddings: true });
    assert.deepEqual(
      pool.chunkStats.byWorker.map((c, i) => c - before[i]!),
      [1, 1],
      'one chunk on each worker',
    );
    assertClose(got, wantBatch);
    assertClose(got, wantSingle);
  });

  it('sends one short query to one worker as one chunk', async function () {
    const chunks = pool.chunkStats.chunks;
    const got = await pool.encode(['where is the bank?'], { normalizeEmbeddings: true });
    assert.equal(pool.chunkStats.chunks - chunks, 1);
    assertClose(got, await model.encode(['where is the bank?'], { normalizeEmbeddings: true }));
  });

  it('runs a one-chunk call ahead of the waiting chunks of a larger call (a query is not stuck behind a corpus)', async function () {
    let bulkDone = 0;
    const bulk = pool.encode(poolTexts(), { chunkSize: 1, normalizeEmbeddings: true, onProgress: (d) => (bulkDone = d) });
    const query = await pool.encode(['where is the bank?'], { normalizeEmbeddings: true });
    // FIFO would finish all 41 bulk chunks first. Ahead of them, the query waits for the chunk running on its worker;
    // meanwhile the other worker keeps taking bulk chunks (one text each), so a few more may finish before the
    // query's result is read (CI's Node 22 pass saw more than 2). Half the corpus is a bound FIFO cannot meet.
    assert.ok(bulkDone <= 20, `the query finished after ${bulkDone} of 41 bulk chunks`);
    assertClose(query, await model.encode(['where is the bank?'], { normalizeEmbeddings: true }));
    assertClose(await bulk, expected);
  });

  it('calls onProgress after every chunk up to the total', async function () {
    const seen: [number, number][] = [];
    await pool.encode(poolTexts(), { chunkSize: 10, onProgress: (d, t) => seen.push([d, t]) });
    assert.equal(seen.length, 5);
    assert.deepEqual(seen[seen.length - 1], [41, 41]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] > seen[i - 1]![0], 'progress increases');
  });

  it('returns [] for no texts and validates its arguments', async function () {
    assert.deepEqual(await pool.encode([]), []);
    await assert.rejects(pool.encode(poolTexts(), { chunkSize: 0 }), /chunkSize must be a positive integer, got 0/);
    await assert.rejects(pool.encode(poolTexts(), { precision: 'int8' } as never), /unsupported option\(s\) precision/);
    await assert.rejects(pool.encode('one text' as never), /texts must be an array, got string/);
  });

  it('replaces a crashed worker and keeps encoding', async function () {
    const restarts = pool.restarts;
    pool.crashWorkerForTesting(0, 7);
    await waitFor(() => pool.restarts === restarts + 1, 'the replacement worker');
    const got = await pool.encode(poolTexts(), { chunkSize: 4, normalizeEmbeddings: true });
    assertClose(got, expected);
    assert.equal(liveWorkerCount() - workersBefore, 2, 'exactly two live workers after the replacement');
  });

  it('retries the chunk of a worker that dies mid-call on its replacement', async function () {
    const restarts = pool.restarts;
    const call = pool.encode(poolTexts(), { chunkSize: 2, normalizeEmbeddings: true });
    pool.crashWorkerForTesting(1, 3);
    assertClose(await call, expected);
    assert.equal(pool.restarts, restarts + 1);
  });

  it('stop terminates every worker, then rejects new calls', async function () {
    const p = await EncodePool.start({ modelDir: fixture(...MODEL) }, { workers: 2 });
    const before = liveWorkerCount();
    await p.stop();
    assert.equal(liveWorkerCount(), before - 2, 'both workers ended');
    await assert.rejects(p.encode(['x']), /the pool has been stopped/);
    await p.stop(); // twice is fine
  });

  it('stop rejects the calls still in flight', async function () {
    const p = await EncodePool.start({ modelDir: fixture(...MODEL) }, { workers: 1 });
    const rejected = assert.rejects(p.encode(poolTexts(), { chunkSize: 1 }), /the pool was stopped before the call finished/);
    await p.stop();
    await rejected;
  });

  it("start rejects with the worker's load error and leaves no worker behind", async function () {
    const before = liveWorkerCount();
    await assert.rejects(EncodePool.start({ modelDir: fixture('models', 'no-such-model-dir') }, { workers: 2 }), (e: Error) => {
      assert.match(e.message, /no-such-model-dir/);
      return true;
    });
    await waitFor(() => liveWorkerCount() === before, 'the failed workers to end');
  });

  it('validates the start options', async function () {
    await assert.rejects(EncodePool.start({ modelDir: fixture(...MODEL) }, { workers: 0 }), /workers must be a positive integer, got 0/);
    await assert.rejects(EncodePool.start({} as never), /spec\.modelDir must be a string, got undefined/);
  });
});

describe('planChunks: how a pool call is cut into chunks', function () {
  const texts = (n: number, chars = 100): string[] => new Array<string>(n).fill('x'.repeat(chars));
  const sizes = (c: [number, number][]): number[] => c.map(([s, e]) => e - s);

  it('gives each of 2 workers half of a call that holds one batch (32 texts at batch 32: 16 + 16)', function () {
    assert.deepEqual(planChunks(texts(32), 2, 32), [
      [0, 16],
      [16, 32],
    ]);
  });

  it('deals 3 batches over 2 workers as 4 equal chunks (96 texts: 4 x 24, not 32 + 32 then 32 alone)', function () {
    assert.deepEqual(sizes(planChunks(texts(96), 2, 32)), [24, 24, 24, 24]);
    assert.deepEqual(sizes(planChunks(texts(97), 2, 32)), [25, 24, 24, 24]);
  });

  it("keeps sentence-transformers' ~10 chunks per worker on large calls (1000 texts, 2 workers: 20 x 50)", function () {
    // sentence-transformers: min(ceil(1000 / 2 / 10), 5000) = 50
    assert.deepEqual(sizes(planChunks(texts(1000), 2, 32)), new Array<number>(20).fill(50));
    // its 5000 cap: 200,000 texts on 2 workers -> ceil(100000 / 10) = 10000 -> 5000 per chunk
    assert.equal(planChunks(texts(200_000, 1), 2, 32).length, 40);
  });

  it('covers every text once, in order, with chunks of equal size within one', function () {
    for (const [n, w, b] of [
      [1, 2, 32],
      [5, 4, 32],
      [33, 2, 32],
      [70, 3, 16],
      [641, 2, 32],
      [1234, 7, 8],
    ] as const) {
      const c = planChunks(texts(n), w, b);
      assert.equal(c[0]![0], 0);
      assert.equal(c[c.length - 1]![1], n);
      for (let i = 1; i < c.length; i++) assert.equal(c[i]![0], c[i - 1]![1], `n=${n}: chunk ${i} starts where ${i - 1} ends`);
      const sz = sizes(c);
      assert.ok(Math.max(...sz) - Math.min(...sz) <= 1, `n=${n} w=${w}: sizes ${sz.join(',')}`); // spread-ok: at most a few hundred chunks
      if (n >= w) assert.equal(c.length % w, 0, `n=${n} w=${w}: ${c.length} chunks, not a multiple of the workers`);
    }
  });

  it(`keeps tiny calls whole: every chunk holds at least MIN_CHUNK_CHARS (${MIN_CHUNK_CHARS}) characters`, function () {
    assert.deepEqual(planChunks(['one short query'], 2, 1), [[0, 1]]);
    // two queries of 30 characters: 60 < 2 x 64, one chunk
    assert.deepEqual(planChunks(texts(2, 30), 2, 32), [[0, 2]]);
    // four of them: 120 characters -> still one chunk; five: 150 -> two chunks
    assert.deepEqual(sizes(planChunks(texts(4, 30), 2, 32)), [4]);
    assert.deepEqual(sizes(planChunks(texts(5, 30), 2, 32)), [3, 2]);
    // one passage per worker is worth a chunk each
    assert.deepEqual(sizes(planChunks(texts(2, 1200), 2, 32)), [1, 1]);
    // non-strings count as empty (the worker rejects them with encode's own error)
    assert.deepEqual(planChunks([1, 2, 3], 2, 32), [[0, 3]]);
  });

  it('uses an explicit chunkSize as given (consecutive chunks, the last one shorter)', function () {
    assert.deepEqual(planChunks(texts(10, 1), 2, 32, 4), [
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
  });
});

describe('SentenceTransformer multi-process pool methods (tiny-bert)', function () {
  let model: SentenceTransformer;

  before(async function () {
    if (!requireFixtures(this, MODEL)) return;
    model = await SentenceTransformer.load(fixture(...MODEL), { device: 'wasm' });
  });

  after(async function () {
    await model?.stopMultiProcessPool();
    model?.dispose();
  });

  it('startMultiProcessPool / encodeMultiProcess / stopMultiProcessPool match encode and end every worker', async function () {
    const before = liveWorkerCount();
    const want = await model.encode(poolTexts(), { normalizeEmbeddings: true });
    const pool = await model.startMultiProcessPool({ workers: 2 });
    assert.equal(pool.size, 2);
    await assert.rejects(model.startMultiProcessPool(), /a pool is already running/);
    assertClose(await model.encodeMultiProcess(poolTexts(), { chunkSize: 6, normalizeEmbeddings: true }), want);
    await model.stopMultiProcessPool();
    assert.equal(liveWorkerCount(), before, 'no worker left after stopMultiProcessPool');
    await assert.rejects(model.encodeMultiProcess(['x']), /no running pool; call startMultiProcessPool\(\) first/);
  });

  it("workers use the model's prompts (promptName 'query' equals single-threaded encode)", async function () {
    const want = await model.encode(poolTexts().slice(0, 10), { promptName: 'query' });
    await model.startMultiProcessPool({ workers: 2 });
    try {
      assertClose(await model.encodeMultiProcess(poolTexts().slice(0, 10), { promptName: 'query', chunkSize: 3 }), want);
    } finally {
      await model.stopMultiProcessPool();
    }
  });
});

describe('multi-process pool follows the model: unstripped (6.0.1) or compat 3.4 (tiny-roberta)', function () {
  this.timeout(600_000);
  before(function () {
    requireFixtures(this, ['models', 'tiny-roberta'], ...st6Parts('tiny-roberta'), ...referenceParts('tiny-roberta'));
  });

  for (const compat of ['6.0', '3.4'] as const) {
    it(`compat ${compat}: workers give ${compat === '6.0' ? "6.0.1's" : "3.4.1's"} embeddings of the whitespace texts`, async function () {
      const ref = compat === '6.0' ? loadSt6Reference('tiny-roberta') : loadReference('tiny-roberta');
      const texts = ref.json.texts as string[];
      const model = await SentenceTransformer.load(fixture('models', 'tiny-roberta'), { device: 'wasm', compat });
      try {
        await model.startMultiProcessPool({ workers: 1 });
        const got = await model.encodeMultiProcess(texts, { chunkSize: 8 });
        const want = ref.rows('encode.embeddings');
        for (let i = 0; i < texts.length; i++) assert.ok(maxAbsDiff(got[i], want[i]) <= 1e-5, `text ${i}: ${maxAbsDiff(got[i], want[i])}`);
      } finally {
        await model.stopMultiProcessPool();
        model.dispose();
      }
    });
  }
});

/**
 * The page side of test/browser_pool.test.ts, bundled by scripts/build-browser.mjs --pool-worker together with the
 * pool's worker entry (pool-worker.js beside this bundle). It exposes `globalThis.sentenceTfjsPoolTest`, whose jobs
 * the mocha test calls through page.evaluate; embeddings come back as plain number arrays.
 */
import { initBackend } from '../../src/backends/index.js';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { EncodePool } from '../../src/api/pool.js';
import { liveWorkerCount } from '../../src/platform/workers.js';

// Models come from this page's server by URL, which the default resolver passes through.

let model: SentenceTransformer | undefined;

const rows = (r: Float32Array[]): number[][] => r.map((x) => Array.from(x));
const errorOf = (e: unknown): { name: string; message: string } => ({ name: (e as Error).name, message: (e as Error).message });

const api = {
  /** wasm backend (binaries from `wasmPaths`) and the model from `modelUrl`, in the page's own thread. */
  async load(modelUrl: string, wasmPaths: string): Promise<string> {
    await initBackend('wasm', { wasmPaths, fallbackToCpu: false });
    model = await SentenceTransformer.load(modelUrl);
    return model.device;
  },
  /** Single-threaded encode in the page. */
  async encode(texts: string[], opts: Record<string, unknown>): Promise<number[][]> {
    return rows((await model!.encode(texts, opts)) as Float32Array[]);
  },
  async startPool(workers: number, workerUrl: string, wasmPaths: string): Promise<number> {
    return (await model!.startMultiProcessPool({ workers, workerUrl, wasmPaths })).size;
  },
  async encodeMultiProcess(texts: string[], opts: Record<string, unknown>): Promise<number[][]> {
    return rows(await model!.encodeMultiProcess(texts, opts));
  },
  /** How single-threaded encode and the pool each reject `texts` (undefined where they do not). */
  async errors(texts: unknown[]): Promise<{ local?: { name: string; message: string }; pool?: { name: string; message: string } }> {
    const out: { local?: { name: string; message: string }; pool?: { name: string; message: string } } = {};
    await model!.encode(texts as string[]).catch((e: unknown) => void (out.local = errorOf(e)));
    await model!.encodeMultiProcess(texts as string[], { chunkSize: 10 }).catch((e: unknown) => void (out.pool = errorOf(e)));
    return out;
  },
  /** Crash worker `index` of the model's pool (it closes itself) and wait for its replacement to be ready. */
  async crashAndWait(index: number): Promise<number> {
    const pool = (model as unknown as { pool: EncodePool }).pool;
    const before = pool.restarts;
    pool.crashWorkerForTesting(index, 7);
    const t0 = Date.now();
    while (pool.restarts === before) {
      if (Date.now() - t0 > 60_000) throw new Error('no replacement worker after 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return pool.restarts - before;
  },
  async stopPool(): Promise<void> {
    await model!.stopMultiProcessPool();
  },
  /** A pool whose worker entry does not exist: how start() rejects. */
  async startBadPool(workerUrl: string): Promise<{ name: string; message: string } | undefined> {
    try {
      const p = await EncodePool.start({ modelDir: model!.modelPath }, { workers: 2, workerUrl });
      await p.stop();
      return undefined;
    } catch (e) {
      return errorOf(e);
    }
  },
  liveWorkerCount,
};

(globalThis as { sentenceTfjsPoolTest?: typeof api }).sentenceTfjsPoolTest = api;
export type BrowserPoolTestApi = typeof api;

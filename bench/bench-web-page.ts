/**
 * The browser side of `npm run bench:web` (bench/bench-web.ts), bundled by scripts/build-browser.mjs and opened
 * in headless Chromium. It exposes `globalThis.benchWeb`: `load(config)` loads ONE runtime in this page (each
 * runtime gets its own fresh page), `runCell(...)` encodes batches of texts and times every batch in the page
 * (performance.now(), no Node round trip inside the timed region), and returns latencies and embeddings.
 *
 * Runtimes (each imported lazily, so a page only loads its own code):
 * - `ours`: sentence-tfjs on tfjs' wasm backend (SIMD; the threaded-SIMD binary when the page is cross-origin
 *   isolated), the model folder loaded by URL (the web demo's resolver override), no Cache API;
 * - `tjs-web`: @huggingface/transformers' browser build, `feature-extraction` pipeline, mean pooling + normalize,
 *   fp32 `onnx/model.onnx`, device 'wasm' (onnxruntime-web), local files only, no browser cache;
 * - `ort-web`: onnxruntime-web (`onnxruntime-web/wasm`) directly on the same ONNX file, tokenized by
 *   @huggingface/tokenizers (truncated to max_seq_length with [CLS]/[SEP] kept), mean pooling + L2 in JS.
 */

export type WebRuntime = 'ours' | 'tjs-web' | 'ort-web';

export interface WebLoadConfig {
  runtime: WebRuntime;
  /** Absolute URL of the model folder (no trailing slash). */
  modelUrl: string;
  /** URL of the folder holding model folders (ends with '/'), and the model's name in it (transformers.js). */
  modelsBase: string;
  modelName: string;
  /** URL prefixes (ending with '/') of tfjs' .wasm binaries and of onnxruntime-web's dist/ folder. */
  tfjsWasmPaths: string;
  ortWasmPaths: string;
  /** Threads to ask for; 0 = the runtime's own default. */
  threads: number;
  maxSeqLength: number;
}

export interface WebLoadResult {
  loadMs: number;
  backend: string;
  /** Threads the runtime actually runs on (intra-op pool size, including the main thread). */
  threads: number;
  notes: string[];
}

export interface WebCellResult {
  /** Latency of each timed call, ms. */
  lat: number[];
  /** Texts encoded by the timed calls. */
  texts: number;
  /** Indices (into the texts given) of the embeddings returned, and their float32 data, base64. */
  embIdx: number[];
  embDim: number;
  embB64: string;
}

type BatchEncoder = (texts: string[]) => Promise<Float32Array[]>;

let encoder: BatchEncoder | undefined;

function rowsOf(data: Float32Array, n: number, d: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d));
}

/** Mean pooling over the attention mask, then L2 normalization (as bench/bench-peers.ts does for onnxruntime-node). */
function meanPoolNormalize(hidden: Float32Array, mask: Uint8Array, batch: number, seqLen: number, dim: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const acc = new Float32Array(dim);
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      if (!mask[b * seqLen + t]) continue;
      count++;
      const off = (b * seqLen + t) * dim;
      for (let k = 0; k < dim; k++) acc[k]! += hidden[off + k]!;
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      acc[k] = acc[k]! / Math.max(count, 1e-9);
      norm += acc[k]! * acc[k]!;
    }
    const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < dim; k++) acc[k]! *= inv;
    rows.push(acc);
  }
  return rows;
}

/** WebAssembly feature probes (the same tiny modules the runtimes use to decide). */
function wasmFeatures(): string {
  // Relaxed SIMD: does (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd) validate?
  const relaxed = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
    253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    253, 133, 2, 11,
  ]);
  let r = false;
  try {
    r = WebAssembly.validate(relaxed);
  } catch {
    r = false;
  }
  return `crossOriginIsolated=${String(globalThis.crossOriginIsolated)}, SharedArrayBuffer=${typeof SharedArrayBuffer !== 'undefined'}, hardwareConcurrency=${navigator.hardwareConcurrency}, relaxed SIMD available=${r}`;
}

/** Which build of our wasm kernels runs ('relaxed-simd', 'simd'), or 'inactive' (looked up by name: the kernels evolve). */
function kernelsFlavor(kernels: Record<string, unknown>): string {
  const active = typeof kernels['wasmKernelsActive'] === 'function' ? Boolean((kernels['wasmKernelsActive'] as () => boolean)()) : undefined;
  if (active === false) return 'inactive';
  const flavor = typeof kernels['wasmKernelsFlavor'] === 'function' ? String((kernels['wasmKernelsFlavor'] as () => string)()) : undefined;
  return flavor ?? (active ? 'active' : 'unknown');
}

async function loadOurs(cfg: WebLoadConfig): Promise<WebLoadResult> {
  const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
  const tf = await import('@tensorflow/tfjs-core');
  const { SentenceTransformer } = await import('../src/api/sentence_transformer.js');
  const { initBackend } = await import('../src/backends/index.js');
  const { configureUrlFiles, isUrl } = await import('../src/platform/url.js');
  const kernels = await import('../src/kernels/index.js');
  const t0 = performance.now();
  if (cfg.threads > 0) tfwasm.setThreadsCount(cfg.threads);
  configureUrlFiles({ cache: false }); // like transformers.js with useBrowserCache = false: every load fetches
  const defaultResolve = SentenceTransformer.resolveModel;
  SentenceTransformer.resolveModel = (id, hub) => (isUrl(id) ? Promise.resolve(id) : defaultResolve(id, hub));
  const backend = await initBackend('wasm', { wasmPaths: cfg.tfjsWasmPaths, fallbackToCpu: false });
  const model = await SentenceTransformer.load(cfg.modelUrl);
  model.maxSeqLength = cfg.maxSeqLength;
  const loadMs = performance.now() - t0;
  encoder = async (texts) => (await model.encode(texts, { batchSize: texts.length, normalizeEmbeddings: true })) as Float32Array[];
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return {
    loadMs,
    backend: `tfjs ${backend}${simd ? ' SIMD' : ''}${mt ? ' threaded' : ''}`,
    threads: tfwasm.getThreadsCount(),
    notes: [`sentence-tfjs wasm kernels: ${kernelsFlavor(kernels)}`, wasmFeatures()],
  };
}

async function loadTransformersJs(cfg: WebLoadConfig): Promise<WebLoadResult> {
  const { pipeline, env } = await import('@huggingface/transformers');
  const t0 = performance.now();
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // An origin-relative path, not a full URL: transformers.js 4.3's file-existence check (get_file_metadata) skips
  // local paths that are http(s) URLs, so with remote models off it would find no tokenizer_config.json and build
  // the pipeline without a tokenizer. A path is fetched from this page's origin all the same.
  env.localModelPath = new URL(cfg.modelsBase).pathname;
  env.useBrowserCache = false;
  const onnx = env.backends.onnx as { wasm: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean; simd?: unknown }; versions?: Record<string, string> };
  onnx.wasm.wasmPaths = cfg.ortWasmPaths;
  if (cfg.threads > 0) onnx.wasm.numThreads = cfg.threads;
  const extractor = await pipeline('feature-extraction', cfg.modelName, { dtype: 'fp32', device: 'wasm' });
  const loadMs = performance.now() - t0;
  encoder = async (texts) => {
    const out = await extractor(texts, { pooling: 'mean', normalize: true });
    const [n, d] = out.dims as [number, number];
    return rowsOf(out.data as Float32Array, n, d);
  };
  return {
    loadMs,
    backend: `onnxruntime-web ${onnx.versions?.web ?? '?'} wasm EP (via onnxruntime-web/webgpu)`,
    threads: onnx.wasm.numThreads ?? 0,
    notes: [`ORT proxy worker: ${onnx.wasm.proxy ? 'yes' : 'no'}`, wasmFeatures()],
  };
}

async function loadOrtWeb(cfg: WebLoadConfig): Promise<WebLoadResult> {
  const ort = await import('onnxruntime-web/wasm');
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const t0 = performance.now();
  ort.env.wasm.wasmPaths = cfg.ortWasmPaths;
  if (cfg.threads > 0) ort.env.wasm.numThreads = cfg.threads;
  const getJson = async (name: string): Promise<object> => {
    const r = await fetch(`${cfg.modelUrl}/${name}`);
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
    return (await r.json()) as object;
  };
  const [tj, tc] = await Promise.all([getJson('tokenizer.json'), getJson('tokenizer_config.json')]);
  const tk = new Tokenizer(tj, tc);
  const cls = tk.token_to_id('[CLS]');
  const sep = tk.token_to_id('[SEP]');
  if (cls === undefined || sep === undefined) throw new Error('ort-web: the tokenizer has no [CLS]/[SEP] (BERT tokenizers only)');
  const session = await ort.InferenceSession.create(`${cfg.modelUrl}/onnx/model.onnx`, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const loadMs = performance.now() - t0;
  const maxBody = cfg.maxSeqLength - 2;
  encoder = async (texts) => {
    const encs = texts.map((t) => {
      const ids = tk.encode(t.trim(), { add_special_tokens: false }).ids;
      return [cls, ...(ids.length > maxBody ? ids.slice(0, maxBody) : ids), sep];
    });
    const B = encs.length;
    const L = Math.max(...encs.map((e) => e.length));
    const ids = new BigInt64Array(B * L);
    const mask = new BigInt64Array(B * L);
    const types = new BigInt64Array(B * L);
    const maskNum = new Uint8Array(B * L);
    encs.forEach((e, b) => {
      for (let t = 0; t < e.length; t++) {
        ids[b * L + t] = BigInt(e[t]!);
        mask[b * L + t] = 1n;
        maskNum[b * L + t] = 1;
      }
    });
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      input_ids: new ort.Tensor('int64', ids, [B, L]),
      attention_mask: new ort.Tensor('int64', mask, [B, L]),
    };
    if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', types, [B, L]);
    const out = await session.run(feeds);
    const h = out['last_hidden_state'] ?? out[session.outputNames[0]!]!;
    const rows = meanPoolNormalize(h.data as Float32Array, maskNum, B, L, h.dims[2]!);
    for (const t of Object.values(out)) t.dispose();
    return rows;
  };
  return {
    loadMs,
    backend: `onnxruntime-web ${ort.env.versions.web ?? '?'} wasm EP (onnxruntime-web/wasm)`,
    threads: ort.env.wasm.numThreads ?? 0,
    notes: ['tokenizer: @huggingface/tokenizers', wasmFeatures()],
  };
}

function toBase64(rows: Float32Array[]): string {
  const n = rows.length;
  const d = n ? rows[0]!.length : 0;
  const all = new Float32Array(n * d);
  rows.forEach((r, i) => all.set(r, i * d));
  const bytes = new Uint8Array(all.buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const api = {
  async load(cfg: WebLoadConfig): Promise<WebLoadResult> {
    if (encoder) throw new Error('benchWeb: one runtime per page');
    switch (cfg.runtime) {
      case 'ours':
        return loadOurs(cfg);
      case 'tjs-web':
        return loadTransformersJs(cfg);
      case 'ort-web':
        return loadOrtWeb(cfg);
    }
  },
  /**
   * One cell: encode `warmup` untimed, then each call of `calls` (indices into `texts`) timed, until the calls run
   * out or `budgetSec` of timed batches have passed (0 = no limit). Returns the first embedding seen per text.
   */
  async runCell(texts: string[], calls: number[][], warmup: number[], budgetSec: number): Promise<WebCellResult> {
    if (!encoder) throw new Error('benchWeb: load() first');
    await encoder(warmup.map((i) => texts[i]!));
    const lat: number[] = [];
    const emb = new Map<number, Float32Array>();
    let n = 0;
    const start = performance.now();
    for (const call of calls) {
      const t = performance.now();
      const out = await encoder(call.map((i) => texts[i]!));
      lat.push(performance.now() - t);
      if (out.length !== call.length) throw new Error(`${call.length} texts in, ${out.length} embeddings out`);
      call.forEach((i, k) => {
        if (!emb.has(i)) emb.set(i, out[k]!);
      });
      n += call.length;
      if (budgetSec > 0 && performance.now() - start > budgetSec * 1000) break;
    }
    const idx = [...emb.keys()].sort((a, b) => a - b);
    const rows = idx.map((i) => emb.get(i)!);
    return { lat, texts: n, embIdx: idx, embDim: rows[0]?.length ?? 0, embB64: toBase64(rows) };
  },
};

(globalThis as { benchWeb?: typeof api }).benchWeb = api;
export type BenchWebApi = typeof api;

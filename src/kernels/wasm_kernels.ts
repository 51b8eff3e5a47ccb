/**
 * Custom tfjs kernels for the wasm backend, registered through tfjs' kernel registry (`tf.registerKernel`):
 * dense layers (x @ W + b on pre-packed weights), fused multi-head self-attention, exact-erf GELU, residual +
 * LayerNorm and the embedding row lookup, from src/kernels/wasm/kernels.c
 * (SIMD128, built by `npm run build:kernels`).
 *
 * Why: tfjs-backend-wasm runs a batched `BatchMatMul` ([B, heads, T, d] x [B, heads, d, T]) as a scalar loop
 * (about 1.6 GFLOP/s here, against about 24 for its XNNPACK dense matmul), so attention took half of the forward
 * time at T = 256; and GELU's `Erf` plus the op-by-op softmax and LayerNorm each cost a pass over memory.
 *
 * How: the module imports tfjs-wasm's own `WebAssembly.Memory`, so a kernel reads its inputs and writes its
 * output in place in tfjs' heap (tensors' `memoryOffset`), with no copies. The module has no data segment and no
 * shadow stack (the build checks), and its scratch comes from tfjs' `_malloc`. tfjs-wasm's threaded build (in
 * cross-origin-isolated pages) has a shared memory: a second build of the same code imports that one. The
 * kernels themselves run on the calling thread.
 *
 * Install once per process after the wasm backend is initialised ({@link installWasmKernels}, called by
 * `initBackend('wasm')` and by model loading); {@link wasmKernelsActive} then says whether the current backend
 * can run them. Ops fall back to plain tfjs ops everywhere else (cpu, webgl, webgpu, tensorflow).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel names in tfjs' registry (backend 'wasm'). */
export const KERNEL_ATTENTION = 'SentenceTfjsAttention';
export const KERNEL_GELU = 'SentenceTfjsGeluErf';
export const KERNEL_ADD_LAYER_NORM = 'SentenceTfjsAddLayerNorm';
export const KERNEL_GATHER_ROWS = 'SentenceTfjsGatherRows';
export const KERNEL_LINEAR = 'SentenceTfjsLinear';
export const KERNEL_LINEAR_QKV = 'SentenceTfjsLinearQKV';
export const KERNEL_ENCODER_LAYER = 'SentenceTfjsEncoderLayer';
/** int8 dense (one weight, or the fused Q/K/V: several side by side); see the int8 section of kernels.c. */
export const KERNEL_LINEAR_Q8 = 'SentenceTfjsLinearQ8';
/** Rows of an int8 table (a quantized word-embedding table), dequantized straight into the output (JS, no C). */
export const KERNEL_GATHER_ROWS_Q8 = 'SentenceTfjsGatherRowsQ8';
/** int8 feed-forward block, down(gelu(up(x))), in chunks of rows inside one call (issue 17). */
export const KERNEL_FFN_Q8 = 'SentenceTfjsFfnQ8';
/** Backward kernels (gradients of the ones above; see kernels.c's BACKWARD section). */
export const KERNEL_LINEAR_GRAD = 'SentenceTfjsLinearGrad';
export const KERNEL_LINEAR_QKV_GRAD = 'SentenceTfjsLinearQKVGrad';
export const KERNEL_GELU_GRAD = 'SentenceTfjsGeluErfGrad';
export const KERNEL_ADD_LAYER_NORM_GRAD = 'SentenceTfjsAddLayerNormGrad';
export const KERNEL_SCATTER_ADD_ROWS = 'SentenceTfjsScatterAddRows';
export const KERNEL_ATTENTION_GRAD = 'SentenceTfjsAttentionGrad';
/** One fused AdamW update of a parameter (kernels.c's OPTIMIZER section). */
export const KERNEL_ADAMW = 'SentenceTfjsAdamW';

interface KernelExports {
  adamw_step(p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number, hasState: number, b1: number, omb1: number, b2: number, omb2: number, decay: number, bc2: number, stepSize: number, eps: number): void;
  gelu_erf(x: number, out: number, n: number): void;
  add_layer_norm(x: number, residual: number, gamma: number, beta: number, out: number, scratch: number, rows: number, h: number, eps: number): void;
  attention_scratch_floats(t: number, d: number): number;
  gather_rows(table: number, ids: number, out: number, n: number, dim: number, num: number): void;
  pack_panels(w: number, p: number, k: number, n: number): void;
  /** gelu: 1 = exact GELU on the output in the same call (bit for bit gelu_erf after it); absent = 0. */
  gemm_bias(x: number, p: number, bias: number, y: number, m: number, k: number, n: number, gelu?: number): void;
  q8_packed_bytes(k: number, n: number): number;
  q8_act_bytes(): number;
  q8_pack(w: number, p: number, wsum: number, k: number, n: number): void;
  q8_quantize_rows(x: number, xq: number, sx: number, zp: number, m: number, k: number, kp: number): void;
  q8_gemm(xq: number, sx: number, zp: number, p: number, wsum: number, sw: number, bias: number, y: number, m: number, kp: number, n: number, gelu: number): void;
  q8_gemm_pairs(xq: number, sx: number, zp: number, p: number, wsum: number, sw: number, bias: number, y: number, m: number, kp: number, n: number, gelu: number): void;
  q8_gemm_grouped(xq: number, sx: number, zp: number, p: number, gsum: number, sw: number, bias: number, y: number, m: number, kp: number, n: number, g: number, pairs: number): void;
  pack_panels_t(w: number, p: number, k: number, n: number, ld: number, off: number): void;
  pack_panels_ld(x: number, p: number, k: number, n: number, ldx: number, c0: number): void;
  transpose2d(x: number, out: number, m: number, n: number): void;
  col_sum(x: number, out: number, m: number, n: number, ldx: number, c0: number): void;
  gelu_erf_grad(x: number, dy: number, dx: number, n: number): void;
  add_layer_norm_grad(x: number, residual: number, gamma: number, dy: number, dx: number, dgamma: number, dbeta: number, scratch: number, rows: number, h: number, eps: number): void;
  scatter_add_rows(dy: number, ids: number, out: number, n: number, dim: number, num: number): void;
  attention_grad_scratch_floats(t: number): number;
  attention_grad(
    q: number, k: number, v: number, ldq: number, ldkv: number, mask: number, bias: number, biasBatch: number, dout: number, dq: number, dk: number, dv: number,
    dbias: number, scratch: number, b: number, t: number, heads: number, kvHeads: number, d: number, scale: number, scaleMode: number, causal: number, window: number, fill: number,
  ): void;
  attention(
    q: number, k: number, v: number, ldq: number, ldkv: number, mask: number, bias: number, biasBatch: number, out: number, probs: number,
    scratch: number, b: number, t: number, heads: number, kvHeads: number, d: number, scale: number, scaleMode: number, causal: number, window: number,
  ): void;
}

/** The parts of tfjs-backend-wasm's `BackendWasm` these kernels use. */
interface WasmBackendLike extends tf.KernelBackend {
  wasm: {
    _malloc(n: number): number;
    _free(p: number): void;
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    tfjs?: { getThreadsCount?: () => number };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined; has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/**
 * Dense weights packed into eight-column panels for `gemm_bias`, kept in tfjs' heap (raw `_malloc`, not tensors)
 * next to the weight they come from, and freed when tfjs frees that weight: the backend's `disposeData` is
 * wrapped once to do so. They double the memory of the dense weights (not counted by `tf.memory()`).
 * A fused Q/K/V packing (three weights side by side, and their biases) belongs to the query weight and records
 * the tensors it was built from, so it is rebuilt if any of them is replaced.
 */
interface Packing {
  ptr: number;
  /** Bias inside the packing (fused Q/K/V), or 0. */
  bias: number;
  /** The dataIds it was built from (null: no bias). */
  parts: (object | null)[];
}

const packings = new WeakMap<WasmBackendLike, Map<object, Packing[]>>();

function packingsOf(b: WasmBackendLike): Map<object, Packing[]> {
  let map = packings.get(b);
  if (!map) {
    const m = new Map<object, Packing[]>();
    map = m;
    packings.set(b, m);
    const dispose = b.disposeData.bind(b);
    b.disposeData = (dataId: object, force?: boolean): boolean => {
      const freed = dispose(dataId, force);
      const owned = m.get(dataId);
      if (owned !== undefined && !b.dataIdMap.has(dataId)) {
        for (const p of owned) b.wasm._free(p.ptr);
        m.delete(dataId);
      }
      return freed;
    };
  }
  return map;
}

/** The packing of `weights` ([K, N_i] each, side by side) and, for more than one, their biases (or 0). */
function packedFor(b: WasmBackendLike, ex: KernelExports, weights: tf.TensorInfo[], biases: (tf.TensorInfo | undefined)[] = []): Packing {
  const map = packingsOf(b);
  const owner = weights[0].dataId;
  const parts = [...weights.map((w) => w.dataId), ...biases.map((x) => x?.dataId ?? null)];
  const list = map.get(owner) ?? [];
  const hit = list.find((p) => p.parts.length === parts.length && p.parts.every((d, i) => d === parts[i]));
  if (hit) return hit;
  const k = weights[0].shape[0];
  const widths = weights.map((w) => w.shape[1]);
  const n = widths.reduce((x, y) => x + y, 0);
  const withBias = weights.length > 1 && biases.length === weights.length && biases.every((x) => x !== undefined);
  const panelsBytes = Math.ceil(n / 8) * 8 * k * 4;
  const ptr = b.wasm._malloc(panelsBytes + (withBias ? n * 4 : 0));
  let col = 0;
  for (const w of weights) {
    ex.pack_panels(offset(b, w), ptr + col * k * 4, k, w.shape[1]); // widths are multiples of 8 when fused
    col += w.shape[1];
  }
  let bias = 0;
  if (withBias) {
    bias = ptr + panelsBytes;
    const heap = new Float32Array(heapOf(b)!.buffer);
    let at = bias / 4;
    for (const x of biases as tf.TensorInfo[]) {
      const from = offset(b, x) / 4;
      heap.copyWithin(at, from, from + x.shape[0]);
      at += x.shape[0];
    }
  }
  const p: Packing = { ptr, bias, parts };
  list.push(p);
  map.set(owner, list);
  return p;
}

type Variant = 'plain' | 'shared';
const compiling: Partial<Record<Variant, Promise<WebAssembly.Module>>> = {};
const compiled: Partial<Record<Variant, WebAssembly.Module>> = {};
/** One instance per tfjs-wasm memory (a re-created backend has a new heap). */
let instances = new WeakMap<WebAssembly.Memory, KernelExports>();
let registered = false;
let disabled = false;

let relaxedUsed = false;

/**
 * The module's bytes; the base64 lives in its own module, loaded (a separate chunk in bundles) only when needed.
 * The relaxed-SIMD build (products accumulated with `f32x4.relaxed_madd`, i.e. FMA where the CPU has it) is
 * taken when the runtime validates it (Chrome 114+, Firefox 120+, Node 22+; Node 20 with
 * `--experimental-wasm-relaxed-simd`), unless `SENTENCE_TFJS_WASM_RELAXED=0`.
 */
async function wasmBytes(variant: Variant): Promise<Uint8Array> {
  const bin = await import('./wasm_kernels_binary.js');
  const decode = (b64: string): Uint8Array => {
    const raw = atob(b64);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  };
  const relaxed = decode(variant === 'shared' ? bin.KERNELS_WASM_RELAXED_SHARED_BASE64 : bin.KERNELS_WASM_RELAXED_BASE64);
  if (envFlag('SENTENCE_TFJS_WASM_RELAXED') !== '0' && WebAssembly.validate(relaxed as BufferSource)) {
    relaxedUsed = true;
    return relaxed;
  }
  return decode(variant === 'shared' ? bin.KERNELS_WASM_SHARED_BASE64 : bin.KERNELS_WASM_BASE64);
}

/** Which build of the kernels runs: 'relaxed-simd' (FMA products), 'simd', or 'none' (not installed / not wasm). */
export function wasmKernelsFlavor(): 'relaxed-simd' | 'simd' | 'none' {
  if (!wasmKernelsActive()) return 'none';
  return relaxedUsed ? 'relaxed-simd' : 'simd';
}

function heapOf(backend: WasmBackendLike): WebAssembly.Memory | undefined {
  return backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
}

function variantOf(memory: WebAssembly.Memory): Variant {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer ? 'shared' : 'plain';
}

function currentWasmBackend(): WasmBackendLike | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return tf.backend() as WasmBackendLike;
}

/** The kernels bound to `backend`'s heap, instantiating synchronously from the compiled module if needed. */
function exportsFor(backend: WasmBackendLike): KernelExports | undefined {
  const memory = heapOf(backend);
  if (!memory) return undefined;
  let ex = instances.get(memory);
  if (!ex) {
    const mod = compiled[variantOf(memory)];
    if (!mod) return undefined;
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    ex = inst.exports as unknown as KernelExports;
    instances.set(memory, ex);
  }
  return ex;
}

/**
 * Compile the kernels and register them for the wasm backend (idempotent; resolves to whether they can run on
 * the current backend). Set `SENTENCE_TFJS_WASM_KERNELS=0` in Node, or call {@link disableWasmKernels}, to
 * keep the stock tfjs ops (for comparisons).
 */
export async function installWasmKernels(): Promise<boolean> {
  if (disabled || envDisabled()) return false;
  const backend = currentWasmBackend();
  const memory = backend && heapOf(backend);
  if (!memory) return false;
  const variant = variantOf(memory);
  compiling[variant] ??= wasmBytes(variant).then((bytes) => WebAssembly.compile(bytes as BufferSource));
  compiled[variant] = await compiling[variant];
  if (!registered) {
    registerAll();
    registerQ8();
    registerGatherQ8();
    registerFfnQ8();
    registerBackward();
    registered = true;
  }
  return wasmKernelsActive();
}

/**
 * For old-vs-new benchmarks in one process (scripts/bench-queries.ts): from now on run `bytes`, another build of
 * kernels.c with the same exports and packing formats (the current backend's variant), or with no bytes the
 * committed build again. Call after {@link installWasmKernels}; packed weights stay valid across the swap.
 * @example
 * await swapWasmKernelBinary(oldBytes); time(); await swapWasmKernelBinary(); time();
 */
export async function swapWasmKernelBinary(bytes?: Uint8Array): Promise<void> {
  const backend = currentWasmBackend();
  const memory = backend && heapOf(backend);
  if (!memory || !registered) throw new Error('swapWasmKernelBinary: install the kernels on the wasm backend first');
  const variant = variantOf(memory);
  compiled[variant] = await WebAssembly.compile((bytes ?? (await wasmBytes(variant))) as BufferSource);
  instances = new WeakMap();
}

/** Stop using the custom kernels (the composite tfjs ops run instead); `installWasmKernels` no longer enables them. */
export function disableWasmKernels(): void {
  disabled = true;
}

/** Use the custom kernels again after {@link disableWasmKernels} (they still need {@link installWasmKernels}). */
export function enableWasmKernels(): void {
  disabled = false;
}

function envFlag(name: string): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env?.[name];
}

function envDisabled(): boolean {
  return envFlag('SENTENCE_TFJS_WASM_KERNELS') === '0';
}

/**
 * Whether our dense-layer kernel should replace tfjs' matmul: on a single-threaded heap, or on tfjs' threaded
 * build running one thread (its default on machines with fewer than four cores). With more threads tfjs runs
 * XNNPACK on all of them, which beats one thread of ours.
 */
export function wasmLinearActive(): boolean {
  if (!wasmKernelsActive()) return false;
  const backend = currentWasmBackend()!;
  const memory = heapOf(backend);
  if (memory === undefined) return false;
  if (variantOf(memory) === 'plain') return true;
  const threads = backend.wasm.tfjs?.getThreadsCount?.();
  return typeof threads === 'number' && threads <= 1;
}

/**
 * Whether the backward kernels run (the custom kernels do, and `SENTENCE_TFJS_WASM_GRAD_KERNELS` is not '0': with
 * it, gradients come from stock ops, read per call, for comparisons).
 */
export function wasmGradKernelsActive(): boolean {
  return envFlag('SENTENCE_TFJS_WASM_GRAD_KERNELS') !== '0' && wasmKernelsActive();
}

/** Whether the custom kernels run on the current backend (wasm, installed, not disabled). */
export function wasmKernelsActive(): boolean {
  if (disabled || !registered) return false;
  const b = currentWasmBackend();
  return b !== undefined && exportsFor(b) !== undefined;
}

/**
 * A float32 view of a tensor's values where the wasm backend holds them (no copy), or undefined when the tensor is
 * not a float32 tensor of the current wasm backend (read it with `dataSync()` then). The view is only valid until
 * the next allocation on the backend (the heap may grow and move): copy out of it at once.
 * @example
 * const v = float32HeapView(g); dst.set(v ?? g.dataSync(), off); // one copy instead of two
 */
export function float32HeapView(t: tf.Tensor): Float32Array | undefined {
  const b = currentWasmBackend();
  if (!b || t.dtype !== 'float32') return undefined;
  const d = b.dataIdMap.get(t.dataId);
  const memory = heapOf(b);
  if (!d || !memory) return undefined;
  return new Float32Array(memory.buffer, d.memoryOffset, t.size);
}

function offset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error(`sentence-tfjs wasm kernel: expected a tensor held by the wasm backend, got one of shape [${t.shape}] (${t.dtype}) held elsewhere`);
  return d.memoryOffset;
}

function need(ex: KernelExports | undefined, name: string): KernelExports {
  if (!ex) throw new Error(`${name}: the sentence-tfjs wasm kernels are not installed for this backend (call installWasmKernels())`);
  return ex;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** What a kernel body receives: the bound exports, the backend, its inputs (by name) and attributes. */
type KernelBody = (ex: KernelExports, b: WasmBackendLike, inputs: Record<string, tf.TensorInfo | undefined>, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[];

/** Register `body` as kernel `name` for the wasm backend (the exports bound to the backend's heap are looked up per call). */
function registerWasm(name: string, body: KernelBody): void {
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as WasmBackendLike;
      return body(need(exportsFor(b), name), b, inputs as Record<string, tf.TensorInfo | undefined>, (attrs ?? {}) as Record<string, unknown>);
    },
  });
}

/** Run `f` with `floats` float32 of scratch from tfjs' heap, freed afterwards. */
function withScratch<T>(b: WasmBackendLike, floats: number, f: (ptr: number) => T): T {
  const ptr = b.wasm._malloc(floats * 4);
  try {
    return f(ptr);
  } finally {
    b.wasm._free(ptr);
  }
}

function registerAll(): void {
  registerWasm(KERNEL_LINEAR, (ex, b, { x, weight, bias }) => {
    const [m, k] = x!.shape;
    const n = weight!.shape[1];
    const packed = packedFor(b, ex, [weight!]);
    const out = b.makeOutput([m, n], 'float32');
    ex.gemm_bias(offset(b, x!), packed.ptr, bias ? offset(b, bias) : 0, offset(b, out), m, k, n);
    return out;
  });
  registerWasm(KERNEL_LINEAR_QKV, (ex, b, { x, wq, wk, wv, bq, bk, bv }) => {
    const [m, k] = x!.shape;
    const h = wq!.shape[1];
    const packed = packedFor(b, ex, [wq!, wk!, wv!], [bq, bk, bv]);
    const out = b.makeOutput([m, 3 * h], 'float32');
    ex.gemm_bias(offset(b, x!), packed.ptr, packed.bias, offset(b, out), m, k, 3 * h);
    return out;
  });
  registerWasm(KERNEL_GATHER_ROWS, (ex, b, { table, ids }) => {
    const [num, dim] = table!.shape;
    const out = b.makeOutput([...ids!.shape, dim], 'float32');
    ex.gather_rows(offset(b, table!), offset(b, ids!), offset(b, out), size(ids!.shape), dim, num);
    return out;
  });
  registerWasm(KERNEL_GELU, (ex, b, { x }) => {
    const out = b.makeOutput(x!.shape, 'float32');
    ex.gelu_erf(offset(b, x!), offset(b, out), size(x!.shape));
    return out;
  });
  registerWasm(KERNEL_ADD_LAYER_NORM, (ex, b, { x, residual, gamma, beta }, attrs) => {
    const h = x!.shape[x!.shape.length - 1];
    const rows = size(x!.shape) / h;
    const out = b.makeOutput(x!.shape, 'float32');
    withScratch(b, h, (scratch) =>
      ex.add_layer_norm(offset(b, x!), residual ? offset(b, residual) : 0, offset(b, gamma!), offset(b, beta!), offset(b, out), scratch, rows, h, attrs.eps as number),
    );
    return out;
  });
  // A whole post-norm encoder layer (BERT's, DistilBERT's, MPNet's with its position bias): LayerNorm(x + Wo
  // attention(x Wqkv)) = a, then LayerNorm(a + W2 gelu(a W1)), by the same kernel calls, in the same order, as the
  // per-op path, with the intermediates in one scratch block instead of tensors: bit for bit what the per-op path gives.
  registerWasm(KERNEL_ENCODER_LAYER, (ex, b, inputs, attrs) => {
    const { x, mask, bias, wq, wk, wv, bq, bk, bv, wo, bo, g1, be1, wi, bi, w2, b2, g2, be2 } = inputs as Record<string, tf.TensorInfo>;
    const { numHeads, eps1, eps2, scaleQuery } = attrs as { numHeads: number; eps1: number; eps2: number; scaleQuery: boolean };
    const [batch, t, h] = x.shape;
    const m = batch * t;
    const inter = wi.shape[1];
    const d = h / numHeads;
    const qkvPack = packedFor(b, ex, [wq, wk, wv], [bq, bk, bv]);
    const oPack = packedFor(b, ex, [wo]);
    const iPack = packedFor(b, ex, [wi]);
    const dPack = packedFor(b, ex, [w2]);
    const out = b.makeOutput([batch, t, h], 'float32');
    const attnFloats = ex.attention_scratch_floats(t, d);
    // qkv [M, 3H] | context [M, H] | projection [M, H] | attended [M, H] | intermediate [M, I] | attention | LayerNorm
    withScratch(b, m * (6 * h + inter) + attnFloats + h, (scratch) => {
      const qkv = scratch;
      const context = qkv + m * 3 * h * 4;
      const proj = context + m * h * 4;
      const attended = proj + m * h * 4;
      const hidden = attended + m * h * 4;
      const attnScratch = hidden + m * inter * 4;
      const lnScratch = attnScratch + attnFloats * 4;
      const xp = offset(b, x);
      ex.gemm_bias(xp, qkvPack.ptr, qkvPack.bias, qkv, m, h, 3 * h);
      // Scores / sqrt(d) (BERT), or q / sqrt(d) first (DistilBERT): kernels.c's SCALE_DIV_SCORES / SCALE_DIV_QUERY.
      const scaleMode = scaleQuery ? 2 : 0;
      // MPNet's relative position bias [1 | B, heads, T, T] is added to the scaled scores, as in the attention kernel.
      const [biasPtr, biasBatch] = bias ? [offset(b, bias), bias.shape[0]] : [0, 0];
      ex.attention(qkv, qkv + h * 4, qkv + 2 * h * 4, 3 * h, 3 * h, mask ? offset(b, mask) : 0, biasPtr, biasBatch, context, 0, attnScratch, batch, t, numHeads, numHeads, d, Math.sqrt(d), scaleMode, 0, -1);
      ex.gemm_bias(context, oPack.ptr, offset(b, bo), proj, m, h, h);
      ex.add_layer_norm(proj, xp, offset(b, g1), offset(b, be1), attended, lnScratch, m, h, eps1);
      ex.gemm_bias(attended, iPack.ptr, offset(b, bi), hidden, m, h, inter, 1); // GELU fused in: the same bits
      ex.gemm_bias(hidden, dPack.ptr, offset(b, b2), proj, m, inter, h);
      ex.add_layer_norm(proj, attended, offset(b, g2), offset(b, be2), offset(b, out), lnScratch, m, h, eps2);
    });
    return out;
  });
  registerWasm(KERNEL_ATTENTION, (ex, b, { q, k, v, qkv, mask, bias }, attrs) => {
    const { numHeads, numKvHeads, scale, scaleMode, causal, window, outputProbs } = attrs as {
      numHeads: number;
      numKvHeads: number;
      scale: number;
      scaleMode: number;
      causal: boolean;
      window: number;
      outputProbs: boolean;
    };
    // Either q [B, T, heads*d] and k, v [B, T, kvHeads*d], or one qkv [B, T, 3H] (the fused projection: q, k, v
    // side by side in each row; kvHeads = heads).
    const [batch, t, width] = (qkv ?? q)!.shape;
    const hidden = qkv ? width / 3 : width;
    const d = hidden / numHeads;
    const [ldq, ldkv] = qkv ? [3 * hidden, 3 * hidden] : [hidden, numKvHeads * d];
    const [qp, kp, vp] = qkv ? [0, 1, 2].map((i) => offset(b, qkv) + i * hidden * 4) : [offset(b, q!), offset(b, k!), offset(b, v!)];
    const out = b.makeOutput([batch, t, hidden], 'float32');
    const probs = outputProbs ? b.makeOutput([batch, numHeads, t, t], 'float32') : undefined;
    withScratch(b, ex.attention_scratch_floats(t, d), (scratch) =>
      ex.attention(
        qp, kp, vp, ldq, ldkv,
        mask ? offset(b, mask) : 0, bias ? offset(b, bias) : 0, bias ? bias.shape[0] : 0,
        offset(b, out), probs ? offset(b, probs) : 0, scratch, batch, t, numHeads, numKvHeads, d, scale, scaleMode, causal ? 1 : 0, window,
      ),
    );
    return probs ? [out, probs] : out;
  });
}

// ---- int8 (issue 17) ----------------------------------------------------------------------------------------

/**
 * What the int8 dense kernel needs of a quantized weight (src/weights/q8.ts's Q8LinearWeight has it): values
 * [out, in] in [-127, 127], scales [out], and a dispose hook to free the packed copy.
 */
export interface Q8KernelWeight {
  readonly values: Int8Array;
  readonly scales: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /**
   * Activation group size along K: 0 or absent, one activation scale per row; G > 0 (a multiple of 4 dividing
   * inFeatures), one per row and group of G consecutive inputs (q8_gemm_grouped; the attention output projection
   * with G = head_dim). Only for a weight used alone (not side by side).
   */
  readonly actGroup?: number;
  onDispose(fn: () => void): void;
  /** Drop the JS copy of the values; `unpack` re-derives them from the packed copy `token` (Q8LinearWeight). */
  releaseValues?(unpack: () => Int8Array, token: object): void;
  /** Take the JS copy back before the packed copy `token` is freed. */
  restoreValues?(token: object): void;
}

/** Packed int8 weights (q8_pack) followed by their scales and row sums, in tfjs' heap. */
interface Q8Packing {
  ptr: number;
  scales: number;
  wsum: number;
  /** Activation group size (0: per row) and the weight's sums per group, gsum [K / group, N rounded up to 8]. */
  group: number;
  gsum: number;
  parts: readonly Q8KernelWeight[];
}

const q8Packings = new WeakMap<WasmBackendLike, Map<Q8KernelWeight, Q8Packing[]>>();

/**
 * The packing of `weights` side by side (output widths a multiple of 8 when more than one), built on first use
 * and freed when any of its weights is disposed. Keeps no JS copy: the weight's own arrays stay with it.
 */
function q8PackedFor(b: WasmBackendLike, ex: KernelExports, weights: readonly Q8KernelWeight[]): Q8Packing {
  let map = q8Packings.get(b);
  if (!map) {
    map = new Map();
    q8Packings.set(b, map);
  }
  const owner = weights[0];
  const list = map.get(owner) ?? [];
  const hit = list.find((p) => p.parts.length === weights.length && p.parts.every((w, i) => w === weights[i]));
  if (hit) return hit;
  const k = owner.inFeatures;
  const n = weights.reduce((a, w) => a + w.outFeatures, 0);
  const packedBytes = ex.q8_packed_bytes(k, n);
  const group = weights.length === 1 ? (owner.actGroup ?? 0) : 0;
  if (group > 0 && (group % 4 !== 0 || k % group !== 0)) throw new Error(`denseQ8: actGroup must be a multiple of 4 dividing ${k}, got ${group}`);
  const np = (n + 7) & ~7;
  const gsumBytes = group > 0 ? (k / group) * np * 4 : 0;
  const ptr = b.wasm._malloc(packedBytes + n * 8 + gsumBytes);
  const staging = b.wasm._malloc(k * n); // the [N, K] values, side by side, before packing
  try {
    let row = 0;
    for (const w of weights) {
      const values = w.values;
      const heap = heapOf(b)!.buffer; // (re-read: a malloc may have grown the memory)
      new Int8Array(heap, staging + row * k, values.length).set(values);
      new Float32Array(heap, ptr + packedBytes + row * 4, w.outFeatures).set(w.scales);
      if (group > 0) {
        // gsum[g * Np + n] = sum of the values of row n over group g (zeros past N)
        const gsum = new Int32Array(heap, ptr + packedBytes + n * 8, gsumBytes / 4);
        gsum.fill(0);
        for (let r = 0; r < w.outFeatures; r++) {
          for (let kk = 0; kk < k; kk++) gsum[((kk / group) | 0) * np + r] += values[r * k + kk];
        }
      }
      row += w.outFeatures;
    }
    ex.q8_pack(staging, ptr, ptr + packedBytes + n * 4, k, n);
  } finally {
    b.wasm._free(staging);
  }
  const p: Q8Packing = { ptr, scales: ptr + packedBytes, wsum: ptr + packedBytes + n * 4, group, gsum: ptr + packedBytes + n * 8, parts: weights };
  list.push(p);
  map.set(owner, list);
  const m = map;
  // The packed copy stands in for the weights' JS values (no second copy of every int8 layer in JS memory):
  // rows r0.. of the packing, unpacked (p[n0 * Kp + kb * 8 + c * 4 + j] = wq[n0 + c][kb + j], see q8_pack).
  const kp = (k + 3) & ~3;
  const unpackRows = (r0: number, rows: number): Int8Array => {
    const packed = new Int8Array(heapOf(b)!.buffer, ptr, packedBytes);
    const out = new Int8Array(rows * k);
    for (let i = 0; i < rows; i++) {
      const nn = r0 + i;
      const base = (nn & ~7) * kp + (nn & 7) * 4;
      for (let kk = 0; kk < k; kk++) out[i * k + kk] = packed[base + (kk & ~3) * 8 + (kk & 3)];
    }
    return out;
  };
  let r0 = 0;
  for (const w of weights) {
    const first = r0;
    w.releaseValues?.(() => unpackRows(first, w.outFeatures), p);
    r0 += w.outFeatures;
  }
  const free = () => {
    const l = m.get(owner);
    const i = l ? l.indexOf(p) : -1;
    if (i < 0) return;
    for (const w of weights) w.restoreValues?.(p); // parts still alive keep their values (no-op once disposed)
    l!.splice(i, 1);
    if (l!.length === 0) m.delete(owner);
    b.wasm._free(p.ptr);
  };
  for (const w of weights) w.onDispose(free);
  return p;
}

/**
 * Which int8 GEMM export runs. kernels.c has two with the same bits: q8_gemm (one i32x4.relaxed_dot_i8x16_i7x16_add_s
 * per 16 products: a single vpdpbusd where the engine uses AVX-VNNI, as V8 13.6 / Node 24) and q8_gemm_pairs
 * (i16x8 pair sums then i32x4.dot_i16x8_s: 1.25x q8_gemm where the dot-add becomes five instructions, as V8 12.4 /
 * Node 22, 0.55x where it is one). No feature test can tell the two lowerings apart, so 'auto' (the default) times
 * both on the first calls big enough to time (per kernel instance; the rule: {@link Q8Chooser}) and keeps the one
 * with the lower minimum time per product: the minimum, because noise only adds time (other
 * processes, and the first calls of a function that still runs V8's baseline code before its optimized tier
 * arrives; a median picked the wrong one on Node 22 under a load average of 11). The plain-SIMD build has one GEMM (both exports are it).
 * `SENTENCE_TFJS_Q8_GEMM=dot|pairs` (Node) or {@link setQ8GemmVariant} fixes the choice (benchmarks, tests).
 */
type Q8GemmVariant = 'auto' | 'dot' | 'pairs';
/** Products below which a call is not timed (a few microseconds: timer resolution and call overhead). */
const Q8_CALIBRATION_MIN_MACS = 1 << 20;

/**
 * The timing rule of the 'auto' choice, kept apart from the kernels so that it can be tested with made-up timings.
 * Each variant keeps its minimum time per product. First `samples` timed calls of each, alternating; then the one with
 * the lower minimum runs, and every `recheckEvery`-th timed call still runs the other one, `rechecks` times in all,
 * switching whenever the other's minimum becomes the lower. The rechecks correct a first pick made while one variant
 * still ran V8's baseline code or the machine was busy (seen on Node 22 under a load average of 17: one run in
 * eight kept the slower GEMM for good); after them the choice is fixed. Cost: the rechecks are 1/recheckEvery of the
 * large calls in the first stretch of a process.
 * @example
 * const c = new Q8Chooser(); const v = c.next(); c.record(v, nsPerProduct); c.pick; // 0 = dot, 1 = pairs, undefined while deciding
 */
export class Q8Chooser {
  private readonly best: [number, number] = [Infinity, Infinity];
  private readonly counts: [number, number] = [0, 0];
  private timed = 0;
  private checked = 0;
  /** 0 or 1 once the first round is done; undefined before. */
  pick?: 0 | 1;
  constructor(
    readonly samples = 12,
    readonly recheckEvery = 64,
    readonly rechecks = 24,
  ) {}
  /** Which variant the next timed call runs. */
  next(): 0 | 1 {
    if (this.pick === undefined) return this.counts[0] <= this.counts[1] ? 0 : 1;
    if (this.checked < this.rechecks && (this.timed + 1) % this.recheckEvery === 0) return this.pick === 0 ? 1 : 0;
    return this.pick;
  }
  /** Whether calls are still timed (during the first round and the rechecks). */
  get deciding(): boolean {
    return this.pick === undefined || this.checked < this.rechecks;
  }
  /** The time per product of one call of `variant`. */
  record(variant: 0 | 1, nsPerProduct: number): void {
    this.counts[variant]++;
    this.best[variant] = Math.min(this.best[variant], nsPerProduct);
    if (this.pick === undefined) {
      if (this.counts[0] >= this.samples && this.counts[1] >= this.samples) this.pick = this.best[1] < this.best[0] ? 1 : 0;
      return;
    }
    this.timed++;
    if (variant !== this.pick) this.checked++;
    if (variant !== this.pick && this.best[variant] < this.best[this.pick]) this.pick = variant;
  }
}

/**
 * The choice and the calibrations live on globalThis, keyed by tfjs' heap (one per wasm backend instance), not in
 * this module: a process can hold two instances of this module (an ESM and a CommonJS load of the library, or two
 * bundles), and tfjs keeps the kernel registered last; a choice set or read through the other copy must still be
 * the one the running kernel follows.
 */
const q8State: { variant?: Q8GemmVariant; calibrations: WeakMap<WebAssembly.Memory, Q8Chooser> } = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('sentence-tfjs.q8-gemm')
] ??= { calibrations: new WeakMap() }) as { variant?: Q8GemmVariant; calibrations: WeakMap<WebAssembly.Memory, Q8Chooser> };

/**
 * Fix which int8 GEMM runs ('dot' or 'pairs', the same bits) or return to timing both ('auto'). For old-vs-new
 * benchmarks and the tests that compare the two.
 * @example
 * setQ8GemmVariant('pairs'); const a = model.encode(texts); setQ8GemmVariant('auto');
 */
export function setQ8GemmVariant(v: Q8GemmVariant): void {
  if (v !== 'auto' && v !== 'dot' && v !== 'pairs') throw new Error(`setQ8GemmVariant: expected 'auto', 'dot' or 'pairs', got ${String(v)}`);
  q8State.variant = v;
}

/** The current choice ('dot' or 'pairs'; 'auto' until the calibration is done) for this kernel instance. */
export function q8GemmChoice(): Q8GemmVariant {
  const b = currentWasmBackend();
  const memory = b && heapOf(b);
  const v = q8State.variant ?? (envFlag('SENTENCE_TFJS_Q8_GEMM') as Q8GemmVariant | undefined) ?? 'auto';
  if (v !== 'auto' || !memory) return v;
  const pick = q8State.calibrations.get(memory)?.pick;
  return pick === undefined ? 'auto' : pick === 0 ? 'dot' : 'pairs';
}

/** Run the int8 GEMM `gemm` with the chosen export, timing it while the choice is being calibrated. */
function runQ8Gemm(ex: KernelExports, memory: WebAssembly.Memory | undefined, macs: number, gemm: (f: KernelExports['q8_gemm']) => void): void {
  const v = q8State.variant ?? (envFlag('SENTENCE_TFJS_Q8_GEMM') as Q8GemmVariant | undefined) ?? 'auto';
  if (v === 'pairs') return gemm(ex.q8_gemm_pairs);
  if (v === 'dot' || !relaxedUsed || !memory) return gemm(ex.q8_gemm);
  let cal = q8State.calibrations.get(memory);
  if (!cal) q8State.calibrations.set(memory, (cal = new Q8Chooser()));
  if (macs < Q8_CALIBRATION_MIN_MACS || !cal.deciding) return gemm(cal.pick === 1 ? ex.q8_gemm_pairs : ex.q8_gemm);
  const i = cal.next();
  const t0 = performance.now();
  gemm(i === 0 ? ex.q8_gemm : ex.q8_gemm_pairs);
  cal.record(i, ((performance.now() - t0) * 1e6) / macs);
}

/** Whether the GEMM without a calibration of its own (q8_gemm_grouped) runs the pair tile: the variant fixed, or the pick. */
function q8PairsChosen(memory: WebAssembly.Memory | undefined): number {
  const v = q8State.variant ?? (envFlag('SENTENCE_TFJS_Q8_GEMM') as Q8GemmVariant | undefined) ?? 'auto';
  if (v === 'pairs') return 1;
  if (v === 'dot' || !relaxedUsed || !memory) return 0;
  return q8State.calibrations.get(memory)?.pick === 1 ? 1 : 0;
}

/**
 * Register the int8 dense kernel: inputs x [M, K] (and bias [N]), attrs { weights: Q8KernelWeight[], gelu?: boolean }
 * (gelu: y = gelu(x W^T + b) in the same call, bit for bit the GELU kernel applied to the output).
 */
function registerQ8(): void {
  registerWasm(KERNEL_LINEAR_Q8, (ex, b, { x, bias }, attrs) => {
    const weights = attrs.weights as Q8KernelWeight[];
    const [m, k] = x!.shape;
    const kp = (k + 3) & ~3;
    const packed = q8PackedFor(b, ex, weights);
    const n = weights.reduce((a, w) => a + w.outFeatures, 0);
    const out = b.makeOutput([m, n], 'float32');
    if (packed.group > 0) {
      // Per-(row, group) activation scales: xq [M, K] quantized as the [M * ng, G] view, sx / zp [M, ng].
      const g = packed.group;
      const rows = m * (k / g);
      const bytes = m * k * ex.q8_act_bytes();
      const scratch = b.wasm._malloc(bytes + 8 * rows);
      try {
        const sx = scratch + bytes;
        const zp = sx + 4 * rows;
        ex.q8_quantize_rows(offset(b, x!), scratch, sx, zp, rows, g, g);
        ex.q8_gemm_grouped(scratch, sx, zp, packed.ptr, packed.gsum, packed.scales, bias ? offset(b, bias) : 0, offset(b, out), m, k, n, g, q8PairsChosen(heapOf(b)));
      } finally {
        b.wasm._free(scratch);
      }
      return out;
    }
    // Scratch: xq [M, Kp] 7-bit (1 or 2 bytes each, per build), then sx [M] float32 and zp [M] int32.
    const xqBytes = m * kp * ex.q8_act_bytes();
    const scratch = b.wasm._malloc(xqBytes + 8 * m);
    try {
      const sx = scratch + xqBytes;
      const zp = sx + 4 * m;
      ex.q8_quantize_rows(offset(b, x!), scratch, sx, zp, m, k, kp);
      const bp = bias ? offset(b, bias) : 0;
      const yp = offset(b, out);
      const gelu = attrs.gelu ? 1 : 0;
      // (A call with the GELU fused in is not one of the calibration's timings: it would weigh that GEMM's choice.)
      runQ8Gemm(ex, heapOf(b), gelu ? 0 : m * kp * n, (gemm) => gemm(scratch, sx, zp, packed.ptr, packed.wsum, packed.scales, bp, yp, m, kp, n, gelu));
    } finally {
      b.wasm._free(scratch);
    }
    return out;
  });
}

/**
 * Register the int8 feed-forward block: inputs x [M, H], upBias [I], downBias [H]; attrs { up, down:
 * Q8KernelWeight, rows: number } -> y [M, H] = down(gelu(up(x) + upBias)) + downBias, exact-erf GELU. The same
 * kernel calls as denseQ8Gelu then denseQ8 (the same bits: every step works row by row), run over `rows` rows at a
 * time inside this one call: the [rows, I] intermediate and its quantized copy live in one scratch block of tfjs'
 * heap, reused, instead of a [M, I] tensor, and no tfjs op runs between the steps (the earlier chunking sliced x and
 * concatenated the chunks' outputs as tensors: 4-6% of a q8 passages encode on Node 22).
 */
function registerFfnQ8(): void {
  registerWasm(KERNEL_FFN_Q8, (ex, b, { x, upBias, downBias }, attrs) => {
    const up = attrs.up as Q8KernelWeight;
    const down = attrs.down as Q8KernelWeight;
    const chunk = attrs.rows as number;
    const [m, h] = x!.shape;
    const inter = up.outFeatures;
    const hp = (h + 3) & ~3;
    const ip = (inter + 3) & ~3;
    const pu = q8PackedFor(b, ex, [up]);
    const pd = q8PackedFor(b, ex, [down]);
    const out = b.makeOutput([m, h], 'float32');
    const rows = Math.min(chunk, m);
    const act = ex.q8_act_bytes();
    // Scratch: xq [rows, max(Hp, Ip)] 7-bit, sx [rows], zp [rows], then the intermediate [rows, I] float32.
    const xqBytes = (rows * Math.max(hp, ip) * act + 3) & ~3;
    const scratch = b.wasm._malloc(xqBytes + 8 * rows + 4 * rows * inter);
    try {
      const sx = scratch + xqBytes;
      const zp = sx + 4 * rows;
      const mid = zp + 4 * rows;
      const xp = offset(b, x!);
      const yp = offset(b, out);
      const ub = upBias ? offset(b, upBias) : 0;
      const db = downBias ? offset(b, downBias) : 0;
      const memory = heapOf(b);
      for (let r0 = 0; r0 < m; r0 += rows) {
        const n = Math.min(rows, m - r0);
        ex.q8_quantize_rows(xp + r0 * h * 4, scratch, sx, zp, n, h, hp);
        runQ8Gemm(ex, memory, 0, (gemm) => gemm(scratch, sx, zp, pu.ptr, pu.wsum, pu.scales, ub, mid, n, hp, inter, 1));
        ex.q8_quantize_rows(mid, scratch, sx, zp, n, inter, ip);
        runQ8Gemm(ex, memory, n * ip * h, (gemm) => gemm(scratch, sx, zp, pd.ptr, pd.wsum, pd.scales, db, yp + r0 * h * 4, n, ip, h, 0));
      }
    } finally {
      b.wasm._free(scratch);
    }
    return out;
  });
}

/**
 * Register the int8 row gather: input ids int32 [...], attrs { table: Q8KernelWeight } ([num, dim] values, one
 * scale per row) -> float32 [..., dim], row i = values[ids[i]] * scales[ids[i]]. Written in JS straight into the
 * output's place in tfjs' heap: no float32 copy of the rows is made in JS memory (a [B, T, dim] array per batch,
 * 12.6 MB for 256-token passages at batch 32, left for the garbage collector). Ids outside [0, num) throw.
 */
function registerGatherQ8(): void {
  registerWasm(KERNEL_GATHER_ROWS_Q8, (_ex, b, { ids }, attrs) => {
    const table = attrs.table as Q8KernelWeight;
    const [num, dim] = [table.outFeatures, table.inFeatures];
    const n = size(ids!.shape);
    const out = b.makeOutput([...ids!.shape, dim], 'float32');
    const values = table.values; // one read (a weight may re-derive it from a packed copy)
    const scales = table.scales;
    const heap = heapOf(b)!.buffer; // (read after makeOutput: its malloc may have grown the memory)
    const idv = new Int32Array(heap, offset(b, ids!), n);
    const y = new Float32Array(heap, offset(b, out), n * dim);
    for (let i = 0; i < n; i++) {
      const id = idv[i];
      if (!(id >= 0 && id < num)) {
        b.disposeData(out.dataId);
        throw new Error(`gatherRowsQ8: id ${id} at ${i} is outside [0, ${num})`);
      }
      const s = scales[id];
      const src = id * dim;
      const dst = i * dim;
      for (let c = 0; c < dim; c++) y[dst + c] = values[src + c] * s;
    }
    return out;
  });
}

/**
 * The backward kernels. Dense: dX = dY W^T by the forward GEMM on W^T's panels (packed per call: the weights
 * change every step), dW = X^T dY by the same GEMM on X transposed and dY's panels, db = column sums of dY.
 */
function registerBackward(): void {
  registerWasm(KERNEL_ADAMW, (ex, b, { p, g, m, v }, attrs) => {
    const [b1, omb1, b2, omb2, decay, bc2, stepSize, eps] = attrs.scalars as number[];
    const outs = [0, 1, 2].map(() => b.makeOutput(p!.shape, 'float32'));
    const [po, mo, vo] = outs.map((o) => offset(b, o));
    ex.adamw_step(offset(b, p!), offset(b, g!), m ? offset(b, m) : 0, v ? offset(b, v) : 0, po, mo, vo, size(p!.shape), m ? 1 : 0, b1, omb1, b2, omb2, decay, bc2, stepSize, eps);
    return outs;
  });
  registerWasm(KERNEL_LINEAR_GRAD, (ex, b, { dy, x, weight }, attrs) => {
    const [m, k] = x!.shape;
    const n = weight!.shape[1];
    const dx = b.makeOutput([m, k], 'float32');
    const dw = b.makeOutput([k, n], 'float32');
    const db = attrs.withBias ? b.makeOutput([n], 'float32') : undefined;
    const [dyp, xp, wp] = [offset(b, dy!), offset(b, x!), offset(b, weight!)];
    const wT = Math.ceil(k / 8) * 8 * n;
    const xT = k * m;
    withScratch(b, Math.max(wT, xT + Math.ceil(n / 8) * 8 * m), (s) => {
      ex.pack_panels_t(wp, s, k, n, n, 0);
      ex.gemm_bias(dyp, s, 0, offset(b, dx), m, n, k);
      ex.transpose2d(xp, s, m, k);
      ex.pack_panels_ld(dyp, s + xT * 4, m, n, n, 0);
      ex.gemm_bias(s, s + xT * 4, 0, offset(b, dw), k, m, n);
    });
    if (db) ex.col_sum(dyp, offset(b, db), m, n, n, 0);
    return db ? [dx, dw, db] : [dx, dw];
  });
  registerWasm(KERNEL_LINEAR_QKV_GRAD, (ex, b, { dy, x, wq, wk, wv }, attrs) => {
    const [m, k] = x!.shape;
    const h = wq!.shape[1];
    const ws = [wq!, wk!, wv!];
    const dx = b.makeOutput([m, k], 'float32');
    const dws = ws.map(() => b.makeOutput([k, h], 'float32'));
    const dbs = attrs.withBias ? ws.map(() => b.makeOutput([h], 'float32')) : [];
    const [dyp, xp] = [offset(b, dy!), offset(b, x!)];
    const wT = Math.ceil(k / 8) * 8 * 3 * h;
    const xT = k * m;
    withScratch(b, Math.max(wT, xT + Math.ceil(h / 8) * 8 * m), (s) => {
      ws.forEach((w, i) => ex.pack_panels_t(offset(b, w), s, k, h, 3 * h, i * h));
      ex.gemm_bias(dyp, s, 0, offset(b, dx), m, 3 * h, k);
      ex.transpose2d(xp, s, m, k);
      dws.forEach((dw, i) => {
        ex.pack_panels_ld(dyp, s + xT * 4, m, h, 3 * h, i * h);
        ex.gemm_bias(s, s + xT * 4, 0, offset(b, dw), k, m, h);
      });
    });
    dbs.forEach((db, i) => ex.col_sum(dyp, offset(b, db), m, h, 3 * h, i * h));
    return [dx, ...dws, ...dbs];
  });
  registerWasm(KERNEL_GELU_GRAD, (ex, b, { x, dy }) => {
    const dx = b.makeOutput(x!.shape, 'float32');
    ex.gelu_erf_grad(offset(b, x!), offset(b, dy!), offset(b, dx), size(x!.shape));
    return dx;
  });
  registerWasm(KERNEL_ADD_LAYER_NORM_GRAD, (ex, b, { x, residual, gamma, dy }, attrs) => {
    const h = x!.shape[x!.shape.length - 1];
    const dx = b.makeOutput(x!.shape, 'float32');
    const dg = b.makeOutput([h], 'float32');
    const dbeta = b.makeOutput([h], 'float32');
    withScratch(b, 2 * h, (s) =>
      ex.add_layer_norm_grad(offset(b, x!), residual ? offset(b, residual) : 0, offset(b, gamma!), offset(b, dy!), offset(b, dx), offset(b, dg), offset(b, dbeta), s, size(x!.shape) / h, h, attrs.eps as number),
    );
    return [dx, dg, dbeta];
  });
  registerWasm(KERNEL_SCATTER_ADD_ROWS, (ex, b, { dy, ids }, attrs) => {
    const [num, dim] = attrs.tableShape as [number, number];
    const out = b.makeOutput([num, dim], 'float32');
    ex.scatter_add_rows(offset(b, dy!), offset(b, ids!), offset(b, out), size(ids!.shape), dim, num);
    return out;
  });
  registerWasm(KERNEL_ATTENTION_GRAD, (ex, b, { q, k, v, qkv, mask, bias, dy }, attrs) => {
    const { numHeads, numKvHeads, scale, scaleMode, causal, window, fill } = attrs as { numHeads: number; numKvHeads: number; scale: number; scaleMode: number; causal: boolean; window: number; fill: boolean };
    const [batch, t, width] = (qkv ?? q)!.shape;
    const hidden = qkv ? width / 3 : width;
    const d = hidden / numHeads;
    const [ldq, ldkv] = qkv ? [3 * hidden, 3 * hidden] : [hidden, numKvHeads * d];
    const [qp, kp, vp] = qkv ? [0, 1, 2].map((i) => offset(b, qkv) + i * hidden * 4) : [offset(b, q!), offset(b, k!), offset(b, v!)];
    // Gradients laid out as the inputs: one [B, T, 3H] for a fused qkv, else dq, dk, dv.
    const outs = qkv ? [b.makeOutput(qkv.shape, 'float32')] : [q!, k!, v!].map((x) => b.makeOutput(x.shape, 'float32'));
    const [dqp, dkp, dvp] = qkv ? [0, 1, 2].map((i) => offset(b, outs[0]) + i * hidden * 4) : outs.map((o) => offset(b, o));
    const dbias = bias ? b.makeOutput(bias.shape, 'float32') : undefined;
    withScratch(b, ex.attention_grad_scratch_floats(t), (s) =>
      ex.attention_grad(
        qp, kp, vp, ldq, ldkv, mask ? offset(b, mask) : 0, bias ? offset(b, bias) : 0, bias ? bias.shape[0] : 0, offset(b, dy!), dqp, dkp, dvp,
        dbias ? offset(b, dbias) : 0, s, batch, t, numHeads, numKvHeads, d, scale, scaleMode, causal ? 1 : 0, window, fill ? 1 : 0,
      ),
    );
    return dbias ? [...outs, dbias] : outs;
  });
}

/**
 * tfjs-backend-wasm 4.22's Slice kernel starts with `backend.readSync(x.dataId)`: a fresh JS copy of the whole input
 * (`HEAPU8.slice`), made on every call and left to the garbage collector, before copying the slice out of that copy
 * into the output in the heap ([tfjs-backend-wasm/src/kernels/Slice.ts](https://github.com/tensorflow/tfjs/blob/tfjs-v4.22.0/tfjs-backend-wasm/src/kernels/Slice.ts)).
 * An int8 encode slices its rows into blocks (the feed-forward in rows of 512, the forward in groups of sequences),
 * so each batch left megabytes of dead ArrayBuffers behind: ~106 MB over 300 sentences on minilm-l6-full, the
 * transient of the int8 model's peak RSS on sentences (docs/q8.md, "Memory").
 *
 * The replacement copies inside the heap (`copyWithin`, a memmove): the same values, no JS copy. Strings keep the
 * original kernel (their bytes live in JS, not in the heap).
 */
import * as tf from '@tensorflow/tfjs-core';

/** What the replacement needs of tfjs' wasm backend. */
interface WasmSliceBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

let slicePatched = false;

/** Replace the wasm backend's Slice kernel by one that copies within the heap (idempotent; no-op without it). */
export function patchWasmSlice(): void {
  if (slicePatched) return;
  const slice = tf.getKernel('Slice', 'wasm');
  if (!slice) return;
  const original = slice.kernelFunc;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    ...slice,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return original(args);
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
      return sliceInHeap(args.backend as unknown as WasmSliceBackend, x, begin, size);
    },
  });
  slicePatched = true;
}

/** `x[begin : begin + size]` of a numeric tensor in the wasm heap, copied run by run inside the heap. */
function sliceInHeap(backend: WasmSliceBackend, x: tf.TensorInfo, begin: number | number[], size: number | number[] | undefined): tf.TensorInfo {
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  const out = backend.makeOutput(s, x.dtype); // (may grow the heap: HEAPU8 is read after it)
  const total = s.reduce((a, v) => a * v, 1);
  if (total === 0) return out;
  const bytes = tf.util.bytesPerElement(x.dtype); // float32, int32: 4; bool: 1 (tfjs-wasm's layouts)
  const heap = backend.wasm.HEAPU8;
  const src = backend.dataIdMap.get(x.dataId)!.memoryOffset;
  let dst = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  const rank = x.shape.length;
  if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
    const start = src + tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape)) * bytes;
    heap.copyWithin(dst, start, start + total * bytes);
    return out;
  }
  // Runs along the last axis, the leading indices counted like an odometer.
  const strides = tf.util.computeStrides(x.shape); // [rank - 1] elements per step of each leading axis
  const run = s[rank - 1] * bytes;
  const idx = new Array<number>(rank - 1).fill(0);
  for (let done = 0; done < total; done += s[rank - 1]) {
    let off = b[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (b[d] + idx[d]) * strides[d];
    heap.copyWithin(dst, src + off * bytes, src + off * bytes + run);
    dst += run;
    for (let d = rank - 2; d >= 0 && ++idx[d] === s[d]; d--) idx[d] = 0;
  }
  return out;
}

export { float32HeapView, installWasmKernels, wasmKernelsActive, wasmKernelsFlavor, wasmLinearActive, disableWasmKernels, enableWasmKernels } from './wasm_kernels.js';
export { adamwKernel, attentionKernel, addLayerNormKernel, gatherRowsKernel, geluKernel, linearKernel, linearQkvKernel, type AttentionKernelOptions } from './wasm_ops.js';
export { addLayerNorm, attention, dense, denseQ8, denseQkv, gatherRows, gelu, splitQkv, type AttentionOptions, type DenseParams, type PaddingMask, type QkvProjections } from './ops.js';

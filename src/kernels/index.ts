export { installWasmKernels, wasmKernelsActive, disableWasmKernels, enableWasmKernels } from './wasm_kernels.js';
export { attentionKernel, addLayerNormKernel, gatherRowsKernel, geluKernel, type AttentionKernelOptions } from './ops.js';

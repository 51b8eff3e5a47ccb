export { installWasmKernels, wasmKernelsActive, wasmKernelsFlavor, wasmLinearActive, disableWasmKernels, enableWasmKernels } from './wasm_kernels.js';
export { attentionKernel, addLayerNormKernel, gatherRowsKernel, geluKernel, linearKernel, linearQkvKernel, type AttentionKernelOptions } from './ops.js';

/**
 * Moved to formats/safetensors.ts (the tfjs-free bottom layer). This re-export keeps old import paths compiling;
 * import from '../formats/safetensors.js' in new code.
 */
export * from '../formats/safetensors.js';

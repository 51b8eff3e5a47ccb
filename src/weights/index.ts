export * from '../formats/safetensors.js';
export * from './sharded.js';
export * from './load.js';
export * from './weight_map.js';
export * from './q8.js';

/** The fuzz targets by name. */
import { configTarget } from './config_target.js';
import { q8Target } from './q8_target.js';
import { safetensorsTarget } from './safetensors_target.js';
import { tokenizerTarget } from './tokenizer_target.js';
import type { Target } from './types.js';

export const TARGETS: Readonly<Record<string, Target>> = {
  safetensors: safetensorsTarget,
  config: configTarget,
  tokenizer: tokenizerTarget,
  q8: q8Target,
};

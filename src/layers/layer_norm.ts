/**
 * `nn.LayerNorm` over the last axis, as torch computes it: mean, biased variance, `(x - mean) / sqrt(var + eps) * w + b`.
 * https://pytorch.org/docs/1.13/generated/torch.nn.LayerNorm.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { addLayerNorm } from '../kernels/ops.js';
import type { WeightMap } from '../weights/index.js';

export class LayerNorm {
  constructor(
    readonly weight: tf.Tensor1D, // [H]
    readonly bias: tf.Tensor1D, // [H]
    readonly eps: number,
  ) {}

  /** Load `name.weight` and `name.bias` ([size] each) from `wm`. */
  static load(wm: WeightMap, name: string, size: number, eps: number): LayerNorm {
    const sub = wm.pp(name);
    return new LayerNorm(sub.get('weight', [size]), sub.get('bias', [size]), eps);
  }

  /** x [..., H] -> LayerNorm(x + residual) [..., H] (`residual`, same shape, is optional), the fused op. */
  apply<T extends tf.Tensor>(x: T, residual?: tf.Tensor): T {
    return addLayerNorm(x, residual, this.weight, this.bias, this.eps);
  }
}

/**
 * `nn.LayerNorm` over the last axis, as torch computes it: mean, biased variance, `(x - mean) / sqrt(var + eps) * w + b`.
 * Without a bias (`nn.LayerNorm(..., bias=False)`, ModernBERT's `norm_bias: false`) b is a zero vector made here:
 * adding 0 leaves every float32 value as torch's bias-free path computes it.
 * https://pytorch.org/docs/2.1/generated/torch.nn.LayerNorm.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { addLayerNorm } from '../kernels/ops.js';
import type { WeightMap } from '../weights/index.js';

export class LayerNorm {
  constructor(
    readonly weight: tf.Tensor1D, // [H]
    readonly bias: tf.Tensor1D, // [H]
    readonly eps: number,
    /** Whether `bias` was made here (a bias-free norm's zeros) and is freed by {@link dispose}. */
    private readonly ownsBias = false,
  ) {}

  /** Load `name.weight` and (with `bias`, the default) `name.bias` ([size] each) from `wm`. */
  static load(wm: WeightMap, name: string, size: number, eps: number, bias = true): LayerNorm {
    const sub = wm.pp(name);
    if (bias) return new LayerNorm(sub.get('weight', [size]), sub.get('bias', [size]), eps);
    // The zeros are held by the WeightMap (freed with it, also when a later tensor of the load is missing).
    return new LayerNorm(sub.get('weight', [size]), sub.derived<tf.Rank.R1>(`zeros${size}`, () => tf.zeros([size], 'float32')), eps);
  }

  /** x [..., H] -> LayerNorm(x + residual) [..., H] (`residual`, same shape, is optional), the fused op. */
  apply<T extends tf.Tensor>(x: T, residual?: tf.Tensor): T {
    return addLayerNorm(x, residual, this.weight, this.bias, this.eps);
  }

  /** Free the zero bias of a bias-free norm (the weights belong to the WeightMap). */
  dispose(): void {
    if (this.ownsBias) this.bias.dispose();
  }
}

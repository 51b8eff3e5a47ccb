/**
 * `nn.LayerNorm` over the last axis, as torch computes it: mean, biased variance, `(x - mean) / sqrt(var + eps) * w + b`.
 * https://pytorch.org/docs/1.13/generated/torch.nn.LayerNorm.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { addLayerNormKernel } from '../kernels/ops.js';
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

  /**
   * x [..., H] -> LayerNorm(x + residual) [..., H] (`residual`, same shape, is optional): one fused pass with the
   * wasm kernels installed, else stock ops.
   */
  apply<T extends tf.Tensor>(x: T, residual?: tf.Tensor): T {
    const fused = addLayerNormKernel(x, residual, this.weight, this.bias, this.eps);
    if (fused) return fused;
    return tf.tidy(() => this.composite(residual ? (tf.add(x, residual) as T) : x));
  }

  private composite<T extends tf.Tensor>(x: T): T {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true); // [..., 1]
    const centered = tf.sub(x, mean); // [..., H]
    const variance = tf.mean(tf.square(centered), axis, true); // [..., 1], biased
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps)));
    return tf.add(tf.mul(normed, this.weight), this.bias) as T;
  }
}

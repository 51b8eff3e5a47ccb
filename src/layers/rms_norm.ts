/**
 * RMSNorm over the last axis, as HF computes it in float32: `x * rsqrt(mean(x^2) + eps)`, then scaled by the
 * weight (`LlamaRMSNorm` / `Qwen3RMSNorm`: `w * x_hat`) or by `1 + w` (`Gemma3RMSNorm`, whose weights are stored
 * as offsets from one: construct it with `{ offset: 1 }`).
 * Qwen3:  https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/qwen2/modeling_qwen2.py
 * Gemma3: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/gemma/modeling_gemma.py
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightMap } from '../weights/index.js';

export interface RMSNormOptions {
  /** Added to the weight before scaling: 0 for Llama/Qwen (`w * x_hat`), 1 for Gemma (`(1 + w) * x_hat`). */
  offset?: number;
}

export class RMSNorm {
  /** The effective scale [H] (`weight + offset`), computed once at load. */
  private readonly scale: tf.Tensor1D;

  constructor(
    readonly weight: tf.Tensor1D, // [H]
    readonly eps: number,
    readonly options: RMSNormOptions = {},
    /** The scale `weight + offset` when the caller made it and owns it (a WeightMap's derived tensor). */
    scale?: tf.Tensor1D,
  ) {
    if (!(eps > 0)) throw new Error(`RMSNorm: eps must be a positive number, got ${eps}`);
    const offset = options.offset ?? 0;
    this.ownsScale = offset !== 0 && scale === undefined;
    // Gemma computes `1.0 + weight.float()` in float32 on every call; doing it once gives the same float32 values.
    this.scale = offset === 0 ? weight : (scale ?? tf.keep(tf.add(weight, offset)));
  }

  /** Whether {@link dispose} frees the scale (made here, not held by a WeightMap). */
  private readonly ownsScale: boolean;

  /** Load `name.weight` [size] from `wm` (the derived scale is held by `wm`, freed with it). */
  static load(wm: WeightMap, name: string, size: number, eps: number, options: RMSNormOptions = {}): RMSNorm {
    const sub = wm.pp(name);
    const weight = sub.get<tf.Rank.R1>('weight', [size]);
    const offset = options.offset ?? 0;
    const scale = offset === 0 ? undefined : sub.derived<tf.Rank.R1>(`scale+${offset}`, () => tf.add(weight, offset));
    return new RMSNorm(weight, eps, options, scale);
  }

  /** x [..., H] -> [..., H]. */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => {
      const variance = tf.mean(tf.square(x), x.rank - 1, true); // [..., 1]
      return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, this.eps))), this.scale) as T;
    });
  }

  /** Free the derived scale (the weight belongs to the WeightMap). */
  dispose(): void {
    if (this.ownsScale) this.scale.dispose();
  }
}

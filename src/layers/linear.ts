/**
 * `nn.Linear` over the last axis: `y = x @ W^T + b`, with W already transposed to [in, out] by
 * {@link WeightMap.linear} (the one place PyTorch's [out, in] layout is handled). Loaded from a weight map with
 * dtype 'q8', W is int8 per output channel ({@link WeightMap.linearQ8}) and the layer runs `denseQ8`.
 * https://pytorch.org/docs/1.13/generated/torch.nn.Linear.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense, denseQ8 } from '../kernels/ops.js';
import type { LinearParams, Q8LinearParams, Q8LinearWeight, WeightMap } from '../weights/index.js';

export class Linear {
  readonly bias?: tf.Tensor1D; // [out]
  /** The int8 weight of a quantized layer (then `weight` is only made, dequantized, if something reads it). */
  readonly q8?: Q8LinearWeight;
  private w?: tf.Tensor2D;

  constructor(
    params: LinearParams | Q8LinearParams,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    if ('q8' in params) this.q8 = params.q8;
    else this.w = params.weight;
    this.bias = params.bias;
  }

  /**
   * The weight [in, out]. For an int8 layer, a float copy dequantized on first read (kept, and freed with the
   * int8 weight); the forward pass never reads it.
   */
  get weight(): tf.Tensor2D {
    if (!this.w) {
      const q = this.q8!;
      const w = tf.tidy(() => tf.transpose(tf.tensor2d(q.dequantize(), [q.outFeatures, q.inFeatures])) as tf.Tensor2D); // [out, in] -> [in, out]
      tf.keep(w);
      q.onDispose(() => w.dispose());
      this.w = w;
    }
    return this.w;
  }

  /**
   * Load `name.weight` [out, in] (and `name.bias` [out]) from `wm`: int8 when `wm.dtype` is 'q8', except the
   * attention output projections, kept float32 unless the file holds them int8 ({@link WeightMap.quantizesLinear})
   * or `q8ActGroup` is given: G > 0 (the head size; a multiple of 4 dividing inFeatures) makes the layer int8 with
   * one activation scale per row and group of G inputs (per head; {@link Q8LinearWeight.actGroup}).
   */
  static load(wm: WeightMap, name: string, inFeatures: number, outFeatures: number, bias = true, q8ActGroup = 0): Linear {
    const grouped = wm.dtype === 'q8' && q8ActGroup > 0 && q8ActGroup % 4 === 0 && inFeatures % q8ActGroup === 0;
    const params = grouped || wm.quantizesLinear(name) ? wm.linearQ8(name, inFeatures, outFeatures, bias) : wm.linear(name, inFeatures, outFeatures, bias);
    if (grouped && 'q8' in params) params.q8.actGroup = q8ActGroup;
    return new Linear(params, inFeatures, outFeatures);
  }

  /** x [..., in] -> [..., out]. */
  apply<T extends tf.Tensor>(x: T): T {
    return this.q8 ? denseQ8(x, this.q8, this.bias) : dense(x, this.weight, this.bias);
  }
}

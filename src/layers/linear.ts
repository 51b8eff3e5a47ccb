/**
 * `nn.Linear` over the last axis: `y = x @ W^T + b`, with W already transposed to [in, out] by
 * {@link WeightMap.linear} (the one place PyTorch's [out, in] layout is handled).
 * https://pytorch.org/docs/1.13/generated/torch.nn.Linear.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../kernels/ops.js';
import type { LinearParams, WeightMap } from '../weights/index.js';

export class Linear {
  readonly weight: tf.Tensor2D; // [in, out]
  readonly bias?: tf.Tensor1D; // [out]

  constructor(
    params: LinearParams,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    this.weight = params.weight;
    this.bias = params.bias;
  }

  /** Load `name.weight` [out, in] (and `name.bias` [out]) from `wm`. */
  static load(wm: WeightMap, name: string, inFeatures: number, outFeatures: number, bias = true): Linear {
    return new Linear(wm.linear(name, inFeatures, outFeatures, bias), inFeatures, outFeatures);
  }

  /** x [..., in] -> [..., out]. */
  apply<T extends tf.Tensor>(x: T): T {
    return dense(x, this.weight, this.bias);
  }
}

/**
 * `nn.Embedding`: row lookup in a [num, dim] table.
 * https://pytorch.org/docs/1.13/generated/torch.nn.Embedding.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRowsKernel } from '../kernels/ops.js';
import type { WeightMap } from '../weights/index.js';

export class Embedding {
  constructor(readonly table: tf.Tensor2D) {} // [num, dim]

  /** Load `name.weight` [num, dim] from `wm`. */
  static load(wm: WeightMap, name: string, num: number, dim: number): Embedding {
    return new Embedding(wm.pp(name).get('weight', [num, dim]));
  }

  get num(): number {
    return this.table.shape[0];
  }

  /** ids int32 [...] -> [..., dim]. Ids must lie in [0, num): callers validate them (tf.gather does not). */
  apply(ids: tf.Tensor): tf.Tensor {
    const i32 = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
    const fast = gatherRowsKernel(this.table, i32);
    if (fast) {
      if (i32 !== ids) i32.dispose();
      return fast;
    }
    return tf.gather(this.table, i32);
  }
}

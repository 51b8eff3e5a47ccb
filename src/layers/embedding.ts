/**
 * `nn.Embedding`: row lookup in a [num, dim] table.
 * https://pytorch.org/docs/1.13/generated/torch.nn.Embedding.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '../kernels/ops.js';
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
    return gatherRows(this.table, ids);
  }
}

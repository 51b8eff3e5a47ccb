/**
 * `nn.Embedding`: row lookup in a [num, dim] table. Loaded from a weight map with dtype 'q8', a large table
 * (at least {@link Q8_EMBEDDING_MIN_ENTRIES} entries: the word embeddings) is int8 per row (the scheme of the
 * linear weights, src/weights/q8.ts) and rows are dequantized as they are gathered.
 * https://pytorch.org/docs/1.13/generated/torch.nn.Embedding.html
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows, gatherRowsQ8 } from '../kernels/ops.js';
import type { Q8LinearWeight, WeightMap } from '../weights/index.js';

/** Tables with at least this many entries are stored int8 in a 'q8' model (smaller ones stay float32). */
export const Q8_EMBEDDING_MIN_ENTRIES = 1 << 20;

export class Embedding {
  /** The int8 table of a quantized embedding (rows = `values` rows, one scale each). */
  readonly q8?: Q8LinearWeight;
  private t?: tf.Tensor2D;

  constructor(table: tf.Tensor2D | Q8LinearWeight) {
    if (table instanceof tf.Tensor) this.t = table; // [num, dim]
    else this.q8 = table;
  }

  /** Load `name.weight` [num, dim] from `wm` (int8 per row when `wm.dtype` is 'q8' and the table is large). */
  static load(wm: WeightMap, name: string, num: number, dim: number): Embedding {
    if (wm.dtype === 'q8' && num * dim >= Q8_EMBEDDING_MIN_ENTRIES) return new Embedding(wm.linearQ8(name, dim, num, false).q8);
    return new Embedding(wm.pp(name).get('weight', [num, dim]));
  }

  /** The table [num, dim]; for an int8 table, a float copy dequantized on first read (the lookup never reads it). */
  get table(): tf.Tensor2D {
    if (!this.t) {
      const q = this.q8!;
      const t = tf.tensor2d(q.dequantize(), [q.outFeatures, q.inFeatures]);
      q.onDispose(() => t.dispose());
      this.t = t;
    }
    return this.t;
  }

  get num(): number {
    return this.q8 ? this.q8.outFeatures : this.table.shape[0];
  }

  /** ids int32 [...] -> [..., dim]. Ids must lie in [0, num): callers validate them (tf.gather does not). */
  apply(ids: tf.Tensor): tf.Tensor {
    return this.q8 ? gatherRowsQ8(this.q8, ids) : gatherRows(this.table, ids);
  }
}

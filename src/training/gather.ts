/**
 * 6.0.1's `gather_across_devices` under data-parallel training (./data_parallel.ts): MultipleNegativesRankingLoss
 * (and its symmetric and cached variants) score each rank's anchors against EVERY rank's candidates. In Python the
 * embeddings go through `all_gather_with_grad` (torch.distributed.nn.all_gather): each rank's loss uses the gathered
 * `[batch × world, dim]` columns with its anchors at offset `rank × batch`, and the backward of the gather hands
 * each rank the SUM over ranks of the gradients with respect to its own rows (gloo: an all-to-all, then a sum).
 * DDP then averages the parameter gradients, so the update is the gradient of the mean of the ranks' losses: the
 * gradient of one MNRL over the global batch (the loss is not multiplied by the world size: sentence-transformers'
 * `compute_loss` replaces the transformers one that would).
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/util/distributed.py (`all_gather_with_grad`)
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/multiple_negatives_ranking.py (`compute_loss_from_embeddings`: the offset)
 * https://github.com/pytorch/pytorch/blob/v2.5.0/torch/distributed/nn/functional.py (`_AllGather.backward`)
 *
 * tfjs' tape cannot stay open across the exchange (the workers answer asynchronously), so each micro-step runs as
 * GradCache does (gradients exact; one more forward pass per shard):
 *   1. every rank embeds its shard OFF the tape (in the loss's mini-batches, each with its own dropout seed) and the
 *      coordinator concatenates the ranks' columns in rank order (the all-gather);
 *   2. every rank computes its loss on the gathered columns and its gradient with respect to all of them; the
 *      coordinator sums, for each rank's rows, the ranks' gradients in rank order (float32) and sends each rank its
 *      own rows' sum with the shard (the all-gather's backward);
 *   3. in the step, every rank replays its mini-batches ON the tape with the same seeds and backpropagates that
 *      gradient through them (`sum(embeddings × grad)`), summing the parameter gradients; then the usual all-reduce.
 */
import * as tf from '@tensorflow/tfjs-core';
import { replayMiniBatches } from '../losses/grad_cache.js';
import type { GatherSpec, ModelLossContext } from '../losses/types.js';
import type { DataParallelGroup, ShardWork } from './data_parallel.js';

/** One rank's shard of one gathered micro-step, from its embeddings (phase 1) to its parameter gradients (phase 3). */
export class GatherShard {
  /** This rank's embeddings (phase 1): one `[rows * dim]` array per column. */
  readonly embeddings: Float32Array[];
  /** The embedding width. */
  readonly dim: number;
  /** Each column's mini-batches (`spec.miniBatches`, else the whole shard). */
  private readonly ranges: [number, number][][];
  private readonly seeds: number[][];
  /** The rank's unscaled loss (phase 2). */
  private loss: number | undefined;

  /** Phase 1: embed every column of the shard off the tape, in `spec.miniBatches`. `lossScale`: 1 / accumulation steps. */
  constructor(
    private readonly ctx: ModelLossContext,
    private readonly spec: GatherSpec,
    private readonly lossScale: number,
    private readonly what: string,
  ) {
    if (ctx.columns < 2) throw new Error(`${what}: needs at least 2 text columns (anchor, positive), got ${ctx.columns}`);
    this.ranges = Array.from({ length: ctx.columns }, (_, c): [number, number][] => (spec.miniBatches ? spec.miniBatches(ctx.tokenCounts(c)) : [[0, ctx.rows]]));
    // The dropout seed of each (column, mini-batch), replayed in phase 3 (Python's RandContext).
    this.seeds = this.ranges.map((r) => r.map(() => ctx.nextSeed()));
    let dim = 0;
    this.embeddings = this.seeds.map((colSeeds, c) => {
      const rep = tf.tidy(() => tf.concat(this.ranges[c].map(([s, e], k) => ctx.embed(c, s, e, colSeeds[k])), 0)); // [rows, dim]
      dim = rep.shape[1];
      const data = rep.dataSync() as Float32Array;
      rep.dispose();
      return data;
    });
    this.dim = dim;
  }

  /**
   * Phase 2: the rank's loss on the gathered columns (each `[rows * world * dim]`, ranks in order; its anchors at
   * offset `rank * rows`) and the gradient of `lossScale * loss` with respect to every gathered column.
   */
  lossGrads(gathered: Float32Array[], rank: number): { loss: number; grads: Float32Array[] } {
    const lossScale = this.lossScale;
    const b = this.ctx.rows;
    if (gathered.length !== this.embeddings.length) throw new Error(`${this.what}: ${gathered.length} gathered columns for a shard of ${this.embeddings.length}`);
    const w = gathered[0].length / this.dim;
    if (!Number.isInteger(w) || w % b !== 0 || gathered.some((g) => g.length !== w * this.dim)) {
      throw new Error(`${this.what}: gathered columns of [${gathered.map((g) => g.length).join(', ')}] values are not [world × ${b} rows × ${this.dim}]`);
    }
    const cols = gathered.map((g) => tf.tensor2d(g, [w, this.dim], 'float32'));
    let raw: tf.Scalar | undefined;
    try {
      const out = tf.valueAndGrads((...e: tf.Tensor[]) => {
        const l = this.spec.compute(e as tf.Tensor2D[], rank * b, b);
        if (lossScale === 1) return l;
        raw = tf.keep(tf.clone(l));
        return tf.mul(l, lossScale) as tf.Scalar;
      })(cols);
      this.loss = (raw ?? out.value).dataSync()[0];
      const grads = out.grads.map((g) => g.dataSync() as Float32Array);
      tf.dispose([out.value, ...out.grads]); // spread-ok: one gradient per text column
      return { loss: this.loss, grads };
    } finally {
      raw?.dispose();
      tf.dispose(cols);
    }
  }

  /**
   * Phase 3: backpropagate `own` (the summed gradients of this rank's rows, one `[rows * dim]` array per column)
   * through the shard's mini-batches replayed on the tape. Returns the loss of phase 2 and the parameter gradients
   * (by variable name; the caller owns them).
   */
  backward(own: readonly Float32Array[]): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    if (this.loss === undefined) throw new Error(`${this.what}: the gathered backward ran before the gathered loss`);
    if (own.length !== this.embeddings.length || own.some((g, c) => g.length !== this.embeddings[c].length)) {
      throw new Error(`${this.what}: the gathered gradients [${own.map((g) => g.length).join(', ')}] do not match the shard's embeddings [${this.embeddings.map((e) => e.length).join(', ')}]`);
    }
    const grads: Record<string, tf.Tensor> = {};
    try {
      replayMiniBatches(this.ctx, this.ranges, this.seeds, (c, s, e) => tf.tensor2d(own[c].subarray(s * this.dim, e * this.dim), [e - s, this.dim], 'float32'), grads);
    } catch (e) {
      tf.dispose(Object.values(grads));
      throw e;
    }
    return { loss: tf.scalar(this.loss, 'float32'), grads };
  }
}

/** The ranks' columns concatenated in rank order (the all-gather): `perRank[rank][column]` -> one array per column. */
export function concatRanks(perRank: readonly Float32Array[][]): Float32Array[] {
  return perRank[0].map((_, c) => {
    const out = new Float32Array(perRank.reduce((n, r) => n + r[c].length, 0));
    let off = 0;
    for (const r of perRank) {
      out.set(r[c], off);
      off += r[c].length;
    }
    return out;
  });
}

/**
 * The all-gather's backward: rank `r`'s rows of every rank's gradient (`perRank[j][column]`, each `[world × size]`
 * values), summed over j in rank order, each addition rounded to float32 (torch: a stack, then a sum over ranks).
 */
export function sumOwnRows(perRank: readonly Float32Array[][], rank: number): Float32Array[] {
  const n = perRank.length;
  return perRank[0].map((_, c) => {
    const size = perRank[0][c].length / n;
    const out = perRank[0][c].slice(rank * size, (rank + 1) * size);
    for (let j = 1; j < n; j++) {
      const src = perRank[j][c];
      for (let i = 0; i < size; i++) out[i] = Math.fround(out[i] + src[rank * size + i]);
    }
    return out;
  });
}

/**
 * Phases 1 and 2 of every gathered micro-step of one optimizer step (`gathers(work)`), over the group: rank 0's
 * shards run here (`local`) while the workers run theirs. Sets each gathered shard's `gather` (its key and its
 * rows' summed gradients) for the step that follows (phase 3), and returns rank 0's shards by key (the caller
 * disposes nothing: they hold no tensors).
 */
export async function gatherShards(
  group: DataParallelGroup,
  shards: ShardWork[][],
  gathers: (w: ShardWork) => boolean,
  local: (w: ShardWork) => GatherShard,
): Promise<Map<number, GatherShard>> {
  const mine = new Map<number, GatherShard>();
  for (let m = 0; m < shards[0].length; m++) {
    if (!gathers(shards[0][m])) continue;
    const remote = group.gatherEmbed(m, shards.slice(1).map((s) => s[m]));
    remote.catch(() => undefined); // awaited below, after rank 0's own
    const own = local(shards[0][m]);
    mine.set(m, own);
    const gathered = concatRanks([own.embeddings].concat(await remote));
    const remoteGrads = group.gatherLoss(m, gathered);
    remoteGrads.catch(() => undefined);
    const grads = [own.lossGrads(gathered, 0).grads].concat(await remoteGrads);
    shards.forEach((s, r) => (s[m].gather = { key: m, own: sumOwnRows(grads, r) }));
  }
  return mine;
}

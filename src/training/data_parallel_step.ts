/**
 * One data-parallel optimizer step, shared by both trainers: the step's micro-batches cut into per-rank shards, the
 * gradients computed on every rank and averaged (rank 0 here, ranks 1..N-1 in their workers: ./data_parallel.ts), and
 * the replicas' parameter check.
 * https://github.com/pytorch/pytorch/blob/v2.5.0/torch/nn/parallel/distributed.py (gradients all-reduced, divided by
 * the world size)
 */

import * as tf from '@tensorflow/tfjs-core';
import type { NamedParameter } from '../weights/index.js';
import { accumulateGrads, paramsChecksum, unflattenGrads, type DataParallelGroup, type ShardWork } from './data_parallel.js';
import type { Example } from './datasets.js';
import type { Rng } from './rng.js';

/**
 * The shards of one optimizer step's micro-batches (both trainers): each batch cut into `n` equal contiguous shards
 * (rank r: rows [r * B / n, (r + 1) * B / n)), one dropout seed from `rng` per shard in micro-batch then rank order,
 * each loss scaled by 1 / (micro-batches); `shards[rank]` lists that rank's work in micro-batch order. `hint` ends
 * the error for a batch that does not divide (how to avoid one).
 */
export function shardMicroBatches(micro: readonly { objective: number; examples: Example[] }[], n: number, rng: Rng, step: number, epoch: number, hint: string): ShardWork[][] {
  const shards: ShardWork[][] = Array.from({ length: n }, () => []);
  const scale = 1 / micro.length;
  for (const { objective, examples } of micro) {
    if (examples.length % n !== 0) {
      throw new Error(`dataParallel: the batch of step ${step + 1} (epoch ${epoch}) has ${examples.length} rows, not divisible by workers = ${n}: each step's batch is cut into ${n} equal shards (${hint})`);
    }
    const k = examples.length / n;
    for (let r = 0; r < n; r++) shards[r].push({ objective, examples: examples.slice(r * k, (r + 1) * k), seed: rng.int(2 ** 31), scale });
  }
  return shards;
}

/** Throw unless every replica's parameters have rank 0's checksum after `step` (`verifyEvery`). */
export async function verifyReplicas(group: DataParallelGroup, params: readonly NamedParameter[], step: number): Promise<void> {
  const mine = paramsChecksum(params);
  (await group.checksums()).forEach((x, i) => {
    if (x !== mine) throw new Error(`dataParallel: replica rank ${i + 1} differs from rank 0 after step ${step} (parameter checksums ${x} vs ${mine})`);
  });
}

/** The update the replicas take once the gradients are averaged (the same clip limit and lr as rank 0's). */
export interface ReplicaUpdate {
  maxGradNorm: number;
  lr: number;
}

/** One optimizer step's exchange, seen from rank 0 (see {@link allReduceShards}). */
export interface ExchangedStep {
  /** The sum over micro-steps of the mean of the shard losses. */
  lossSum: number;
  /** The averaged gradients of the parameters that have one, by variable name (the caller owns them; unclipped). */
  grads: Record<string, tf.Tensor>;
  /**
   * Await after rank 0's own clip + step, with the norm rank 0 measured: resolves when every replica has stepped,
   * and throws when a replica measured another norm (bit for bit).
   */
  replicasStepped(norm: number): Promise<void>;
}

/**
 * The data-parallel exchange of one optimizer step, the one both trainers (the bi-encoder loop and the CrossEncoder's)
 * call: ranks 1..N-1 compute `shards[rank]` in their workers while `local` computes rank 0's here into the group's
 * gradient buffer (the layout of every parameter of the run, the losses' own variables included); then the all-reduce
 * (summed in rank order, / N, float32; shared arenas or transferred buffers, as {@link DataParallelGroup} chose);
 * then the replicas measure the norm (without their `unclipped` variables), clip and step with `update` while the
 * caller does rank 0's.
 */
export async function allReduceShards(
  group: DataParallelGroup,
  step: number,
  epoch: number,
  shards: ShardWork[][],
  update: ReplicaUpdate,
  local: (w: ShardWork, vars: tf.Variable[]) => { loss: tf.Scalar; grads: Record<string, tf.Tensor> },
): Promise<ExchangedStep> {
  const N = group.size;
  const remote = group.computeShards(step + 1, shards.slice(1));
  remote.catch(() => undefined); // awaited below, after rank 0's own shards
  const losses0: number[] = [];
  let keys: string[] = [];
  const vars = group.layout.params.map((p) => p.variable);
  for (const w of shards[0]) {
    const r = local(w, vars);
    losses0.push((await r.loss.data())[0]);
    r.loss.dispose();
    const got = accumulateGrads(r.grads, group.layout, group.buffer, losses0.length > 1);
    tf.dispose(Object.values(r.grads));
    if (losses0.length > 1 && got.join('\n') !== keys.join('\n')) throw new Error('dataParallel: the shards of one step produced gradients for different parameters');
    keys = got;
  }
  const others = await remote;
  let lossSum = 0;
  for (let m = 0; m < shards[0].length; m++) {
    let l = losses0[m];
    for (const o of others) l += o.losses[m];
    const mean = l / N;
    if (!Number.isFinite(mean)) {
      throw new Error(`train: the loss is ${mean} at step ${step} (epoch ${epoch}; mean over ${N} data-parallel shards); training stopped before the update, no weights were changed or saved`);
    }
    lossSum += mean;
  }
  others.forEach((o, i) => {
    if (o.keys.join('\n') !== keys.join('\n')) throw new Error(`dataParallel: worker rank ${i + 1} sent gradients for other parameters than rank 0 (${o.keys.length} vs ${keys.length})`);
  });
  const data = await group.allReduce(others);
  // The replicas clip and step on the same averaged gradients at the same lr while the caller does rank 0's.
  const applied = group.apply(keys, data, update.maxGradNorm, update.lr);
  applied.catch(() => undefined); // awaited in replicasStepped; no unhandled rejection while rank 0 steps
  const replicasStepped = async (norm: number) => {
    (await applied).forEach((x, i) => {
      // The same ops on the same float32 values: a different norm means the replicas' backends disagree.
      if (!Object.is(x, norm)) throw new Error(`dataParallel: replica rank ${i + 1} measured the gradient norm ${x} at step ${step + 1}, rank 0 ${norm}`);
    });
  };
  return { lossSum, grads: unflattenGrads(keys, data, group.layout), replicasStepped };
}

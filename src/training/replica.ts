/**
 * The worker's side of data-parallel training (./data_parallel.ts): one replica of the model. On `init` it loads
 * the model, takes rank 0's parameters (and optimizer state, when the run resumes), rebuilds the losses and builds
 * its AdamW; on `step` it runs forward + backward on its shards and sums their flat gradients into its arena (shared
 * exchange) or a buffer it transfers back; on `reduce` (shared) it averages its share of every rank's arena into
 * rank 0's; on `apply` it measures the norm of the averaged gradients (rank 0's arena, or the buffer sent), clips and
 * takes the AdamW step; on `checksum` it hashes its parameters. Messages are handled one at a time, in arrival order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createLoss } from '../losses/registry.js';
import type { Loss } from '../losses/types.js';
import type { ParentPort } from '../platform/workers.js';
import { accumulateGrads, gradLayout, lossFingerprint, paramsChecksum, reduceRange, toWireError, unflattenGrads, type Fault, type GradLayout, type FromReplica, type ReplicaSpec, type ToReplica } from './data_parallel.js';
import { ensureGradients } from './gradients.js';
import { computeGradients, modelParameters, type TrainableSentenceModel } from './loop.js';
import { AdamW, clipGradNorm } from './optimizer.js';
import { Rng } from './rng.js';

/** Loads the replica's model from the spec (once per worker). */
export type ReplicaLoader = (spec: ReplicaSpec) => Promise<TrainableSentenceModel>;

interface Replica {
  rank: number;
  model: TrainableSentenceModel;
  params: ReturnType<typeof modelParameters>;
  vars: tf.Variable[];
  losses: Loss[];
  dropout: Extract<ToReplica, { type: 'init' }>['dropout'];
  optimizer: AdamW;
  layout: GradLayout;
  /** The shared exchange's arenas (index = rank); undefined: transfer. */
  arenas?: Float32Array[];
  fault?: Fault;
}

async function init(msg: Extract<ToReplica, { type: 'init' }>, load: ReplicaLoader): Promise<Replica> {
  await ensureGradients();
  const model = await load(msg.spec);
  const params = modelParameters(model);
  const keys = params.map((p) => p.key);
  if (keys.join('\n') !== msg.params.keys.join('\n')) {
    throw new Error(`the worker's model has parameters [${keys.slice(0, 3).join(', ')}, … ${keys.length}] but rank 0 sent [${msg.params.keys.slice(0, 3).join(', ')}, … ${msg.params.keys.length}]`);
  }
  let off = 0;
  for (const p of params) {
    p.variable.assign(tf.tensor(msg.params.data.subarray(off, off + p.variable.size), p.variable.shape, 'float32'));
    off += p.variable.size;
  }
  const losses = msg.losses.map((r) => {
    const loss = createLoss(r.name, r.options);
    const got = lossFingerprint(loss);
    if (got !== r.fingerprint) {
      throw new Error(`${r.name} rebuilt from ${JSON.stringify(r.options)} is ${got}, not rank 0's ${r.fingerprint}; pass dataParallel.lossOptions (createLoss options)`);
    }
    return loss;
  });
  const optimizer = new AdamW(params, msg.adamw);
  if (msg.optimizerState) optimizer.loadState(msg.optimizerState.steps, msg.optimizerState.tensors);
  const layout = gradLayout(params);
  if (msg.arenas && msg.arenas.some((a) => a.length !== layout.total)) throw new Error(`the gradient arenas hold ${msg.arenas[0].length} values, the worker's parameters ${layout.total}`);
  return { rank: msg.rank, model, params, vars: params.map((p) => p.variable), losses, dropout: msg.dropout, optimizer, layout, arenas: msg.arenas, fault: msg.fault };
}

function step(r: Replica, msg: Extract<ToReplica, { type: 'step' }>, port: ParentPort): void {
  if (r.fault && r.fault.step === msg.step) {
    if (r.fault.kind === 'exit') port.exit(3);
    if (r.fault.kind === 'throw') throw new RangeError(`injected fault in rank ${r.rank} at step ${msg.step}`);
    const v = r.params[0].variable;
    v.assign(tf.tidy(() => tf.add(v, 1e-3)));
  }
  const losses: number[] = [];
  const data = r.arenas?.[r.rank] ?? new Float32Array(r.layout.total);
  let keys: string[] = [];
  for (const s of msg.shards) {
    const g = computeGradients(r.model, r.losses[s.objective], s.examples, r.vars, r.dropout, new Rng(s.seed), s.scale);
    losses.push(g.loss.dataSync()[0]);
    g.loss.dispose();
    const got = accumulateGrads(g.grads, r.layout, data, losses.length > 1);
    tf.dispose(Object.values(g.grads));
    if (losses.length > 1 && got.join('\n') !== keys.join('\n')) throw new Error('the shards of one step produced gradients for different parameters');
    keys = got;
  }
  if (r.arenas) port.post({ type: 'grads', id: msg.id, losses, keys } satisfies FromReplica);
  else port.post({ type: 'grads', id: msg.id, losses, keys, data } satisfies FromReplica, [data.buffer as ArrayBuffer]);
}

/** Clip and step on the averaged gradients; returns the norm measured (no step when it is not finite). */
async function apply(r: Replica, msg: Extract<ToReplica, { type: 'apply' }>): Promise<number> {
  const avg = msg.grads ?? r.arenas?.[0];
  if (!avg) throw new Error('apply without gradients (neither sent nor in a shared arena)');
  const { grads, norm } = await clipGradNorm(unflattenGrads(msg.keys, avg, r.layout), msg.maxGradNorm);
  try {
    if (Number.isFinite(norm)) r.optimizer.step(grads, msg.lr); // rank 0 stops the run on a non-finite norm
  } finally {
    tf.dispose(Object.values(grads));
  }
  return norm;
}

/**
 * A replica worker's message loop (api/train_worker.ts calls it with the model loader). Errors go back to the
 * coordinator with their class and message.
 */
export function serveTrainingReplica(port: ParentPort, load: ReplicaLoader): void {
  let replica: Replica | undefined;
  let queue: Promise<void> = Promise.resolve();
  port.onMessage((raw) => {
    const msg = raw as ToReplica;
    queue = queue.then(async () => {
      if (msg.type === 'init') {
        try {
          replica = await init(msg, load);
          port.post({ type: 'ready' } satisfies FromReplica);
        } catch (e) {
          port.post({ type: 'init-error', error: toWireError(e) } satisfies FromReplica);
        }
        return;
      }
      try {
        if (!replica) throw new Error(`${msg.type} before init`);
        if (msg.type === 'step') step(replica, msg, port);
        else if (msg.type === 'reduce') {
          if (!replica.arenas) throw new Error('reduce without shared arenas');
          reduceRange(replica.arenas, msg.lo, msg.hi);
          port.post({ type: 'reduced', id: msg.id } satisfies FromReplica);
        } else if (msg.type === 'apply') port.post({ type: 'applied', id: msg.id, norm: await apply(replica, msg) } satisfies FromReplica); else if (msg.type === 'checksum') port.post({ type: 'checksum', id: msg.id, value: paramsChecksum(replica.params) } satisfies FromReplica);
      } catch (e) {
        port.post({ type: 'error', id: msg.id, error: toWireError(e) } satisfies FromReplica);
      }
    });
  });
}

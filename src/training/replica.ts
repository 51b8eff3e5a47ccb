/**
 * The worker's side of data-parallel training (./data_parallel.ts): one replica of the model. On `init` it loads
 * the model and rebuilds the losses (the loader: a SentenceTransformer, loop.ts `sentenceReplica`, or a CrossEncoder,
 * cross_encoder_trainer.ts `crossEncoderReplica`), takes rank 0's parameters (the losses' own variables among them)
 * and optimizer state when the run resumes, and builds its AdamW; on `step` it runs forward + backward on its shards
 * and sums their flat gradients (every parameter at its slot of the layout, the losses' own variables included) into
 * its arena (shared exchange) or a buffer it transfers back (a gathered shard, gather_across_devices: `gather-embed`
 * embedded it and `gather-loss` answered its loss's gradient on every rank's embeddings beforehand, ./gather.ts; the
 * step backpropagates the summed gradient of its rows); on `reduce` (shared) it averages its share of every
 * rank's arena into rank 0's; on `apply` it measures the norm of the averaged gradients (rank 0's arena, or the
 * buffer sent) without the losses' own variables, clips (those left unclipped, as on rank 0) and takes the AdamW
 * step; on `checksum` it hashes its parameters. Messages are handled one at a time, in arrival order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DropoutProbs } from '../layers/dropout.js';
import type { ParentPort } from '../platform/workers.js';
import type { NamedParameter } from '../weights/index.js';
import { accumulateGrads, gradLayout, paramsChecksum, reduceRange, toWireError, unflattenGrads, type Fault, type GradLayout, type FromReplica, type LossRecipe, type ReplicaSpec, type ToReplica } from './data_parallel.js';
import type { Example } from './datasets.js';
import { ensureGradients } from './gradients.js';
import type { GatherShard } from './gather.js';
import { AdamW, clipGradNorm } from './optimizer.js';
import { Rng } from './rng.js';

/**
 * One replica as a worker trains it: every parameter that takes part, in rank 0's order (the model's, then the
 * losses' own variables), and one shard's forward + backward (loss and gradients by variable name; caller owns them).
 */
export interface ReplicaModel {
  params: NamedParameter[];
  /** Variable names left out of the clip norm and unclipped (the losses' own variables, as 6.0.1 clips the model's only). */
  unclipped?: ReadonlySet<string>;
  gradients(objective: number, examples: readonly Example[], dropout: DropoutProbs, rng: Rng, scale: number): { loss: tf.Scalar; grads: Record<string, tf.Tensor> };
  /** Phase 1 of a gathered micro-step (./gather.ts): the shard embedded off the tape (losses with gatherAcrossReplicas only). */
  gatherShard?(objective: number, examples: readonly Example[], dropout: DropoutProbs, rng: Rng, scale: number): GatherShard;
}

/** Loads the replica's model from the spec and rebuilds the losses from their recipes (once per worker). */
export type ReplicaLoader = (spec: ReplicaSpec, losses: LossRecipe[]) => Promise<ReplicaModel>;

interface Replica {
  rank: number;
  model: ReplicaModel;
  params: NamedParameter[];
  dropout: Extract<ToReplica, { type: 'init' }>['dropout'];
  optimizer: AdamW;
  layout: GradLayout;
  /** The shared exchange's arenas (index = rank); undefined: transfer. */
  arenas?: Float32Array[];
  fault?: Fault;
  /** This step's gathered shards by key, from gather-embed until the step consumes them. */
  gathering: Map<number, GatherShard>;
}

async function init(msg: Extract<ToReplica, { type: 'init' }>, load: ReplicaLoader): Promise<Replica> {
  await ensureGradients();
  const model = await load(msg.spec, msg.losses);
  const params = model.params;
  const keys = params.map((p) => p.key);
  if (keys.join('\n') !== msg.params.keys.join('\n')) {
    throw new Error(`the worker's model has parameters [${keys.slice(0, 3).join(', ')}, … ${keys.length}] but rank 0 sent [${msg.params.keys.slice(0, 3).join(', ')}, … ${msg.params.keys.length}]`);
  }
  let off = 0;
  for (const p of params) {
    p.variable.assign(tf.tensor(msg.params.data.subarray(off, off + p.variable.size), p.variable.shape, 'float32'));
    off += p.variable.size;
  }
  const optimizer = new AdamW(params, msg.adamw);
  if (msg.optimizerState) optimizer.loadState(msg.optimizerState.steps, msg.optimizerState.tensors);
  const layout = gradLayout(params);
  if (msg.arenas && msg.arenas.some((a) => a.length !== layout.total)) throw new Error(`the gradient arenas hold ${msg.arenas[0].length} values, the worker's parameters ${layout.total}`);
  return { rank: msg.rank, model, params, dropout: msg.dropout, optimizer, layout, arenas: msg.arenas, fault: msg.fault, gathering: new Map() };
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
    const g = s.gather ? gathered(r, s.gather.key).backward(s.gather.own) : r.model.gradients(s.objective, s.examples, r.dropout, new Rng(s.seed), s.scale);
    losses.push(g.loss.dataSync()[0]);
    g.loss.dispose();
    const got = accumulateGrads(g.grads, r.layout, data, losses.length > 1);
    tf.dispose(Object.values(g.grads));
    if (losses.length > 1 && got.join('\n') !== keys.join('\n')) throw new Error('the shards of one step produced gradients for different parameters');
    keys = got;
  }
  r.gathering.clear();
  if (r.arenas) port.post({ type: 'grads', id: msg.id, losses, keys } satisfies FromReplica);
  else port.post({ type: 'grads', id: msg.id, losses, keys, data } satisfies FromReplica, [data.buffer as ArrayBuffer]);
}

function gathered(r: Replica, key: number): GatherShard {
  const g = r.gathering.get(key);
  if (!g) throw new Error(`gathered micro-step ${key} has no embeddings (no gather-embed before the step)`);
  return g;
}

/** Phase 1 of a gathered micro-step (./gather.ts): embed the shard off the tape, keep it for the step. */
function gatherEmbed(r: Replica, msg: Extract<ToReplica, { type: 'gather-embed' }>): Float32Array[] {
  if (!r.model.gatherShard) throw new Error('this replica cannot gather embeddings across replicas');
  const shard = r.model.gatherShard(msg.work.objective, msg.work.examples, r.dropout, new Rng(msg.work.seed), msg.work.scale);
  r.gathering.set(msg.key, shard);
  return shard.embeddings;
}

/**
 * Clip and step on the averaged gradients; returns the norm measured (no step when it is not finite). The losses'
 * own variables (`unclipped`) are out of the norm and unscaled, as on rank 0.
 */
async function apply(r: Replica, msg: Extract<ToReplica, { type: 'apply' }>): Promise<number> {
  const avg = msg.grads ?? r.arenas?.[0];
  if (!avg) throw new Error('apply without gradients (neither sent nor in a shared arena)');
  const { grads, norm } = await clipGradNorm(unflattenGrads(msg.keys, avg, r.layout), msg.maxGradNorm, r.model.unclipped);
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
        else if (msg.type === 'gather-embed') port.post({ type: 'gather-embedded', id: msg.id, embeddings: gatherEmbed(replica, msg) } satisfies FromReplica);
        else if (msg.type === 'gather-loss') port.post({ type: 'gather-grads', id: msg.id, grads: gathered(replica, msg.key).lossGrads(msg.gathered, replica.rank).grads } satisfies FromReplica);
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

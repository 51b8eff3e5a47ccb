/**
 * The optimizer-step loop both bi-encoder entry points run (SentenceTransformerTrainer.train and
 * SentenceTransformer.fit), copying sentence-transformers' step exactly (fixtures README, "Fine-tuning
 * references (multi-step)"):
 *   training mode; each text column tokenized separately; labels float32; loss; backward; grad norm (total L2,
 *   before clipping); clip; AdamW step; THEN the scheduler step (step k runs at lr * lambda(k)); zero grad.
 * https://github.com/huggingface/transformers/blob/v4.41.2/src/transformers/trainer.py (`_inner_training_loop`)
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/trainer.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { inTrainingMode, type DropoutProbs } from '../layers/dropout.js';
import type { Evaluator } from '../evaluation/types.js';
import { createLoss } from '../losses/registry.js';
import type { Loss, ModelLossContext } from '../losses/types.js';
import type { TokenizedBatch } from '../modules/tokenized_batch.js';
import type { Features, SentenceModule } from '../modules/types.js';
import { pathKind, writeDirAtomically } from '../platform/fs.js';
import type { NamedParameter } from '../weights/index.js';
import type { ModelCardData } from './model_card.js';
import { readTrainingState, writeCheckpoint, type LoopPosition } from './checkpoint.js';
import { replicaSpecFor } from './replica_spec.js';
import { checkRebuiltLoss, DataParallelGroup, dataParallelWorkers, lossRecipe, type DataParallelOptions, type LossRecipe, type ReplicaSpec, type ShardWork } from './data_parallel.js';
import { allReduceShards, shardMicroBatches, verifyReplicas, type ExchangedStep, type ReplicaUpdate } from './data_parallel_step.js';
import type { ReplicaModel } from './replica.js';
import { GatherShard, gatherShards } from './gather.js';
import type { Example } from './datasets.js';
import { ensureGradients } from './gradients.js';
import { AdamW, clipGradNorm } from './optimizer.js';
import { Rng } from './rng.js';
import type { LrLambda } from './schedules.js';

/** What the trainers need of a SentenceTransformer (a structural type: training/ sits below api/). */
export interface TrainableSentenceModel {
  /** The pipeline's modules (their `parameters()` are trained). */
  readonly modules: readonly SentenceModule[];
  /** Tokenize one text column (strip, truncate, pad to the longest). */
  tokenize(texts: readonly string[]): TokenizedBatch;
  /** Run the pipeline on a tokenized batch (features with `sentenceEmbedding`). */
  forward(batch: TokenizedBatch): Features;
  /** Write the model to a folder. */
  save(dir: string): Promise<void>;
  /** The model card data the trainers record after a run (`save` writes it as README.md); absent when unsupported. */
  modelCardData?: ModelCardData | null;
  /** What it was loaded from, a hub id or a folder (the card's base model). */
  readonly modelNameOrPath?: string;
  /** The card's max sequence length. */
  readonly maxSeqLength?: number | null;
  /** The card's similarity function. */
  readonly similarityFnName?: string | null;
  /** The card's output dimensionality. */
  getSentenceEmbeddingDimension?(): number | null;
  /** @internal How a worker loads a replica of the model (data-parallel training); absent when the model cannot be replicated. */
  replicaSpec?(): ReplicaSpec;
}

/** The per-step record sent to the callback (and logged). */
export interface StepLog {
  /** Optimizer steps done, counting this one (1-based, as the HF Trainer's `global_step`). */
  step: number;
  /** Fractional epoch after this step. */
  epoch: number;
  /** The batch loss before the update. */
  loss: number;
  /** The learning rate this step used. */
  learningRate: number;
  /** Total L2 norm of the gradients before clipping. */
  gradNorm: number;
}

/** An evaluation during training. */
export interface EvalLog {
  step: number;
  epoch: number;
  metrics: Record<string, number>;
}

/** The parameters of a model, named as PyTorch's `named_parameters()` (`0.auto_model.<hf name>`, `2.linear.weight`). */
export function modelParameters(model: TrainableSentenceModel): NamedParameter[] {
  const out: NamedParameter[] = [];
  model.modules.forEach((m, i) => {
    const prefix = m.typeName.endsWith('.Transformer') ? `${i}.auto_model.` : `${i}.`;
    for (const p of m.parameters?.() ?? []) out.push({ ...p, key: prefix + p.key });
  });
  return out;
}

/**
 * The losses' own variables as parameters of the run (SoftmaxLoss's classifier), after the model's: keyed
 * `loss.<objective>.<name>` with the name PyTorch gives them in the loss module (`classifier.weight`, decayed;
 * `classifier.bias`, not decayed: 6.0.1's trainer groups the loss's named_parameters with the transformers rule).
 * A variable shared by two objectives is listed once.
 */
export function lossParameters(losses: readonly Loss[]): NamedParameter[] {
  const out: NamedParameter[] = [];
  const seen = new Set<tf.Variable>();
  losses.forEach((loss, oi) => {
    const named = loss.namedTrainableVariables?.() ?? (loss.trainableVariables?.() ?? []).map((variable, j) => ({ name: String(j), variable }));
    for (const { name, variable } of named) {
      if (seen.has(variable)) continue;
      seen.add(variable);
      out.push({ key: `loss.${oi}.${name}`, variable, transposed: false });
    }
  });
  return out;
}

/**
 * A data-parallel worker's replica of a SentenceTransformer (./replica.ts): the losses rebuilt from rank 0's
 * recipes (createLoss, checked field by field), the parameters the model's then the losses' own.
 */
export function sentenceReplica(model: TrainableSentenceModel, recipes: readonly LossRecipe[]): ReplicaModel {
  const losses = recipes.map((r) => checkRebuiltLoss(createLoss(r.name, r.options), r));
  const own = lossParameters(losses);
  const params = [...modelParameters(model), ...own];
  const vars = params.map((p) => p.variable);
  return {
    params,
    unclipped: new Set(own.map((p) => p.variable.name)),
    gradients: (objective, examples, dropout, rng, scale) => computeGradients(model, losses[objective], examples, vars, dropout, rng, scale),
    gatherShard: (objective, examples, dropout, rng, scale) => gatherShardOf(model, losses[objective], examples, vars, dropout, rng, scale),
  };
}

/** Phase 1 of a gathered micro-step (./gather.ts) on this replica: the shard tokenized and embedded off the tape. */
export function gatherShardOf(model: TrainableSentenceModel, loss: Loss, batch: readonly Example[], vars: tf.Variable[], dropout: DropoutProbs, rng: Rng, scale: number): GatherShard {
  const spec = loss.gatherAcrossReplicas?.();
  if (!spec) throw new Error(`${loss.name}: it does not gather embeddings across replicas (gatherAcrossDevices is false)`);
  const tokenized = Array.from({ length: batch[0].texts.length }, (_, c) => model.tokenize(batch.map((e) => e.texts[c])));
  return new GatherShard(modelLossContext(model, tokenized, batch.length, null, vars, dropout, rng), spec, scale, loss.name);
}

/** The model's dropout probabilities from its config (HF names; 0 when absent). */
export function dropoutProbs(config: Record<string, unknown> | undefined): DropoutProbs {
  const num = (...keys: string[]) => {
    for (const k of keys) if (typeof config?.[k] === 'number') return config[k] as number;
    return 0;
  };
  return { hidden: num('hidden_dropout_prob', 'dropout'), attention: num('attention_probs_dropout_prob', 'attention_dropout') };
}

/** One objective of a run: its examples (or batches) and its loss. */
export interface Objective {
  loss: Loss;
  /** Epoch (from 0) -> batches of examples (shuffled from the epoch number alone, as 6.0.1's samplers). */
  batches: (epoch: number) => Example[][] | Promise<Example[][]>;
}

/** Everything the loop needs, already resolved from fit()'s options or the training arguments. */
export interface LoopConfig {
  model: TrainableSentenceModel;
  objectives: Objective[];
  epochs: number;
  /** Optimizer steps per epoch (the loop stops an epoch there). */
  stepsPerEpoch: number;
  /** Stop after this many optimizer steps (overrides epochs). */
  maxSteps?: number;
  lr: number;
  lrLambda: LrLambda;
  weightDecay: number;
  maxGradNorm: number;
  betas?: [number, number];
  eps?: number;
  gradientAccumulationSteps: number;
  seed: number;
  dropout: DropoutProbs;
  onStep?: (log: StepLog) => void | Promise<void>;
  loggingSteps?: number;
  evaluator?: Evaluator<never>;
  /** Evaluate every N steps (0: only at epoch ends when evalAtEpochEnd). */
  evalSteps: number;
  evalAtEpochEnd: boolean;
  onEval?: (log: EvalLog) => void | Promise<void>;
  /** The validation losses (`eval_loss`, ...) computed at each evaluation, before the evaluator's metrics (./eval_loss.ts). */
  evalLoss?: () => Promise<Record<string, number>>;
  /** The metric that picks the best model (default: the evaluator's primary metric, greater is better unless it says). */
  bestMetric?: { key: string; greaterIsBetter: boolean };
  /** Save the model here whenever the evaluator's primary metric improves. */
  saveBestTo?: string;
  /** Keep the best weights in memory and restore them at the end. */
  loadBestAtEnd?: boolean;
  checkpointPath?: string;
  checkpointSaveSteps?: number;
  checkpointSaveTotalLimit?: number;
  /** Progress bar writer (stderr line), when shown. */
  progress?: (text: string) => void;
  /** A checkpoint folder to resume from (weights, optimizer, position, generator). */
  resumeFrom?: string;
  /** Data-parallel training over worker replicas (./data_parallel.ts). */
  dataParallel?: DataParallelOptions;
}

/** What a finished run reports. */
export interface TrainOutput {
  globalStep: number;
  trainingLoss: number;
  logs: StepLog[];
  evaluations: EvalLog[];
  bestMetric?: number;
}

/** Throw unless `path` is absent or a folder (an output path that is a file). */
export async function checkOutputPath(path: string | undefined, what: string): Promise<void> {
  if (path === undefined) return;
  if (typeof path !== 'string' || path === '') throw new Error(`${what} must be a non-empty string path, got ${JSON.stringify(path)}`);
  const kind = await pathKind(path);
  if (kind !== null && kind !== 'directory') throw new Error(`${what}: ${path} exists and is a ${kind}, expected a folder (or nothing)`);
}

/** Save the model atomically (temporary folder, then rename). */
export async function saveModelAtomic(model: { save(dir: string): Promise<void> }, dir: string): Promise<void> {
  await writeDirAtomically(dir, (tmp) => model.save(tmp));
}

/**
 * One training step on a batch (exposed for the gradient checks): the loss and the gradients of every parameter
 * that has one (by variable name). The caller owns `grads` and `loss`.
 */
export function computeGradients(
  model: TrainableSentenceModel,
  loss: Loss,
  batch: readonly Example[],
  vars: tf.Variable[],
  dropout: DropoutProbs,
  rng: Rng,
  scaleLoss = 1,
): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const columns = batch[0].texts.length;
  const tokenized = Array.from({ length: columns }, (_, c) => model.tokenize(batch.map((e) => e.texts[c])));
  const hasLabels = batch[0].label !== null;
  const labels = hasLabels ? tf.tensor1d(Float32Array.from(batch.map((e) => e.label as number)), 'float32') : null;
  const labelVectors = batch[0].labelVector ? labelVectorTensor(batch) : null;
  try {
    if (loss.computeWithModel) {
      const ctx = modelLossContext(model, tokenized, batch.length, labels, vars, dropout, rng);
      return loss.computeWithModel(ctx, scaleLoss);
    }
    let raw: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(
      () =>
        inTrainingMode(dropout, () => rng.int(2 ** 31), () => {
          const embeddings = tokenized.map((b, c) => {
            const f = model.forward(b);
            if (!f.sentenceEmbedding) throw new Error(`column ${c}: the model produced no sentence embedding`);
            return f.sentenceEmbedding;
          });
          const l = loss.compute({ embeddings, labels, labelVectors });
          if (scaleLoss === 1) return l;
          raw = tf.keep(tf.clone(l));
          return tf.mul(l, scaleLoss) as tf.Scalar;
        }),
      vars,
    );
    if (raw) {
      value.dispose();
      return { loss: raw, grads };
    }
    return { loss: value, grads };
  } finally {
    labels?.dispose();
    labelVectors?.dispose();
  }
}

/**
 * The model as a function of row ranges of a tokenized batch (a {@link ModelLossContext}): what a model-aware loss
 * (GradCache) and the data-parallel gather (./gather.ts) run the model through.
 */
export function modelLossContext(
  model: TrainableSentenceModel,
  tokenized: TokenizedBatch[],
  rows: number,
  labels: tf.Tensor1D | null,
  vars: tf.Variable[],
  dropout: DropoutProbs,
  rng: Rng,
): ModelLossContext {
  return {
    columns: tokenized.length,
    rows,
    labels,
    variables: vars,
    nextSeed: () => rng.int(2 ** 31),
    tokenCounts: (column) => {
      const b = tokenized[column];
      return Array.from({ length: rows }, (_, i) => b.attentionMask.subarray(i * b.seqLength, (i + 1) * b.seqLength).reduce((a, m) => a + (m !== 0 ? 1 : 0), 0));
    },
    embed: (column, start, end, seed) => {
      const sub = new Rng(seed);
      return inTrainingMode(dropout, () => sub.int(2 ** 31), () => {
        const f = model.forward(sliceTokenized(tokenized[column], start, end));
        if (!f.sentenceEmbedding) throw new Error(`column ${column}: the model produced no sentence embedding`);
        return f.sentenceEmbedding;
      });
    },
  };
}

/**
 * Rows [start, end) of a padded batch, cut after the last position any of them attends to (6.0.1's
 * `_create_minibatch` trims the trailing padding the rows share; leading padding is kept). The whole batch is never
 * cut (it is padded to its longest row).
 */
export function sliceTokenized(b: TokenizedBatch, start: number, end: number): TokenizedBatch {
  const T = b.seqLength;
  let width = 0;
  for (let i = start; i < end; i++) {
    for (let t = T - 1; t >= width; t--) {
      if (b.attentionMask[i * T + t] !== 0) {
        width = t + 1;
        break;
      }
    }
  }
  if (width === 0 || width === T) {
    return {
      batchSize: end - start,
      seqLength: T,
      inputIds: b.inputIds.subarray(start * T, end * T),
      attentionMask: b.attentionMask.subarray(start * T, end * T),
      tokenTypeIds: b.tokenTypeIds?.subarray(start * T, end * T),
    };
  }
  const cut = (a: Int32Array) => {
    const out = new Int32Array((end - start) * width);
    for (let i = start; i < end; i++) out.set(a.subarray(i * T, i * T + width), (i - start) * width);
    return out;
  };
  return { batchSize: end - start, seqLength: width, inputIds: cut(b.inputIds), attentionMask: cut(b.attentionMask), tokenTypeIds: b.tokenTypeIds && cut(b.tokenTypeIds) };
}

/** The batch's vector labels (MSELoss teachers) as `[batch, dim]` or `[batch, columns, dim]` float32. */
export function labelVectorTensor(batch: readonly Example[]): tf.Tensor2D | tf.Tensor3D {
  const first = batch[0].labelVector!;
  if (Array.isArray(first[0])) {
    const cols = first.length;
    const dim = (first[0] as number[]).length;
    const flat = new Float32Array(batch.length * cols * dim);
    batch.forEach((e, i) => (e.labelVector as number[][]).forEach((v, c) => flat.set(v, (i * cols + c) * dim)));
    return tf.tensor3d(flat, [batch.length, cols, dim]);
  }
  const dim = first.length;
  const flat = new Float32Array(batch.length * dim);
  batch.forEach((e, i) => flat.set(e.labelVector as number[], i * dim));
  return tf.tensor2d(flat, [batch.length, dim]);
}

/** Snapshot of every parameter (clones), to restore the best model. */
function snapshot(params: NamedParameter[]): tf.Tensor[] {
  return params.map((p) => tf.keep(tf.clone(p.variable)));
}

/** Run the loop. */
export async function runTrainingLoop(c: LoopConfig): Promise<TrainOutput> {
  await ensureGradients();
  const params = modelParameters(c.model);
  if (params.length === 0) throw new Error('train: the model has no trainable parameters');
  const lossParams = lossParameters(c.objectives.map((o) => o.loss));
  const allParams = [...params, ...lossParams];
  const vars = allParams.map((p) => p.variable);
  const lossVarNames = new Set(lossParams.map((p) => p.variable.name));
  const optimizer = new AdamW([...params, ...lossParams], { lr: c.lr, weightDecay: c.weightDecay, betas: c.betas, eps: c.eps });
  const rng = new Rng(c.seed);
  const logs: StepLog[] = [];
  const evaluations: EvalLog[] = [];
  const total = c.maxSteps ?? c.stepsPerEpoch * c.epochs;
  let step = 0;
  let best: number | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  const checkpoints: string[] = [];
  const greater = c.bestMetric?.greaterIsBetter ?? c.evaluator?.greaterIsBetter ?? true;
  const bestKey = c.bestMetric?.key ?? c.evaluator?.primaryMetric;
  const started = Date.now();

  const evaluate = async (epoch: number) => {
    if (!c.evaluator && !c.evalLoss) return;
    const metrics = { ...(await c.evalLoss?.()), ...(await c.evaluator?.evaluate(c.model as never, { epoch, steps: step })) };
    const log = { step, epoch, metrics };
    evaluations.push(log);
    await c.onEval?.(log);
    const value = bestKey === undefined ? undefined : metrics[bestKey];
    if (typeof value === 'number' && (best === undefined || (greater ? value > best : value < best))) {
      best = value;
      if (c.saveBestTo) await saveModelAtomic(c.model, c.saveBestTo);
      if (c.loadBestAtEnd) {
        tf.dispose(bestWeights ?? []);
        bestWeights = snapshot(params);
      }
    }
  };

  let resumed: LoopPosition | undefined;
  if (c.resumeFrom !== undefined) {
    resumed = await readTrainingState(c.resumeFrom, [...params, ...lossParams], optimizer);
    step = resumed.step;
    best = resumed.best;
    rng.setState(resumed.rngState);
  }
  let group: DataParallelGroup | undefined;
  try {
    const dp = c.dataParallel;
    const replicas = dp ? dataParallelWorkers(dp) : 1;
    if (dp && replicas > 1) {
      if (!c.model.replicaSpec) throw new Error('dataParallel: the model cannot be replicated in workers (it has no replicaSpec(); a SentenceTransformer loaded from a folder or the hub has)');
      group = await DataParallelGroup.start({
        spec: replicaSpecFor(c.model.replicaSpec(), dp),
        workers: replicas,
        params: allParams,
        losses: c.objectives.map((o) => lossRecipe(o.loss, dp.lossOptions)),
        dropout: c.dropout,
        adamw: { lr: c.lr, weightDecay: c.weightDecay, betas: c.betas, eps: c.eps },
        optimizerState: resumed ? await optimizer.stateTensors() : undefined,
        fault: dp.faultForTesting,
        exchange: dp.exchangeForTesting,
      });
    }
    outer: for (let epoch = resumed?.epoch ?? 0; epoch < c.epochs || (c.maxSteps !== undefined && step < c.maxSteps); epoch++) {
      const fromCheckpoint = resumed !== undefined && epoch === resumed.epoch;
      const perObjective = fromCheckpoint ? resumed!.batches : await Promise.all(c.objectives.map((o) => o.batches(epoch)));
      // Round robin over the objectives (sentence-transformers' multi-dataset fit), stepsPerEpoch steps.
      const cursor = fromCheckpoint ? [...resumed!.cursor] : perObjective.map(() => 0);
      for (let s = fromCheckpoint ? resumed!.stepInEpoch : 0; s < c.stepsPerEpoch; s++) {
        if (step >= total) break outer;
        let lossSum = 0;
        let acc: Record<string, tf.Tensor> = {};
        const lr = c.lr * c.lrLambda(step);
        let replicasStepped: ((norm: number) => Promise<void>) | undefined;
        if (group) {
          const r = await dataParallelGradients(group, c, step, epoch, s, perObjective, cursor, rng, { maxGradNorm: c.maxGradNorm, lr });
          lossSum = r.lossSum;
          acc = r.grads;
          replicasStepped = r.replicasStepped;
        }
        for (let micro = 0; micro < (group ? 0 : c.gradientAccumulationSteps); micro++) {
          const oi = (s * c.gradientAccumulationSteps + micro) % c.objectives.length;
          const batches = perObjective[oi];
          const batch = batches[cursor[oi]++ % batches.length];
          const scale = 1 / c.gradientAccumulationSteps;
          const r = computeGradients(c.model, c.objectives[oi].loss, batch, vars, c.dropout, rng, scale);
          const lv = (await r.loss.data())[0];
          r.loss.dispose();
          if (!Number.isFinite(lv)) {
            tf.dispose(Object.values(r.grads));
            tf.dispose(Object.values(acc));
            throw new Error(`train: the loss is ${lv} at step ${step} (epoch ${epoch}); training stopped before the update, no weights were changed or saved`);
          }
          lossSum += lv;
          for (const [k, g] of Object.entries(r.grads)) {
            if (acc[k]) {
              const sum = tf.add(acc[k], g);
              acc[k].dispose();
              g.dispose();
              acc[k] = sum;
            } else acc[k] = g;
          }
        }
        const loss = lossSum / c.gradientAccumulationSteps;
        // 6.0.1 measures and clips the model's gradients only (`model.parameters()`): not the losses' own variables
        const { grads, norm } = await clipGradNorm(acc, c.maxGradNorm, lossVarNames);
        acc = grads;
        if (!Number.isFinite(norm)) {
          tf.dispose(Object.values(acc));
          throw new Error(`train: the gradient norm is ${norm} at step ${step} (epoch ${epoch}); training stopped before the update, no weights were changed or saved`);
        }
        optimizer.step(acc, lr);
        tf.dispose(Object.values(acc));
        await replicasStepped?.(norm);
        step++;
        if (group && dp?.verifyEvery && step % dp.verifyEvery === 0) await verifyReplicas(group, allParams, step);
        const log: StepLog = { step, epoch: epoch + (s + 1) / c.stepsPerEpoch, loss, learningRate: lr, gradNorm: norm };
        logs.push(log);
        if (!c.loggingSteps || step % c.loggingSteps === 0 || step === total) await c.onStep?.(log);
        if (c.progress) {
          const eta = ((Date.now() - started) / step) * (total - step);
          c.progress(`step ${step}/${total} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} eta ${(eta / 1000).toFixed(0)}s`);
        }
        if ((c.evaluator || c.evalLoss) && c.evalSteps > 0 && step % c.evalSteps === 0) await evaluate(log.epoch);
        if (c.checkpointPath && c.checkpointSaveSteps && step % c.checkpointSaveSteps === 0) {
          const position: LoopPosition = { step, epoch, stepInEpoch: s + 1, rngState: rng.state, batches: perObjective, cursor, best };
          await writeCheckpoint(c.checkpointPath, c.model, { global_step: step, epoch: log.epoch, log_history: logs, best_metric: best ?? null }, allParams, optimizer, position, checkpoints, c.checkpointSaveTotalLimit);
        }
      }
      if (c.evalAtEpochEnd) await evaluate(epoch + 1);
    }
    if (c.loadBestAtEnd && bestWeights) params.forEach((p, i) => p.variable.assign(bestWeights![i]));
  } finally {
    tf.dispose(bestWeights ?? []);
    optimizer.dispose();
    await group?.stop();
  }
  const trainingLoss = logs.length ? logs.reduce((a, l) => a + l.loss, 0) / logs.length : 0;
  return { globalStep: step, trainingLoss, logs, evaluations, bestMetric: best };
}

/**
 * One optimizer step's gradients over the replicas: each micro-step's batch cut into `group.size` equal contiguous
 * shards (rank r: rows [r * B / N, (r + 1) * B / N)), one dropout seed per shard; ranks 1..N-1 compute in their
 * workers while rank 0 computes here: {@link allReduceShards}.
 */
async function dataParallelGradients(
  group: DataParallelGroup,
  c: LoopConfig,
  step: number,
  epoch: number,
  s: number,
  perObjective: Example[][][],
  cursor: number[],
  rng: Rng,
  update: ReplicaUpdate,
): Promise<ExchangedStep> {
  const micro = Array.from({ length: c.gradientAccumulationSteps }, (_, m) => {
    const oi = (s * c.gradientAccumulationSteps + m) % c.objectives.length;
    const batches = perObjective[oi];
    return { objective: oi, examples: batches[cursor[oi]++ % batches.length] };
  });
  const shards = shardMicroBatches(micro, group.size, rng, step, epoch, 'a short last batch: set dataloaderDropLast');
  // gather_across_devices: the embeddings exchanged before the step (./gather.ts); then each rank backpropagates its rows' share
  const lossOf = (w: ShardWork) => c.objectives[w.objective].loss;
  const gathered = await gatherShards(group, shards, (w) => lossOf(w).gatherAcrossReplicas?.() !== undefined, (w) =>
    gatherShardOf(c.model, lossOf(w), w.examples, group.layout.params.map((p) => p.variable), c.dropout, new Rng(w.seed), w.scale),
  );
  return allReduceShards(group, step, epoch, shards, update, (w, vars) =>
    w.gather ? gathered.get(w.gather.key)!.backward(w.gather.own) : computeGradients(c.model, lossOf(w), w.examples, vars, c.dropout, new Rng(w.seed), w.scale),
  );
}

/**
 * CrossEncoder training. `fitCrossEncoder` is sentence-transformers 3.4.1's `CrossEncoder.fit`, its own loop (not
 * the HF Trainer): groups by name (no decay for `bias`, `LayerNorm.bias`, `LayerNorm.weight`), pooler and
 * classifier trained, `activation_fct` Identity while training (BCEWithLogits on raw logits; predict applies
 * Sigmoid), per batch: loss, backward, clip, AdamW step, zero grad, then the scheduler (first step at lr 0 with
 * warmup); `total = len(dataloader) * epochs` (batches = ceil(rows / batchSize)).
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/cross_encoder/CrossEncoder.py
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Evaluator } from '../evaluation/types.js';
import { inTrainingMode } from '../layers/dropout.js';
import { createCrossEncoderLoss } from '../losses/registry.js';
import type { CrossEncoderLoss } from '../losses/types.js';
import type { EncoderInputs } from '../models/types.js';
import { batchToTensors, type TokenizedBatch } from '../modules/tokenized_batch.js';
import type { NamedParameter } from '../weights/index.js';
import { batchOrder, readDataset, type Example, type TrainingRow } from './datasets.js';
import { ensureGradients } from './gradients.js';
import { readTrainingState, writeCheckpoint, type LoopPosition } from './checkpoint.js';
import { checkOutputPath, dropoutProbs, saveModelAtomic, type EvalLog, type StepLog, type TrainOutput } from './loop.js';
import type { DropoutProbs } from '../layers/dropout.js';
import { checkRebuiltLoss, DataParallelGroup, dataParallelWorkers, lossRecipe, type DataParallelOptions, type LossRecipe, type ReplicaSpec } from './data_parallel.js';
import { allReduceShards, shardMicroBatches, verifyReplicas } from './data_parallel_step.js';
import type { ReplicaModel } from './replica.js';
import { replicaSpecFor } from './replica_spec.js';
import { bestMetricFor, givenArguments } from './trainer.js';
import { crossEncoderEvalLosses, type EvalData } from './eval_loss.js';
import { bestEvaluationStep, type CardClock, type ModelCardData } from './model_card.js';
import { recordCrossEncoderCard, type CardHyperparameters, type CrossEncoderEvalData } from './cross_encoder_card.js';
import { AdamW, clipGradNorm } from './optimizer.js';
import { Rng } from './rng.js';
import { dataLoaderPermutations, FIT_TRAINER_SEED } from './samplers.js';
import { getScheduler } from './schedules.js';

/** What training needs of a CrossEncoder (a structural type: training/ sits below api/). */
export interface TrainableCrossEncoder {
  /** The classifier: its label count, config (dropout), forward pass and parameters. */
  readonly model: {
    readonly numLabels: number;
    readonly config: { readonly raw: Readonly<Record<string, unknown>> };
    /** Logits [B, numLabels]. */
    forward(inputs: EncoderInputs): tf.Tensor2D;
    /** The trainable parameters. */
    parameters?(): NamedParameter[];
  };
  /** Tokenize (text, text) pairs. */
  tokenize(pairs: readonly (readonly [string, string])[]): TokenizedBatch;
  /** Write the model to a folder (when the class can). */
  save?(dir: string): Promise<void>;
  /** Where the run is recorded for the model card (README.md) that `save` writes, when the class keeps one. */
  modelCardData?: ModelCardData | null;
  /** What `load` was given: the card's base model. */
  readonly modelNameOrPath?: string;
  /** The card's maximum sequence length. */
  readonly maxSeqLength?: number | null;
  /** @internal How a worker loads a replica (data-parallel training); absent when the model cannot be replicated. */
  replicaSpec?(): ReplicaSpec;
}

/** Options of `CrossEncoder.fit` (Python's keyword arguments, camelCased; their defaults). */
export interface CrossEncoderFitOptions {
  /** Rows `{ texts: [a, b], label }` (InputExample) or `{ sentence1, sentence2, label }`. */
  trainData: readonly TrainingRow[];
  /** Default 16. */
  batchSize?: number;
  /**
   * Default true (the seed's `DataLoader(shuffle=True)`): the batches 6.0.1's fit gives after `torch.manual_seed(seed)`
   * (the loader's order, then its trainer's shuffle with 42 + epoch); false keeps dataset order.
   */
  shuffle?: boolean;
  evaluator?: Evaluator<never>;
  /** Default 1. */
  epochs?: number;
  /** Default: BCEWithLogits for 1 label, cross-entropy over class ids for more. */
  /** The loss, or its Python class name (`BinaryCrossEntropyLoss`, `CrossEntropyLoss`, `MSELoss`; see createCrossEncoderLoss). */
  lossFct?: CrossEncoderLoss | string;
  /** Applied to the logits before the loss (default identity, as Python's `nn.Identity()`). */
  activationFct?: (logits: tf.Tensor) => tf.Tensor;
  /** Default `WarmupLinear`. */
  scheduler?: string;
  /** Default 10000 (Python's default). */
  warmupSteps?: number;
  /** Default `{ lr: 2e-5 }`. */
  optimizerParams?: { lr?: number; betas?: [number, number]; eps?: number };
  /** Default 0.01. */
  weightDecay?: number;
  /** Evaluate every N steps (0: at the end of each epoch). */
  evaluationSteps?: number;
  outputPath?: string;
  /** Default true. */
  saveBestModel?: boolean;
  /** Default 1. */
  maxGradNorm?: number;
  /** Called with every step's record `{ step, epoch, loss, learningRate, gradNorm }`. */
  callback?: (log: StepLog) => void | Promise<void>;
  /** Called with each evaluation's record `{ step, epoch, metrics }`. */
  onEvaluate?: (log: EvalLog) => void | Promise<void>;
  /** Python's callback: (score, epoch, steps) after each evaluation. */
  evaluationCallback?: (score: number, epoch: number, steps: number) => void | Promise<void>;
  /**
   * Data-parallel training over worker threads (DDP, as 6.0.1's CrossEncoderTrainer under `torchrun`): `batchSize`
   * stays per replica (a step takes `workers` consecutive batches of the order, one per replica); gradients averaged
   * in rank order, one clip norm, the same AdamW step on every replica. Training runs with the Identity activation
   * (a custom `activationFct` is refused: the workers cannot rebuild a function). See {@link DataParallelOptions}.
   * @example
   * ```ts
   * await ce.fit({ trainData: rows, batchSize: 16, dataParallel: { workers: 2 } }); // 32 rows a step
   * ```
   */
  dataParallel?: DataParallelOptions;
  /** Default 42: the `torch.manual_seed` before Python's fit (the loader's order; CrossEncoderTrainer: `args.seed`), and the dropout masks' seed. */
  seed?: number;
}

/** Python 6.0.1 `CrossEncoder.fit`'s keyword arguments as the card names them. */
function fitHyperparameters(o: CrossEncoderFitOptions): CardHyperparameters {
  const all: Record<string, unknown> = {
    batch_size: o.batchSize ?? 16,
    epochs: o.epochs ?? 1,
    scheduler: o.scheduler ?? 'WarmupLinear',
    warmup_steps: o.warmupSteps ?? 10000,
    optimizer_params: { lr: o.optimizerParams?.lr ?? 2e-5 },
    weight_decay: o.weightDecay ?? 0.01,
    evaluation_steps: o.evaluationSteps ?? 0,
    max_grad_norm: o.maxGradNorm ?? 1,
    save_best_model: o.saveBestModel ?? true,
    seed: o.seed ?? 42,
  };
  const given: Record<string, unknown> = { batch_size: o.batchSize, epochs: o.epochs, scheduler: o.scheduler, warmup_steps: o.warmupSteps, optimizer_params: o.optimizerParams, weight_decay: o.weightDecay, evaluation_steps: o.evaluationSteps, max_grad_norm: o.maxGradNorm, save_best_model: o.saveBestModel, seed: o.seed };
  return { all, given };
}

/** torch `BCEWithLogitsLoss()` (mean): max(x, 0) - x y + log(1 + exp(-|x|)). */
function bceWithLogits(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar);
}

/** torch `CrossEntropyLoss()` (mean) over class ids. */
function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]), 'float32'); // [B, C]
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, 1), onehot), 1))) as tf.Scalar;
  });
}

/** The training loss of `logits` [B, L]: `lossFct`, else BCEWithLogits (1 label) / cross-entropy over class ids. */
function crossEncoderLoss(lossFct: CrossEncoderLoss | undefined, numLabels: number, logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return lossFct ? lossFct.compute(logits, labels) : numLabels === 1 ? bceWithLogits(tf.reshape(logits, [-1]) as tf.Tensor1D, labels) : crossEntropy(logits, labels);
}

/**
 * One CrossEncoder step's forward + backward on `batch` (training mode, dropout masks drawn from `rng`): `lossFct`
 * on `act(logits)`, else BCEWithLogits (1 label) / cross-entropy over class ids; `scale` multiplies the
 * differentiated loss (the returned loss is unscaled). The caller owns `loss` and `grads` (by variable name).
 */
export function crossEncoderGradients(
  ce: Pick<TrainableCrossEncoder, 'model' | 'tokenize'>,
  lossFct: CrossEncoderLoss | undefined,
  act: (logits: tf.Tensor) => tf.Tensor,
  batch: readonly Example[],
  vars: tf.Variable[],
  dropout: DropoutProbs,
  rng: Rng,
  scale = 1,
): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const numLabels = ce.model.numLabels;
  const tokenized = ce.tokenize(batch.map((e) => [e.texts[0], e.texts[1]] as const));
  const labels = tf.tensor1d(Float32Array.from(batch.map((e) => e.label as number)), 'float32');
  const inputs = batchToTensors(tokenized);
  let raw: tf.Scalar | undefined;
  try {
    const { value, grads } = tf.variableGrads(
      () =>
        inTrainingMode(dropout, () => rng.int(2 ** 31), () => {
          const logits = act(ce.model.forward(inputs)) as tf.Tensor2D; // [B, L]
          const l = crossEncoderLoss(lossFct, numLabels, logits, labels);
          if (scale === 1) return l;
          raw = tf.keep(tf.clone(l));
          return tf.mul(l, scale) as tf.Scalar;
        }),
      vars,
    );
    if (raw) {
      value.dispose();
      return { loss: raw, grads };
    }
    return { loss: value, grads };
  } finally {
    labels.dispose();
    tf.dispose([inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds].filter((t): t is tf.Tensor2D => t !== undefined));
  }
}

/**
 * A data-parallel worker's replica of a CrossEncoder (training/replica.ts): its classifier's parameters, the loss
 * rebuilt from rank 0's recipe (none: the default BCEWithLogits / cross-entropy), Identity activation.
 */
export function crossEncoderReplica(ce: Pick<TrainableCrossEncoder, 'model' | 'tokenize'>, recipes: readonly LossRecipe[]): ReplicaModel {
  const params = ce.model.parameters?.() ?? [];
  const vars = params.map((p) => p.variable);
  const losses = recipes.map((r) => checkRebuiltLoss(createCrossEncoderLoss(r.name, r.options), r));
  return { params, gradients: (objective, examples, dropout, rng, scale) => crossEncoderGradients(ce, losses[objective], (x) => x, examples, vars, dropout, rng, scale) };
}

/** What CrossEncoderTrainer sets on top of fit's options (transformers Trainer semantics). */
interface TrainerRun {
  hyperparameters: CardHyperparameters;
  maxSteps?: number;
  loggingSteps?: number;
  evalDataset?: CrossEncoderEvalData;
  evalBatchSize?: number;
  /** `eval_strategy`: evaluate every `evalSteps` optimizer steps (and at the last step, once) or at each epoch's end, or never. */
  evalStrategy: 'no' | 'steps' | 'epoch';
  evalSteps: number;
  /** `load_best_model_at_end`: the metric compared (strictly better replaces), restored after the last step. */
  loadBest?: { key: string; greaterIsBetter: boolean };
  /** `gradient_accumulation_steps`: batches per optimizer step (the epoch's last step takes the remainder). */
  accumulation: number;
  /** `save_strategy` 'steps' / 'epoch': `checkpoint-<step>` folders under `dir` (model, trainer_state.json, training state). */
  checkpoints?: { dir: string; saveSteps?: number; atEpochEnd: boolean; totalLimit?: number };
  /** A `checkpoint-<step>` folder to resume from (weights, AdamW, schedule position, generator, the epoch's batches). */
  resumeFrom?: string;
}

/**
 * Python 3.4.1 `CrossEncoder.fit`. Parameters are updated in place (predict sees the trained weights); the model is
 * saved to `outputPath` at the end (or whenever the evaluator's primary metric improves, with `saveBestModel`).
 */
export async function fitCrossEncoder(
  ce: TrainableCrossEncoder,
  o: CrossEncoderFitOptions,
  /** Set by CrossEncoderTrainer: its hyperparameters for the card, and the trainer's shuffle (not fit's). */
  fromTrainer?: TrainerRun,
): Promise<TrainOutput> {
  await ensureGradients();
  const params = ce.model.parameters?.() ?? [];
  if (params.length === 0) throw new Error('CrossEncoder.fit: the model has no trainable parameters');
  await checkOutputPath(o.outputPath, 'outputPath');
  const lossFct = typeof o.lossFct === 'string' ? createCrossEncoderLoss(o.lossFct) : o.lossFct;
  const numLabels = ce.model.numLabels;
  // the card names the default loss by the registry's class (the same BCEWithLogits / cross-entropy)
  const cardLoss = lossFct ?? createCrossEncoderLoss(numLabels === 1 ? 'BinaryCrossEntropyLoss' : 'CrossEntropyLoss');
  const hp = fromTrainer?.hyperparameters ?? fitHyperparameters(o);
  const examples = readDataset(o.trainData, { what: 'CrossEncoder.fit', textColumns: { min: 2, max: 2 }, needsLabels: true }, 'trainData');
  if (numLabels > 1) {
    examples.forEach((e, i) => {
      if (!Number.isInteger(e.label) || (e.label as number) < 0 || (e.label as number) >= numLabels) {
        throw new Error(`trainData row ${i}, column label: expected a class id in [0, ${numLabels}) for a ${numLabels}-label model, got ${e.label}`);
      }
    });
  }
  const dp = o.dataParallel;
  const replicas = dp ? dataParallelWorkers(dp) : 1;
  if (replicas > 1 && o.activationFct) throw new Error('dataParallel: CrossEncoder training with a custom activationFct cannot be replicated (the workers train with Identity, as fit does by default); leave activationFct out');
  if (replicas > 1 && !ce.replicaSpec) throw new Error('dataParallel: the model cannot be replicated in workers (it has no replicaSpec(); a CrossEncoder loaded from a folder or the hub has)');
  const batchSize = (o.batchSize ?? 16) * replicas; // a step's global batch: one per-device batch per replica
  const epochs = o.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`epochs must be a positive integer, got ${o.epochs}`);
  const seed = o.seed ?? 42;
  const rng = new Rng(seed);
  const batchesPerEpoch = batchOrder(examples, { batchSize, shuffle: false, dropLast: false }).length;
  const accumulation = fromTrainer?.accumulation ?? 1;
  const perEpoch = Math.ceil(batchesPerEpoch / accumulation); // optimizer steps an epoch (transformers: len(dataloader) // GA + remainder)
  // 6.0.1's order: CrossEncoderTrainer shuffles with `seed + epoch`; CrossEncoder.fit first takes the rows in its
  // DataLoader(shuffle=True) order after torch.manual_seed(seed), then its trainer shuffles with 42 + epoch.
  const fitOrder = fromTrainer === undefined;
  const rows = fitOrder && (o.shuffle ?? true) ? dataLoaderPermutations([examples.length], seed)[0] : undefined;
  const maxSteps = fromTrainer?.maxSteps;
  const total = maxSteps ?? perEpoch * epochs;
  const epochsToRun = maxSteps !== undefined ? Math.ceil(maxSteps / perEpoch) : epochs;
  const lr = o.optimizerParams?.lr ?? 2e-5;
  const lambda = getScheduler(o.scheduler ?? 'WarmupLinear', o.warmupSteps ?? 10000, total, {}, lr);
  const optimizer = new AdamW(params, { lr, weightDecay: o.weightDecay ?? 0.01, betas: o.optimizerParams?.betas, eps: o.optimizerParams?.eps });
  const vars = params.map((p) => p.variable);
  const act = o.activationFct ?? ((x: tf.Tensor) => x);
  const dropout = dropoutProbs(ce.model.config.raw as Record<string, unknown>);
  const maxGradNorm = o.maxGradNorm ?? 1;
  const logs: StepLog[] = [];
  const evaluations: EvalLog[] = [];
  let best: number | undefined;
  let bestTrainer: number | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  let step = 0;
  let resumed: LoopPosition | undefined;
  if (fromTrainer?.resumeFrom !== undefined) {
    resumed = await readTrainingState(fromTrainer.resumeFrom, params, optimizer);
    step = resumed.step;
    rng.setState(resumed.rngState);
  }
  const checkpoints: string[] = [];
  const saveCheckpoint = async (epoch: number, stepInEpoch: number, steps: Example[][][], epochFloat: number) => {
    // at an epoch's end the position is the next epoch's start (its batches drawn on resume)
    const ended = stepInEpoch === steps.length;
    const position: LoopPosition = { step, epoch: ended ? epoch + 1 : epoch, stepInEpoch: ended ? 0 : stepInEpoch, rngState: rng.state, batches: [ended ? [] : steps.flat()], cursor: [0] };
    const c = fromTrainer!.checkpoints!;
    await writeCheckpoint(c.dir, ce, { global_step: step, epoch: epochFloat, log_history: logs }, params, optimizer, position, checkpoints, c.totalLimit);
  };
  const clock: CardClock = { start: performance.now(), evaluationSeconds: 0, loggingSteps: fromTrainer?.loggingSteps ?? 500 };
  const evalData = fromTrainer?.evalDataset;
  const evalLoss = evalData === undefined ? undefined : () => crossEncoderEvalLosses(ce, (logits, labels) => crossEncoderLoss(lossFct, numLabels, act(logits) as tf.Tensor2D, labels), evalData, fromTrainer?.evalBatchSize ?? 8, seed);
  const evaluate = async (epoch: number) => {
    if (!o.evaluator && !evalLoss) return;
    const t0 = performance.now();
    const metrics = { ...(await evalLoss?.()), ...(await o.evaluator?.evaluate(ce as never, { epoch, steps: step })) };
    clock.evaluationSeconds += (performance.now() - t0) / 1000;
    evaluations.push({ step, epoch, metrics });
    recordCrossEncoderCard(ce, o.trainData, cardLoss, hp, o.evaluator, { globalStep: step, trainingLoss: 0, logs, evaluations }, clock, fromTrainer?.evalDataset); // before the best model is saved
    await o.onEvaluate?.({ step, epoch, metrics });
    const lb = fromTrainer?.loadBest;
    const lv = lb && metrics[lb.key];
    if (lb && typeof lv === 'number' && (bestTrainer === undefined || (lb.greaterIsBetter ? lv > bestTrainer : lv < bestTrainer))) {
      bestTrainer = lv;
      tf.dispose(bestWeights ?? []);
      bestWeights = params.map((p) => tf.keep(tf.clone(p.variable)));
    }
    if (!o.evaluator) return;
    const v = metrics[o.evaluator.primaryMetric];
    if (typeof v !== 'number') return;
    await o.evaluationCallback?.(v, epoch, step);
    if (best === undefined || (o.evaluator.greaterIsBetter ? v > best : v < best)) {
      best = v;
      if (o.outputPath && (o.saveBestModel ?? true) && ce.save) await saveModelAtomic(ce as { save(dir: string): Promise<void> }, o.outputPath);
    }
  };
  let group: DataParallelGroup | undefined;
  try {
    if (dp && replicas > 1) {
      group = await DataParallelGroup.start({
        spec: replicaSpecFor(ce.replicaSpec!(), dp),
        workers: replicas,
        params,
        losses: lossFct ? [lossRecipe(lossFct, dp.lossOptions)] : [],
        dropout,
        adamw: { lr, weightDecay: o.weightDecay ?? 0.01, betas: o.optimizerParams?.betas, eps: o.optimizerParams?.eps },
        optimizerState: resumed ? await optimizer.stateTensors() : undefined,
        fault: dp.faultForTesting,
        exchange: dp.exchangeForTesting,
      });
    }
    outer: for (let epoch = resumed?.epoch ?? 0; epoch < epochsToRun; epoch++) {
      const fromCheckpoint = resumed !== undefined && epoch === resumed.epoch && resumed.batches[0].length > 0;
      const batches: Example[][] = fromCheckpoint
        ? resumed!.batches[0]
        : batchOrder(examples, { batchSize, shuffle: o.shuffle ?? true, dropLast: false, seed: fitOrder ? FIT_TRAINER_SEED : seed, epoch, rows }).map((ids) => ids.map((i) => examples[i]));
      const order: Example[][][] = []; // optimizer steps -> their batches (accumulation consecutive ones; the last takes the rest)
      for (let b = 0; b < batches.length; b += accumulation) order.push(batches.slice(b, b + accumulation));
      for (let b = fromCheckpoint ? resumed!.stepInEpoch : 0; b < order.length; b++) {
        if (maxSteps !== undefined && step >= maxSteps) break outer; // resumed from the last step's checkpoint
        const micro: Example[][] = order[b];
        let loss: number;
        let grads: Record<string, tf.Tensor>;
        const lrNow = lr * lambda(step);
        let replicasStepped: ((norm: number) => Promise<void>) | undefined;
        if (group) {
          // each micro-batch cut into `replicas` contiguous shards, one dropout seed each (as the bi-encoder loop)
          const shards = shardMicroBatches(micro.map((examples) => ({ objective: 0, examples })), replicas, rng, step, epoch, 'trainData rows: a multiple of batchSize × workers');
          const r = await allReduceShards(group, step, epoch, shards, { maxGradNorm, lr: lrNow }, (w, v) => crossEncoderGradients(ce, lossFct, act, w.examples, v, dropout, new Rng(w.seed), w.scale));
          loss = r.lossSum / micro.length;
          grads = r.grads;
          replicasStepped = r.replicasStepped;
        } else {
          // transformers: each micro-batch's loss / (batches in this step), gradients summed in order; logged: their sum
          loss = 0;
          grads = {};
          for (const mb of micro) {
            const g = crossEncoderGradients(ce, lossFct, act, mb, vars, dropout, rng, micro.length === 1 ? 1 : 1 / micro.length);
            loss += (await g.loss.data())[0] / micro.length;
            g.loss.dispose();
            for (const [k, v] of Object.entries(g.grads)) {
              const prev = grads[k];
              grads[k] = prev ? tf.add(prev, v) : v;
              if (prev) tf.dispose([prev, v]);
            }
          }
        }
        if (!Number.isFinite(loss)) {
          tf.dispose(Object.values(grads));
          throw new Error(`CrossEncoder.fit: the loss is ${loss} at step ${step} (epoch ${epoch}); training stopped before the update, no weights were changed or saved`);
        }
        const clipped = await clipGradNorm(grads, maxGradNorm);
        if (!Number.isFinite(clipped.norm)) {
          tf.dispose(Object.values(clipped.grads));
          throw new Error(`CrossEncoder.fit: the gradient norm is ${clipped.norm} at step ${step} (epoch ${epoch}); training stopped, no weights were changed or saved`);
        }
        optimizer.step(clipped.grads, lrNow);
        tf.dispose(Object.values(clipped.grads));
        await replicasStepped?.(clipped.norm);
        step++;
        if (group && dp?.verifyEvery && step % dp.verifyEvery === 0) await verifyReplicas(group, params, step);
        const log = { step, epoch: epoch + (b + 1) / order.length, loss, learningRate: lrNow, gradNorm: clipped.norm };
        logs.push(log);
        await o.callback?.(log);
        if (fromTrainer) {
          // transformers' DefaultFlowCallback: every evalSteps, and at the last step when it is not a multiple; the
          // same for saveSteps (a save at the last step), and both at each epoch's end for the 'epoch' strategies
          if (fromTrainer.evalStrategy === 'steps' && (step % fromTrainer.evalSteps === 0 || step === total)) await evaluate(log.epoch);
          const ck = fromTrainer.checkpoints;
          const epochEnd = b + 1 === order.length || step === maxSteps;
          if (ck && ((ck.saveSteps !== undefined && (step % ck.saveSteps === 0 || step === total)) || (ck.atEpochEnd && epochEnd))) await saveCheckpoint(epoch, b + 1, order, log.epoch);
          if (step === maxSteps && b + 1 < order.length) {
            if (fromTrainer.evalStrategy === 'epoch') await evaluate(log.epoch); // on_epoch_end still runs after the stop
            break outer;
          }
          continue;
        }
        if ((o.evaluator || evalLoss) && o.evaluationSteps && o.evaluationSteps > 0 && step % o.evaluationSteps === 0) await evaluate(log.epoch);
        if (step === maxSteps && b + 1 < order.length) {
          // the run ends mid-epoch: a last evaluation (unless evalSteps just made it), no epoch-end one
          if (!(o.evaluationSteps && step % o.evaluationSteps === 0)) await evaluate(log.epoch);
          break outer;
        }
      }
      if (!fromTrainer || fromTrainer.evalStrategy === 'epoch') await evaluate(epoch + 1);
    }
    if (bestWeights) {
      // load_best_model_at_end: the best evaluation's weights back into the model
      params.forEach((p, i) => p.variable.assign(bestWeights![i]));
    }
  } finally {
    optimizer.dispose();
    tf.dispose(bestWeights ?? []);
    await group?.stop();
  }
  recordCrossEncoderCard(ce, o.trainData, cardLoss, hp, o.evaluator, { globalStep: step, trainingLoss: 0, logs, evaluations }, clock, fromTrainer?.evalDataset);
  const lb = fromTrainer?.loadBest;
  if (lb && bestTrainer !== undefined && ce.modelCardData) ce.modelCardData.bestModelStep = bestEvaluationStep(evaluations, lb.key, lb.greaterIsBetter);
  // with checkpoints the last one holds the final model (as transformers); the folder itself is not replaced
  if (o.outputPath && ce.save && !fromTrainer?.checkpoints && (!o.evaluator || !(o.saveBestModel ?? true))) await saveModelAtomic(ce as { save(dir: string): Promise<void> }, o.outputPath);
  const trainingLoss = logs.length ? logs.reduce((a, l) => a + l.loss, 0) / logs.length : 0;
  return { globalStep: step, trainingLoss, logs, evaluations, bestMetric: best ?? bestTrainer };
}

/** Arguments of {@link CrossEncoderTrainer}. */
export interface CrossEncoderTrainerOptions {
  model: TrainableCrossEncoder;
  /**
   * The training arguments it reads (transformers' meanings): batch size, learning rate, epochs, warmup, schedule,
   * decay, clipping, seed, shuffle, outputDir, maxSteps (stop there; overrides the epochs); evalStrategy (`no`, the
   * default; `steps`: every evalSteps optimizer steps, default loggingSteps else 500, and once at the last step;
   * `epoch`), loadBestModelAtEnd with metricForBestModel (default `eval_loss` with an evalDataset, else the
   * evaluator's primary metric) and greaterIsBetter (default false for a name ending in `loss`): the weights of the
   * best evaluation (strictly better replaces) are restored after the last step; gradientAccumulationSteps (default
   * 1: batches per optimizer step, each loss divided by the step's batch count, the epoch's last step takes the
   * remainder; with dataParallel each batch is cut into one shard per replica); saveStrategy (`steps`, the default, every saveSteps (500) and at the last step;
   * `epoch`; `no`) with outputDir: `checkpoint-<step>` folders (the model, trainer_state.json, the training state that
   * `train({ resumeFromCheckpoint })` reads), the oldest removed beyond saveTotalLimit.
   * @example
   * ```ts
   * await new CrossEncoderTrainer({ model: ce, trainDataset: rows, evalDataset: dev, args: { evalStrategy: 'steps', evalSteps: 100, loadBestModelAtEnd: true } }).train();
   * ```
   */
  args?: Pick<
    import('./trainer.js').TrainingArguments,
    'perDeviceTrainBatchSize' | 'learningRate' | 'numTrainEpochs' | 'warmupRatio' | 'warmupSteps' | 'lrSchedulerType' | 'weightDecay' | 'maxGradNorm' | 'seed' | 'shuffle' | 'outputDir' | 'adamBeta1' | 'adamBeta2' | 'adamEpsilon' | 'evalSteps' | 'maxSteps' | 'loggingSteps' | 'dataParallel' | 'perDeviceEvalBatchSize' | 'evalStrategy' | 'loadBestModelAtEnd' | 'metricForBestModel' | 'greaterIsBetter' | 'gradientAccumulationSteps' | 'saveStrategy' | 'saveSteps' | 'saveTotalLimit'
  >;
  /** Rows `{ texts: [a, b], label }` or `{ sentence1, sentence2, label }`. */
  trainDataset: readonly TrainingRow[];
  /** Default: BCEWithLogits for 1 label, cross-entropy over class ids for more. A class name is resolved by createCrossEncoderLoss. */
  loss?: CrossEncoderLoss | string;
  evaluator?: Evaluator<never>;
  /**
   * Rows to compute the validation loss on at each evaluation (`eval_loss` in the eval records; the same loss in eval
   * mode, batches of `perDeviceEvalBatchSize`, default 8), or a record name -> rows (`eval_<name>_loss` each).
   * @example
   * ```ts
   * new CrossEncoderTrainer({ model: ce, trainDataset: rows, evalDataset: devRows, args: { evalSteps: 100 } });
   * ```
   */
  evalDataset?: CrossEncoderEvalData;
  /** Called with every step's record. */
  callback?: (log: StepLog) => void | Promise<void>;
  /** Called with each evaluation. */
  onEvaluate?: (log: EvalLog) => void | Promise<void>;
}

/**
 * A CrossEncoderTrainer over training arguments (transformers' defaults: lr 5e-5, 3 epochs, batch 8, linear
 * schedule, no warmup, weight decay 0), running `CrossEncoder.fit`'s step. With `outputDir`: `checkpoint-<step>`
 * folders per saveStrategy (default `steps`: every 500 steps and the last, which holds the final model), or with
 * saveStrategy `no` the final model saved to `outputDir` itself.
 *
 * @example
 * ```ts
 * const trainer = new CrossEncoderTrainer({ model: ce, args: { numTrainEpochs: 1, warmupRatio: 0.1 }, trainDataset: rows });
 * await trainer.train();
 * ```
 */
export class CrossEncoderTrainer {
  constructor(readonly options: CrossEncoderTrainerOptions) {
    if (!options?.model) throw new Error('CrossEncoderTrainer: model is required');
  }

  /**
   * Run the training. `resumeFromCheckpoint`: a `checkpoint-<step>` folder this trainer wrote (weights, AdamW, the
   * schedule's position, the dropout generator, the epoch's batches): the run goes on as if never stopped.
   * @example
   * ```ts
   * await new CrossEncoderTrainer({ model: ce, trainDataset: rows, args: { outputDir: 'out', saveSteps: 100 } }).train({ resumeFromCheckpoint: 'out/checkpoint-200' });
   * ```
   */
  async train(opts: { resumeFromCheckpoint?: string } = {}): Promise<TrainOutput> {
    const a = this.options.args ?? {};
    const batchSize = a.perDeviceTrainBatchSize ?? 8;
    const epochs = a.numTrainEpochs ?? 3;
    const n = this.options.trainDataset.length;
    const maxSteps = a.maxSteps !== undefined && a.maxSteps > 0 ? a.maxSteps : undefined;
    if (maxSteps !== undefined && !Number.isInteger(maxSteps)) throw new Error(`maxSteps must be a positive integer, got ${a.maxSteps}`);
    const replicas = a.dataParallel ? dataParallelWorkers(a.dataParallel) : 1;
    const accumulation = a.gradientAccumulationSteps ?? 1;
    if (!Number.isInteger(accumulation) || accumulation < 1) throw new Error(`gradientAccumulationSteps must be a positive integer, got ${JSON.stringify(a.gradientAccumulationSteps)}`);
    const evalStrategy = a.evalStrategy ?? 'no';
    if (!['no', 'steps', 'epoch'].includes(evalStrategy)) throw new Error(`evalStrategy must be 'no', 'steps' or 'epoch', got ${JSON.stringify(a.evalStrategy)}`);
    const { evaluator, evalDataset } = this.options;
    if (evalStrategy !== 'no' && !evaluator && evalDataset === undefined) throw new Error(`evalStrategy: '${evalStrategy}' needs an evalDataset or an evaluator, got neither`);
    const evalSteps = a.evalSteps ?? a.loggingSteps ?? 500; // transformers: eval_steps falls back to logging_steps
    if (evalStrategy === 'steps' && (!Number.isInteger(evalSteps) || evalSteps < 1)) throw new Error(`evalSteps must be a positive integer, got ${JSON.stringify(a.evalSteps)}`);
    const loadBest = a.loadBestModelAtEnd ? bestMetricFor(a, evaluator, evalDataset as EvalData | undefined) : undefined;
    if (a.loadBestModelAtEnd && evalStrategy === 'no') throw new Error(`loadBestModelAtEnd needs evaluations: evalStrategy 'steps' or 'epoch', got 'no'`);
    if (a.loadBestModelAtEnd && !loadBest) throw new Error('loadBestModelAtEnd needs a metric: an evalDataset, an evaluator or metricForBestModel, got none');
    const saveStrategy = a.saveStrategy ?? 'steps';
    if (!['no', 'steps', 'epoch'].includes(saveStrategy)) throw new Error(`saveStrategy must be 'no', 'steps' or 'epoch', got ${JSON.stringify(a.saveStrategy)}`);
    const saveSteps = a.saveSteps ?? 500;
    if (saveStrategy === 'steps' && (!Number.isInteger(saveSteps) || saveSteps < 1)) throw new Error(`saveSteps must be a positive integer, got ${JSON.stringify(a.saveSteps)}`);
    const checkpoints = a.outputDir && saveStrategy !== 'no' ? { dir: a.outputDir, saveSteps: saveStrategy === 'steps' ? saveSteps : undefined, atEpochEnd: saveStrategy === 'epoch', totalLimit: a.saveTotalLimit } : undefined;
    const resumeFrom = opts.resumeFromCheckpoint;
    if (resumeFrom !== undefined && a.loadBestModelAtEnd) throw new Error('resumeFromCheckpoint: resuming with loadBestModelAtEnd is not supported (the best weights are not in the checkpoint); expected loadBestModelAtEnd false');
    const total = maxSteps ?? Math.ceil(Math.ceil(n / (batchSize * replicas)) / accumulation) * epochs; // a step's global batch: one per-device batch per replica (× accumulation)
    const warmupSteps = a.warmupSteps && a.warmupSteps > 0 ? a.warmupSteps : Math.ceil(total * (a.warmupRatio ?? 0));
    const all: Record<string, unknown> = {
      per_device_train_batch_size: batchSize,
      num_train_epochs: epochs,
      max_steps: maxSteps ?? -1,
      learning_rate: a.learningRate ?? 5e-5,
      lr_scheduler_type: a.lrSchedulerType ?? 'linear',
      warmup_ratio: a.warmupRatio ?? 0,
      warmup_steps: a.warmupSteps ?? 0,
      weight_decay: a.weightDecay ?? 0,
      adam_beta1: a.adamBeta1 ?? 0.9,
      adam_beta2: a.adamBeta2 ?? 0.999,
      adam_epsilon: a.adamEpsilon ?? 1e-8,
      max_grad_norm: a.maxGradNorm ?? 1,
      seed: a.seed ?? 42,
    };
    const given = givenArguments(a);
    return fitCrossEncoder(this.options.model, {
      trainData: this.options.trainDataset,
      batchSize,
      epochs,
      shuffle: a.shuffle ?? true,
      lossFct: this.options.loss,
      evaluator: this.options.evaluator,
      scheduler: a.lrSchedulerType ?? 'linear',
      warmupSteps,
      optimizerParams: { lr: a.learningRate ?? 5e-5, betas: [a.adamBeta1 ?? 0.9, a.adamBeta2 ?? 0.999], eps: a.adamEpsilon ?? 1e-8 },
      weightDecay: a.weightDecay ?? 0,
      maxGradNorm: a.maxGradNorm ?? 1,
      seed: a.seed ?? 42,
      outputPath: a.outputDir,
      saveBestModel: false,
      callback: this.options.callback,
      onEvaluate: this.options.onEvaluate,
      dataParallel: a.dataParallel,
    }, { hyperparameters: { all, given }, maxSteps, loggingSteps: a.loggingSteps, evalDataset, evalBatchSize: a.perDeviceEvalBatchSize, evalStrategy, evalSteps, loadBest, accumulation, checkpoints, resumeFrom });
  }
}

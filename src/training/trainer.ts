/**
 * The bi-encoder trainers: {@link SentenceTransformerTrainer} (sentence-transformers 3+, training arguments) and
 * {@link fitSentenceTransformer} (the seed's `model.fit(...)`), both over the step loop of ./loop.ts.
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/trainer.py
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/fit_mixin.py
 */
import type { Evaluator } from '../evaluation/types.js';
import type { Loss } from '../losses/types.js';
import { batchOrder, isStream, readDataset, streamBatches, type BatchSamplerName, type Example, type TrainingData } from './datasets.js';
import { checkOutputPath, dropoutProbs, runTrainingLoop, saveModelAtomic, type EvalLog, type Objective, type StepLog, type TrainableSentenceModel, type TrainOutput } from './loop.js';
import { bestEvaluationStep, cardLosses, nonDefaultHyperparameters, type CardClock, cardLogRows, cardPrimaryMetrics, datasetCardTables, datasetColumns, evaluatorMetrics, timedEvaluator, type ModelCardData, type ModelCardDataset } from './model_card.js';
import { modelRepr, type ReprModule } from './model_card_format.js';
import { evalDatasetLosses, isEvalRecord, type EvalData } from './eval_loss.js';
import { dataLoaderPermutations, FIT_TRAINER_SEED, roundRobinEpoch, roundRobinLength } from './samplers.js';
import { getBackend } from '@tensorflow/tfjs-core';
import { getScheduler } from './schedules.js';
import { logger } from '../util/logger.js';
import { dataParallelWorkers, type DataParallelOptions } from './data_parallel.js';


/** What the trainers read of a model besides the loop's needs: its config, for the dropout probabilities. */
function modelConfig(model: TrainableSentenceModel): Record<string, unknown> | undefined {
  const t = model.modules[0] as unknown as { model?: { config?: { raw?: Record<string, unknown> } } };
  return t.model?.config?.raw;
}

/** camelCase -> snake_case (the card prints Python's argument names). */
const snake = (k: string) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/** The training arguments the caller set, under Python's names (the card's non-default hyperparameters). */
export function givenArguments(a: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k === 'perDeviceTrainBatchSize' ? 'per_device_train_batch_size' : snake(k), v]));
}


/** Token counts of texts with the model's tokenizer (special tokens, truncation): 6.0.1's `preprocess` attention mask sums. */
function tokenCounter(model: TrainableSentenceModel): (texts: string[]) => number[] {
  return (texts) => {
    const b = model.tokenize(texts);
    const out: number[] = [];
    for (let i = 0; i < b.batchSize; i++) {
      let n = 0;
      for (let j = 0; j < b.seqLength; j++) n += b.attentionMask[i * b.seqLength + j];
      out.push(n);
    }
    return out;
  };
}

/** One dataset of the card: its size, columns, statistics and samples (an array; a stream has none), its loss. */
function cardDataset(data: TrainingData, loss: Loss, count: (texts: string[]) => number[], name: string | null): ModelCardDataset {
  return {
    name,
    size: Array.isArray(data) ? data.length : null,
    columns: Array.isArray(data) ? datasetColumns(data[0] as Record<string, unknown>) : [],
    loss: { name: loss.name, config: loss.getConfigDict(), floats: loss.configFloats, citation: loss.citation ?? null },
    ...(Array.isArray(data) ? datasetCardTables(data as Record<string, unknown>[], count) : {}),
  };
}

/** Record the run on the model for its card (save writes README.md), when the model keeps card data. */
function recordModelCard(
  model: TrainableSentenceModel,
  datasets: { data: TrainingData; loss: Loss }[],
  all: Record<string, unknown>,
  given: Record<string, unknown>,
  evaluator: Evaluator<never> | undefined,
  out: TrainOutput,
  clock: CardClock,
  evalData?: EvalData,
): void {
  if (!('modelCardData' in model)) return;
  const nonDefault = nonDefaultHyperparameters(all, given);
  const last = out.evaluations[out.evaluations.length - 1];
  const count = tokenCounter(model);
  const card: ModelCardData = {
    baseModel: model.modelNameOrPath || null,
    maxSeqLength: model.maxSeqLength ?? null,
    outputDimensionality: model.getSentenceEmbeddingDimension?.() ?? null,
    similarityFnName: model.similarityFnName ?? null,
    modelString: modelRepr('SentenceTransformer', model.modules as readonly ReprModule[]),
    trainDatasets: datasets.map(({ data, loss }) => cardDataset(data, loss, count, null)),
    evalDatasets: evalData === undefined ? [] : isEvalRecord(evalData) ? Object.entries(evalData).map(([name, data]) => cardDataset(data, datasets[0].loss, count, name)) : [cardDataset(evalData, datasets[0].loss, count, null)],
    losses: cardLosses(datasets.map((t) => t.loss)),
    allHyperparameters: all,
    nonDefaultHyperparameters: nonDefault,
    evaluations: evaluator && last ? [{ className: evaluator.constructor.name, name: evaluator.name, description: (evaluator as { description?: string }).description, primaryMetric: evaluator.primaryMetric, metrics: evaluatorMetrics(last.metrics) }] : [],
    logs: cardLogRows(out.logs, out.evaluations, clock.loggingSteps, cardPrimaryMetrics(evaluator)),
    trainingTime: { totalSeconds: (performance.now() - clock.start) / 1000, evaluationSeconds: clock.evaluationSeconds },
    backend: getBackend(),
  };
  model.modelCardData = card;
}

/** The training arguments (`SentenceTransformerTrainingArguments`, camelCased; transformers' defaults). */
export interface TrainingArguments {
  /** Where checkpoints (and the final model, with `saveStrategy`) go. */
  outputDir?: string;
  /** Default 8. */
  perDeviceTrainBatchSize?: number;
  /** The eval dataset's batch size (default 8). */
  perDeviceEvalBatchSize?: number;
  /** Default 5e-5. */
  learningRate?: number;
  /** Default 3. */
  numTrainEpochs?: number;
  /** Stop after this many steps (overrides numTrainEpochs; required for a streamed dataset). Default -1 (off). */
  maxSteps?: number;
  /** Warmup as a fraction of the total steps (default 0). */
  warmupRatio?: number;
  /** Warmup steps (overrides warmupRatio when > 0). */
  warmupSteps?: number;
  /** `linear` (default), `cosine`, `constant`, `constant_with_warmup`, ... (see schedules.ts). */
  lrSchedulerType?: string;
  /** Default 0. */
  weightDecay?: number;
  /** Default 1. */
  maxGradNorm?: number;
  adamBeta1?: number;
  adamBeta2?: number;
  adamEpsilon?: number;
  /** Default 1. */
  gradientAccumulationSteps?: number;
  /** `no` (default), `steps`, `epoch`. */
  evalStrategy?: 'no' | 'steps' | 'epoch';
  evalSteps?: number;
  /** `no`, `steps` (default, as transformers), `epoch`. */
  saveStrategy?: 'no' | 'steps' | 'epoch';
  /** Default 500. */
  saveSteps?: number;
  saveTotalLimit?: number;
  loadBestModelAtEnd?: boolean;
  /**
   * The metric loadBestModelAtEnd compares: `loss` / `eval_loss` (transformers' default with an evalDataset; lower is
   * better) or a metric the evaluator returns (default without an evalDataset: its primary metric).
   */
  metricForBestModel?: string;
  /** Default: false for a metric ending in `loss`, else the evaluator's own rule (true for most). */
  greaterIsBetter?: boolean;
  /** Call the callback every N steps (default 1 here: every step). */
  loggingSteps?: number;
  /**
   * Default 42. The shuffle equals sentence-transformers 6.0.1's for the same seed (torch.randperm from a generator
   * seeded `seed + epoch`; `no_duplicates` seeds `0 + epoch` whatever the seed, as 6.0.1 does).
   */
  seed?: number;
  /** `batch_sampler` (default: shuffled) or `no_duplicates`. */
  batchSampler?: BatchSamplerName | 'default';
  /** Drop the last partial batch (default false). */
  dataloaderDropLast?: boolean;
  /** Shuffle the training data each epoch (default true; false keeps dataset order). */
  shuffle?: boolean;
  /**
   * Data-parallel training over worker threads, as `torchrun --nproc_per_node N` runs the Python trainer (DDP):
   * `perDeviceTrainBatchSize` stays per replica (a step's global batch is `perDeviceTrainBatchSize × workers`, as
   * under torchrun); the gradients are averaged across replicas before one identical AdamW step on each. See
   * {@link DataParallelOptions}.
   * @example
   * ```ts
   * args: { perDeviceTrainBatchSize: 16, dataParallel: { workers: 2 } } // two replicas of 16 rows each per step
   * ```
   */
  dataParallel?: DataParallelOptions;
}

/** Arguments of {@link SentenceTransformerTrainer}. */
export interface SentenceTransformerTrainerOptions {
  model: TrainableSentenceModel;
  args?: TrainingArguments;
  trainDataset: TrainingData;
  loss: Loss;
  evaluator?: Evaluator<never>;
  /**
   * Rows (or an async iterable) to compute the validation loss on at each evaluation (`eval_loss` in the eval
   * records, with the same loss in eval mode), or a record name -> rows (`eval_<name>_loss` each).
   * @example
   * ```ts
   * new SentenceTransformerTrainer({ model, loss, trainDataset, evalDataset: devRows, args: { evalStrategy: 'steps', evalSteps: 100 } });
   * ```
   */
  evalDataset?: EvalData;
  /** Called with each step's record. */
  callback?: (log: StepLog) => void | Promise<void>;
  /** Called with each evaluation. */
  onEvaluate?: (log: EvalLog) => void | Promise<void>;
}

/**
 * The metric loadBestModelAtEnd compares, as transformers resolves `metric_for_best_model` (unset with an
 * evalDataset: `loss`) and `greater_is_better` (false for a name ending in `loss`); names get the `eval_` prefix.
 * Without an evalDataset and a metric: the evaluator's primary metric and its own rule.
 */
export function bestMetricFor(a: Pick<TrainingArguments, 'metricForBestModel' | 'greaterIsBetter' | 'loadBestModelAtEnd'>, evaluator: Evaluator<never> | undefined, evalData: EvalData | undefined): { key: string; greaterIsBetter: boolean } | undefined {
  let name = a.metricForBestModel;
  if (name === undefined) {
    if (evalData === undefined) return evaluator ? { key: evaluator.primaryMetric, greaterIsBetter: a.greaterIsBetter ?? evaluator.greaterIsBetter ?? true } : undefined;
    if (isEvalRecord(evalData)) {
      if (a.loadBestModelAtEnd) throw new Error(`metricForBestModel: an evalDataset record gives eval_<name>_loss per dataset (${Object.keys(evalData).map((k) => `eval_${k}_loss`).join(', ')}), so loadBestModelAtEnd needs one named, got none`);
      return undefined;
    }
    name = 'loss';
  }
  if (typeof name !== 'string' || name === '') throw new Error(`metricForBestModel must be a non-empty metric name, got ${JSON.stringify(name)}`);
  const isLoss = name === 'loss' || name.endsWith('_loss');
  const key = isLoss && !name.startsWith('eval_') ? `eval_${name}` : name;
  return { key, greaterIsBetter: a.greaterIsBetter ?? (isLoss ? false : evaluator?.greaterIsBetter ?? true) };
}

function positiveInt(v: number | undefined, fallback: number, what: string): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return x;
}

function nonNegative(v: number | undefined, fallback: number, what: string): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new Error(`${what} must be a finite number >= 0, got ${JSON.stringify(v)}`);
  return x;
}

/**
 * Batches for one epoch from an in-memory dataset (shuffled as 6.0.1's trainer does for `seed` and the epoch), or
 * the stream's batches (no shuffling).
 */
async function objectiveFor(
  data: TrainingData,
  loss: Loss,
  batchSize: number,
  shuffle: boolean,
  dropLast: boolean,
  sampler: BatchSamplerName,
  seed: number,
): Promise<{ objective: Objective; batchesPerEpoch?: number; examples?: Example[] }> {
  const spec = { what: loss.name, textColumns: loss.textColumns, needsLabels: loss.needsLabels };
  if (isStream(data)) {
    return {
      objective: {
        loss,
        batches: async () => {
          const out: Example[][] = [];
          for await (const b of streamBatches(data, batchSize, spec)) if (!dropLast || b.length === batchSize) out.push(b);
          return out;
        },
      },
    };
  }
  const examples = readDataset(data as readonly Record<string, unknown>[], spec);
  const first = batchOrder(examples, { batchSize, shuffle: false, dropLast, sampler });
  return {
    objective: { loss, batches: (epoch) => batchOrder(examples, { batchSize, shuffle, dropLast, sampler, seed, epoch }).map((b) => b.map((i) => examples[i])) },
    batchesPerEpoch: first.length,
    examples,
  };
}

/**
 * sentence-transformers' `SentenceTransformerTrainer`: fine-tunes a model on a dataset with a loss, as the HF
 * Trainer's loop does (AdamW with two groups, the scheduler after the optimizer, clipping, evaluation, checkpoints).
 *
 * @example
 * ```ts
 * const trainer = new SentenceTransformerTrainer({
 *   model,
 *   args: { perDeviceTrainBatchSize: 16, learningRate: 2e-5, numTrainEpochs: 1, warmupRatio: 0.1 },
 *   trainDataset: [{ anchor: 'What is the capital of France?', positive: 'Paris is the capital of France.' }],
 *   loss: new MultipleNegativesRankingLoss(),
 * });
 * const result = await trainer.train();
 * ```
 */
export class SentenceTransformerTrainer {
  constructor(readonly options: SentenceTransformerTrainerOptions) {
    if (!options || !options.model) throw new Error('SentenceTransformerTrainer: model is required');
    if (!options.loss || typeof options.loss.compute !== 'function') throw new Error(`SentenceTransformerTrainer: loss must be a Loss (with compute), got ${typeof options.loss}`);
  }

  /**
   * Run the training; returns the step logs, evaluations and the global step. `resumeFromCheckpoint`: a
   * `checkpoint-<step>` folder this trainer wrote (weights, optimizer, schedule position, generator, data position).
   */
  async train(opts: { resumeFromCheckpoint?: string } = {}): Promise<TrainOutput> {
    const { model, loss, evaluator } = this.options;
    const a = this.options.args ?? {};
    const perDevice = positiveInt(a.perDeviceTrainBatchSize, 8, 'perDeviceTrainBatchSize');
    const batchSize = perDevice * (a.dataParallel ? dataParallelWorkers(a.dataParallel) : 1); // a step's global batch: one per-device batch per replica
    const accum = positiveInt(a.gradientAccumulationSteps, 1, 'gradientAccumulationSteps');
    const seed = a.seed ?? 42;
    const sampler: BatchSamplerName = a.batchSampler === 'no_duplicates' ? 'no_duplicates' : 'batch_sampler';
    const { objective, batchesPerEpoch } = await objectiveFor(this.options.trainDataset, loss, batchSize, a.shuffle ?? true, a.dataloaderDropLast ?? false, sampler, seed);
    const maxSteps = a.maxSteps !== undefined && a.maxSteps > 0 ? positiveInt(a.maxSteps, 1, 'maxSteps') : undefined;
    if (batchesPerEpoch === undefined && maxSteps === undefined) throw new Error('maxSteps: a streamed (async iterable) dataset needs maxSteps, got none');
    const epochs = nonNegative(a.numTrainEpochs, 3, 'numTrainEpochs');
    const stepsPerEpoch = batchesPerEpoch !== undefined ? Math.max(1, Math.floor(batchesPerEpoch / accum)) : maxSteps!;
    const total = maxSteps ?? Math.ceil(epochs * stepsPerEpoch);
    const warmup = a.warmupSteps && a.warmupSteps > 0 ? a.warmupSteps : Math.ceil(total * nonNegative(a.warmupRatio, 0, 'warmupRatio'));
    const lr = nonNegative(a.learningRate, 5e-5, 'learningRate');
    const evalStrategy = a.evalStrategy ?? 'no';
    const evalData = this.options.evalDataset;
    if (evalStrategy !== 'no' && !evaluator && evalData === undefined) throw new Error(`evalStrategy: '${evalStrategy}' needs an evalDataset or an evaluator, got neither`);
    const evalBatchSize = positiveInt(a.perDeviceEvalBatchSize, 8, 'perDeviceEvalBatchSize');
    const best = bestMetricFor(a, evaluator, evalData);
    const saveStrategy = a.saveStrategy ?? 'steps';
    if (a.outputDir !== undefined) await checkOutputPath(a.outputDir, 'outputDir');
    const all: Record<string, unknown> = {
      per_device_train_batch_size: perDevice,
      per_device_eval_batch_size: evalBatchSize,
      num_train_epochs: epochs,
      max_steps: maxSteps ?? -1,
      learning_rate: lr,
      weight_decay: a.weightDecay ?? 0,
      adam_beta1: a.adamBeta1 ?? 0.9,
      adam_beta2: a.adamBeta2 ?? 0.999,
      adam_epsilon: a.adamEpsilon ?? 1e-8,
      max_grad_norm: a.maxGradNorm ?? 1,
      lr_scheduler_type: a.lrSchedulerType ?? 'linear',
      warmup_ratio: a.warmupRatio ?? 0,
      warmup_steps: a.warmupSteps ?? 0,
      gradient_accumulation_steps: accum,
      eval_strategy: evalStrategy,
      eval_steps: a.evalSteps ?? null,
      save_strategy: saveStrategy,
      save_steps: a.saveSteps ?? 500,
      save_total_limit: a.saveTotalLimit ?? null,
      load_best_model_at_end: a.loadBestModelAtEnd ?? false,
      seed,
      dataloader_drop_last: a.dataloaderDropLast ?? false,
      batch_sampler: sampler,
    };
    const given = givenArguments(a);
    const live: TrainOutput = { globalStep: 0, trainingLoss: 0, logs: [], evaluations: [] };
    // the card's clock and its logging rule (transformers' logging_steps, default 500)
    const clock: CardClock = { start: performance.now(), evaluationSeconds: 0, loggingSteps: a.loggingSteps ?? 500 };
    const loggingSteps = a.loggingSteps;
    const out = await runTrainingLoop({
      model,
      objectives: [objective],
      epochs: maxSteps !== undefined ? Math.ceil(maxSteps / stepsPerEpoch) : Math.ceil(epochs),
      stepsPerEpoch,
      maxSteps: total,
      lr,
      lrLambda: getScheduler(a.lrSchedulerType ?? 'linear', warmup, total, {}, lr),
      weightDecay: nonNegative(a.weightDecay, 0, 'weightDecay'),
      maxGradNorm: nonNegative(a.maxGradNorm, 1, 'maxGradNorm'),
      betas: [a.adamBeta1 ?? 0.9, a.adamBeta2 ?? 0.999],
      eps: a.adamEpsilon ?? 1e-8,
      gradientAccumulationSteps: accum,
      seed,
      dropout: dropoutProbs(modelConfig(model)),
      // every step reaches the card (its loss rows average the steps between logging steps); the callback sees the logged ones
      onStep: async (l) => {
        live.logs.push(l);
        if (!loggingSteps || l.step % loggingSteps === 0 || l.step === total) await this.options.callback?.(l);
      },
      evaluator: evaluator && timedEvaluator(evaluator, clock),
      evalLoss:
        evalData === undefined
          ? undefined
          : async () => {
              const t0 = performance.now(); // the card's evaluation time (6.0.1 sums eval_runtime, the loss loop included)
              try {
                return await evalDatasetLosses(model, loss, evalData, { batchSize: evalBatchSize, dropLast: a.dataloaderDropLast ?? false, sampler, seed });
              } finally {
                clock.evaluationSeconds += (performance.now() - t0) / 1000;
              }
            },
      bestMetric: best,
      evalSteps: evalStrategy === 'steps' ? positiveInt(a.evalSteps, 500, 'evalSteps') : 0,
      evalAtEpochEnd: evalStrategy === 'epoch',
      onEval: async (e) => {
        live.evaluations.push(e);
        recordModelCard(model, [{ data: this.options.trainDataset, loss }], all, given, evaluator, live, clock, evalData); // before a checkpoint saves
        await this.options.onEvaluate?.(e);
      },
      loadBestAtEnd: a.loadBestModelAtEnd ?? false,
      checkpointPath: saveStrategy !== 'no' ? a.outputDir : undefined,
      checkpointSaveSteps: saveStrategy === 'steps' ? positiveInt(a.saveSteps, 500, 'saveSteps') : undefined,
      checkpointSaveTotalLimit: a.saveTotalLimit,
      resumeFrom: opts.resumeFromCheckpoint,
      dataParallel: a.dataParallel,
    });
    recordModelCard(model, [{ data: this.options.trainDataset, loss }], all, given, evaluator, out, clock, evalData);
    // 6.0.1 marks the kept checkpoint's row once it loads the best model at the end (`set_best_model_step`)
    if (a.loadBestModelAtEnd && best && model.modelCardData) model.modelCardData.bestModelStep = bestEvaluationStep(out.evaluations, best.key, best.greaterIsBetter);
    return out;
  }
}

/** One `(dataloader, loss)` pair of `fit()`. */
export interface TrainObjective {
  /** Rows (or InputExample `{ texts, label }`), or an async iterable of them. */
  data: TrainingData;
  loss: Loss;
  /**
   * Batch size (default: fit's `batchSize`, 16). As 6.0.1's fit, which keeps only the last DataLoader's batch_size,
   * the LAST objective's batch size applies to every objective (a warning says so when they differ).
   */
  batchSize?: number;
}

/** The options of `SentenceTransformer.fit` (Python's keyword arguments, camelCased; their defaults). */
export interface FitOptions {
  trainObjectives: TrainObjective[];
  evaluator?: Evaluator<never>;
  /** Default 1. */
  epochs?: number;
  /** Batch size of the objectives that give none (default 16). */
  batchSize?: number;
  /** `steps_per_epoch`: default the shortest objective's batches. */
  stepsPerEpoch?: number;
  /** `WarmupLinear` (default), `constantlr`, `warmupconstant`, `warmupcosine`, `warmupcosinewithhardrestarts`, or transformers' names. */
  scheduler?: string;
  /** Default 10000 (Python's default). */
  warmupSteps?: number;
  /** Default `{ lr: 2e-5 }`. */
  optimizerParams?: { lr?: number; betas?: [number, number]; eps?: number };
  /** Default 0.01. */
  weightDecay?: number;
  /** Evaluate every N steps (0: at the end of each epoch). */
  evaluationSteps?: number;
  /** Save the final (or best) model here. */
  outputPath?: string;
  /** Default true: with an evaluator, save the best model to outputPath. */
  saveBestModel?: boolean;
  /** Default 1. */
  maxGradNorm?: number;
  showProgressBar?: boolean;
  /** Called with every step's record `{ step, epoch, loss, learningRate, gradNorm }`. */
  callback?: (log: StepLog) => void | Promise<void>;
  /** Called after each evaluation with (score, epoch, steps), as Python's callback. */
  evaluationCallback?: (score: number, epoch: number, steps: number) => void | Promise<void>;
  checkpointPath?: string;
  /** Default 500. */
  checkpointSaveSteps?: number;
  checkpointSaveTotalLimit?: number;
  /**
   * Shuffle (default true, as `DataLoader(shuffle=True)` in the seed): the batches 6.0.1's fit gives after
   * `torch.manual_seed(seed)` (the loaders' order, then its trainer's shuffle with seed 42 + epoch). false: dataset
   * order, no shuffle at all (Python's fit always shuffles in its trainer).
   */
  shuffle?: boolean;
  /** Default 42: the `torch.manual_seed` before Python's fit (the loaders' order), and the dropout masks' seed. */
  seed?: number;
  /** Where the progress line goes (default: nowhere unless showProgressBar; then stderr through the caller). */
  progress?: (text: string) => void;
  /** A `checkpoint-<step>` folder written by an earlier run with `checkpointPath`: training continues from there. */
  resumeFromCheckpoint?: string;
  /**
   * Data-parallel training over worker threads (DDP): the batch size stays per replica (a step's global batch is
   * batch size × `workers`). See {@link DataParallelOptions}.
   * @example
   * ```ts
   * await model.fit({ trainObjectives: [{ data, loss, batchSize: 16 }], dataParallel: { workers: 2 } }); // 32 rows a step
   * ```
   */
  dataParallel?: DataParallelOptions;
}

/**
 * 6.0.1 fit()'s order (./samplers.ts): each objective's rows in its `DataLoader(shuffle=True)` order after
 * `torch.manual_seed(seed)`, then the trainer's round robin over the objectives (seed 42 + epoch).
 */
function useFitOrder(built: { objective: Objective; examples?: Example[] }[], batchSize: number, seed: number): void {
  const sizes = built.map((b) => b.examples!.length);
  const rows = dataLoaderPermutations(sizes, seed);
  let plan: { epoch: number; batches: number[][][] } | undefined;
  built.forEach((b, k) => {
    b.objective.batches = (epoch) => {
      if (plan?.epoch !== epoch) plan = { epoch, batches: roundRobinEpoch(sizes, batchSize, epoch) };
      return plan.batches[k].map((batch) => batch.map((j) => b.examples![rows[k][j]]));
    };
  });
}

/**
 * The seed's `model.fit(train_objectives=[(dataloader, loss)], epochs, warmup_steps, output_path, ...)`: fit()'s
 * parameter groups and scheduler (`WarmupLinear` over `steps_per_epoch * epochs`, steps_per_epoch = the shortest
 * objective's `len(dataset) // batch_size`), several objectives in round robin.
 */
export async function fitSentenceTransformer(model: TrainableSentenceModel, o: FitOptions): Promise<TrainOutput> {
  if (!o || !Array.isArray(o.trainObjectives) || o.trainObjectives.length === 0) {
    throw new Error(`fit: trainObjectives must be a non-empty array of { data, loss }, got ${JSON.stringify(o?.trainObjectives)}`);
  }
  o.trainObjectives.forEach((t, i) => {
    if (!t || !t.loss || typeof t.loss.compute !== 'function') throw new Error(`fit: trainObjectives[${i}].loss must be a Loss, got ${typeof t?.loss}`);
  });
  await checkOutputPath(o.outputPath, 'outputPath');
  await checkOutputPath(o.checkpointPath, 'checkpointPath');
  const seed = o.seed ?? 42;
  const sizesGiven = o.trainObjectives.map((t, i) => positiveInt(t.batchSize ?? o.batchSize, 16, `trainObjectives[${i}].batchSize`));
  const perDevice = sizesGiven[sizesGiven.length - 1]; // 6.0.1's fit: `batch_size = getattr(data_loader, "batch_size")`, the last loader's
  if (sizesGiven.some((b) => b !== perDevice)) logger.warn(`fit: the objectives' batch sizes differ (${sizesGiven.join(', ')}); as sentence-transformers 6.0.1's fit, the last one (${perDevice}) applies to all`);
  const batchSize = perDevice * (o.dataParallel ? dataParallelWorkers(o.dataParallel) : 1); // a step's global batch: one per-device batch per replica
  const built = await Promise.all(o.trainObjectives.map((t) => objectiveFor(t.data, t.loss, batchSize, o.shuffle ?? true, false, 'batch_sampler', FIT_TRAINER_SEED)));
  if ((o.shuffle ?? true) && built.every((b) => b.examples)) useFitOrder(built, batchSize, seed);
  const sizes = o.trainObjectives.map((t, i) => {
    if (built[i].batchesPerEpoch === undefined) return undefined;
    return Math.floor(((t.data as readonly unknown[]).length) / batchSize);
  });
  let stepsPerEpoch = o.stepsPerEpoch;
  if (stepsPerEpoch === undefined) {
    if (sizes.some((s) => s === undefined)) throw new Error('fit: stepsPerEpoch is required with a streamed (async iterable) dataset');
    stepsPerEpoch = Math.min(...(sizes as number[])); // spread-ok: one entry per objective
    if (stepsPerEpoch < 1) {
      const iters = built.map((b) => b.batchesPerEpoch ?? 0);
      stepsPerEpoch = Math.min(...iters); // spread-ok: one entry per objective
    }
  }
  stepsPerEpoch = positiveInt(stepsPerEpoch, 1, 'stepsPerEpoch');
  const epochs = positiveInt(o.epochs, 1, 'epochs');
  const total = stepsPerEpoch * epochs; // the scheduler's steps (6.0.1's fit: min(len(dataset) // batch_size) * epochs)
  // 6.0.1's fit trains the whole round robin each epoch (short last batches included), past the scheduler's total
  // when the sizes are not multiples of the batch size (the linear schedule then stays at lr 0).
  const loopStepsPerEpoch = o.stepsPerEpoch === undefined ? roundRobinLength(o.trainObjectives.map((t) => (t.data as readonly unknown[]).length), batchSize) : stepsPerEpoch;
  const lr = o.optimizerParams?.lr ?? 2e-5;
  const evaluator = o.evaluator;
  const all: Record<string, unknown> = {
    epochs,
    steps_per_epoch: stepsPerEpoch,
    batch_size: batchSize,
    scheduler: o.scheduler ?? 'WarmupLinear',
    warmup_steps: o.warmupSteps ?? 10000,
    optimizer_params: { lr },
    weight_decay: o.weightDecay ?? 0.01,
    evaluation_steps: o.evaluationSteps ?? 0,
    max_grad_norm: o.maxGradNorm ?? 1,
    save_best_model: o.saveBestModel ?? true,
    seed,
  };
  const given: Record<string, unknown> = { epochs: o.epochs, steps_per_epoch: o.stepsPerEpoch, batch_size: o.batchSize, scheduler: o.scheduler, warmup_steps: o.warmupSteps, optimizer_params: o.optimizerParams, weight_decay: o.weightDecay, evaluation_steps: o.evaluationSteps, max_grad_norm: o.maxGradNorm, save_best_model: o.saveBestModel, seed: o.seed };
  const live: TrainOutput = { globalStep: 0, trainingLoss: 0, logs: [], evaluations: [] };
  // 6.0.1's fit() runs the trainer with transformers' default logging_steps (500)
  const clock: CardClock = { start: performance.now(), evaluationSeconds: 0, loggingSteps: 500 };
  const out = await runTrainingLoop({
    model,
    objectives: built.map((b) => b.objective),
    epochs,
    stepsPerEpoch: loopStepsPerEpoch,
    lr,
    lrLambda: getScheduler(o.scheduler ?? 'WarmupLinear', nonNegative(o.warmupSteps, 10000, 'warmupSteps'), total, {}, lr),
    weightDecay: nonNegative(o.weightDecay, 0.01, 'weightDecay'),
    maxGradNorm: nonNegative(o.maxGradNorm, 1, 'maxGradNorm'),
    betas: o.optimizerParams?.betas,
    eps: o.optimizerParams?.eps,
    gradientAccumulationSteps: 1,
    seed,
    dropout: dropoutProbs(modelConfig(model)),
    onStep: async (l) => {
      live.logs.push(l);
      await o.callback?.(l);
    },
    evaluator: evaluator && timedEvaluator(evaluator, clock),
    evalSteps: o.evaluationSteps ?? 0,
    evalAtEpochEnd: !((o.evaluationSteps ?? 0) > 0),
    onEval: async (log) => {
      live.evaluations.push(log);
      recordModelCard(model, o.trainObjectives, all, given, evaluator, live, clock); // before the best model is saved
      const v = evaluator ? log.metrics[evaluator.primaryMetric] : undefined;
      if (o.evaluationCallback && typeof v === 'number') await o.evaluationCallback(v, log.epoch, log.step);
    },
    saveBestTo: evaluator && (o.saveBestModel ?? true) ? o.outputPath : undefined,
    checkpointPath: o.checkpointPath,
    checkpointSaveSteps: o.checkpointPath ? positiveInt(o.checkpointSaveSteps, 500, 'checkpointSaveSteps') : undefined,
    checkpointSaveTotalLimit: o.checkpointSaveTotalLimit,
    progress: o.showProgressBar ? o.progress : undefined,
    resumeFrom: o.resumeFromCheckpoint,
    dataParallel: o.dataParallel,
  });
  recordModelCard(model, o.trainObjectives, all, given, evaluator, out, clock);
  if (o.outputPath && (!evaluator || !(o.saveBestModel ?? true))) await saveModelAtomic(model, o.outputPath);
  return out;
}

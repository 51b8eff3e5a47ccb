/**
 * The model card of a CrossEncoder training run (CrossEncoder.fit, CrossEncoderTrainer): what the run records on the
 * model for `CrossEncoder.save`'s README.md, as 6.0.1's `CrossEncoderModelCardData` does.
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/model_card.py
 */
import { getBackend } from '@tensorflow/tfjs-core';
import type { Evaluator } from '../evaluation/types.js';
import type { CrossEncoderLoss } from '../losses/types.js';
import type { EncodedInput, TokenizedBatch } from '../modules/tokenized_batch.js';
import type { TrainingRow } from './datasets.js';
import type { TrainOutput } from './loop.js';
import { cardLogRows, cardPrimaryMetrics, datasetCardTables, datasetColumns, evaluatorMetrics, nonDefaultHyperparameters, type CardClock, type ModelCardData, type ModelCardDataset } from './model_card.js';
import { crossEncoderRepr } from './model_card_format.js';

/** What the card reads of a CrossEncoder (structural: training/ sits below api/). */
export interface CardCrossEncoder {
  readonly model: { readonly numLabels: number; readonly config: { readonly raw: Readonly<Record<string, unknown>> } };
  tokenize(pairs: readonly (readonly [string, string])[]): TokenizedBatch;
  modelCardData?: ModelCardData | null;
  readonly modelNameOrPath?: string;
  readonly maxSeqLength?: number | null;
}

/** The hyperparameters the card lists: every one the run used, and those the caller set (Python's names). */
export interface CardHyperparameters {
  all: Record<string, unknown>;
  given: Record<string, unknown>;
}


/** Token counts of single texts with the cross-encoder's tokenizer (special tokens, truncation), as 6.0.1's `preprocess` of one column. */
function ceTokenCounter(ce: CardCrossEncoder): (texts: string[]) => number[] {
  const tk = (ce as { tokenizerAdapter?: { encodeInputs(t: readonly string[], max: number | null): EncodedInput[] } }).tokenizerAdapter;
  if (!tk) return (texts) => texts.map((t) => ce.tokenize([[t, '']]).seqLength);
  return (texts) => tk.encodeInputs(texts, ce.maxSeqLength ?? null).map((e) => e.ids.length);
}

/** A CrossEncoder's evaluation data: rows, or a record name -> rows. */
export type CrossEncoderEvalData = readonly TrainingRow[] | Readonly<Record<string, readonly TrainingRow[]>>;

/** One dataset of the card (its size, columns, statistics, samples, loss). */
function ceCardDataset(ce: CardCrossEncoder, rows: readonly TrainingRow[], loss: CrossEncoderLoss, name: string | null): ModelCardDataset {
  return {
    name,
    size: rows.length,
    columns: datasetColumns(rows[0] as Record<string, unknown>),
    loss: { name: loss.name, config: loss.configOnCard === false ? null : loss.getConfigDict(), floats: loss.configFloats, citation: loss.citation ?? null },
    ...datasetCardTables(rows as unknown as Record<string, unknown>[], ceTokenCounter(ce)),
  };
}

/** Record the run on the model for its card (CrossEncoder.save writes README.md), as the bi-encoder trainers do. */
export function recordCrossEncoderCard(ce: CardCrossEncoder, rows: readonly TrainingRow[], loss: CrossEncoderLoss, hp: CardHyperparameters, evaluator: Evaluator<never> | undefined, out: TrainOutput, clock: CardClock, evalData?: CrossEncoderEvalData): void {
  if (!('modelCardData' in ce)) return;
  const nonDefault = nonDefaultHyperparameters(hp.all, hp.given);
  const last = out.evaluations[out.evaluations.length - 1];
  ce.modelCardData = {
    modelType: 'CrossEncoder',
    numLabels: ce.model.numLabels,
    baseModel: ce.modelNameOrPath || null,
    maxSeqLength: ce.maxSeqLength ?? null,
    outputDimensionality: null,
    similarityFnName: null,
    modelString: crossEncoderRepr(ce.model),
    trainDatasets: [ceCardDataset(ce, rows, loss, null)],
    evalDatasets: evalData === undefined ? [] : Array.isArray(evalData) ? [ceCardDataset(ce, evalData, loss, null)] : Object.entries(evalData).map(([name, r]) => ceCardDataset(ce, r, loss, name)),
    allHyperparameters: hp.all,
    nonDefaultHyperparameters: nonDefault,
    evaluations: evaluator && last ? [{ className: evaluator.constructor.name, name: evaluator.name, description: (evaluator as { description?: string }).description, primaryMetric: evaluator.primaryMetric, metrics: evaluatorMetrics(last.metrics) }] : [],
    logs: cardLogRows(out.logs, out.evaluations, clock.loggingSteps, cardPrimaryMetrics(evaluator)),
    trainingTime: { totalSeconds: (performance.now() - clock.start) / 1000, evaluationSeconds: clock.evaluationSeconds },
    backend: getBackend(),
  };
}


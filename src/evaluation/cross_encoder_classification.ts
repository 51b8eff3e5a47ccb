/**
 * CrossEncoderClassificationEvaluator: a CrossEncoder's predictions against class labels. One label: accuracy / F1
 * with their best thresholds, precision, recall and average precision (as BinaryClassificationEvaluator); several
 * labels: macro / micro / weighted F1 of the argmax.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/evaluation/classification.py
 */
import { checkSameLength, epochSteps, prefixMetrics, prefixName, writeCsvRow, type CsvCell } from './base.js';
import { averagePrecision, f1Scores, findBestAccAndThreshold, findBestF1AndThreshold } from './metrics.js';
import { predictScores, type PredictorLike, type TextPair } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';

/** Options of {@link CrossEncoderClassificationEvaluator}. */
export interface CrossEncoderClassificationEvaluatorOptions {
  /** `name`. */
  name?: string;
  /** `batch_size` (default 32). */
  batchSize?: number;
  /** `show_progress_bar` (default false). */
  showProgressBar?: boolean;
  /** `write_csv` (default true): `CrossEncoderClassificationEvaluator[_<name>]_results.csv`. */
  writeCsv?: boolean;
}

/**
 * Classification metrics of a CrossEncoder, as sentence-transformers v6.0.1. With one label the keys are
 * `accuracy`, `accuracy_threshold`, `f1`, `f1_threshold`, `precision`, `recall`, `average_precision` (primary);
 * with several `f1_macro` (primary), `f1_micro`, `f1_weighted`. Scores are what `predict` returns (Sigmoid for a
 * one-label model by default).
 *
 * @example
 * ```ts
 * const evaluator = new CrossEncoderClassificationEvaluator([['How old are you?', 'What is your age?'], ['Hi', 'Stocks fell']], [1, 0], { name: 'dev' });
 * const { dev_average_precision } = await evaluator.evaluate(crossEncoder);
 * ```
 */
export class CrossEncoderClassificationEvaluator implements Evaluator<PredictorLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Cross Encoder Classification';
  readonly csvFile: string;
  private primary: string | null = null;
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;

  constructor(
    readonly sentencePairs: TextPair[],
    readonly labels: number[],
    options: CrossEncoderClassificationEvaluatorOptions = {},
  ) {
    const what = 'CrossEncoderClassificationEvaluator';
    if (!Array.isArray(sentencePairs)) throw new TypeError(`${what}: sentencePairs must be an array of [text, text] pairs, got ${typeof sentencePairs}`);
    checkSameLength(what, ['sentencePairs', sentencePairs], ['labels', labels]);
    labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0) throw new TypeError(`${what}: labels[${i}] must be a class index (non-negative integer), got ${JSON.stringify(l)}`);
    });
    this.name = options.name ?? '';
    this.batchSize = options.batchSize ?? 32;
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.csvFile = `CrossEncoderClassificationEvaluator${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  /** `average_precision` for a one-label model, `f1_macro` otherwise (known after the first evaluation). */
  get primaryMetric(): string {
    return this.primary ?? prefixName('average_precision', this.name);
  }

  async evaluate(model: PredictorLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const what = 'CrossEncoderClassificationEvaluator';
    const pred = await predictScores(model, this.sentencePairs, this.batchSize, this.showProgressBar, what);
    let metrics: Record<string, number>;
    let headers: string[];
    let cells: CsvCell[];
    if (model.numLabels === 1) {
      const scores = (pred as (number | number[])[]).map((s) => (Array.isArray(s) ? s[0] : s));
      const [acc, accThreshold] = findBestAccAndThreshold(scores, this.labels, true);
      const [f1, precision, recall, f1Threshold] = findBestF1AndThreshold(scores, this.labels, true);
      const ap = averagePrecision(this.labels, scores);
      metrics = { accuracy: acc, accuracy_threshold: accThreshold, f1, f1_threshold: f1Threshold, precision, recall, average_precision: ap };
      headers = ['epoch', 'steps', 'Accuracy', 'Accuracy_Threshold', 'F1', 'F1_Threshold', 'Precision', 'Recall', 'Average_Precision'];
      cells = [...epochSteps(context), acc, { f32: accThreshold }, f1, { f32: f1Threshold }, precision, recall, ap];
      this.primary = prefixName('average_precision', this.name);
    } else {
      const predicted = (pred as number[][]).map((row, i) => {
        if (!Array.isArray(row)) throw new TypeError(`${what}: a model with ${model.numLabels} labels must predict a row of scores per pair; pair ${i} got ${typeof row}`);
        let best = 0;
        for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
        return best;
      });
      const f = f1Scores(this.labels, predicted);
      metrics = { f1_macro: f.macro, f1_micro: f.micro, f1_weighted: f.weighted };
      headers = ['epoch', 'steps', 'Macro_F1', 'Micro_F1', 'Weighted_F1'];
      cells = [...epochSteps(context), f.macro, f.micro, f.weighted];
      this.primary = prefixName('f1_macro', this.name);
    }
    if (this.writeCsv) await writeCsvRow(context, this.csvFile, headers, cells);
    return prefixMetrics(metrics, this.name);
  }
}

/**
 * CrossEncoderCorrelationEvaluator: Pearson and Spearman correlation of a CrossEncoder's scores with gold scores.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/evaluation/correlation.py
 */
import { checkSameLength, epochSteps, prefixMetrics, prefixName, writeCsvRow } from './base.js';
import { pearson, spearman } from './metrics.js';
import { predictScores, type PredictorLike, type TextPair } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';

/** Options of {@link CrossEncoderCorrelationEvaluator}. */
export interface CrossEncoderCorrelationEvaluatorOptions {
  /** `name`. */
  name?: string;
  /** `batch_size` (default 32). */
  batchSize?: number;
  /** `show_progress_bar` (default false). */
  showProgressBar?: boolean;
  /** `write_csv` (default true): `CrossEncoderCorrelationEvaluator[_<name>]_results.csv`. */
  writeCsv?: boolean;
}

/**
 * `pearson` and `spearman` (primary) of predicted against gold scores, as sentence-transformers v6.0.1.
 *
 * @example
 * ```ts
 * const evaluator = new CrossEncoderCorrelationEvaluator([['A man eats.', 'Someone eats.'], ['A man eats.', 'A plane flies.']], [0.9, 0.1], { name: 'sts' });
 * const { sts_spearman } = await evaluator.evaluate(crossEncoder);
 * ```
 */
export class CrossEncoderCorrelationEvaluator implements Evaluator<PredictorLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Cross Encoder Correlation';
  readonly primaryMetric: string;
  readonly csvFile: string;
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;

  constructor(
    readonly sentencePairs: TextPair[],
    readonly scores: number[],
    options: CrossEncoderCorrelationEvaluatorOptions = {},
  ) {
    const what = 'CrossEncoderCorrelationEvaluator';
    if (!Array.isArray(sentencePairs)) throw new TypeError(`${what}: sentencePairs must be an array of [text, text] pairs, got ${typeof sentencePairs}`);
    checkSameLength(what, ['sentencePairs', sentencePairs], ['scores', scores]);
    this.name = options.name ?? '';
    this.batchSize = options.batchSize ?? 32;
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.primaryMetric = prefixName('spearman', this.name);
    this.csvFile = `CrossEncoderCorrelationEvaluator${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  async evaluate(model: PredictorLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const pred = (await predictScores(model, this.sentencePairs, this.batchSize, this.showProgressBar, 'CrossEncoderCorrelationEvaluator')) as number[];
    const p = pearson(this.scores, pred);
    const s = spearman(this.scores, pred);
    if (this.writeCsv) await writeCsvRow(context, this.csvFile, ['epoch', 'steps', 'Pearson_Correlation', 'Spearman_Correlation'], [...epochSteps(context), p, s]);
    return prefixMetrics({ pearson: p, spearman: s }, this.name);
  }
}

/**
 * BinaryClassificationEvaluator: how well a similarity of two embeddings separates duplicate (1) from non-duplicate
 * (0) pairs: best accuracy and F1 over thresholds, precision / recall at the best F1, average precision and
 * Matthews correlation at the F1 threshold.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/evaluation/binary_classification.py
 */
import { checkSameLength, checkStrings, epochSteps, modelSimilarity, pairwiseScores, parseSimilarityNames, prefixMetrics, prefixName, writeCsvRow, type CsvCell, type SimilarityName } from './base.js';
import { averagePrecision, findBestAccAndThreshold, findBestF1AndThreshold, matthewsCorrcoef } from './metrics.js';
import { encodeRows, type EncoderLike } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';

/** Options of {@link BinaryClassificationEvaluator}. */
export interface BinaryClassificationEvaluatorOptions {
  /** `name`: prefixes the metric keys and the CSV file name. */
  name?: string;
  /** `batch_size` (default 32). */
  batchSize?: number;
  /** `show_progress_bar` (default false). */
  showProgressBar?: boolean;
  /** `write_csv` (default true). */
  writeCsv?: boolean;
  /** `truncate_dim`. */
  truncateDim?: number | null;
  /** `similarity_fn_names` (default: the model's `similarityFnName` at evaluation). */
  similarityFnNames?: SimilarityName[] | null;
}

const METRICS = ['accuracy', 'accuracy_threshold', 'f1', 'precision', 'recall', 'f1_threshold', 'ap', 'mcc'] as const;
/** Similarities that are distances: lower means more similar (pairwise_*_sim negated back, as Python #3702). */
const IS_DISTANCE: Record<SimilarityName, boolean> = { cosine: false, dot: false, euclidean: true, manhattan: true };

/**
 * Binary classification of pairs by embedding similarity, as sentence-transformers v6.0.1.
 *
 * Metrics per similarity `<fn>`: `<fn>_accuracy`, `<fn>_accuracy_threshold`, `<fn>_f1`, `<fn>_f1_threshold`,
 * `<fn>_precision`, `<fn>_recall`, `<fn>_ap`, `<fn>_mcc`; with several similarities also `max_<metric>`. Primary
 * metric `<fn>_ap`, or `max_ap` with several. Thresholds are float32 (the midpoint of two float32 scores), and for
 * euclidean / manhattan they are distances (lower = duplicate).
 *
 * @example
 * ```ts
 * const evaluator = new BinaryClassificationEvaluator(['How old are you?', 'Where is Paris?'], ['What is your age?', 'I like tea.'], [1, 0], { name: 'quora' });
 * const { 'quora_cosine_ap': ap } = await evaluator.evaluate(model);
 * ```
 */
export class BinaryClassificationEvaluator implements Evaluator<EncoderLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Binary Classification';
  readonly csvFile: string;
  private similarityFnNames: SimilarityName[];
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;
  private readonly truncateDim: number | null;

  constructor(
    readonly sentences1: string[],
    readonly sentences2: string[],
    readonly labels: number[],
    options: BinaryClassificationEvaluatorOptions = {},
  ) {
    const what = 'BinaryClassificationEvaluator';
    checkStrings(sentences1, `${what}: sentences1`);
    checkStrings(sentences2, `${what}: sentences2`);
    checkSameLength(what, ['sentences1', sentences1], ['sentences2', sentences2]);
    checkSameLength(what, ['sentences1', sentences1], ['labels', labels]);
    labels.forEach((l, i) => {
      if (l !== 0 && l !== 1) throw new RangeError(`${what}: labels[${i}] must be 0 or 1, got ${JSON.stringify(l)}`);
    });
    this.name = options.name ?? '';
    this.batchSize = options.batchSize ?? 32;
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = options.truncateDim ?? null;
    this.similarityFnNames = parseSimilarityNames(options.similarityFnNames, `${what}: similarityFnNames`);
    this.csvFile = `binary_classification_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  /** `<fn>_ap` (`max_ap` with several similarities), prefixed with the name. */
  get primaryMetric(): string {
    const names = this.similarityFnNames.length ? this.similarityFnNames : ['cosine'];
    return prefixName(names.length > 1 ? 'max_ap' : `${names[0]}_ap`, this.name);
  }

  async evaluate(model: EncoderLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const what = 'BinaryClassificationEvaluator';
    if (this.similarityFnNames.length === 0) this.similarityFnNames = [modelSimilarity(model, what)];
    // Each distinct sentence is embedded once, as Python's list(set(sentences1 + sentences2)).
    const unique = [...new Set(this.sentences1.concat(this.sentences2))]; // spread-ok: a Set's values into an array, not call arguments
    const rows = await encodeRows(model, unique, { batchSize: this.batchSize, showProgressBar: this.showProgressBar, truncateDim: this.truncateDim }, null, what);
    const byText = new Map(unique.map((s, i) => [s, rows[i]] as const));
    const e1 = this.sentences1.map((s) => byText.get(s) as Float32Array);
    const e2 = this.sentences2.map((s) => byText.get(s) as Float32Array);
    const scores: Record<string, Record<(typeof METRICS)[number], number>> = {};
    for (const fn of this.similarityFnNames) {
      const distance = IS_DISTANCE[fn];
      const sims = pairwiseScores(fn, e1, e2);
      const s = distance ? sims.map((x) => -x) : sims;
      const [acc, accThreshold] = findBestAccAndThreshold(s, this.labels, !distance);
      const [f1, precision, recall, f1Threshold] = findBestF1AndThreshold(s, this.labels, !distance);
      const ap = averagePrecision(this.labels, distance ? sims : s);
      const predicted = Array.from(s, (x) => (distance ? x <= f1Threshold : x >= f1Threshold));
      const mcc = matthewsCorrcoef(this.labels, predicted);
      scores[fn] = { accuracy: acc, accuracy_threshold: accThreshold, f1, precision, recall, f1_threshold: f1Threshold, ap, mcc };
    }
    if (this.writeCsv) {
      const headers = ['epoch', 'steps', ...this.similarityFnNames.flatMap((fn) => METRICS.map((m) => `${fn}_${m}`))]; // spread-ok: 32 headers at most
      const cells: CsvCell[] = [...epochSteps(context)]; // spread-ok: two cells
      for (const fn of this.similarityFnNames) {
        for (const m of METRICS) cells.push(m.endsWith('threshold') ? { f32: scores[fn][m] } : scores[fn][m]);
      }
      await writeCsvRow(context, this.csvFile, headers, cells);
    }
    const metrics: Record<string, number> = {};
    const order = ['accuracy', 'accuracy_threshold', 'f1', 'f1_threshold', 'precision', 'recall', 'ap', 'mcc'] as const;
    for (const fn of this.similarityFnNames) for (const m of order) metrics[`${fn}_${m}`] = scores[fn][m];
    if (this.similarityFnNames.length > 1) {
      for (const m of order) metrics[`max_${m}`] = Math.max(...this.similarityFnNames.map((fn) => scores[fn][m])); // spread-ok: 4 names at most
    }
    return prefixMetrics(metrics, this.name);
  }

  /** `get_config_dict()`. */
  getConfigDict(): Record<string, unknown> {
    return this.truncateDim !== null ? { truncate_dim: this.truncateDim } : {};
  }
}

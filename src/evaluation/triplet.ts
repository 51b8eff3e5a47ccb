/**
 * TripletEvaluator: the share of (anchor, positive, negative) triplets whose anchor is more similar to the positive
 * than to the negative (by a margin).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/evaluation/triplet.py
 */
import { checkSameLength, checkStrings, epochSteps, modelSimilarity, pairwiseScores, parseSimilarityName, parseSimilarityNames, prefixMetrics, prefixName, writeCsvRow, type SimilarityName } from './base.js';
import { encodeRows, type EncoderLike } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';

/** Options of {@link TripletEvaluator}. */
export interface TripletEvaluatorOptions {
  /** `main_similarity_function`: its accuracy is the primary metric. */
  mainSimilarityFunction?: SimilarityName | null;
  /** `margin`: one number for every similarity, or per similarity (default 0). */
  margin?: number | Partial<Record<SimilarityName, number>> | null;
  /** `name`. */
  name?: string;
  /** `batch_size` (default 16). */
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

const ALL: readonly SimilarityName[] = ['cosine', 'dot', 'manhattan', 'euclidean'];

/**
 * Triplet accuracy, as sentence-transformers v6.0.1: `<fn>_accuracy` per similarity (float32 mean of
 * `sim(a, p) > sim(a, n) + margin`), `max_accuracy` with several; primary `<main>_accuracy`, else `max_accuracy` /
 * `<fn>_accuracy`. Anchors go through `encodeQuery`, positives and negatives through `encodeDocument` when the
 * model has them.
 *
 * @example
 * ```ts
 * const evaluator = new TripletEvaluator(['A cat sits.'], ['A kitten is sitting.'], ['Stocks fell today.'], { name: 'dev' });
 * const { dev_cosine_accuracy } = await evaluator.evaluate(model);
 * ```
 */
export class TripletEvaluator implements Evaluator<EncoderLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Triplet';
  readonly csvFile: string;
  readonly margin: Record<SimilarityName, number>;
  private readonly mainSimilarity: SimilarityName | null;
  private similarityFnNames: SimilarityName[];
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;
  private readonly truncateDim: number | null;

  constructor(
    readonly anchors: string[],
    readonly positives: string[],
    readonly negatives: string[],
    options: TripletEvaluatorOptions = {},
  ) {
    const what = 'TripletEvaluator';
    checkStrings(anchors, `${what}: anchors`);
    checkStrings(positives, `${what}: positives`);
    checkStrings(negatives, `${what}: negatives`);
    checkSameLength(what, ['anchors', anchors], ['positives', positives]);
    checkSameLength(what, ['anchors', anchors], ['negatives', negatives]);
    this.mainSimilarity = options.mainSimilarityFunction ? parseSimilarityName(options.mainSimilarityFunction, `${what}: mainSimilarityFunction`) : null;
    this.similarityFnNames = parseSimilarityNames(options.similarityFnNames, `${what}: similarityFnNames`);
    const margin = options.margin ?? 0;
    this.margin = { cosine: 0, dot: 0, manhattan: 0, euclidean: 0 };
    if (typeof margin === 'number') {
      for (const k of ALL) this.margin[k] = margin;
    } else if (typeof margin === 'object') {
      for (const [k, v] of Object.entries(margin)) {
        const key = parseSimilarityName(k, `${what}: margin key`);
        if (typeof v !== 'number') throw new TypeError(`${what}: margin.${k} must be a number, got ${typeof v}`);
        this.margin[key] = v;
      }
    } else {
      throw new TypeError(`${what}: margin must be a number or an object keyed by similarity name, got ${typeof margin}`);
    }
    this.name = options.name ?? '';
    this.batchSize = options.batchSize ?? 16;
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = options.truncateDim ?? null;
    this.csvFile = `triplet_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  /** The primary metric key (before the first evaluation, what it will be for a cosine model). */
  get primaryMetric(): string {
    const names = this.similarityFnNames.length ? this.similarityFnNames : ['cosine'];
    const m = this.mainSimilarity ? `${this.mainSimilarity}_accuracy` : names.length > 1 ? 'max_accuracy' : `${names[0]}_accuracy`;
    return prefixName(m, this.name);
  }

  async evaluate(model: EncoderLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const what = 'TripletEvaluator';
    const opts = { batchSize: this.batchSize, showProgressBar: this.showProgressBar, truncateDim: this.truncateDim };
    const a = await encodeRows(model, this.anchors, opts, 'query', what);
    const p = await encodeRows(model, this.positives, opts, 'document', what);
    const n = await encodeRows(model, this.negatives, opts, 'document', what);
    if (this.similarityFnNames.length === 0) this.similarityFnNames = [modelSimilarity(model, what)];
    const metrics: Record<string, number> = {};
    for (const fn of this.similarityFnNames) {
      const pos = pairwiseScores(fn, a, p);
      const neg = pairwiseScores(fn, a, n);
      let hits = 0;
      // float32 tensors in Python: neg + margin is rounded to float32, the mean of the 0/1 floats too.
      for (let i = 0; i < pos.length; i++) if (pos[i] > Math.fround(neg[i] + this.margin[fn])) hits++;
      metrics[`${fn}_accuracy`] = Math.fround(hits / pos.length);
    }
    if (this.writeCsv) {
      await writeCsvRow(context, this.csvFile, ['epoch', 'steps', ...this.similarityFnNames.map((fn) => `accuracy_${fn}`)], [...epochSteps(context), ...Object.values(metrics)]); // spread-ok: 4 names at most
    }
    if (this.similarityFnNames.length > 1) metrics.max_accuracy = Math.max(...Object.values(metrics)); // spread-ok: 4 values at most
    return prefixMetrics(metrics, this.name);
  }

  /** `get_config_dict()`: the margin when not all zero, truncate_dim when set. */
  getConfigDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (ALL.some((k) => this.margin[k] !== 0)) out.margin = { ...this.margin };
    if (this.truncateDim !== null) out.truncate_dim = this.truncateDim;
    return out;
  }
}

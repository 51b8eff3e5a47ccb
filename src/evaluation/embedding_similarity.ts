/**
 * EmbeddingSimilarityEvaluator: Pearson and Spearman correlations between gold scores and the similarities of
 * embedded sentence pairs, for cosine, dot, euclidean and manhattan.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/evaluation/embedding_similarity.py
 */
import { checkSameLength, checkStrings, epochSteps, modelSimilarity, pairwiseScores, parseSimilarityName, parseSimilarityNames, prefixMetrics, prefixName, writeCsvRow, type SimilarityName } from './base.js';
import { pearson, spearman } from './metrics.js';
import { encodeRows, type EncoderLike } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';

/** Options of {@link EmbeddingSimilarityEvaluator} (Python's keyword arguments in camelCase). */
export interface EmbeddingSimilarityEvaluatorOptions {
  /** `batch_size` (default 16). */
  batchSize?: number;
  /** `main_similarity`: the similarity whose Spearman is the primary metric (default none). */
  mainSimilarity?: SimilarityName | null;
  /** `similarity_fn_names` (default: `[mainSimilarity]`, else the model's `similarityFnName` at evaluation). */
  similarityFnNames?: SimilarityName[] | null;
  /** `name`: prefixes every metric key and the CSV file name. */
  name?: string;
  /** `show_progress_bar` (default false). */
  showProgressBar?: boolean;
  /** `write_csv` (default true): write `similarity_evaluation[_<name>]_results.csv` when an outputPath is given. */
  writeCsv?: boolean;
  /** `truncate_dim`: keep the first dims of each embedding. */
  truncateDim?: number | null;
}

/**
 * Correlation of gold similarity scores with embedding similarities, as sentence-transformers v6.0.1.
 *
 * Metrics: `pearson_<fn>` / `spearman_<fn>` per similarity function, plus `pearson_max` / `spearman_max` with
 * several; primary metric `spearman_<main>` (with `mainSimilarity`), else `spearman_max` (several) or
 * `spearman_<fn>`; every key prefixed `<name>_` when named.
 *
 * @example
 * ```ts
 * const evaluator = new EmbeddingSimilarityEvaluator(['A man eats.', 'A plane flies.'], ['Someone eats food.', 'A dog barks.'], [4.6, 0.2], { name: 'sts-dev' });
 * const metrics = await evaluator.evaluate(model); // { 'sts-dev_pearson_cosine': ..., 'sts-dev_spearman_cosine': ... }
 * ```
 */
export class EmbeddingSimilarityEvaluator implements Evaluator<EncoderLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  readonly csvFile: string;
  private readonly mainSimilarity: SimilarityName | null;
  private similarityFnNames: SimilarityName[];
  private primary: string | null = null;
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;
  private readonly truncateDim: number | null;

  constructor(
    readonly sentences1: string[],
    readonly sentences2: string[],
    readonly scores: number[],
    options: EmbeddingSimilarityEvaluatorOptions = {},
  ) {
    const what = 'EmbeddingSimilarityEvaluator';
    checkStrings(sentences1, `${what}: sentences1`);
    checkStrings(sentences2, `${what}: sentences2`);
    checkSameLength(what, ['sentences1', sentences1], ['sentences2', sentences2]);
    checkSameLength(what, ['sentences1', sentences1], ['scores', scores]);
    scores.forEach((s, i) => {
      if (typeof s !== 'number') throw new TypeError(`${what}: scores[${i}] must be a number, got ${typeof s}`);
    });
    this.mainSimilarity = options.mainSimilarity ? parseSimilarityName(options.mainSimilarity, `${what}: mainSimilarity`) : null;
    this.similarityFnNames = parseSimilarityNames(options.similarityFnNames, `${what}: similarityFnNames`);
    if (this.similarityFnNames.length === 0 && this.mainSimilarity) this.similarityFnNames = [this.mainSimilarity];
    this.name = options.name ?? '';
    this.batchSize = options.batchSize ?? 16;
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = options.truncateDim ?? null;
    this.csvFile = `similarity_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  /** The primary metric key (before the first evaluation, what it will be for a cosine model). */
  get primaryMetric(): string {
    return this.primary ?? prefixName(this.primaryFor(this.similarityFnNames.length ? this.similarityFnNames : ['cosine']), this.name);
  }

  private primaryFor(names: SimilarityName[]): string {
    if (this.mainSimilarity) return `spearman_${this.mainSimilarity}`;
    return names.length > 1 ? 'spearman_max' : `spearman_${names[0]}`;
  }

  async evaluate(model: EncoderLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const what = 'EmbeddingSimilarityEvaluator';
    const opts = { batchSize: this.batchSize, showProgressBar: this.showProgressBar, truncateDim: this.truncateDim, normalizeEmbeddings: false };
    const e1 = await encodeRows(model, this.sentences1, opts, null, what);
    const e2 = await encodeRows(model, this.sentences2, opts, null, what);
    if (this.similarityFnNames.length === 0) this.similarityFnNames = [modelSimilarity(model, what)];
    const metrics: Record<string, number> = {};
    for (const fn of this.similarityFnNames) {
      const sims = pairwiseScores(fn, e1, e2);
      metrics[`pearson_${fn}`] = pearson(this.scores, sims);
      metrics[`spearman_${fn}`] = spearman(this.scores, sims);
    }
    if (this.writeCsv) {
      const headers = ['epoch', 'steps', ...this.similarityFnNames.flatMap((fn) => [`${fn}_pearson`, `${fn}_spearman`])]; // spread-ok: 4 names at most
      const cells = [...epochSteps(context), ...this.similarityFnNames.flatMap((fn) => [metrics[`pearson_${fn}`], metrics[`spearman_${fn}`]])]; // spread-ok: 4 names at most
      await writeCsvRow(context, this.csvFile, headers, cells);
    }
    if (this.similarityFnNames.length > 1) {
      metrics.pearson_max = Math.max(...this.similarityFnNames.map((fn) => metrics[`pearson_${fn}`])); // spread-ok: 4 names at most
      metrics.spearman_max = Math.max(...this.similarityFnNames.map((fn) => metrics[`spearman_${fn}`])); // spread-ok: 4 names at most
    }
    this.primary = prefixName(this.primaryFor(this.similarityFnNames), this.name);
    return prefixMetrics(metrics, this.name);
  }

  /** `get_config_dict()`: the non-default settings written to the model card. */
  getConfigDict(): Record<string, unknown> {
    return this.truncateDim !== null ? { truncate_dim: this.truncateDim } : {};
  }
}

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
  /**
   * `precision`: embed normalized and quantized (`float32`, `int8`, `uint8`, `binary`, `ubinary`) and correlate the
   * similarities of the quantized vectors (binary ones unpacked to bits). Default none (raw float32). `float32` is
   * Python's behaviour; for the integer precisions 6.0.1 hands integer tensors to its pairwise functions (cosine
   * raises, int8 dot / manhattan wrap around), so here the quantized values are compared as floats instead.
   */
  precision?: EmbeddingPrecision | null;
}

/** The `precision` values of {@link EmbeddingSimilarityEvaluatorOptions}. */
export type EmbeddingPrecision = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';
const PRECISIONS: readonly EmbeddingPrecision[] = ['float32', 'int8', 'uint8', 'binary', 'ubinary'];

/** numpy `unpackbits(axis=1)` of packed rows (most significant bit first); `binary` rows are int8 offset by 128. */
function unpackBits(rows: Float32Array[], signed: boolean): Float32Array[] {
  return rows.map((row) => {
    const out = new Float32Array(row.length * 8);
    for (let i = 0; i < row.length; i++) {
      const byte = (signed ? row[i] + 128 : row[i]) & 0xff;
      for (let b = 0; b < 8; b++) out[i * 8 + b] = (byte >> (7 - b)) & 1;
    }
    return out;
  });
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
  /** Python's `description` (the model card's task name). */
  readonly description = 'Semantic Similarity';
  readonly csvFile: string;
  private readonly mainSimilarity: SimilarityName | null;
  private similarityFnNames: SimilarityName[];
  private primary: string | null = null;
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;
  private readonly truncateDim: number | null;
  private readonly precision: EmbeddingPrecision | null;

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
    this.precision = options.precision ?? null;
    if (this.precision !== null && !PRECISIONS.includes(this.precision)) {
      throw new RangeError(`${what}: precision must be one of ${PRECISIONS.join(', ')}; got ${JSON.stringify(this.precision)}`);
    }
    this.csvFile = `similarity_evaluation${this.name ? `_${this.name}` : ''}${this.precision ? `_${this.precision}` : ''}_results.csv`;
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
    const opts = {
      batchSize: this.batchSize,
      showProgressBar: this.showProgressBar,
      truncateDim: this.truncateDim,
      normalizeEmbeddings: this.precision !== null,
      ...(this.precision ? { precision: this.precision } : {}),
    };
    let e1 = await encodeRows(model, this.sentences1, opts, null, what);
    let e2 = await encodeRows(model, this.sentences2, opts, null, what);
    if (this.precision === 'binary' || this.precision === 'ubinary') {
      e1 = unpackBits(e1, this.precision === 'binary');
      e2 = unpackBits(e2, this.precision === 'binary');
    }
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
    const out: Record<string, unknown> = {};
    if (this.truncateDim !== null) out.truncate_dim = this.truncateDim;
    if (this.precision !== null) out.precision = this.precision;
    return out;
  }
}

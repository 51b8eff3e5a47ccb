/**
 * CrossEncoderRerankingEvaluator: reranks each query's candidate documents with a CrossEncoder and reports MAP,
 * MRR@k and NDCG@k (plus the base ranking's metrics when the samples give a `documents` list).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/evaluation/reranking.py
 */
import { epochSteps, prefixMetrics, prefixName, writeCsvRow } from './base.js';
import { averagePrecision, ndcgScore } from './metrics.js';
import { predictScores, type PredictorLike, type TextPair } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';

/** One reranking sample: a query, its positive(s), and either `negative` documents or a ranked `documents` list. */
export interface RerankingSample {
  query: string;
  positive: string | string[];
  negative?: string[];
  documents?: string[];
}

/** Options of {@link CrossEncoderRerankingEvaluator}. */
export interface CrossEncoderRerankingEvaluatorOptions {
  /** `at_k` (default 10): the cut-off of MRR and NDCG. */
  atK?: number;
  /** `always_rerank_positives` (default true): with `documents`, rerank the positives even when not retrieved. */
  alwaysRerankPositives?: boolean;
  /** `name`. */
  name?: string;
  /** `batch_size` (default 64). */
  batchSize?: number;
  /** `show_progress_bar` (default false). */
  showProgressBar?: boolean;
  /** `write_csv` (default true): `CrossEncoderRerankingEvaluator[_<name>]_results_@<k>.csv`. */
  writeCsv?: boolean;
}

/**
 * Reranking metrics, as sentence-transformers v6.0.1: `map`, `mrr@k`, `ndcg@k` (primary), and with `documents`
 * samples `base_map`, `base_mrr@k`, `base_ndcg@k` of the given order. NDCG averages tied scores as scikit-learn's
 * `ndcg_score`; MRR takes tied documents in numpy's `argsort(...)[::-1]` order (the later one first).
 *
 * @example
 * ```ts
 * const evaluator = new CrossEncoderRerankingEvaluator([
 *   { query: 'capital of France?', positive: ['Paris is the capital.'], negative: ['Berlin is big.', 'Tea is hot.'] },
 * ], { atK: 10, name: 'dev' });
 * const metrics = await evaluator.evaluate(crossEncoder); // { dev_map, 'dev_mrr@10', 'dev_ndcg@10' }
 * ```
 */
export class CrossEncoderRerankingEvaluator implements Evaluator<PredictorLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Cross Encoder Reranking';
  readonly primaryMetric: string;
  readonly csvFile: string;
  readonly atK: number;
  private readonly alwaysRerankPositives: boolean;
  private readonly batchSize: number;
  private readonly showProgressBar: boolean;
  private readonly writeCsv: boolean;

  constructor(
    readonly samples: RerankingSample[],
    options: CrossEncoderRerankingEvaluatorOptions = {},
  ) {
    const what = 'CrossEncoderRerankingEvaluator';
    if (!Array.isArray(samples)) throw new TypeError(`${what}: samples must be an array of { query, positive, negative | documents }, got ${typeof samples}`);
    samples.forEach((s, i) => {
      if (typeof s?.query !== 'string') throw new TypeError(`${what}: samples[${i}] needs a 'query' string`);
      if (s.positive === undefined) throw new TypeError(`${what}: samples[${i}] needs a 'positive' key`);
      if ((s.negative !== undefined) === (s.documents !== undefined)) throw new TypeError(`${what}: samples[${i}] needs exactly one of 'negative' and 'documents'`);
    });
    this.atK = options.atK ?? 10;
    if (!Number.isInteger(this.atK) || this.atK <= 0) throw new RangeError(`${what}: atK must be a positive integer, got ${JSON.stringify(options.atK)}`);
    this.alwaysRerankPositives = options.alwaysRerankPositives ?? true;
    this.name = options.name ?? '';
    this.batchSize = options.batchSize ?? 64;
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.primaryMetric = prefixName(`ndcg@${this.atK}`, this.name);
    this.csvFile = `CrossEncoderRerankingEvaluator${this.name ? `_${this.name}` : ''}_results_@${this.atK}.csv`;
  }

  /** `compute_metrics`: [mrr@k, ndcg@k, ap] of one ranking. */
  private metricsOf(relevant: number[], scores: ArrayLike<number>): [number, number, number] {
    // np.argsort(y_pred)[::-1]: ascending (stable for these small arrays), then reversed.
    const ascending = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
    const ranking = ascending.reverse();
    let mrr = 0;
    for (let rank = 0; rank < Math.min(this.atK, ranking.length); rank++) {
      if (relevant[ranking[rank]]) {
        mrr = 1 / (rank + 1);
        break;
      }
    }
    return [mrr, ndcgScore(relevant, scores, this.atK), averagePrecision(relevant, scores)];
  }

  async evaluate(model: PredictorLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const base: [number[], number[], number[]] = [[], [], []];
    const pairs: TextPair[] = [];
    const meta: ({ relevant: number[]; count: number } | null)[] = [];
    for (const sample of this.samples) {
      const positive = typeof sample.positive === 'string' ? [sample.positive] : sample.positive;
      let docs: string[];
      let relevant: number[];
      if (sample.documents && sample.documents.length > 0) {
        const baseRelevant = sample.documents.map((d): number => (positive.includes(d) ? 1 : 0));
        const found = baseRelevant.reduce((a, b) => a + b, 0);
        let baseMetrics: [number, number, number] = [0, 0, 0];
        if (found > 0) {
          for (let i = found; i < positive.length; i++) baseRelevant.push(1);
          baseMetrics = this.metricsOf(baseRelevant, baseRelevant.map((_, i) => baseRelevant.length - i));
        }
        base.forEach((list, i) => list.push(baseMetrics[i]));
        if (this.alwaysRerankPositives) {
          docs = positive.concat(sample.documents.filter((d) => !positive.includes(d)));
          relevant = docs.map((_, i) => (i < positive.length ? 1 : 0));
        } else {
          docs = sample.documents;
          relevant = docs.map((d) => (positive.includes(d) ? 1 : 0));
        }
      } else {
        docs = positive.concat(sample.negative ?? []);
        relevant = docs.map((_, i) => (i < positive.length ? 1 : 0));
      }
      if (!relevant.some((r) => r === 1)) {
        meta.push(null);
        continue;
      }
      meta.push({ relevant, count: docs.length });
      for (const d of docs) pairs.push([sample.query, d]);
    }
    const all = pairs.length ? ((await predictScores(model, pairs, this.batchSize, this.showProgressBar, 'CrossEncoderRerankingEvaluator')) as number[]) : [];
    const mrrs: number[] = [];
    const ndcgs: number[] = [];
    const aps: number[] = [];
    let offset = 0;
    for (const m of meta) {
      if (m === null) {
        mrrs.push(0), ndcgs.push(0), aps.push(0);
        continue;
      }
      const [mrr, ndcg, ap] = this.metricsOf(m.relevant, all.slice(offset, offset + m.count));
      offset += m.count;
      mrrs.push(mrr), ndcgs.push(ndcg), aps.push(ap);
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const k = this.atK;
    const meanAp = mean(aps);
    const meanMrr = mean(mrrs);
    const meanNdcg = mean(ndcgs);
    const metrics: Record<string, number> = { map: meanAp, [`mrr@${k}`]: meanMrr, [`ndcg@${k}`]: meanNdcg };
    if (base[0].length > 0) {
      metrics.base_map = mean(base[2]);
      metrics[`base_mrr@${k}`] = mean(base[0]);
      metrics[`base_ndcg@${k}`] = mean(base[1]);
    }
    if (this.writeCsv) await writeCsvRow(context, this.csvFile, ['epoch', 'steps', 'MAP', `MRR@${k}`, `NDCG@${k}`], [...epochSteps(context), meanAp, meanMrr, meanNdcg]);
    return prefixMetrics(metrics, this.name);
  }

  /** `get_config_dict()`: at_k, and always_rerank_positives for `documents` samples. */
  getConfigDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { at_k: this.atK };
    if (this.samples.length && this.samples[0].documents !== undefined) out.always_rerank_positives = this.alwaysRerankPositives;
    return out;
  }
}

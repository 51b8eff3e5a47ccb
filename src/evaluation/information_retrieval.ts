/**
 * InformationRetrievalEvaluator: embeds queries and a corpus, ranks the corpus for every query and reports
 * accuracy@k, precision@k, recall@k, MRR@k, NDCG@k and MAP@k against the relevant documents.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/evaluation/information_retrieval.py
 */
import { epochSteps, modelSimilarity, prefixMetrics, prefixName, pyJsonDumps, writeCsvRow, parseSimilarityName, type CsvCell, type SimilarityName } from './base.js';
import { joinPath, makeDir, writeFileBytes } from '../platform/fs.js';
import { encodeRows, type EncoderLike } from './model_like.js';
import type { EvaluationContext, Evaluator } from './types.js';
import { similarityFn } from '../util/similarity.js';

/** A score function: the `[queries, docs]` score matrix of two lists of embeddings (as `util.cos_sim`). */
export type IRScoreFunction = (queries: Float32Array[], docs: Float32Array[]) => ArrayLike<number>[];

/** Options of {@link InformationRetrievalEvaluator}. */
export interface InformationRetrievalEvaluatorOptions {
  /** `corpus_chunk_size` (default 50000): the corpus is embedded and scored this many documents at a time. */
  corpusChunkSize?: number;
  /** `mrr_at_k` (default [10]). */
  mrrAtK?: number[];
  /** `ndcg_at_k` (default [10]). */
  ndcgAtK?: number[];
  /** `accuracy_at_k` (default [1, 3, 5, 10]). */
  accuracyAtK?: number[];
  /** `precision_recall_at_k` (default [1, 3, 5, 10]). */
  precisionRecallAtK?: number[];
  /** `map_at_k` (default [100]). */
  mapAtK?: number[];
  /** `show_progress_bar` (default false). */
  showProgressBar?: boolean;
  /** `batch_size` (default 32). */
  batchSize?: number;
  /** `name`. */
  name?: string;
  /** `write_csv` (default true). */
  writeCsv?: boolean;
  /** `truncate_dim`. */
  truncateDim?: number | null;
  /** `score_functions`: name → similarity name or matrix function (default: the model's similarity). */
  scoreFunctions?: Record<string, SimilarityName | IRScoreFunction> | null;
  /** `main_score_function`: its NDCG@max(k) is the primary metric (default: the best one at the first evaluation). */
  mainScoreFunction?: SimilarityName | null;
  /** `query_prompt` / `query_prompt_name` / `corpus_prompt` / `corpus_prompt_name`: passed to encode. */
  queryPrompt?: string | null;
  queryPromptName?: string | null;
  corpusPrompt?: string | null;
  corpusPromptName?: string | null;
  /**
   * `write_predictions` (default false): with an outputPath, write each query's top hits to
   * `Information-Retrieval_evaluation[_<name>]_predictions_<fn>.jsonl` (one JSON line per query, as Python's
   * `json.dumps`), replacing the file at every evaluation.
   */
  writePredictions?: boolean;
}

type Hit = { score: number; corpusId: string };
type Scores = Record<'accuracy@k' | 'precision@k' | 'recall@k' | 'ndcg@k' | 'mrr@k' | 'map@k', Map<number, number>>;

/** Python's ordering of hits: score descending, then corpus id ascending (by code point, as Python compares str). */
function compareHits(a: Hit, b: Hit): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.corpusId < b.corpusId ? -1 : a.corpusId > b.corpusId ? 1 : 0;
}

function positiveInts(value: number[] | undefined, dflt: number[], what: string): number[] {
  const v = value ?? dflt;
  if (!Array.isArray(v) || v.length === 0) throw new TypeError(`InformationRetrievalEvaluator: ${what} must be a non-empty array of positive integers, got ${JSON.stringify(v)}`);
  v.forEach((k) => {
    if (!Number.isInteger(k) || k <= 0) throw new RangeError(`InformationRetrievalEvaluator: ${what} must hold positive integers, got ${JSON.stringify(k)}`);
  });
  return v;
}

/**
 * Retrieval metrics, as sentence-transformers v6.0.1: `<fn>_accuracy@k`, `<fn>_precision@k`, `<fn>_recall@k`,
 * `<fn>_ndcg@k`, `<fn>_mrr@k`, `<fn>_map@k` per score function. Only queries with at least one relevant document
 * count. Ties are ranked by corpus id, so results do not depend on `corpusChunkSize`.
 *
 * @example
 * ```ts
 * const evaluator = new InformationRetrievalEvaluator(
 *   { q1: 'What is the capital of France?' },
 *   { d1: 'Paris is the capital of France.', d2: 'Berlin is in Germany.' },
 *   { q1: new Set(['d1']) },
 *   { name: 'dev' },
 * );
 * const metrics = await evaluator.evaluate(model); // { 'dev_cosine_ndcg@10': ..., ... }
 * ```
 */
export class InformationRetrievalEvaluator implements Evaluator<EncoderLike> {
  readonly name: string;
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Information Retrieval';
  readonly csvFile: string;
  readonly queryIds: string[];
  readonly corpusIds: string[];
  private readonly queries: string[];
  private readonly corpus: string[];
  private readonly relevantDocs: Map<string, Set<string>>;
  private readonly opts: Required<Pick<InformationRetrievalEvaluatorOptions, 'corpusChunkSize' | 'mrrAtK' | 'ndcgAtK' | 'accuracyAtK' | 'precisionRecallAtK' | 'mapAtK' | 'batchSize' | 'showProgressBar' | 'writeCsv'>>;
  private scoreFunctions: Record<string, SimilarityName | IRScoreFunction> | null;
  private scoreFunctionNames: string[];
  private readonly mainScoreFunction: SimilarityName | null;
  private primary: string | null = null;
  private readonly truncateDim: number | null;
  private readonly writePredictions: boolean;
  private readonly prompts: { queryPrompt?: string; queryPromptName?: string; corpusPrompt?: string; corpusPromptName?: string };

  constructor(
    queries: Record<string, string>,
    corpus: Record<string, string>,
    relevantDocs: Record<string, Iterable<string>>,
    options: InformationRetrievalEvaluatorOptions = {},
  ) {
    const what = 'InformationRetrievalEvaluator';
    for (const [arg, v] of [['queries', queries], ['corpus', corpus], ['relevantDocs', relevantDocs]] as const) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${what}: ${arg} must be an object keyed by id, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
    }
    this.relevantDocs = new Map(Object.entries(relevantDocs).map(([q, docs]) => [q, new Set(docs)]));
    this.queryIds = Object.keys(queries).filter((q) => (this.relevantDocs.get(q)?.size ?? 0) > 0);
    this.queries = this.queryIds.map((q) => queries[q]);
    this.corpusIds = Object.keys(corpus);
    this.corpus = this.corpusIds.map((c) => corpus[c]);
    this.opts = {
      corpusChunkSize: options.corpusChunkSize ?? 50000,
      mrrAtK: positiveInts(options.mrrAtK, [10], 'mrrAtK'),
      ndcgAtK: positiveInts(options.ndcgAtK, [10], 'ndcgAtK'),
      accuracyAtK: positiveInts(options.accuracyAtK, [1, 3, 5, 10], 'accuracyAtK'),
      precisionRecallAtK: positiveInts(options.precisionRecallAtK, [1, 3, 5, 10], 'precisionRecallAtK'),
      mapAtK: positiveInts(options.mapAtK, [100], 'mapAtK'),
      batchSize: options.batchSize ?? 32,
      showProgressBar: options.showProgressBar ?? false,
      writeCsv: options.writeCsv ?? true,
    };
    if (!Number.isInteger(this.opts.corpusChunkSize) || this.opts.corpusChunkSize <= 0) {
      throw new RangeError(`${what}: corpusChunkSize must be a positive integer, got ${JSON.stringify(options.corpusChunkSize)}`);
    }
    this.scoreFunctions = options.scoreFunctions ?? null;
    this.scoreFunctionNames = this.scoreFunctions ? Object.keys(this.scoreFunctions).sort() : [];
    this.mainScoreFunction = options.mainScoreFunction ? parseSimilarityName(options.mainScoreFunction, `${what}: mainScoreFunction`) : null;
    this.truncateDim = options.truncateDim ?? null;
    this.writePredictions = options.writePredictions ?? false;
    this.prompts = {
      queryPrompt: options.queryPrompt ?? undefined,
      queryPromptName: options.queryPromptName ?? undefined,
      corpusPrompt: options.corpusPrompt ?? undefined,
      corpusPromptName: options.corpusPromptName ?? undefined,
    };
    this.name = options.name ?? '';
    this.csvFile = `Information-Retrieval_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  /** `<fn>_ndcg@<max k>`: fixed at the first evaluation (the best score function unless `mainScoreFunction`). */
  get primaryMetric(): string {
    if (this.primary) return this.primary;
    const fn = this.mainScoreFunction ?? this.scoreFunctionNames[0] ?? 'cosine';
    return prefixName(`${fn}_ndcg@${Math.max(...this.opts.ndcgAtK)}`, this.name); // spread-ok: a few k values
  }

  async evaluate(model: EncoderLike, context?: EvaluationContext): Promise<Record<string, number>> {
    const what = 'InformationRetrievalEvaluator';
    if (!this.scoreFunctions) {
      const fn = modelSimilarity(model, what);
      this.scoreFunctions = { [fn]: fn };
      this.scoreFunctionNames = [fn];
    }
    const o = this.opts;
    const maxK = Math.max(...o.mrrAtK, ...o.ndcgAtK, ...o.accuracyAtK, ...o.precisionRecallAtK, ...o.mapAtK); // spread-ok: a few k values
    const base = { batchSize: o.batchSize, showProgressBar: o.showProgressBar, truncateDim: this.truncateDim };
    const q = await encodeRows(model, this.queries, { ...base, prompt: this.prompts.queryPrompt, promptName: this.prompts.queryPromptName }, 'query', what);
    const results: Record<string, Hit[][]> = {};
    for (const name of Object.keys(this.scoreFunctions)) results[name] = q.map(() => []);
    for (let start = 0; start < this.corpus.length; start += o.corpusChunkSize) {
      const end = Math.min(start + o.corpusChunkSize, this.corpus.length);
      const docs = await encodeRows(model, this.corpus.slice(start, end), { ...base, prompt: this.prompts.corpusPrompt, promptName: this.prompts.corpusPromptName }, 'document', what);
      for (const [name, f] of Object.entries(this.scoreFunctions)) {
        const matrix = typeof f === 'function' ? f(q, docs) : similarityFn(f)(q, docs);
        for (let qi = 0; qi < q.length; qi++) {
          const hits = results[name][qi];
          const row = matrix[qi];
          for (let j = 0; j < docs.length; j++) hits.push({ score: Math.fround(row[j]), corpusId: this.corpusIds[start + j] });
          hits.sort(compareHits);
          hits.length = Math.min(hits.length, maxK);
        }
      }
    }
    if (this.writePredictions && context?.outputPath) {
      await makeDir(context.outputPath);
      for (const [name, perQuery] of Object.entries(results)) {
        const lines = perQuery.map((hits, qi) =>
          pyJsonDumps({ query_id: this.queryIds[qi], query: this.queries[qi], results: [...hits].sort(compareHits).map((h) => ({ corpus_id: h.corpusId, score: h.score })) }) + '\n', // spread-ok: max_k hits, copied
        );
        const file = `Information-Retrieval_evaluation${this.name ? `_${this.name}` : ''}_predictions_${name}.jsonl`;
        await writeFileBytes(await joinPath(context.outputPath, file), lines.join(''));
      }
    }
    const scores: Record<string, Scores> = {};
    for (const name of Object.keys(this.scoreFunctions)) scores[name] = this.computeMetrics(results[name]);
    if (o.writeCsv && context?.outputPath) {
      const headers = ['epoch', 'steps'];
      const cells: CsvCell[] = [...epochSteps(context)]; // spread-ok: two cells
      for (const name of this.scoreFunctionNames) {
        const s = scores[name];
        for (const k of o.accuracyAtK) headers.push(`${name}-Accuracy@${k}`), cells.push(s['accuracy@k'].get(k) as number);
        for (const k of o.precisionRecallAtK) {
          headers.push(`${name}-Precision@${k}`, `${name}-Recall@${k}`);
          cells.push(s['precision@k'].get(k) as number, s['recall@k'].get(k) as number);
        }
        for (const k of o.mrrAtK) headers.push(`${name}-MRR@${k}`), cells.push(s['mrr@k'].get(k) as number);
        for (const k of o.ndcgAtK) headers.push(`${name}-NDCG@${k}`), cells.push(s['ndcg@k'].get(k) as number);
        for (const k of o.mapAtK) headers.push(`${name}-MAP@${k}`), cells.push(s['map@k'].get(k) as number);
      }
      await writeCsvRow(context, this.csvFile, headers, cells, '\n');
    }
    if (!this.primary) {
      const kMax = Math.max(...o.ndcgAtK); // spread-ok: a few k values
      let fn: string;
      if (this.mainScoreFunction) fn = this.mainScoreFunction;
      else {
        fn = this.scoreFunctionNames[0];
        for (const name of this.scoreFunctionNames) if ((scores[name]['ndcg@k'].get(kMax) as number) > (scores[fn]['ndcg@k'].get(kMax) as number)) fn = name;
      }
      this.primary = prefixName(`${fn}_ndcg@${kMax}`, this.name);
    }
    const metrics: Record<string, number> = {};
    for (const [fn, values] of Object.entries(scores)) {
      for (const [metric, byK] of Object.entries(values)) for (const [k, v] of byK) metrics[`${fn}_${metric.replace('@k', `@${k}`)}`] = v;
    }
    return prefixMetrics(metrics, this.name);
  }

  private computeMetrics(resultList: Hit[][]): Scores {
    const o = this.opts;
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const hitsAtK = new Map(o.accuracyAtK.map((k) => [k, 0]));
    const precisions = new Map(o.precisionRecallAtK.map((k) => [k, [] as number[]]));
    const recalls = new Map(o.precisionRecallAtK.map((k) => [k, [] as number[]]));
    const mrr = new Map(o.mrrAtK.map((k) => [k, 0]));
    const ndcg = new Map(o.ndcgAtK.map((k) => [k, [] as number[]]));
    const aveP = new Map(o.mapAtK.map((k) => [k, [] as number[]]));
    const dcg = (rel: number[], k: number): number => {
      let s = 0;
      for (let i = 0; i < Math.min(rel.length, k); i++) s += rel[i] / Math.log2(i + 2);
      return s;
    };
    resultList.forEach((hitsIn, qi) => {
      const top = [...hitsIn].sort(compareHits); // spread-ok: max_k hits, copied
      const relevant = this.relevantDocs.get(this.queryIds[qi]) as Set<string>;
      for (const k of o.accuracyAtK) if (top.slice(0, k).some((h) => relevant.has(h.corpusId))) hitsAtK.set(k, (hitsAtK.get(k) as number) + 1);
      for (const k of o.precisionRecallAtK) {
        const correct = top.slice(0, k).filter((h) => relevant.has(h.corpusId)).length;
        precisions.get(k)?.push(correct / k);
        recalls.get(k)?.push(correct / relevant.size);
      }
      for (const k of o.mrrAtK) {
        const rank = top.slice(0, k).findIndex((h) => relevant.has(h.corpusId));
        if (rank >= 0) mrr.set(k, (mrr.get(k) as number) + 1 / (rank + 1));
      }
      for (const k of o.ndcgAtK) {
        const predicted = top.slice(0, k).map((h) => (relevant.has(h.corpusId) ? 1 : 0));
        ndcg.get(k)?.push(dcg(predicted, k) / dcg(new Array<number>(relevant.size).fill(1), k));
      }
      for (const k of o.mapAtK) {
        let correct = 0;
        let sum = 0;
        top.slice(0, k).forEach((h, rank) => {
          if (relevant.has(h.corpusId)) sum += ++correct / (rank + 1);
        });
        aveP.get(k)?.push(sum / Math.min(k, relevant.size));
      }
    });
    const n = this.queries.length;
    return {
      'accuracy@k': new Map([...hitsAtK].map(([k, v]) => [k, v / n])),
      'precision@k': new Map([...precisions].map(([k, v]) => [k, mean(v)])),
      'recall@k': new Map([...recalls].map(([k, v]) => [k, mean(v)])),
      'ndcg@k': new Map([...ndcg].map(([k, v]) => [k, mean(v)])),
      'mrr@k': new Map([...mrr].map(([k, v]) => [k, v / n])),
      'map@k': new Map([...aveP].map(([k, v]) => [k, mean(v)])),
    };
  }

  /** `get_config_dict()`: truncate_dim and the prompts when set. */
  getConfigDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.truncateDim !== null) out.truncate_dim = this.truncateDim;
    if (this.prompts.queryPrompt !== undefined) out.query_prompt = this.prompts.queryPrompt;
    if (this.prompts.queryPromptName !== undefined) out.query_prompt_name = this.prompts.queryPromptName;
    if (this.prompts.corpusPrompt !== undefined) out.corpus_prompt = this.prompts.corpusPrompt;
    if (this.prompts.corpusPromptName !== undefined) out.corpus_prompt_name = this.prompts.corpusPromptName;
    return out;
  }
}

/**
 * semantic_search, paraphrase_mining and paraphrase_mining_embeddings of sentence-transformers v3.4.1,
 * reproduced with the same chunking, the same per-chunk torch.topk (see topk.ts), the same Python heaps and the
 * same stable final sorts, so the results (including the quirks listed in the reference fixture's
 * `semantics_a_port_must_copy`) are those of Python.
 *
 * Reference: https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/util.py
 */
import { DEFAULT_BATCH_SIZE } from './defaults.js';
import { checkSameDim, sliceRows, toMatrix, toRows, type EmbeddingsInput, type Matrix } from './matrix.js';
import { PyHeap, sortedDescStable } from './pyheap.js';
import {
  dotScoreMatrix,
  euclideanSimMatrix,
  manhattanSimMatrix,
  matmulTransposed,
  normalizeMatrix,
  type SimilarityFunctionName,
} from './similarity.js';
import { topk } from './topk.js';

/** A user score function on blocks of rows: `res[i][j] = score(a[i], b[j])`. */
export type CustomScoreFunction = (a: Float32Array[], b: Float32Array[]) => ArrayLike<number>[];

/**
 * A score function: a similarity name ('cosine' | 'dot' | 'euclidean' | 'manhattan', or the Python names
 * 'cos_sim' | 'dot_score'), or a function on blocks of rows. Defaults to cosine.
 */
export type ScoreFunction = SimilarityFunctionName | 'cos_sim' | 'dot_score' | CustomScoreFunction;

/** Computes the score rows of a query block against a corpus block, one query row at a time. */
interface BlockScorer {
  /** Prepare whole matrices once (e.g. normalize for cosine; per-row normalization is chunk-independent). */
  prepare(m: Matrix): Matrix;
  /** Scores of queries[qStart, qEnd) against corpus[cStart, cEnd): returns rows in order. */
  block(q: Matrix, c: Matrix): Float32Array[];
}

function matrixScorer(fn: (a: Matrix, b: Matrix) => Matrix, prepare: (m: Matrix) => Matrix = (m) => m): BlockScorer {
  return { prepare, block: (q, c) => toRows(fn(q, c)) };
}

/** Resolve a {@link ScoreFunction} to a block scorer. */
function resolveScorer(fn: ScoreFunction | undefined, where: string): BlockScorer {
  if (fn === undefined || fn === 'cosine' || fn === 'cos_sim') return matrixScorer(matmulTransposed, normalizeMatrix);
  if (fn === 'dot' || fn === 'dot_score') return matrixScorer(dotScoreMatrix);
  if (fn === 'euclidean') return matrixScorer(euclideanSimMatrix);
  if (fn === 'manhattan') return matrixScorer(manhattanSimMatrix);
  if (typeof fn === 'function') {
    return {
      prepare: (m) => m,
      block: (q, c) => {
        const out = fn(toRows(q), toRows(c));
        if (!Array.isArray(out) || out.length !== q.rows) {
          throw new RangeError(`${where}: scoreFunction returned ${Array.isArray(out) ? out.length : typeof out} rows for a block of ${q.rows} queries`);
        }
        return out.map((r, i) => {
          if (!r || r.length !== c.rows) {
            throw new RangeError(`${where}: scoreFunction row ${i} has ${r ? r.length : 'no'} scores, expected ${c.rows}`);
          }
          return r instanceof Float32Array ? r : Float32Array.from(r);
        });
      },
    };
  }
  throw new RangeError(
    `${where}: scoreFunction must be 'cosine', 'dot', 'euclidean', 'manhattan' (or 'cos_sim', 'dot_score') or a function, got ${JSON.stringify(fn)}`,
  );
}

function checkPositiveInt(value: number, name: string, where: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${where}: ${name} must be a positive integer, got ${value}`);
}

function checkNonNegativeInt(value: number, name: string, where: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${where}: ${name} must be a non-negative integer, got ${value}`);
}

/** One semantic search hit. */
export interface SearchHit {
  corpusId: number;
  score: number;
}

/** Options of {@link semanticSearch} (Python `util.semantic_search`'s keyword arguments). */
export interface SemanticSearchOptions {
  /** Hits per query (default 10). */
  topK?: number;
  /** Queries scored at once (default 100). */
  queryChunkSize?: number;
  /** Corpus rows scored at once (default 500000). */
  corpusChunkSize?: number;
  /** Default cosine. */
  scoreFunction?: ScoreFunction;
}

/**
 * Semantic search (`util.semantic_search`): for every query, the `topK` corpus entries with the highest score,
 * sorted by decreasing score. A 1-D query is one query. Per (query chunk, corpus chunk) block the top
 * min(topK, chunk width) are taken with torch.topk and merged into a per-query heap of (score, corpusId), as
 * Python does (ties at the cut keep the larger corpus id; equal scores keep heap order).
 */
export function semanticSearch(
  queryEmbeddings: EmbeddingsInput,
  corpusEmbeddings: EmbeddingsInput,
  options: SemanticSearchOptions = {},
): SearchHit[][] {
  const where = 'semanticSearch';
  const { topK = 10, queryChunkSize = 100, corpusChunkSize = 500000 } = options;
  checkNonNegativeInt(topK, 'topK', where);
  checkPositiveInt(queryChunkSize, 'queryChunkSize', where);
  checkPositiveInt(corpusChunkSize, 'corpusChunkSize', where);
  const scorer = resolveScorer(options.scoreFunction, where);
  let Q = toMatrix(queryEmbeddings, `${where}: queryEmbeddings`);
  let C = toMatrix(corpusEmbeddings, `${where}: corpusEmbeddings`);
  checkSameDim(where, Q, C, 'queryEmbeddings', 'corpusEmbeddings');
  Q = scorer.prepare(Q);
  C = scorer.prepare(C);

  type Entry = [number, number]; // (score, corpus_id) as the Python tuple
  const less = (a: Entry, b: Entry): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const heaps = Array.from({ length: Q.rows }, () => new PyHeap<Entry>(less));

  for (let qs = 0; qs < Q.rows; qs += queryChunkSize) {
    const qChunk = sliceRows(Q, qs, qs + queryChunkSize);
    for (let cs = 0; cs < C.rows; cs += corpusChunkSize) {
      const cChunk = sliceRows(C, cs, cs + corpusChunkSize);
      const rows = scorer.block(qChunk, cChunk);
      const k = Math.min(topK, cChunk.rows);
      for (let r = 0; r < rows.length; r++) {
        const { values, indices } = topk(rows[r], k, false);
        const heap = heaps[qs + r];
        for (let t = 0; t < k; t++) {
          const entry: Entry = [values[t], cs + indices[t]];
          if (heap.size < topK) heap.push(entry);
          else heap.pushPop(entry);
        }
      }
    }
  }
  return heaps.map((h) => sortedDescStable(h.items, (e) => e[0]).map(([score, corpusId]) => ({ corpusId, score })));
}

/** [score, id1, id2] with id1 < id2. */
export type ParaphrasePair = [score: number, id1: number, id2: number];

/** Options of {@link paraphraseMiningEmbeddings} (Python `util.paraphrase_mining_embeddings`'s keyword arguments). */
export interface ParaphraseMiningOptions {
  /** Query rows scored at once (default 5000). */
  queryChunkSize?: number;
  /** Corpus rows scored at once (default 100000). */
  corpusChunkSize?: number;
  /** At most this many candidate pairs are kept (default 500000; at most maxPairs - 1 survive, as in Python). */
  maxPairs?: number;
  /** Other sentences retrieved per sentence and per corpus chunk (default 100). */
  topK?: number;
  /** Default cosine. */
  scoreFunction?: ScoreFunction;
}

/**
 * Paraphrase mining on embeddings (`util.paraphrase_mining_embeddings`): pairs of distinct rows with the highest
 * scores, as [score, id1, id2] (id1 < id2), highest first. Python's quirks are kept: topK + 1 candidates per
 * row and per (query chunk, corpus chunk) block, only scores > -1 enter the queue, a running minimum evicts
 * entries once maxPairs additions are reached, the first of (i, j) / (j, i) popped wins, equal scores keep
 * ascending (i, j) order.
 */
export function paraphraseMiningEmbeddings(embeddings: EmbeddingsInput, options: ParaphraseMiningOptions = {}): ParaphrasePair[] {
  const where = 'paraphraseMiningEmbeddings';
  const { queryChunkSize = 5000, corpusChunkSize = 100000, maxPairs = 500000 } = options;
  checkPositiveInt(queryChunkSize, 'queryChunkSize', where);
  checkPositiveInt(corpusChunkSize, 'corpusChunkSize', where);
  checkNonNegativeInt(maxPairs, 'maxPairs', where);
  checkNonNegativeInt(options.topK ?? 100, 'topK', where);
  const topK = (options.topK ?? 100) + 1; // a sentence is most similar to itself
  const scorer = resolveScorer(options.scoreFunction, where);
  const E = scorer.prepare(toMatrix(embeddings, `${where}: embeddings`));

  type Entry = [number, number, number]; // (score, i, j)
  const less = (a: Entry, b: Entry): boolean =>
    a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));
  const pairs = new PyHeap<Entry>(less);
  let minScore = -1;
  let numAdded = 0;

  for (let cs = 0; cs < E.rows; cs += corpusChunkSize) {
    const cChunk = sliceRows(E, cs, cs + corpusChunkSize);
    for (let qs = 0; qs < E.rows; qs += queryChunkSize) {
      const qChunk = sliceRows(E, qs, qs + queryChunkSize);
      const rows = scorer.block(qChunk, cChunk);
      const k = Math.min(topK, cChunk.rows);
      for (let r = 0; r < rows.length; r++) {
        const { values, indices } = topk(rows[r], k, false);
        const i = qs + r;
        for (let t = 0; t < k; t++) {
          const j = cs + indices[t];
          if (i !== j && values[t] > minScore) {
            pairs.push([values[t], i, j]);
            numAdded++;
            if (numAdded >= maxPairs) minScore = pairs.pop()[0];
          }
        }
      }
    }
  }

  const seen = new Set<number>();
  const n = E.rows;
  const list: ParaphrasePair[] = [];
  while (pairs.size) {
    const [score, i, j] = pairs.pop();
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    const key = a * n + b;
    if (a !== b && !seen.has(key)) {
      seen.add(key);
      list.push([score, a, b]);
    }
  }
  return sortedDescStable(list, (p) => p[0]);
}

/** Anything that encodes texts to embeddings (a SentenceTransformer, or a stand-in). */
export interface EncoderLike {
  /** Encodes texts to embeddings (a `SentenceTransformer` satisfies this). */
  encode(
    sentences: string[],
    options?: { batchSize?: number; showProgressBar?: boolean; [key: string]: unknown },
  ): Promise<EmbeddingsInput> | EmbeddingsInput;
}

/** Options of {@link paraphraseMining}: the mining options plus how the texts are encoded. */
export interface ParaphraseMiningModelOptions extends ParaphraseMiningOptions {
  /** Encoding batch size (default {@link DEFAULT_BATCH_SIZE}, 32). */
  batchSize?: number;
  /** Show a progress bar while encoding (default false). */
  showProgressBar?: boolean;
  /** Passed to encode when set. */
  truncateDim?: number;
  /** Passed to encode when set. */
  promptName?: string;
  /** Passed to encode when set. */
  prompt?: string;
}

/**
 * Paraphrase mining on sentences (`util.paraphrase_mining`): encodes them with `model.encode` (batch size 32 by
 * default) and runs {@link paraphraseMiningEmbeddings}. `model` is anything with an `encode` method.
 */
export async function paraphraseMining(
  model: EncoderLike,
  sentences: string[],
  options: ParaphraseMiningModelOptions = {},
): Promise<ParaphrasePair[]> {
  if (!model || typeof model.encode !== 'function') {
    throw new TypeError(`paraphraseMining: model must have an encode(sentences, options) method, got ${model === null ? 'null' : typeof model}`);
  }
  if (!Array.isArray(sentences)) throw new TypeError(`paraphraseMining: sentences must be an array of strings, got ${typeof sentences}`);
  const { batchSize = DEFAULT_BATCH_SIZE, showProgressBar = false, truncateDim, promptName, prompt, ...mining } = options;
  const encodeOptions: { batchSize: number; showProgressBar: boolean; [key: string]: unknown } = { batchSize, showProgressBar };
  if (truncateDim !== undefined) encodeOptions.truncateDim = truncateDim;
  if (promptName !== undefined) encodeOptions.promptName = promptName;
  if (prompt !== undefined) encodeOptions.prompt = prompt;
  const embeddings = await model.encode(sentences, encodeOptions);
  const m = toMatrix(embeddings, 'paraphraseMining: model.encode(...) result');
  if (m.rows !== sentences.length) {
    throw new RangeError(`paraphraseMining: model.encode returned ${m.rows} embeddings for ${sentences.length} sentences`);
  }
  return paraphraseMiningEmbeddings(m, mining);
}

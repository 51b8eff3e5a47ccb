/**
 * Sparse vectors (SPLADE / SparseEncoder outputs): building them from dense rows, similarity without densifying,
 * and semantic search over a sparse corpus through an inverted index.
 *
 * Reference (sentence-transformers 6.0.1): `util.select_max_active_dims`, `util.semantic_search` on sparse inputs,
 * `SimilarityFunction` on sparse tensors
 * (https://github.com/huggingface/sentence-transformers/tree/0cdd958c29967a7ee8687e9264a810b2228e36d9/sentence_transformers/util).
 */
import type { SearchHit } from './retrieval.js';
import { parseSimilarityFunction, type SimilarityFunctionName } from './similarity.js';

/** A sparse vector of width `dim`: the non-zero entries, `indices` strictly increasing, `values[k]` at `indices[k]`. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
  /** The dense width (the vocabulary size for SPLADE). */
  dim: number;
}

/**
 * The sparse form of a dense row: its non-zero entries in index order. With `maxActiveDims`, only the
 * `maxActiveDims` entries of largest absolute value are kept (`select_max_active_dims`: torch.topk on |x|; among
 * equal magnitudes the lower index wins here).
 */
export function sparseFromDense(row: ArrayLike<number>, maxActiveDims?: number | null): SparseVector {
  const dim = row.length;
  let idx: number[] = [];
  for (let i = 0; i < dim; i++) if (row[i] !== 0) idx.push(i);
  if (maxActiveDims !== undefined && maxActiveDims !== null) {
    if (!Number.isInteger(maxActiveDims) || maxActiveDims <= 0) throw new RangeError(`maxActiveDims (max_active_dims) must be a positive integer, got ${maxActiveDims}`);
    if (idx.length > maxActiveDims) {
      idx.sort((a, b) => Math.abs(row[b]) - Math.abs(row[a]) || a - b);
      idx = idx.slice(0, maxActiveDims).sort((a, b) => a - b);
    }
  }
  const values = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) values[k] = row[idx[k]];
  return { indices: Int32Array.from(idx), values, dim };
}

/** The dense row of a sparse vector. */
export function sparseToDense(v: SparseVector): Float32Array {
  const out = new Float32Array(v.dim);
  for (let k = 0; k < v.indices.length; k++) out[v.indices[k]] = v.values[k];
  return out;
}

function checkVector(v: SparseVector, what: string): void {
  if (!v || !(v.indices instanceof Int32Array) || !(v.values instanceof Float32Array) || v.indices.length !== v.values.length) {
    throw new TypeError(`${what} must be a sparse vector {indices: Int32Array, values: Float32Array, dim} of equal lengths`);
  }
}

/** Walk the union of two sparse vectors' indices, calling `f(a_i, b_i)` for each (0 where one has no entry). */
function merge(a: SparseVector, b: SparseVector, f: (x: number, y: number) => void): void {
  let i = 0;
  let j = 0;
  const ai = a.indices;
  const bi = b.indices;
  while (i < ai.length || j < bi.length) {
    if (j >= bi.length || (i < ai.length && ai[i] < bi[j])) f(a.values[i++], 0);
    else if (i >= ai.length || bi[j] < ai[i]) f(0, b.values[j++]);
    else f(a.values[i++], b.values[j++]);
  }
}

/** The dot product of two sparse vectors (accumulated in float64, rounded to float32). */
export function sparseDot(a: SparseVector, b: SparseVector): number {
  let s = 0;
  let i = 0;
  let j = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const x = a.indices[i];
    const y = b.indices[j];
    if (x === y) s += a.values[i++] * b.values[j++];
    else if (x < y) i++;
    else j++;
  }
  return Math.fround(s);
}

function norm(v: SparseVector): number {
  let s = 0;
  for (let k = 0; k < v.values.length; k++) s += v.values[k] * v.values[k];
  return Math.sqrt(s);
}

/** One score between two sparse vectors; euclidean and manhattan are negative distances, as in Python. */
function pairScore(a: SparseVector, b: SparseVector, fn: SimilarityFunctionName, na?: number, nb?: number): number {
  if (a.dim !== b.dim) throw new RangeError(`sparse vectors have different widths (${a.dim} vs ${b.dim})`);
  switch (fn) {
    case 'dot':
      return sparseDot(a, b);
    case 'cosine':
      // torch: normalize each row with its norm clamped at 1e-12, then the dot product
      return Math.fround(sparseDot(a, b) / (Math.max(na ?? norm(a), 1e-12) * Math.max(nb ?? norm(b), 1e-12)));
    case 'euclidean': {
      let s = 0;
      merge(a, b, (x, y) => (s += (x - y) * (x - y)));
      return Math.fround(-Math.sqrt(s));
    }
    case 'manhattan': {
      let s = 0;
      merge(a, b, (x, y) => (s += Math.abs(x - y)));
      return Math.fround(-s);
    }
  }
}

/**
 * The similarity matrix `res[i][j] = sim(a[i], b[j])` of two lists of sparse vectors (`similarity_fn_name`:
 * dot by default for sparse encoders; cosine, euclidean, manhattan also), without densifying.
 *
 * @example
 * ```ts
 * import { sparseSimilarity } from 'sentence-tfjs';
 * const scores = sparseSimilarity(queries, documents); // dot products, [queries.length][documents.length]
 * ```
 */
export function sparseSimilarity(a: readonly SparseVector[], b: readonly SparseVector[], fn: SimilarityFunctionName | string = 'dot'): Float32Array[] {
  const name = parseSimilarityFunction(fn);
  a.forEach((v, i) => checkVector(v, `a[${i}]`));
  b.forEach((v, i) => checkVector(v, `b[${i}]`));
  const nb = b.map(norm);
  return a.map((x) => {
    const nx = norm(x);
    return Float32Array.from(b, (y, j) => pairScore(x, y, name, nx, nb[j]));
  });
}

/** `res[i] = sim(a[i], b[i])` for two equally long lists of sparse vectors. */
export function sparseSimilarityPairwise(a: readonly SparseVector[], b: readonly SparseVector[], fn: SimilarityFunctionName | string = 'dot'): Float32Array {
  const name = parseSimilarityFunction(fn);
  if (a.length !== b.length) throw new RangeError(`sparseSimilarityPairwise: a and b must have the same length, got ${a.length} and ${b.length}`);
  return Float32Array.from(a, (x, i) => (checkVector(x, `a[${i}]`), checkVector(b[i], `b[${i}]`), pairScore(x, b[i], name)));
}

/** Options of {@link sparseSemanticSearch}. */
export interface SparseSearchOptions {
  /** Hits per query (default 10). */
  topK?: number;
  /** `dot` (default, SPLADE's) or `cosine`; euclidean and manhattan score every pair. */
  scoreFunction?: SimilarityFunctionName | string;
}

/**
 * Semantic search over sparse vectors (`util.semantic_search` with sparse inputs): for every query, the `topK`
 * corpus entries with the highest score, by decreasing score (equal scores: the lower corpus id first). Dot and
 * cosine scores come from an inverted index over the corpus (only entries sharing a dimension with the query are
 * touched; every other entry scores 0 and still ranks, as in the dense search).
 *
 * @example
 * ```ts
 * import { SparseEncoder, sparseSemanticSearch } from 'sentence-tfjs';
 * const model = await SparseEncoder.load('naver/splade-cocondenser-ensembledistil');
 * const corpus = await model.encodeDocument(['Paris is the capital of France.', 'Berlin is in Germany.']);
 * const hits = sparseSemanticSearch(await model.encodeQuery(['capital of France']), corpus, { topK: 1 });
 * hits[0][0]; // { corpusId: 0, score: ... }
 * ```
 */
export function sparseSemanticSearch(queries: readonly SparseVector[] | SparseVector, corpus: readonly SparseVector[], options: SparseSearchOptions = {}): SearchHit[][] {
  const qs = Array.isArray(queries) ? (queries as readonly SparseVector[]) : [queries as SparseVector];
  const topK = options.topK ?? 10;
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`sparseSemanticSearch: topK must be a non-negative integer, got ${topK}`);
  const fn = parseSimilarityFunction(options.scoreFunction ?? 'dot');
  qs.forEach((v, i) => checkVector(v, `queries[${i}]`));
  corpus.forEach((v, i) => checkVector(v, `corpus[${i}]`));
  const n = corpus.length;
  let score: (q: SparseVector) => Float64Array;
  if (fn === 'dot' || fn === 'cosine') {
    // inverted index: dimension -> (corpus id, value) postings
    const postings = new Map<number, { ids: number[]; vals: number[] }>();
    corpus.forEach((d, id) => {
      for (let k = 0; k < d.indices.length; k++) {
        let p = postings.get(d.indices[k]);
        if (!p) postings.set(d.indices[k], (p = { ids: [], vals: [] }));
        p.ids.push(id);
        p.vals.push(d.values[k]);
      }
    });
    const norms = fn === 'cosine' ? corpus.map((d) => Math.max(norm(d), 1e-12)) : undefined;
    score = (q) => {
      const s = new Float64Array(n);
      for (let k = 0; k < q.indices.length; k++) {
        const p = postings.get(q.indices[k]);
        if (!p) continue;
        for (let m = 0; m < p.ids.length; m++) s[p.ids[m]] += q.values[k] * p.vals[m];
      }
      const nq = norms ? Math.max(norm(q), 1e-12) : 1;
      for (let i = 0; i < n; i++) s[i] = Math.fround(norms ? s[i] / (nq * norms[i]) : s[i]);
      return s;
    };
  } else {
    score = (q) => Float64Array.from(corpus, (d) => pairScore(q, d, fn));
  }
  return qs.map((q) => {
    const s = score(q);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b);
    return order.slice(0, topK).map((corpusId) => ({ corpusId, score: s[corpusId] }));
  });
}

/**
 * Similarity functions, as sentence-transformers' `util` (cos_sim, dot_score, euclidean_sim, manhattan_sim and
 * their pairwise variants, normalize_embeddings) and `SimilarityFunction`.
 *
 * Reference: https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/util.py
 * and .../sentence_transformers/similarity_functions.py (v3.4.1).
 *
 * Float32 in, float32 out. Dot products are accumulated in float64 (every float32 product is exact there) and
 * rounded once, so results are the correctly rounded value and differ from torch's float32 BLAS sums only by
 * torch's own rounding (about 1e-7 relative). Euclidean and Manhattan similarities are negative distances.
 * Matrix results are `Float32Array[]` rows sharing one buffer; pairwise results are one `Float32Array`.
 */
import { checkSameDim, toMatrix, toRows, type EmbeddingsInput, type Matrix } from './matrix.js';

export type { EmbeddingsInput, Matrix } from './matrix.js';

/** torch.nn.functional.normalize's default eps: norms are clamped to at least this. */
const NORMALIZE_EPS = Math.fround(1e-12);

/** L2-normalize every row of a matrix as torch.nn.functional.normalize(p=2, dim=1) (eps 1e-12). */
export function normalizeMatrix(m: Matrix): Matrix {
  const { rows, cols, data } = m;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[o + j] * data[o + j];
    const norm = Math.max(Math.fround(Math.sqrt(s)), NORMALIZE_EPS);
    for (let j = 0; j < cols; j++) out[o + j] = data[o + j] / norm;
  }
  return { rows, cols, data: out };
}

/** a @ b^T as a Matrix (float64 accumulation, rounded once to float32; 4 rows of b at a time). */
export function matmulTransposed(a: Matrix, b: Matrix): Matrix {
  const n = a.rows;
  const m = b.rows;
  const d = a.cols;
  const A = a.data;
  const B = b.data;
  const out = new Float32Array(n * m);
  const m4 = m - (m % 4);
  for (let i = 0; i < n; i++) {
    const ao = i * d;
    const oo = i * m;
    for (let j = 0; j < m4; j += 4) {
      const b0 = j * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < d; k++) {
        const x = A[ao + k];
        s0 += x * B[b0 + k];
        s1 += x * B[b1 + k];
        s2 += x * B[b2 + k];
        s3 += x * B[b3 + k];
      }
      out[oo + j] = s0;
      out[oo + j + 1] = s1;
      out[oo + j + 2] = s2;
      out[oo + j + 3] = s3;
    }
    for (let j = m4; j < m; j++) {
      const bo = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += A[ao + k] * B[bo + k];
      out[oo + j] = s;
    }
  }
  return { rows: n, cols: m, data: out };
}

function pairMatrices(fn: string, a: EmbeddingsInput, b: EmbeddingsInput): [Matrix, Matrix] {
  const A = toMatrix(a, `${fn}: a`);
  const B = toMatrix(b, `${fn}: b`);
  checkSameDim(fn, A, B);
  return [A, B];
}

/** Cosine similarity matrix: `res[i][j] = cos(a[i], b[j])` (rows L2-normalized with eps 1e-12, then a @ b^T). */
export function cosSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array[] {
  const [A, B] = pairMatrices('cosSim', a, b);
  return toRows(cosSimMatrix(A, B));
}

/** {@link cosSim} on matrices, returning a Matrix. */
export function cosSimMatrix(a: Matrix, b: Matrix): Matrix {
  checkSameDim('cosSim', a, b);
  return matmulTransposed(normalizeMatrix(a), normalizeMatrix(b));
}

/** Dot-product matrix: `res[i][j] = a[i] . b[j]`. */
export function dotScore(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array[] {
  const [A, B] = pairMatrices('dotScore', a, b);
  return toRows(dotScoreMatrix(A, B));
}

/** {@link dotScore} on matrices, returning a Matrix. */
export function dotScoreMatrix(a: Matrix, b: Matrix): Matrix {
  checkSameDim('dotScore', a, b);
  return matmulTransposed(a, b);
}

function distanceMatrix(a: Matrix, b: Matrix, p: 1 | 2): Matrix {
  const n = a.rows;
  const m = b.rows;
  const d = a.cols;
  const A = a.data;
  const B = b.data;
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    const ao = i * d;
    for (let j = 0; j < m; j++) {
      const bo = j * d;
      let s = 0;
      if (p === 2) {
        for (let k = 0; k < d; k++) {
          const diff = Math.fround(A[ao + k] - B[bo + k]);
          s += diff * diff;
        }
        out[i * m + j] = -Math.sqrt(s);
      } else {
        for (let k = 0; k < d; k++) s += Math.abs(Math.fround(A[ao + k] - B[bo + k]));
        out[i * m + j] = -s;
      }
    }
  }
  return { rows: n, cols: m, data: out };
}

/**
 * Euclidean similarity matrix: `res[i][j] = -||a[i] - b[j]||_2` (torch.cdist p=2, negated).
 * Computed directly from the differences; torch switches to a matmul formula for more than 25 rows, which can
 * differ from the exact distance by its cancellation error (up to ~1e-3 for near-identical vectors).
 */
export function euclideanSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array[] {
  const [A, B] = pairMatrices('euclideanSim', a, b);
  return toRows(distanceMatrix(A, B, 2));
}

/** {@link euclideanSim} on matrices. */
export function euclideanSimMatrix(a: Matrix, b: Matrix): Matrix {
  checkSameDim('euclideanSim', a, b);
  return distanceMatrix(a, b, 2);
}

/** Manhattan similarity matrix: `res[i][j] = -sum_k |a[i][k] - b[j][k]|` (torch.cdist p=1, negated). */
export function manhattanSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array[] {
  const [A, B] = pairMatrices('manhattanSim', a, b);
  return toRows(distanceMatrix(A, B, 1));
}

/** {@link manhattanSim} on matrices. */
export function manhattanSimMatrix(a: Matrix, b: Matrix): Matrix {
  checkSameDim('manhattanSim', a, b);
  return distanceMatrix(a, b, 1);
}

function pairwiseMatrices(fn: string, a: EmbeddingsInput, b: EmbeddingsInput): [Matrix, Matrix] {
  const [A, B] = pairMatrices(fn, a, b);
  if (A.rows !== B.rows || A.cols !== B.cols) {
    throw new RangeError(
      `${fn}: a has shape [${A.rows}, ${A.cols}] and b has shape [${B.rows}, ${B.cols}]: pairwise scores need the same shape`,
    );
  }
  return [A, B];
}

type PairKernel = (A: Float32Array, B: Float32Array, o: number, d: number) => number;

function pairwise(A: Matrix, B: Matrix, kernel: PairKernel): Float32Array {
  const out = new Float32Array(A.rows);
  for (let i = 0; i < A.rows; i++) out[i] = kernel(A.data, B.data, i * A.cols, A.cols);
  return out;
}

// Element-wise products / differences are float32 tensors in torch, so each term is rounded before the sum.
const dotKernel: PairKernel = (A, B, o, d) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += Math.fround(A[o + k] * B[o + k]);
  return s;
};
const euclidKernel: PairKernel = (A, B, o, d) => {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const diff = Math.fround(A[o + k] - B[o + k]);
    s += Math.fround(diff * diff);
  }
  return -Math.sqrt(Math.fround(s));
};
const manhattanKernel: PairKernel = (A, B, o, d) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += Math.abs(Math.fround(A[o + k] - B[o + k]));
  return -s;
};

/** Pairwise cosine similarity: `res[i] = cos(a[i], b[i])`. a and b must have the same shape. */
export function pairwiseCosSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [A, B] = pairwiseMatrices('pairwiseCosSim', a, b);
  return pairwise(normalizeMatrix(A), normalizeMatrix(B), dotKernel);
}

/** Pairwise dot product: `res[i] = a[i] . b[i]`. */
export function pairwiseDotScore(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [A, B] = pairwiseMatrices('pairwiseDotScore', a, b);
  return pairwise(A, B, dotKernel);
}

/** Pairwise euclidean similarity: `res[i] = -||a[i] - b[i]||_2`. */
export function pairwiseEuclideanSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [A, B] = pairwiseMatrices('pairwiseEuclideanSim', a, b);
  return pairwise(A, B, euclidKernel);
}

/** Pairwise manhattan similarity: `res[i] = -sum_k |a[i][k] - b[i][k]|`. */
export function pairwiseManhattanSim(a: EmbeddingsInput, b: EmbeddingsInput): Float32Array {
  const [A, B] = pairwiseMatrices('pairwiseManhattanSim', a, b);
  return pairwise(A, B, manhattanKernel);
}

/**
 * L2-normalize embeddings (each row to unit length; zero rows stay zero). A single vector gives a single vector,
 * anything else `Float32Array[]` rows.
 */
export function normalizeEmbeddings(embeddings: Float32Array | number[]): Float32Array;
export function normalizeEmbeddings(embeddings: EmbeddingsInput): Float32Array[];
export function normalizeEmbeddings(embeddings: EmbeddingsInput): Float32Array | Float32Array[] {
  const single = ArrayBuffer.isView(embeddings) || (Array.isArray(embeddings) && typeof embeddings[0] === 'number');
  const m = normalizeMatrix(toMatrix(embeddings, 'normalizeEmbeddings: embeddings'));
  return single ? m.data : toRows(m);
}

/** The similarity function names of sentence-transformers' `SimilarityFunction` enum. */
export const SimilarityFunction = {
  COSINE: 'cosine',
  DOT_PRODUCT: 'dot',
  DOT: 'dot',
  EUCLIDEAN: 'euclidean',
  MANHATTAN: 'manhattan',
} as const;

/** 'cosine' | 'dot' | 'euclidean' | 'manhattan'. */
export type SimilarityFunctionName = (typeof SimilarityFunction)[keyof typeof SimilarityFunction];

/** A matrix similarity: rows of `res[i][j] = sim(a[i], b[j])`. */
export type SimilarityFn = (a: EmbeddingsInput, b: EmbeddingsInput) => Float32Array[];
/** A pairwise similarity: `res[i] = sim(a[i], b[i])`. */
export type PairwiseSimilarityFn = (a: EmbeddingsInput, b: EmbeddingsInput) => Float32Array;

const MATRIX_FNS: Record<SimilarityFunctionName, SimilarityFn> = {
  cosine: cosSim,
  dot: dotScore,
  euclidean: euclideanSim,
  manhattan: manhattanSim,
};

const PAIRWISE_FNS: Record<SimilarityFunctionName, PairwiseSimilarityFn> = {
  cosine: pairwiseCosSim,
  dot: pairwiseDotScore,
  euclidean: pairwiseEuclideanSim,
  manhattan: pairwiseManhattanSim,
};

/** The accepted similarity function names, as `SimilarityFunction.possible_values()`. */
export function similarityFunctionNames(): SimilarityFunctionName[] {
  return ['cosine', 'dot', 'euclidean', 'manhattan'];
}

/** Validate a similarity function name ('cosine' | 'dot' | 'euclidean' | 'manhattan'). */
export function parseSimilarityFunction(name: string): SimilarityFunctionName {
  if (Object.prototype.hasOwnProperty.call(MATRIX_FNS, name)) return name as SimilarityFunctionName;
  throw new RangeError(
    `similarity function: expected one of ${similarityFunctionNames().map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(name)}`,
  );
}

/** The matrix similarity function for a name (`SimilarityFunction.to_similarity_fn`). */
export function similarityFn(name: SimilarityFunctionName | string): SimilarityFn {
  return MATRIX_FNS[parseSimilarityFunction(name)];
}

/** The pairwise similarity function for a name (`SimilarityFunction.to_similarity_pairwise_fn`). */
export function pairwiseSimilarityFn(name: SimilarityFunctionName | string): PairwiseSimilarityFn {
  return PAIRWISE_FNS[parseSimilarityFunction(name)];
}

/**
 * k-means clustering of embeddings: greedy k-means++ seeding (as scikit-learn's `_kmeans_plusplus`, with
 * 2 + floor(ln k) local trials per centre) followed by Lloyd iterations, deterministic for a seed.
 *
 * Reference for the seeding and the stopping rule: https://github.com/scikit-learn/scikit-learn/blob/1.5.0/sklearn/cluster/_kmeans.py
 * The random numbers come from a seeded mulberry32 generator, not numpy's, so for the same seed the chosen
 * initial centres differ from scikit-learn's; the algorithm is the same. Distances and means are computed in
 * float64; centroids are returned as float32.
 */
import { toMatrix, type EmbeddingsInput, type Matrix } from './matrix.js';

/** Options of {@link kMeans}. */
export interface KMeansOptions {
  /** Number of clusters (1 <= k <= number of embeddings). */
  k: number;
  /** Seed of the random generator (default 0). */
  seed?: number;
  /** Lloyd iterations per run at most (default 300). */
  maxIter?: number;
  /** Runs with different seeds; the one with the lowest inertia wins (default 1). */
  nInit?: number;
  /** Relative tolerance: stop when the squared centre shift is <= tol * mean per-dimension variance (default 1e-4). */
  tol?: number;
}

/** What {@link kMeans} returns: a label per embedding and the k centroids. */
export interface KMeansResult {
  /** Cluster of each embedding (0..k-1). */
  labels: Int32Array;
  /** k centroids. */
  centroids: Float32Array[];
  /** Sum of squared distances of the embeddings to their centroid. */
  inertia: number;
  /** Lloyd iterations run (of the winning run). */
  iterations: number;
}

/** mulberry32: a small, fast, seedable 32-bit generator; returns uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sqDist(X: Float32Array, i: number, C: Float64Array, c: number, d: number): number {
  let s = 0;
  const xo = i * d;
  const co = c * d;
  for (let j = 0; j < d; j++) {
    const diff = X[xo + j] - C[co + j];
    s += diff * diff;
  }
  return s;
}

/** First index whose cumulative sum is >= value (numpy searchsorted, side 'left'), clipped to n - 1. */
function searchSorted(cum: Float64Array, value: number): number {
  let lo = 0;
  let hi = cum.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, cum.length - 1);
}

/** Greedy k-means++ seeding (scikit-learn `_kmeans_plusplus`, unit sample weights). */
function kMeansPlusPlus(m: Matrix, k: number, rand: () => number): Float64Array {
  const { rows: n, cols: d, data: X } = m;
  const centers = new Float64Array(k * d);
  const nLocalTrials = 2 + Math.floor(Math.log(k));
  const setCenter = (c: number, i: number): void => {
    for (let j = 0; j < d; j++) centers[c * d + j] = X[i * d + j];
  };
  const distTo = (i: number): Float64Array => {
    const out = new Float64Array(n);
    const tmp = new Float64Array(d);
    for (let j = 0; j < d; j++) tmp[j] = X[i * d + j];
    for (let p = 0; p < n; p++) out[p] = sqDist(X, p, tmp, 0, d);
    return out;
  };
  const first = Math.min(Math.floor(rand() * n), n - 1);
  setCenter(0, first);
  let closest = distTo(first);
  let pot = closest.reduce((a, b) => a + b, 0);
  const cum = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let acc = 0;
    for (let p = 0; p < n; p++) cum[p] = acc += closest[p];
    let bestPot = Infinity;
    let bestDist = closest;
    let bestId = -1;
    for (let t = 0; t < nLocalTrials; t++) {
      const id = searchSorted(cum, rand() * pot);
      const dist = distTo(id);
      let candPot = 0;
      for (let p = 0; p < n; p++) {
        if (closest[p] < dist[p]) dist[p] = closest[p];
        candPot += dist[p];
      }
      if (candPot < bestPot) {
        bestPot = candPot;
        bestDist = dist;
        bestId = id;
      }
    }
    pot = bestPot;
    closest = bestDist;
    setCenter(c, bestId);
  }
  return centers;
}

function lloyd(m: Matrix, centers: Float64Array, k: number, maxIter: number, tolAbs: number): { labels: Int32Array; inertia: number; iterations: number } {
  const { rows: n, cols: d, data: X } = m;
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const assign = (): boolean => {
    let changed = false;
    for (let p = 0; p < n; p++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const dd = sqDist(X, p, centers, c, d);
        if (dd < bestD) {
          bestD = dd;
          best = c;
        }
      }
      if (labels[p] !== best) changed = true;
      labels[p] = best;
      dist[p] = bestD;
    }
    return changed;
  };
  assign();
  let iterations = 0;
  for (let it = 0; it < maxIter; it++) {
    iterations = it + 1;
    const sums = new Float64Array(k * d);
    const counts = new Int32Array(k);
    for (let p = 0; p < n; p++) {
      const c = labels[p];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += X[p * d + j];
    }
    // Empty clusters take the points farthest from their centre (as scikit-learn's relocation).
    const empty = [];
    for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
    if (empty.length) {
      const far = Array.from(dist.keys()).sort((a, b) => dist[b] - dist[a] || a - b);
      empty.forEach((c, e) => {
        const p = far[e];
        const old = labels[p];
        counts[old]--;
        for (let j = 0; j < d; j++) {
          sums[old * d + j] -= X[p * d + j];
          sums[c * d + j] = X[p * d + j];
        }
        counts[c] = 1;
        labels[p] = c;
      });
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) {
        const v = counts[c] ? sums[c * d + j] / counts[c] : centers[c * d + j];
        const diff = v - centers[c * d + j];
        shift += diff * diff;
        centers[c * d + j] = v;
      }
    }
    const changed = assign();
    if (!changed || shift <= tolAbs) break;
  }
  let inertia = 0;
  for (let p = 0; p < n; p++) inertia += dist[p];
  return { labels, inertia, iterations };
}

/**
 * k-means (k-means++ seeding, Lloyd iterations). Deterministic for a given seed; with `nInit` > 1 the run
 * with the lowest inertia wins (seeds seed, seed + 1, ...).
 */
export function kMeans(embeddings: EmbeddingsInput, options: KMeansOptions): KMeansResult {
  const where = 'kMeans';
  const m = toMatrix(embeddings, `${where}: embeddings`);
  const { k, seed = 0, maxIter = 300, nInit = 1, tol = 1e-4 } = options;
  if (!Number.isInteger(k) || k < 1 || k > m.rows) {
    throw new RangeError(`${where}: k must be an integer in [1, ${m.rows}] (the number of embeddings), got ${k}`);
  }
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new RangeError(`${where}: maxIter must be a positive integer, got ${maxIter}`);
  if (!Number.isInteger(nInit) || nInit < 1) throw new RangeError(`${where}: nInit must be a positive integer, got ${nInit}`);
  if (!(tol >= 0)) throw new RangeError(`${where}: tol must be >= 0, got ${tol}`);
  // scikit-learn's _tolerance: tol * mean of the per-dimension variances.
  const { rows: n, cols: d, data: X } = m;
  let varSum = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let p = 0; p < n; p++) mean += X[p * d + j];
    mean /= n;
    let v = 0;
    for (let p = 0; p < n; p++) v += (X[p * d + j] - mean) ** 2;
    varSum += v / n;
  }
  const tolAbs = d ? (tol * varSum) / d : 0;

  let best: KMeansResult | null = null;
  for (let run = 0; run < nInit; run++) {
    const centers = kMeansPlusPlus(m, k, mulberry32(seed + run));
    const { labels, inertia, iterations } = lloyd(m, centers, k, maxIter, tolAbs);
    if (!best || inertia < best.inertia) {
      const centroids = Array.from({ length: k }, (_, c) => Float32Array.from(centers.subarray(c * d, (c + 1) * d)));
      best = { labels, centroids, inertia, iterations };
    }
  }
  return best!;
}

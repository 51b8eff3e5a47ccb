/**
 * community_detection of sentence-transformers v3.4.1 (the CPU loop path), reproduced step for step:
 * float32 threshold compared with >=, per-row torch.topk (see topk.ts, ties included), the growing
 * sort_max_size, stable size sorts and greedy overlap removal.
 *
 * Reference: https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/util.py
 */
import { sliceRows, toMatrix, type EmbeddingsInput } from './matrix.js';
import { matmulTransposed, normalizeMatrix } from './similarity.js';
import { topk } from './topk.js';

/** Options of {@link communityDetection} (Python `util.community_detection`'s keyword arguments). */
export interface CommunityDetectionOptions {
  /** Cosine similarity at or above which two embeddings are close (default 0.75; compared in float32). */
  threshold?: number;
  /** Communities smaller than this are dropped (default 10). */
  minCommunitySize?: number;
  /** Rows of the similarity matrix computed at once (default 1024; does not change the result). */
  batchSize?: number;
}

/** Stable sort by length, longest first (Python `sorted(key=len, reverse=True)`). */
function sortBySizeDesc(communities: number[][]): number[][] {
  return communities.slice().sort((a, b) => b.length - a.length);
}

/**
 * Fast community detection (`util.community_detection`): groups of embeddings whose cosine similarity to a
 * central embedding is >= threshold, largest first; the first id of each community is its centre (normally),
 * the rest follow in decreasing similarity. Communities do not overlap and have at least minCommunitySize ids.
 */
export function communityDetection(embeddings: EmbeddingsInput, options: CommunityDetectionOptions = {}): number[][] {
  const where = 'communityDetection';
  const { threshold = 0.75, minCommunitySize = 10, batchSize = 1024 } = options;
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new RangeError(`${where}: threshold must be a number, got ${threshold}`);
  if (!Number.isInteger(minCommunitySize) || minCommunitySize < 0) {
    throw new RangeError(`${where}: minCommunitySize must be a non-negative integer, got ${minCommunitySize}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${where}: batchSize must be a positive integer, got ${batchSize}`);

  const thr = Math.fround(threshold); // torch.tensor(threshold) is float32
  const E = normalizeMatrix(toMatrix(embeddings, `${where}: embeddings`));
  const n = E.rows;
  const minSize = Math.min(minCommunitySize, n);
  let sortMaxSize = Math.min(Math.max(2 * minSize, 50), n);

  const extracted: number[][] = [];
  for (let start = 0; start < n; start += batchSize) {
    const scores = matmulTransposed(sliceRows(E, start, start + batchSize), E);
    for (let r = 0; r < scores.rows; r++) {
      const row = scores.data.subarray(r * n, (r + 1) * n);
      // top_k_values[i][-1]: the minSize-th largest score (topk(k=0) gives an empty row: Python would fail there).
      if (minSize === 0) throw new RangeError(`${where}: minCommunitySize must be at least 1, got 0 (Python fails with an IndexError)`);
      const kth = topk(row, minSize, true).values[minSize - 1];
      if (!(kth >= thr)) continue;
      let large = topk(row, sortMaxSize, true);
      while (large.values[sortMaxSize - 1] > thr && sortMaxSize < n) {
        sortMaxSize = Math.min(2 * sortMaxSize, n);
        large = topk(row, sortMaxSize, true);
      }
      const community: number[] = [];
      for (let t = 0; t < sortMaxSize; t++) if (large.values[t] >= thr) community.push(large.indices[t]);
      extracted.push(community);
    }
  }

  const taken = new Set<number>();
  const unique: number[][] = [];
  for (const community of sortBySizeDesc(extracted)) {
    const rest = community.filter((id) => !taken.has(id));
    if (rest.length >= minSize) {
      unique.push(rest);
      for (const id of rest) taken.add(id);
    }
  }
  return sortBySizeDesc(unique);
}

/**
 * The statistics the evaluators report, as the Python stack computes them: scipy's `pearsonr` / `spearmanr` (ranks
 * with ties averaged, as `rankdata`), scikit-learn's `average_precision_score`, `matthews_corrcoef`, `f1_score`
 * (macro / micro / weighted) and `ndcg_score` (ties averaged), and BinaryClassificationEvaluator's threshold search.
 * All in float64 (numbers), on float32 scores.
 *
 * References (pinned):
 * https://github.com/scipy/scipy/blob/v1.17.1/scipy/stats/_stats_py.py (pearsonr, spearmanr, rankdata)
 * https://github.com/scikit-learn/scikit-learn/blob/1.9.1/sklearn/metrics/_ranking.py (average_precision_score, ndcg_score)
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/evaluation/binary_classification.py
 */

/** Pearson's r in float64 (NaN when either input is constant, as scipy warns and returns). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`pearson: x has ${n} values, y has ${y.length}`);
  if (n < 2) throw new RangeError(`pearson: needs at least 2 values, got ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  const nx = Math.sqrt(sxx);
  const ny = Math.sqrt(syy);
  if (nx === 0 || ny === 0) return NaN;
  let r = 0;
  for (let i = 0; i < n; i++) r += ((x[i] - mx) / nx) * ((y[i] - my) / ny);
  return Math.max(-1, Math.min(1, r));
}

/** scipy.stats.rankdata(method='average'): 1-based ranks, tied values share their mean rank. */
export function rankAverage(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's rho: Pearson's r of the average ranks (scipy `spearmanr` with ties). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(rankAverage(x), rankAverage(y));
}

/**
 * scikit-learn `average_precision_score(y_true, y_score)` for binary labels: sum over the distinct score thresholds
 * (descending) of (recall_i - recall_{i-1}) * precision_i; tied scores form one threshold.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && scores[order[j]] === scores[order[i]]) {
      if (labels[order[j]] === 1) tp++;
      else fp++;
      j++;
    }
    const recall = tp / positives;
    const precision = tp / (tp + fp);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    i = j;
  }
  return ap === 0 ? 0 : ap;
}

/** scikit-learn `matthews_corrcoef` of binary labels and predictions (0 when undefined). */
export function matthewsCorrcoef(labels: ArrayLike<number>, predicted: ArrayLike<boolean | number>): number {
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = predicted[i] ? 1 : 0;
    if (labels[i] === 1) {
      if (p) tp++;
      else fn++;
    } else if (p) fp++;
    else tn++;
  }
  // sklearn: cov_ytyp / sqrt(cov_ytyt * cov_ypyp) from the confusion matrix sums.
  const s = labels.length;
  const c = tp + tn;
  const t = [tn + fp, fn + tp];
  const p = [tn + fn, fp + tp];
  const covYtYp = c * s - (t[0] * p[0] + t[1] * p[1]);
  const covYpYp = s * s - (p[0] * p[0] + p[1] * p[1]);
  const covYtYt = s * s - (t[0] * t[0] + t[1] * t[1]);
  if (covYtYt * covYpYp === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

/** f1_score(y_true, y_pred, average=...) for multi-class labels; classes are those in either array (zero division 0). */
export function f1Scores(labels: ArrayLike<number>, predicted: ArrayLike<number>): { macro: number; micro: number; weighted: number } {
  const classes = [...new Set([...Array.from(labels), ...Array.from(predicted)])].sort((a, b) => a - b); // spread-ok: label sets
  let macro = 0;
  let weighted = 0;
  let correct = 0;
  const n = labels.length;
  for (let i = 0; i < n; i++) if (labels[i] === predicted[i]) correct++;
  for (const c of classes) {
    let tp = 0;
    let support = 0;
    let predictedCount = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] === c) support++;
      if (predicted[i] === c) predictedCount++;
      if (labels[i] === c && predicted[i] === c) tp++;
    }
    const denom = support + predictedCount;
    const f1 = denom === 0 ? 0 : (2 * tp) / denom;
    macro += f1;
    weighted += f1 * support;
  }
  return { macro: macro / classes.length, micro: n === 0 ? 0 : correct / n, weighted: weighted / n };
}

/** DCG@k of `gains` ordered by `scores` descending, ties averaged over their positions (sklearn `_tie_averaged_dcg`). */
function tieAveragedDcg(gains: ArrayLike<number>, scores: ArrayLike<number>, k: number): number {
  const n = gains.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let dcg = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let sum = 0;
    while (j < n && scores[order[j]] === scores[order[i]]) sum += gains[order[j++]];
    let discount = 0;
    for (let pos = i; pos < j && pos < k; pos++) discount += 1 / Math.log2(pos + 2);
    dcg += (sum / (j - i)) * discount;
    i = j;
  }
  return dcg;
}

/** scikit-learn `ndcg_score([y_true], [y_score], k)` of one sample (ties in y_score averaged). */
export function ndcgScore(relevance: ArrayLike<number>, scores: ArrayLike<number>, k: number): number {
  const ideal = Array.from(relevance).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < ideal.length && i < k; i++) idcg += ideal[i] / Math.log2(i + 2);
  if (idcg === 0) return 0;
  return tieAveragedDcg(relevance, scores, k) / idcg;
}

/** Rows sorted by score (descending when `highFirst`), stable as Python's `sorted(..., reverse=...)`. */
function sortedRows(scores: ArrayLike<number>, labels: ArrayLike<number>, highFirst: boolean): [number, number][] {
  const rows: [number, number][] = Array.from({ length: scores.length }, (_, i) => [scores[i], labels[i]]);
  // Python's sorted(reverse=True) keeps equal elements in their original order too.
  return rows.sort((a, b) => (highFirst ? b[0] - a[0] : a[0] - b[0]));
}

/** float32 midpoint of two float32 scores, as numpy computes `(a + b) / 2` on float32 scalars. */
function midpoint32(a: number, b: number): number {
  return Math.fround(Math.fround(a + b) / 2);
}

/** BinaryClassificationEvaluator.find_best_acc_and_threshold (scores float32). */
export function findBestAccAndThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, highScoreMoreSimilar: boolean): [number, number] {
  const rows = sortedRows(scores, labels, highScoreMoreSimilar);
  let maxAcc = 0;
  let bestThreshold = -1;
  let positiveSoFar = 0;
  let remainingNegatives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 0) remainingNegatives++;
  for (let i = 0; i < rows.length - 1; i++) {
    if (rows[i][1] === 1) positiveSoFar++;
    else remainingNegatives--;
    const acc = (positiveSoFar + remainingNegatives) / labels.length;
    if (acc > maxAcc) {
      maxAcc = acc;
      bestThreshold = midpoint32(rows[i][0], rows[i + 1][0]);
    }
  }
  return [maxAcc, bestThreshold];
}

/** BinaryClassificationEvaluator.find_best_f1_and_threshold: [f1, precision, recall, threshold]. */
export function findBestF1AndThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, highScoreMoreSimilar: boolean): [number, number, number, number] {
  const rows = sortedRows(scores, labels, highScoreMoreSimilar);
  let bestF1 = 0;
  let bestPrecision = 0;
  let bestRecall = 0;
  let threshold = 0;
  let nextract = 0;
  let ncorrect = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += labels[i];
  for (let i = 0; i < rows.length - 1; i++) {
    nextract++;
    if (rows[i][1] === 1) ncorrect++;
    if (ncorrect > 0) {
      const precision = ncorrect / nextract;
      const recall = ncorrect / total;
      const f1 = (2 * precision * recall) / (precision + recall);
      if (f1 > bestF1) {
        bestF1 = f1;
        bestPrecision = precision;
        bestRecall = recall;
        threshold = midpoint32(rows[i][0], rows[i + 1][0]);
      }
    }
  }
  return [bestF1, bestPrecision, bestRecall, threshold];
}

/**
 * What every evaluator shares: Python's `prefix_name_to_metrics`, the `epoch` / `steps` defaults (-1), CSV rows
 * formatted as Python's `csv.writer` / `str()` writes them, and the similarity-function names.
 *
 * Reference: https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/evaluation/evaluator.py
 */
import { appendCsvRow } from '../platform/csv_file.js';
import type { EvaluationContext } from './types.js';
import { pairwiseCosSim, pairwiseDotScore, pairwiseEuclideanSim, pairwiseManhattanSim } from '../util/similarity.js';

/** The similarity functions an evaluator can score with (sentence-transformers' `SimilarityFunction` values). */
export type SimilarityName = 'cosine' | 'dot' | 'euclidean' | 'manhattan';
const SIMILARITY_NAMES: readonly SimilarityName[] = ['cosine', 'dot', 'euclidean', 'manhattan'];

/** Validate a similarity name (`dot_product` is accepted as `dot`, as Python's enum does). */
export function parseSimilarityName(value: unknown, what: string): SimilarityName {
  if (value === 'dot_product') return 'dot';
  if (typeof value !== 'string' || !SIMILARITY_NAMES.includes(value as SimilarityName)) {
    throw new RangeError(`${what} must be one of ${SIMILARITY_NAMES.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as SimilarityName;
}

/** Validate a list of similarity names (null / undefined gives []). */
export function parseSimilarityNames(value: unknown, what: string): SimilarityName[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of similarity names, got ${typeof value}`);
  return value.map((v, i) => parseSimilarityName(v, `${what}[${i}]`));
}

/** The model's `similarity_fn_name` (cosine when it has none). */
export function modelSimilarity(model: { similarityFnName?: string }, what: string): SimilarityName {
  return model.similarityFnName === undefined || model.similarityFnName === null ? 'cosine' : parseSimilarityName(model.similarityFnName, `${what}: model.similarityFnName`);
}

/** `prefix_name_to_metrics`: `<name>_<key>` when a name is set. */
export function prefixMetrics(metrics: Record<string, number>, name: string): Record<string, number> {
  if (!name) return { ...metrics };
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) out[`${name}_${k}`] = v;
  return out;
}

/** The primary metric with the name prefix (`prefix_name_to_metrics` adds it to `self.primary_metric`). */
export function prefixName(metric: string, name: string): string {
  return name ? `${name}_${metric}` : metric;
}

/** Python's `repr(float)` / `str(np.float64)`: shortest round-trip digits, `1.0`, `1e-05`, `nan`, `inf`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e16) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = x.toExponential().split('e');
  return `${mantissa}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
}

/** `str(np.float32(x))`: the shortest digits that round-trip to the same float32. */
export function pyFloat32(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return pyFloat(f);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) {
      const abs = Math.abs(candidate);
      if (abs >= 1e-4 && abs < 1e16) {
        const s = String(candidate);
        return s.includes('.') ? s : `${s}.0`;
      }
      return pyFloat(candidate);
    }
  }
  return pyFloat(f);
}

/**
 * Python's `json.dumps(value)` with its defaults (separators `, ` and `: `, `ensure_ascii=True`: non-ASCII as
 * `\uXXXX` UTF-16 escapes, every number as a Python float's `repr`, NaN / Infinity spelt as Python writes them).
 */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return pyFloat(value);
  }
  if (typeof value === 'string') {
    let out = '"';
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      const ch = value[i];
      if (ch === '"') out += '\\"';
      else if (ch === '\\') out += '\\\\';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
      else out += ch;
    }
    return `${out}"`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => pyJsonDumps(v)).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`).join(', ')}}`;
  }
  throw new TypeError(`pyJsonDumps: cannot write a ${typeof value}`);
}

/** A CSV cell: a float64 value, a float32 value (`{ f32 }`, as numpy float32 prints), or an int. */
export type CsvCell = number | { f32: number } | { int: number };

function cell(c: CsvCell): string {
  if (typeof c === 'number') return pyFloat(c);
  if ('f32' in c) return pyFloat32(c.f32);
  return Number.isInteger(c.int) ? String(c.int) : pyFloat(c.int);
}

/** The epoch / steps of a context, -1 when absent (Python's defaults). */
export function epochSteps(context: EvaluationContext | undefined): [CsvCell, CsvCell] {
  return [{ int: context?.epoch ?? -1 }, { int: context?.steps ?? -1 }];
}

/**
 * Append one result row to `context.outputPath/<file>` (the header first when the file is new). `terminator` is
 * `\r\n` for the evaluators that use Python's `csv.writer`, `\n` for InformationRetrievalEvaluator's own writer.
 */
export async function writeCsvRow(context: EvaluationContext | undefined, file: string, headers: string[], cells: CsvCell[], terminator = '\r\n'): Promise<void> {
  if (!context?.outputPath) return;
  await appendCsvRow(context.outputPath, file, headers.join(',') + terminator, cells.map(cell).join(',') + terminator);
}

/** Check that an argument is an array of strings. */
export function checkStrings(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of strings, got ${value === null ? 'null' : typeof value}`);
  value.forEach((v, i) => {
    if (typeof v !== 'string') throw new TypeError(`${what}[${i}] must be a string, got ${typeof v}`);
  });
  return value as string[];
}

/** Check that parallel arrays have the same length. */
export function checkSameLength(what: string, a: [string, unknown[]], b: [string, unknown[]]): void {
  if (a[1].length !== b[1].length) throw new RangeError(`${what}: ${a[0]} has ${a[1].length} entries but ${b[0]} has ${b[1].length}; they must match`);
}

/** `pairwise_<fn>(a, b)` of a similarity name (euclidean / manhattan are negative distances), float32. */
export function pairwiseScores(fn: SimilarityName, a: Float32Array[], b: Float32Array[]): Float32Array {
  switch (fn) {
    case 'cosine':
      return pairwiseCosSim(a, b);
    case 'dot':
      return pairwiseDotScore(a, b);
    case 'euclidean':
      return pairwiseEuclideanSim(a, b);
    case 'manhattan':
      return pairwiseManhattanSim(a, b);
  }
}

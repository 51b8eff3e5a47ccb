/**
 * Training data as sentence-transformers reads it: rows of named columns (`{ anchor, positive }`,
 * `{ sentence1, sentence2, score }`), where every column but the label (`label` or `score`) is a text input in
 * column order, or `InputExample` rows `{ texts, label }`. Rows are checked against the loss before training;
 * errors name the row, the column, what was expected and what was got.
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/data_collator.py
 */
import { epochPermutation } from './samplers.js';

/** A training row: named text columns (and a `label` / `score`), or an InputExample `{ texts, label }`. */
export type TrainingRow = Record<string, unknown>;

/** An in-memory dataset or a stream of rows. */
export type TrainingData = readonly TrainingRow[] | AsyncIterable<TrainingRow>;

/** The label column names, in sentence-transformers' order of preference. */
const LABEL_COLUMNS = ['label', 'score'] as const;

/** One row after checking: its texts (in column order) and its label. */
export interface Example {
  texts: string[];
  label: number | null;
  /**
   * A label column of vectors (MSELoss: the teacher's embeddings): one vector `[dim]` for every text column, or one
   * per column `[columns][dim]`. `label` is null when this is set.
   */
  labelVector?: number[] | number[][];
}

/** A label that is a vector (or one vector per column) of finite numbers, checked; undefined when it is no array. */
function readLabelVector(label: unknown, index: number, labelName: string, columns: number): number[] | number[][] | undefined {
  if (!Array.isArray(label)) return undefined;
  const where = `dataset row ${index}, column ${labelName}`;
  const checkVec = (v: unknown, at: string): number[] => {
    if (!Array.isArray(v) || v.length === 0) throw new Error(`${where}${at}: expected a non-empty array of finite numbers, got ${JSON.stringify(v)?.slice(0, 40)}`);
    v.forEach((x, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${where}${at}[${j}]: expected a finite number, got ${JSON.stringify(x)}`);
    });
    return v as number[];
  };
  if (Array.isArray(label[0])) {
    if (label.length !== columns) throw new Error(`${where}: expected one vector per text column (${columns}), got ${label.length}`);
    const rows = label.map((v, i) => checkVec(v, `[${i}]`));
    rows.forEach((r, i) => {
      if (r.length !== rows[0].length) throw new Error(`${where}[${i}]: expected ${rows[0].length} numbers as [0], got ${r.length}`);
    });
    return rows;
  }
  return checkVec(label, '');
}

/** What a loss asks of the data (a {@link Loss} or a cross-encoder's two text columns and a label). */
export interface ColumnSpec {
  /** Who asks (named in errors), e.g. the loss's name. */
  what: string;
  textColumns: { min: number; max: number };
  needsLabels: boolean;
}

/** Turn one row into texts + label, checking it. `index` names the row in errors. */
export function readRow(row: TrainingRow, index: number, spec: ColumnSpec): Example {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`dataset row ${index}: expected an object of columns, got ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row}`);
  let texts: unknown[];
  let label: unknown;
  let labelName = 'label';
  let names: string[];
  if (Array.isArray(row.texts) && Object.keys(row).every((k) => k === 'texts' || k === 'label' || k === 'guid')) {
    texts = row.texts;
    names = texts.map((_, i) => `texts[${i}]`);
    label = row.label;
  } else {
    names = Object.keys(row).filter((k) => !(LABEL_COLUMNS as readonly string[]).includes(k));
    const ln = LABEL_COLUMNS.find((k) => k in row);
    if (ln) {
      labelName = ln;
      label = row[ln];
    }
    texts = names.map((n) => row[n]);
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new Error(`dataset row ${index}, column ${names[i]}: expected a string (a text input), got ${t === null ? 'null' : typeof t}`);
  });
  const { min, max } = spec.textColumns;
  if (texts.length < min || texts.length > max) {
    const want = min === max ? `${min}` : max >= Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
    throw new Error(`dataset row ${index}: ${spec.what} needs ${want} text columns, got ${texts.length} (${names.join(', ') || 'none'})`);
  }
  let value: number | null = null;
  const labelVector = readLabelVector(label, index, labelName, texts.length);
  if (labelVector) return { texts: texts as string[], label: null, labelVector };
  if (label !== undefined && label !== null) {
    if (typeof label === 'boolean') value = label ? 1 : 0;
    else if (typeof label === 'number' && Number.isFinite(label)) value = label;
    else throw new Error(`dataset row ${index}, column ${labelName}: expected a finite number, got ${typeof label === 'number' ? label : JSON.stringify(label)}`);
  }
  if (spec.needsLabels && value === null) throw new Error(`dataset row ${index}: ${spec.what} needs a label column ("label" or "score"), got none`);
  return { texts: texts as string[], label: value };
}

/** Check a whole in-memory dataset (every row, the same columns in every row). */
export function readDataset(rows: readonly TrainingRow[], spec: ColumnSpec, name = 'dataset'): Example[] {
  if (!Array.isArray(rows)) throw new Error(`${name}: expected an array of rows or an async iterable, got ${typeof rows}`);
  if (rows.length === 0) throw new Error(`${name}: the dataset is empty (0 rows)`);
  const out = rows.map((r, i) => readRow(r, i, spec));
  const n = out[0].texts.length;
  const hasLabel = out[0].label !== null;
  const vectorShape = (e: Example) => (e.labelVector ? JSON.stringify(Array.isArray(e.labelVector[0]) ? [e.labelVector.length, (e.labelVector[0] as number[]).length] : [e.labelVector.length]) : null);
  const shape0 = vectorShape(out[0]);
  out.forEach((e, i) => {
    if (e.texts.length !== n) throw new Error(`${name} row ${i}: expected ${n} text columns as row 0, got ${e.texts.length}`);
    if ((e.label !== null) !== hasLabel) throw new Error(`${name} row ${i}: ${hasLabel ? 'missing the label' : 'has a label that row 0 lacks'}`);
    const shape = vectorShape(e);
    if (shape !== shape0) throw new Error(`${name} row ${i}: label vector shape ${shape ?? 'none'} differs from row 0's ${shape0 ?? 'none'}`);
  });
  return out;
}

/** The batch samplers (sentence-transformers' `BatchSamplers`). */
export type BatchSamplerName = 'batch_sampler' | 'no_duplicates';

/** Options of {@link batchOrder}. */
export interface BatchOrderOptions {
  batchSize: number;
  shuffle: boolean;
  dropLast: boolean;
  sampler?: BatchSamplerName;
  /** The trainer's seed (`args.seed`, default 42) and the epoch (from 0): the shuffle is torch's, as 6.0.1's samplers. */
  seed?: number;
  epoch?: number;
  /** The rows' order before the sampler (fit()'s DataLoader order); default the dataset's. */
  rows?: readonly number[];
}

/**
 * The batches of one epoch as row indices: in order, or shuffled as sentence-transformers 6.0.1's trainer shuffles
 * for the same seed and epoch (torch.randperm, see ./samplers.ts); `no_duplicates` keeps a batch free of repeated
 * texts (a row whose texts already occur in the batch waits for a later batch, as Python's NoDuplicatesBatchSampler).
 */
export function batchOrder(examples: readonly Example[], o: BatchOrderOptions): number[][] {
  const n = examples.length;
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${o.batchSize}`);
  if (o.dropLast && o.batchSize > n) throw new Error(`batchSize ${o.batchSize} is larger than the dataset (${n} rows) with dropLast: no batch would be left`);
  const perm = o.shuffle ? epochPermutation(n, o.sampler ?? 'batch_sampler', o.seed ?? 42, o.epoch ?? 0) : Array.from({ length: n }, (_, i) => i);
  const order = o.rows ? perm.map((j) => o.rows![j]) : perm;
  const batches: number[][] = [];
  if (o.sampler === 'no_duplicates') {
    let remaining = order;
    while (remaining.length > 0) {
      const seen = new Set<string>();
      const batch: number[] = [];
      const rest: number[] = [];
      for (const i of remaining) {
        const texts = examples[i].texts;
        if (batch.length < o.batchSize && !texts.some((t) => seen.has(t))) {
          batch.push(i);
          for (const t of texts) seen.add(t);
        } else rest.push(i);
      }
      batches.push(batch);
      remaining = rest;
    }
  } else {
    for (let i = 0; i < n; i += o.batchSize) batches.push(order.slice(i, i + o.batchSize));
  }
  return o.dropLast ? batches.filter((b) => b.length === o.batchSize) : batches;
}

/** Whether `data` is an async iterable (a stream) rather than an array. */
export function isStream(data: TrainingData): data is AsyncIterable<TrainingRow> {
  return !Array.isArray(data) && typeof (data as AsyncIterable<TrainingRow>)?.[Symbol.asyncIterator] === 'function';
}

/** Batches of checked examples from a stream, in order (the last one may be short). */
export async function* streamBatches(data: AsyncIterable<TrainingRow>, batchSize: number, spec: ColumnSpec): AsyncGenerator<Example[]> {
  let batch: Example[] = [];
  let i = 0;
  for await (const row of data) {
    batch.push(readRow(row, i++, spec));
    if (batch.length === batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
  if (i === 0) throw new Error('dataset: the stream yielded no rows (empty dataset)');
}

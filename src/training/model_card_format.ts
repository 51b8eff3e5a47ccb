/**
 * Python's printing, as the model card needs it: `repr` of floats and of config dicts (the "Full Model Architecture"
 * block is `repr(model)`), `round(x, n)`, transformers' `make_markdown_table`, and the dataset statistics and samples
 * tables of sentence-transformers 6.0.1's card (`_compute_column_stats`, `_render_examples_table`).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/model_card.py
 * and https://github.com/huggingface/transformers/blob/v5.18.0/src/transformers/modelcard.py (`make_markdown_table`, `_maybe_round`)
 */
import { sentenceBertConfigFor } from '../modules/transformer.js';

/** A number as Python's `repr(float)` prints it: `1.0`, `0.25`, `1e-05`, `1e+16`, `nan`, `inf`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // Python: the shortest round-trip digits (as JS), positional when 1e-4 <= |x| < 1e16, else d.ddde±XX
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * `json.dumps(config, indent=4)` of a loss's `get_config_dict()` as 6.0.1's card prints it: the values of the `floats`
 * keys (the loss's `configFloats`) as Python floats (`20.0`, `0.05`, `1e-05`, `NaN`, `Infinity`), every
 * other value as JSON.
 * @example
 * ```ts
 * pyJsonDumps({ scale: 20, similarity_fct: 'cos_sim' }, ['scale']); // '{\n    "scale": 20.0,\n    "similarity_fct": "cos_sim"\n}'
 * ```
 */
export function pyJsonDumps(config: Readonly<Record<string, unknown>>, floats: readonly string[] = []): string {
  const keys = new Set(floats);
  const mark = '\u0000pyfloat:';
  const text = JSON.stringify(config, function (this: unknown, k: string, v: unknown) {
    if (this !== config || !keys.has(k) || typeof v !== 'number') return v;
    return mark + (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : pyFloat(v));
  }, 4);
  return text.replace(/"\\u0000pyfloat:([^"]*)"/g, '$1');
}

/** A number as Python prints it when it is a float (`pyFloat`) or, for `isInt`, an int. */
function pyNumber(x: number, isInt: boolean): string {
  return isInt && Number.isInteger(x) ? String(x) : pyFloat(x);
}

/**
 * The exact decimal digits of a finite double rounded to `n` places, ties to even, as Python's `round(x, n)` and
 * `format(x, '.nf')` do (JS's `toFixed` rounds exact ties away from zero). Returns the decimal string.
 */
export function pyFixed(x: number, n: number): string {
  if (!Number.isFinite(x)) return pyFloat(x);
  const neg = x < 0 || Object.is(x, -0);
  const exact = Math.abs(x).toFixed(100); // exact for |x| < 1e21 to 100 places (doubles have at most 1074)
  const [int, frac] = exact.split('.');
  const kept = frac.slice(0, n);
  const rest = frac.slice(n);
  let digits = int + kept;
  const half = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
  const last = Number(digits[digits.length - 1]);
  if (half || (tie && last % 2 === 1)) {
    const arr = digits.split('').map(Number);
    let i = arr.length - 1;
    while (i >= 0 && arr[i] === 9) arr[i--] = 0;
    if (i < 0) arr.unshift(1);
    else arr[i]++;
    digits = arr.join('');
  }
  const ip = digits.slice(0, digits.length - n) || '0';
  const out = n > 0 ? `${ip}.${digits.slice(digits.length - n)}` : ip;
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
}

/** Python's `round(x, n)` of a float, printed as Python prints the result (`0.62`, `8.0`). */
export function pyRound(x: number, n: number): string {
  return pyFloat(Number(pyFixed(x, n)));
}

/** A Python string literal as `repr` prints it (single quotes unless the text holds one and no double quote). */
function pyStr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
}

/**
 * `repr` of a JSON-like value as Python prints the same dict / list / scalar. Integral numbers print as ints
 * (config values such as `embedding_dimension`); `tupleKeys` name keys whose list value Python holds as a tuple
 * (Pooling's several `pooling_mode`s).
 */
export function pyRepr(v: unknown, tupleKeys: ReadonlySet<string> = new Set()): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v, true);
  if (typeof v === 'string') return pyStr(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x, tupleKeys)).join(', ')}]`;
  const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => {
    const val = Array.isArray(x) && tupleKeys.has(k) ? `(${x.map((y) => pyRepr(y, tupleKeys)).join(', ')}${x.length === 1 ? ',' : ''})` : pyRepr(x, tupleKeys);
    return `${pyStr(k)}: ${val}`;
  });
  return `{${parts.join(', ')}}`;
}

/** A table cell: a string as is, or a number with its Python type (transformers' `_maybe_round` input). */
export type Cell = string | { num: number; isInt: boolean };

/** transformers' `_maybe_round`: a float with more than 4 decimals in its repr printed with 4, else `str(v)`. */
function maybeRound(c: Cell): string {
  if (typeof c === 'string') return c;
  const s = pyNumber(c.num, c.isInt);
  if (c.isInt && Number.isInteger(c.num)) return s;
  const frac = s.split('.')[1];
  return frac !== undefined && frac.length > 4 ? pyFixed(c.num, 4) : s;
}

/** transformers' `make_markdown_table`: `| a   | b |` rows padded to the widest cell, `|:---:|` separators. */
export function markdownTable(rows: readonly Record<string, Cell>[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  const cells = rows.map((r) => keys.map((k) => maybeRound(r[k] ?? '')));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i].length))); // spread-ok: one cell per row of a card table (at most ~100 log rows)
  const line = (vals: string[]) => `${vals.map((v, i) => `| ${v}${' '.repeat(widths[i] - v.length + 1)}`).join('')}|\n`;
  let out = line(keys);
  out += `${widths.map((w) => `|:${'-'.repeat(w)}:`).join('')}|\n`;
  for (const c of cells) out += line(c);
  return out;
}

/** Python's `textwrap.indent(text, prefix)`: the prefix on every line that is not blank. */
export function indent(text: string, prefix: string): string {
  return text.replace(/^(.*\S.*)$/gm, `${prefix}$1`);
}

/** One column's statistics (6.0.1 `_compute_column_stats`) over the first 100 rows. */
export interface ColumnStats {
  /** `string`, `float`, `int`, `bool`, `list`, or the value's type otherwise. */
  dtype: string;
  /** `text` for a string column, empty otherwise. */
  modality: string;
  /** `min: 7 tokens`, `mean: 0.5`, `0: ~50.00%`, ... in order. */
  details: [string, string][];
}

/** How many rows 6.0.1 reads for the statistics table ("Approximate statistics based on the first N samples"). */
export const STATS_ROWS = 100;

/**
 * The Python type a column's values would have. JS numbers have no int/float split: a number column is `int` when
 * every value is an integer (a label column of class ids), else `float`, as Arrow types a column built from the same
 * JSON rows (`Dataset.from_list`; 6.0.1 then types by the first value's Python type). A column that Python held as
 * floats with whole values only (`[1.0, 0.0]`) is `float` in 6.0.1 and `int` here: a JS number cannot tell them apart.
 */
export function columnKind(values: readonly unknown[]): 'string' | 'int' | 'float' | 'bool' | 'list' | 'other' {
  const first = values[0];
  if (typeof first === 'string') return 'string';
  if (typeof first === 'boolean') return 'bool';
  if (typeof first === 'number') return values.every((v) => typeof v === 'number' && Number.isInteger(v)) ? 'int' : 'float';
  if (Array.isArray(first) || ArrayBuffer.isView(first)) return 'list';
  return 'other';
}

/**
 * The statistics of one column's first {@link STATS_ROWS} values: token counts (from `countTokens`, the model's
 * tokenizer with its special tokens and truncation, as 6.0.1's `preprocess` attention mask) for strings; min, mean
 * and max rounded to 2 places for floats; the share of each value for ints and booleans; the lengths of lists.
 * `kind`: the column's type when more than these values decide it (default: from these values).
 */
export function columnStats(values: readonly unknown[], countTokens: (texts: string[]) => number[], kind = columnKind(values.slice(0, STATS_ROWS))): ColumnStats {
  const vals = values.slice(0, STATS_ROWS);
  const mmm = (xs: number[]) => {
    let min = Infinity;
    let max = -Infinity;
    let total = 0;
    for (const x of xs) {
      if (x < min) min = x;
      if (x > max) max = x;
      total += x;
    }
    return { min, max, mean: xs.length ? total / xs.length : 0 };
  };
  if (kind === 'string') {
    const s = mmm(countTokens(vals as string[]));
    return { dtype: 'string', modality: 'text', details: [['min', `${s.min} tokens`], ['mean', `${pyRound(s.mean, 2)} tokens`], ['max', `${s.max} tokens`]] };
  }
  if (kind === 'float') {
    const s = mmm(vals as number[]);
    return { dtype: 'float', modality: '', details: [['min', pyRound(s.min, 2)], ['mean', pyRound(s.mean, 2)], ['max', pyRound(s.max, 2)]] };
  }
  if (kind === 'int' || kind === 'bool') {
    const counts = new Map<string, { key: number; n: number }>();
    for (const v of vals) {
      const k = kind === 'bool' ? (v ? 'True' : 'False') : String(v);
      const e = counts.get(k) ?? { key: Number(v), n: 0 };
      e.n++;
      counts.set(k, e);
    }
    const sorted = [...counts.entries()].sort((a, b) => a[1].key - b[1].key);
    const tilde = counts.size > 1 ? '~' : '';
    return { dtype: kind, modality: '', details: sorted.map(([k, e]) => [k, `${tilde}${pyFixed((e.n / vals.length) * 100, 2)}%`]) };
  }
  if (kind === 'list') {
    const s = mmm(vals.map((v) => (v as ArrayLike<unknown>).length));
    if (s.min === s.max) return { dtype: 'list', modality: '', details: [['size', `${s.min} elements`]] };
    return { dtype: 'list', modality: '', details: [['min', `${s.min} elements`], ['mean', `${pyFixed(s.mean, 2)} elements`], ['max', `${s.max} elements`]] };
  }
  return { dtype: typeof values[0], modality: '', details: [] };
}

/** The statistics table (6.0.1 `compute_dataset_metrics`: rows type / modality / details, indented by two). */
export function statsTable(columns: readonly string[], stats: readonly ColumnStats[]): string {
  const html = (d: [string, string][]) => (d.length ? `<ul><li>${d.map(([k, v]) => `${k}: ${v}`).join('</li><li>')}</li></ul>` : '');
  const row = (label: string, f: (s: ColumnStats) => string) => Object.fromEntries([['', label], ...columns.map((c, i) => [c, f(stats[i])])]) as Record<string, Cell>;
  return indent(markdownTable([row('type', (s) => s.dtype), row('modality', (s) => s.modality), row('details', (s) => html(s.details))]).replace(/-:\|/g, '--|'), '  ');
}

/** One sample value as 6.0.1's `_format_example_value` prints it inside `<code>`. */
function sampleCell(v: unknown, kind: string): string {
  let s: string;
  if (typeof v === 'number') s = pyNumber(v, kind === 'int');
  else if (typeof v === 'boolean') s = v ? 'True' : 'False';
  else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = Array.from(v as ArrayLike<unknown>);
    const item = (x: unknown) => (typeof x === 'number' ? pyFloat(x) : pyRepr(x));
    s = arr.length > 5 ? `[${arr.slice(0, 5).map(item).join(', ')}, ...]` : `[${arr.map(item).join(', ')}]`;
  } else {
    s = String(v);
    if (s.length > 1000) s = `${s.slice(0, 1000)}...`;
  }
  return `<code>${s.replace(/\n/g, '<br>').replace(/\|/g, '\\|')}</code>`;
}

/** The samples table: the first 3 rows, each value in `<code>` (indented by two). */
export function samplesTable(columns: readonly string[], rows: readonly Record<string, unknown>[], kinds: readonly string[]): string {
  const lines = rows.slice(0, 3).map((r) => Object.fromEntries(columns.map((c, i) => [c, sampleCell(r[c], kinds[i])])) as Record<string, Cell>);
  return indent(markdownTable(lines).replace(/-:\|/g, '--|'), '  ');
}

/** 6.0.1's `format_duration`: `2.5 seconds`, `23.0 minutes`, `1.6 hours`, `2.1 days`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${pyFixed(seconds, 1)} seconds`;
  if (seconds / 60 < 60) return `${pyFixed(seconds / 60, 1)} minutes`;
  if (seconds / 3600 < 24) return `${pyFixed(seconds / 3600, 1)} hours`;
  return `${pyFixed(seconds / 86400, 1)} days`;
}

/** transformers 5's class-name stem of each `model_type` this library builds (`BertModel`, `RobertaForSequenceClassification`). */
const CLASS_STEMS: Record<string, string> = {
  bert: 'Bert',
  roberta: 'Roberta',
  'xlm-roberta': 'XLMRoberta',
  distilbert: 'DistilBert',
  mpnet: 'MPNet',
  gemma3_text: 'Gemma3Text',
  qwen3: 'Qwen3',
  modernbert: 'ModernBert',
};

/**
 * The transformers class 6.0.1's Transformer module loads for `model_type` and `transformer_task` (its repr's
 * `architecture`): `<Stem>Model` (feature-extraction), `<Stem>ForSequenceClassification`, `<Stem>ForMaskedLM`.
 */
export function architectureClass(modelType: string, task: string): string {
  const stem = CLASS_STEMS[modelType] ?? modelType;
  return `${stem}${task === 'sequence-classification' ? 'ForSequenceClassification' : task === 'fill-mask' ? 'ForMaskedLM' : 'Model'}`;
}

/** A module of a pipeline as the repr needs it: its Python class path, its config dict, and for a Transformer its model_type. */
export interface ReprModule {
  readonly typeName: string;
  getConfigDict?(): object;
  readonly model?: { readonly config?: { readonly raw?: Record<string, unknown> } };
}

/**
 * `repr(model)` as sentence-transformers 6.0.1 prints it (the card's "Full Model Architecture"): `<Class>(` then one
 * `  (i): <Module>(<config dict repr>)` line per module (the Transformer's dict gains `architecture`), then `)`.
 */
export function modelRepr(className: string, modules: readonly ReprModule[]): string {
  const lines = modules.map((m, i) => {
    const name = m.typeName.split('.').pop() ?? m.typeName;
    let cfg = { ...(m.getConfigDict?.() ?? {}) } as Record<string, unknown>;
    if (name === 'Transformer') {
      const modelType = String(m.model?.config?.raw?.model_type ?? '');
      cfg = { ...cfg, architecture: architectureClass(modelType, String(cfg.transformer_task ?? 'feature-extraction')) };
    }
    return `  (${i}): ${name}(${pyRepr(cfg, new Set(['pooling_mode']))})`;
  });
  return `${className}(\n${lines.join('\n')}\n)`;
}

/** A cross-encoder's `repr(model)`: one Transformer module over its `*ForSequenceClassification` model. */
export function crossEncoderRepr(model: { readonly config?: { readonly raw?: Record<string, unknown> } }): string {
  const transformer: ReprModule = { typeName: 'sentence_transformers.base.modules.transformer.Transformer', getConfigDict: () => sentenceBertConfigFor('sequence-classification'), model };
  return modelRepr('CrossEncoder', [transformer]);
}

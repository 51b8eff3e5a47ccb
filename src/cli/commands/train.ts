/**
 * `sentence-tfjs train`: fine-tune a SentenceTransformer on a JSONL or CSV file with a loss by name
 * (SentenceTransformerTrainer), then save it. Columns follow sentence-transformers' rules: every column but
 * `label` / `score` is a text input, in column order.
 *
 * Reference (v3.4.1): https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/trainer.py
 */
import { EmbeddingSimilarityEvaluator } from '../../evaluation/embedding_similarity.js';
import { TripletEvaluator } from '../../evaluation/triplet.js';
import type { Evaluator } from '../../evaluation/types.js';
import { createLoss, lossNames } from '../../losses/registry.js';
import type { Loss } from '../../losses/types.js';
import { readFileText } from '../../platform/fs.js';
import { fileReadError, writeStderrLine, writeStdout } from '../../platform/cli_io.js';
import { saveModelAtomic, checkOutputPath } from '../../training/loop.js';
import { SentenceTransformerTrainer } from '../../training/trainer.js';
import { CrossEncoderTrainer } from '../../training/cross_encoder_trainer.js';
import type { EvalLog, StepLog } from '../../training/loop.js';
import { readDataset, type ColumnSpec } from '../../training/datasets.js';
import { CliError, DEVICE_OPTION, flagOpt, HUB_OPTIONS, intOpt, requiredOpt, stringOpt, UsageError, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { deviceFrom, loadSentenceTransformer, loadWith } from '../model.js';
import { crossEncoderEvaluatorForRows, crossEncoderLoss, isCrossEncoderFolder, isCrossEncoderOnlyLoss } from './train_cross_encoder.js';

const NAME = 'train';

/** One CSV record split into fields (RFC 4180: quoted fields, doubled quotes, commas and newlines inside quotes). */
function parseCsv(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (quoted) throw new CliError(`${file}: unterminated quoted field`);
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Rows of a `.jsonl` (one JSON object per line) or `.csv` (header row) file; label columns parsed as numbers. A file
 * that cannot be read is an error naming `what` (the option, e.g. `--data`) and the absolute path.
 */
export async function readTrainingFile(file: string, what = 'training file'): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFileText(file);
  } catch (e) {
    throw fileReadError(e, file, what);
  }
  if (/\.csv$/i.test(file)) {
    const [header, ...records] = parseCsv(text, file);
    if (!header) throw new CliError(`${file}: empty CSV (expected a header row of column names)`);
    return records.map((r, i) => {
      if (r.length !== header.length) throw new CliError(`${file} line ${i + 2}: expected ${header.length} fields (${header.join(', ')}), got ${r.length}`);
      const row: Record<string, unknown> = {};
      header.forEach((h, j) => {
        const v = r[j];
        if (h === 'label' || h === 'score') {
          const n = Number(v);
          if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`${file} line ${i + 2}, column ${h}: expected a number, got ${JSON.stringify(v)}`);
          row[h] = n;
        } else row[h] = v;
      });
      return row;
    });
  }
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, i }) => {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new CliError(`${file} line ${i + 1}: invalid JSON (${(e as Error).message})`);
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`${file} line ${i + 1}: expected a JSON object of columns`);
      return v as Record<string, unknown>;
    });
}

function numberOpt(p: Parsed, name: string): number | undefined {
  const s = stringOpt(p, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`--${name} must be a number >= 0, got ${JSON.stringify(s)}`);
  return n;
}

/** The text columns and the label column of a file's first row (sentence-transformers' rules). */
function splitColumns(row: Record<string, unknown>): { texts: string[]; label: string | null } {
  if (Array.isArray(row.texts)) return { texts: row.texts.map((_, i) => `texts[${i}]`), label: 'label' in row ? 'label' : null };
  const label = 'label' in row ? 'label' : 'score' in row ? 'score' : null;
  return { texts: Object.keys(row).filter((k) => k !== 'label' && k !== 'score'), label };
}

/** A row's text in column `c` of {@link splitColumns}. */
function textAt(row: Record<string, unknown>, c: string, file: string, i: number): string {
  const m = /^texts\[(\d+)\]$/.exec(c);
  const v = m && Array.isArray(row.texts) ? row.texts[Number(m[1])] : row[c];
  if (typeof v !== 'string') throw new CliError(`${file} row ${i}, column ${c}: expected a string, got ${v === null ? 'null' : typeof v}`);
  return v;
}

/**
 * The evaluator for a dev file, chosen from its columns as sentence-transformers' examples do: two text columns
 * and a `score` / `label` column -> EmbeddingSimilarityEvaluator; three text columns (anchor, positive, negative)
 * and no label -> TripletEvaluator. Named after the file (`dev.jsonl` -> `dev`).
 */
export function evaluatorForRows(rows: readonly Record<string, unknown>[], file: string): Evaluator<never> {
  if (rows.length === 0) throw new CliError(`--eval ${file}: the file has no rows`);
  const { texts, label } = splitColumns(rows[0]);
  const name = (file.split(/[\\/]/).pop() ?? 'dev').replace(/\.(jsonl|csv)$/i, '');
  if (texts.length === 2 && label !== null) {
    const scores = rows.map((r, i) => {
      const v = r[label];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CliError(`${file} row ${i}, column ${label}: expected a number, got ${JSON.stringify(v)}`);
      return v;
    });
    return new EmbeddingSimilarityEvaluator(rows.map((r, i) => textAt(r, texts[0], file, i)), rows.map((r, i) => textAt(r, texts[1], file, i)), scores, { name }) as unknown as Evaluator<never>;
  }
  if (texts.length === 3 && label === null) {
    const col = (c: number) => rows.map((r, i) => textAt(r, texts[c], file, i));
    return new TripletEvaluator(col(0), col(1), col(2), { name }) as unknown as Evaluator<never>;
  }
  throw new CliError(
    `--eval ${file}: expected 2 text columns and a score/label column (EmbeddingSimilarityEvaluator) or 3 text columns (anchor, positive, negative: TripletEvaluator), got ${texts.length} text column(s) (${texts.join(', ')})${label ? ` and ${label}` : ' and no label'}`,
  );
}

/** The loss by name with its options; SoftmaxLoss and MSELoss get the model's embedding size, SoftmaxLoss its classes from the labels. */
function buildLoss(name: string, opts: Record<string, unknown>, rows: readonly Record<string, unknown>[], dim: number | null): Loss {
  const o: Record<string, unknown> = Object.assign({}, opts);
  if (name === 'SoftmaxLoss' || (name === 'MSELoss' && o.projectionDim !== undefined)) o.embeddingDimension ??= dim;
  if (name === 'SoftmaxLoss' && o.numLabels === undefined) {
    let max = -1;
    for (const r of rows) if (typeof r.label === 'number' && r.label > max) max = r.label;
    o.numLabels = max + 1;
  }
  return createLoss(name, o);
}

/** `--loss-options` as an object ({} when absent). */
function lossOptions(p: Parsed): Record<string, unknown> {
  const text = stringOpt(p, 'loss-options');
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--loss-options must be a JSON object, got ${JSON.stringify(text)} (${(e as Error).message})`, NAME);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`--loss-options must be a JSON object, got ${text}`, NAME);
  return v as Record<string, unknown>;
}

/** Print a step record on stderr (unless --quiet). */
/** The options both trainers take from the command line, with the CLI's defaults (one place for them). */
function scheduleArgs(p: Parsed) {
  return {
    perDeviceTrainBatchSize: intOpt(p, 'batch-size', NAME) ?? 16,
    numTrainEpochs: intOpt(p, 'epochs', NAME) ?? 1,
    maxSteps: intOpt(p, 'max-steps', NAME),
    learningRate: numberOpt(p, 'lr') ?? 2e-5,
    warmupRatio: numberOpt(p, 'warmup-ratio') ?? 0.1,
    // undefined: the trainers' default, 42 (transformers'); left out so the model card lists it only when given
    seed: intOpt(p, 'seed', NAME, 0),
  };
}

function stepLine(ctx: CliContext) {
  return ctx.quiet ? undefined : (l: StepLog) => writeStderrLine(`step ${l.step} epoch ${l.epoch.toFixed(2)} loss ${l.loss.toFixed(6)} lr ${l.learningRate.toExponential(3)} grad_norm ${l.gradNorm.toFixed(4)}`);
}

/** Print an evaluation's primary metric on stderr (unless --quiet). */
function evalLine(ctx: CliContext, evaluator: Evaluator<never> | undefined, e: EvalLog): void {
  if (!ctx.quiet && evaluator) writeStderrLine(`eval step ${e.step} epoch ${e.epoch.toFixed(2)} ${evaluator.primaryMetric} ${e.metrics[evaluator.primaryMetric]?.toFixed(6)}`);
  if (!ctx.quiet && typeof e.metrics.eval_loss === 'number') writeStderrLine(`eval step ${e.step} epoch ${e.epoch.toFixed(2)} eval_loss ${e.metrics.eval_loss.toFixed(6)}`);
}

/** Whether every row has the columns `spec` asks for (readDataset accepts them). */
function rowsFit(rows: readonly Record<string, unknown>[], spec: ColumnSpec): boolean {
  try {
    readDataset(rows, spec);
    return rows.length > 0;
  } catch {
    return false;
  }
}

/** The cross-encoder branch: CrossEncoder.load, CrossEncoderTrainer, the CrossEncoder evaluators, save. */
async function runCrossEncoder(p: Parsed, ctx: CliContext, o: { modelArg: string; data: string; out: string; lossName: string | undefined; lossOpts: Record<string, unknown>; workers: number | undefined }): Promise<void> {
  const loss = crossEncoderLoss(o.lossName, o.lossOpts);
  const evalFile = stringOpt(p, 'eval');
  const evalSteps = intOpt(p, 'eval-steps', NAME);
  if (evalSteps !== undefined && evalFile === undefined) throw new UsageError('--eval-steps needs --eval FILE (the rows to evaluate on)', NAME);
  await checkOutputPath(o.out, '--output');
  const rows = await readTrainingFile(o.data, '--data');
  const evalRows = evalFile === undefined ? undefined : await readTrainingFile(evalFile, '--eval');
  const device = deviceFrom(p, NAME);
  const { CrossEncoder } = await import('../../api/cross_encoder.js');
  const ce = await loadWith(o.modelArg, p, ctx, '--model', (hub) => CrossEncoder.load(o.modelArg, { device, hub }));
  try {
    const evaluator = evalRows === undefined ? undefined : crossEncoderEvaluatorForRows(evalRows, evalFile!, ce.numLabels);
    const evalDataset = evalRows !== undefined && rowsFit(evalRows, { what: 'CrossEncoderTrainer', textColumns: { min: 2, max: 2 }, needsLabels: true }) ? evalRows : undefined;
    const result = await new CrossEncoderTrainer({
      model: ce,
      args: {
        ...scheduleArgs(p),
        evalStrategy: evaluator || evalDataset ? (evalSteps !== undefined ? 'steps' : 'epoch') : undefined, // undefined: 'no', the default
        evalSteps,
        ...(o.workers !== undefined && o.workers > 1 ? { dataParallel: { workers: o.workers } } : {}),
      },
      trainDataset: rows,
      evalDataset,
      loss,
      evaluator,
      callback: stepLine(ctx),
      onEvaluate: (e) => evalLine(ctx, evaluator, e),
    }).train();
    const lastEval = result.evaluations[result.evaluations.length - 1]?.metrics;
    await saveModelAtomic(ce, o.out);
    const summary: Record<string, unknown> = { output: o.out, steps: result.globalStep, training_loss: result.trainingLoss };
    if (lastEval) summary.eval = lastEval;
    await writeStdout(`${JSON.stringify(summary)}\n`);
  } finally {
    ce.dispose();
  }
}

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a model to fine-tune (hub id or directory)');
  const data = requiredOpt(p, 'data', NAME, 'a .jsonl or .csv file of training rows');
  const out = requiredOpt(p, 'output', NAME, 'the folder to save the trained model in');
  const given = stringOpt(p, 'loss');
  const workers = intOpt(p, 'workers', NAME);
  const cross = flagOpt(p, 'cross-encoder') || isCrossEncoderOnlyLoss(given) || (await isCrossEncoderFolder(modelArg));
  if (cross) return runCrossEncoder(p, ctx, { modelArg, data, out, lossName: given, lossOpts: lossOptions(p), workers });
  const lossName = given ?? 'MultipleNegativesRankingLoss';
  if (!lossNames().includes(lossName)) throw new UsageError(`--loss ${lossName}: unknown loss; known: ${lossNames().join(', ')}`, NAME);
  const lossOpts = lossOptions(p);
  const evalFile = stringOpt(p, 'eval');
  const evalSteps = intOpt(p, 'eval-steps', NAME);
  if (evalSteps !== undefined && evalFile === undefined) throw new UsageError('--eval-steps needs --eval FILE (the rows to evaluate on)', NAME);
  await checkOutputPath(out, '--output');
  const rows = await readTrainingFile(data, '--data');
  const evalRows = evalFile === undefined ? undefined : await readTrainingFile(evalFile, '--eval');
  // the evaluator the dev columns call for; a dev file that only fits the loss gets the eval loss alone (below)
  let evaluator: Evaluator<never> | undefined;
  let evaluatorError: unknown;
  try {
    evaluator = evalRows === undefined ? undefined : evaluatorForRows(evalRows, evalFile!);
  } catch (e) {
    evaluatorError = e;
  }
  const model = await loadSentenceTransformer(modelArg, p, ctx, NAME);
  try {
    const loss = buildLoss(lossName, lossOpts, rows, model.getSentenceEmbeddingDimension());
    // the validation loss (`eval_loss`) too, when the dev rows have the loss's columns (as eval_dataset in 6.0.1)
    const evalDataset = evalRows !== undefined && rowsFit(evalRows, { what: lossName, textColumns: loss.textColumns, needsLabels: loss.needsLabels }) ? evalRows : undefined;
    if (evaluatorError !== undefined && evalDataset === undefined) throw evaluatorError;
    let lastEval: Record<string, number> | undefined;
    const result = await new SentenceTransformerTrainer({
      model,
      args: {
        ...scheduleArgs(p),
        saveStrategy: 'no',
        evalStrategy: evaluator || evalDataset ? (evalSteps !== undefined ? 'steps' : 'epoch') : undefined, // undefined: 'no', the default
        evalSteps,
        ...(workers !== undefined && workers > 1 ? { dataParallel: { workers } } : {}),
      },
      trainDataset: rows,
      evalDataset,
      loss,
      evaluator,
      onEvaluate: (e) => {
        lastEval = e.metrics;
        evalLine(ctx, evaluator, e);
      },
      callback: stepLine(ctx),
    }).train();
    await saveModelAtomic(model, out);
    const summary: Record<string, unknown> = { output: out, steps: result.globalStep, training_loss: result.trainingLoss };
    if (lastEval) summary.eval = lastEval;
    await writeStdout(`${JSON.stringify(summary)}\n`);
  } finally {
    model.dispose();
  }
}

export const trainCommand: Command = {
  name: NAME,
  summary: 'fine-tune a sentence-transformer or a cross-encoder on a JSONL or CSV file',
  usage: ['train --model MODEL --data FILE --output DIR [--loss NAME] [options]'],
  description:
    'Fine-tune a SentenceTransformer (SentenceTransformerTrainer: AdamW, linear schedule with warmup, clipping at 1)\n' +
    'on a .jsonl file (one JSON object per line) or a .csv file (header row). Every column but "label" / "score" is\n' +
    'a text input, in column order. Prints one line per step on stderr, then {"output", "steps", "training_loss"}.\n' +
    'With --eval FILE, evaluates at the end of each epoch (or every --eval-steps steps): 2 text columns and a score\n' +
    'give an EmbeddingSimilarityEvaluator, 3 text columns (anchor, positive, negative) a TripletEvaluator; the last\n' +
    'metrics go into the summary ("eval") and the saved model card (README.md).\n' +
    'Cross-encoders (CrossEncoderTrainer): with --cross-encoder, or when --loss names a cross-encoder-only loss\n' +
    '(BinaryCrossEntropyLoss, CrossEntropyLoss), or when --model is a local cross-encoder folder\n' +
    '(config_sentence_transformers.json model_type "CrossEncoder", or a ...ForSequenceClassification config.json\n' +
    'without modules.json). Rows are 2 text columns and a label (sentence1, sentence2, label / query, passage,\n' +
    'label); --loss BinaryCrossEntropyLoss | CrossEntropyLoss | MSELoss (default: BinaryCrossEntropyLoss for one\n' +
    'label, CrossEntropyLoss over class ids for several). --eval: query, positive and negative/documents lists give\n' +
    'a CrossEncoderRerankingEvaluator; 2 text columns and a label a CrossEncoderClassificationEvaluator (several\n' +
    'labels, or labels all 0/1) or a CrossEncoderCorrelationEvaluator. A hub id needs --cross-encoder (or such a loss).\n' +
    'With --workers N, N replicas train in parallel (DDP: this thread and N-1 worker threads, gradients averaged\n' +
    'across them each step), bi-encoders and cross-encoders alike.',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'hub id or local model directory (required)' },
    data: { type: 'string', valueName: 'FILE', help: 'training rows, .jsonl or .csv (required)' },
    loss: { type: 'string', valueName: 'NAME', help: `loss class name (default MultipleNegativesRankingLoss; ${lossNames().join(', ')}; cross-encoders: BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss)` },
    'cross-encoder': { type: 'boolean', help: 'train a cross-encoder (CrossEncoder.load, CrossEncoderTrainer, CrossEncoder losses and evaluators)' },
    'loss-options': { type: 'string', valueName: 'JSON', help: 'the loss\'s options as a JSON object, e.g. {"scale": 20} (camelCase names)' },
    eval: { type: 'string', valueName: 'FILE', help: 'dev rows (.jsonl or .csv) to evaluate on during training' },
    'eval-steps': { type: 'string', valueName: 'N', help: 'evaluate every N steps (default: at the end of each epoch)' },
    output: { type: 'string', short: 'o', valueName: 'DIR', help: 'where the trained model is saved (required)' },
    epochs: { type: 'string', valueName: 'N', help: 'epochs (default 1)' },
    'max-steps': { type: 'string', valueName: 'N', help: 'stop after N optimizer steps' },
    'batch-size': { type: 'string', valueName: 'B', help: 'rows per batch (default 16)' },
    lr: { type: 'string', valueName: 'X', help: 'learning rate (default 2e-5)' },
    'warmup-ratio': { type: 'string', valueName: 'R', help: 'warmup as a fraction of the steps (default 0.1)' },
    seed: { type: 'string', valueName: 'N', help: 'shuffling and dropout seed (default 42)' },
    workers: { type: 'string', valueName: 'N', help: 'data-parallel replicas, as torchrun --nproc_per_node N (default 1: off); --batch-size stays per replica (N batches a step)' },
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: false,
  examples: [
    'train -m sentence-transformers/all-MiniLM-L6-v2 --data pairs.jsonl --loss MultipleNegativesRankingLoss --epochs 1 -o ./my-model',
    'train --cross-encoder -m cross-encoder/ms-marco-MiniLM-L6-v2 --data qrels.jsonl --loss BinaryCrossEntropyLoss --eval dev.jsonl -o ./my-reranker',
  ],
  run,
};

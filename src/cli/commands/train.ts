/**
 * `sentence-tfjs train`: fine-tune a SentenceTransformer on a JSONL or CSV file with a loss by name
 * (SentenceTransformerTrainer), then save it. Columns follow sentence-transformers' rules: every column but
 * `label` / `score` is a text input, in column order.
 *
 * Reference (v3.4.1): https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/trainer.py
 */
import { createLoss, lossNames } from '../../losses/registry.js';
import { readFileText } from '../../platform/fs.js';
import { writeStderrLine, writeStdout } from '../../platform/cli_io.js';
import { saveModelAtomic, checkOutputPath } from '../../training/loop.js';
import { SentenceTransformerTrainer } from '../../training/trainer.js';
import { CliError, DEVICE_OPTION, HUB_OPTIONS, intOpt, requiredOpt, stringOpt, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { loadSentenceTransformer } from '../model.js';

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

/** Rows of a `.jsonl` (one JSON object per line) or `.csv` (header row) file; label columns parsed as numbers. */
export async function readTrainingFile(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFileText(file);
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

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a model to fine-tune (hub id or directory)');
  const data = requiredOpt(p, 'data', NAME, 'a .jsonl or .csv file of training rows');
  const out = requiredOpt(p, 'output', NAME, 'the folder to save the trained model in');
  const lossName = stringOpt(p, 'loss') ?? 'MultipleNegativesRankingLoss';
  if (!lossNames().includes(lossName)) throw new CliError(`--loss ${lossName}: unknown loss; known: ${lossNames().join(', ')}`);
  await checkOutputPath(out, '--output');
  const rows = await readTrainingFile(data);
  const model = await loadSentenceTransformer(modelArg, p, ctx, NAME);
  try {
    const result = await new SentenceTransformerTrainer({
      model,
      args: {
        perDeviceTrainBatchSize: intOpt(p, 'batch-size', NAME) ?? 16,
        numTrainEpochs: intOpt(p, 'epochs', NAME) ?? 1,
        maxSteps: intOpt(p, 'max-steps', NAME),
        learningRate: numberOpt(p, 'lr') ?? 2e-5,
        warmupRatio: numberOpt(p, 'warmup-ratio') ?? 0.1,
        seed: intOpt(p, 'seed', NAME, 0) ?? 42,
        saveStrategy: 'no',
      },
      trainDataset: rows,
      loss: createLoss(lossName),
      callback: ctx.quiet ? undefined : (l) => writeStderrLine(`step ${l.step} epoch ${l.epoch.toFixed(2)} loss ${l.loss.toFixed(6)} lr ${l.learningRate.toExponential(3)} grad_norm ${l.gradNorm.toFixed(4)}`),
    }).train();
    await saveModelAtomic(model, out);
    await writeStdout(`${JSON.stringify({ output: out, steps: result.globalStep, training_loss: result.trainingLoss })}\n`);
  } finally {
    model.dispose();
  }
}

export const trainCommand: Command = {
  name: NAME,
  summary: 'fine-tune a sentence-transformer on a JSONL or CSV file',
  usage: ['train --model MODEL --data FILE --loss NAME --output DIR [options]'],
  description:
    'Fine-tune a SentenceTransformer (SentenceTransformerTrainer: AdamW, linear schedule with warmup, clipping at 1)\n' +
    'on a .jsonl file (one JSON object per line) or a .csv file (header row). Every column but "label" / "score" is\n' +
    'a text input, in column order. Prints one line per step on stderr, then {"output", "steps", "training_loss"}.',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'hub id or local model directory (required)' },
    data: { type: 'string', valueName: 'FILE', help: 'training rows, .jsonl or .csv (required)' },
    loss: { type: 'string', valueName: 'NAME', help: `loss class name (default MultipleNegativesRankingLoss; ${lossNames().join(', ')})` },
    output: { type: 'string', short: 'o', valueName: 'DIR', help: 'where the trained model is saved (required)' },
    epochs: { type: 'string', valueName: 'N', help: 'epochs (default 1)' },
    'max-steps': { type: 'string', valueName: 'N', help: 'stop after N optimizer steps' },
    'batch-size': { type: 'string', valueName: 'B', help: 'rows per batch (default 16)' },
    lr: { type: 'string', valueName: 'X', help: 'learning rate (default 2e-5)' },
    'warmup-ratio': { type: 'string', valueName: 'R', help: 'warmup as a fraction of the steps (default 0.1)' },
    seed: { type: 'string', valueName: 'N', help: 'shuffling and dropout seed (default 42)' },
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: false,
  examples: ['train -m sentence-transformers/all-MiniLM-L6-v2 --data pairs.jsonl --loss MultipleNegativesRankingLoss --epochs 1 -o ./my-model'],
  run,
};

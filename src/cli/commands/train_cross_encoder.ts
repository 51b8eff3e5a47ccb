/**
 * `sentence-tfjs train --cross-encoder`: fine-tune a CrossEncoder (CrossEncoderTrainer) on JSONL/CSV pairs with a
 * CrossEncoder loss by name (BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss), evaluated with the CrossEncoder
 * evaluators, then save it (with its model card). Split from train.ts, which parses the shared options.
 *
 * Reference (v6.0.1): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/cross_encoder/trainer.py
 */
import { CrossEncoderClassificationEvaluator } from '../../evaluation/cross_encoder_classification.js';
import { CrossEncoderCorrelationEvaluator } from '../../evaluation/cross_encoder_correlation.js';
import { CrossEncoderRerankingEvaluator, type RerankingSample } from '../../evaluation/cross_encoder_reranking.js';
import type { Evaluator } from '../../evaluation/types.js';
import { createCrossEncoderLoss, crossEncoderLossNames, lossNames } from '../../losses/registry.js';
import { joinPath, pathExists, readJSONFile } from '../../platform/fs.js';
import { CliError, UsageError } from '../args.js';

/** Losses that exist only for cross-encoders: naming one with `--loss` selects cross-encoder training. */
export function isCrossEncoderOnlyLoss(name: string | undefined): boolean {
  return name !== undefined && crossEncoderLossNames().includes(name) && !lossNames().includes(name);
}

/**
 * Whether a local model folder holds a cross-encoder: config_sentence_transformers.json says `model_type:
 * "CrossEncoder"` (6.x saves), or there is no modules.json and config.json's architectures are a
 * `...ForSequenceClassification` (3.x-5.x saves, hub rerankers). Hub ids are not probed (no download here).
 */
export async function isCrossEncoderFolder(dir: string): Promise<boolean> {
  if (!(await pathExists(dir))) return false;
  const st = await joinPath(dir, 'config_sentence_transformers.json');
  if (await pathExists(st)) {
    const cfg = await readJSONFile<{ model_type?: unknown }>(st).catch(() => undefined);
    if (cfg?.model_type === 'CrossEncoder') return true;
    if (cfg?.model_type !== undefined) return false;
  }
  if (await pathExists(await joinPath(dir, 'modules.json'))) return false;
  const configPath = await joinPath(dir, 'config.json');
  if (!(await pathExists(configPath))) return false;
  const config = await readJSONFile<{ architectures?: unknown }>(configPath).catch(() => undefined);
  return Array.isArray(config?.architectures) && config.architectures.some((a) => typeof a === 'string' && /ForSequenceClassification$/.test(a));
}

/** The cross-encoder loss by name with its options; undefined name: the trainer's default for the label count. */
export function crossEncoderLoss(name: string | undefined, opts: Record<string, unknown>): ReturnType<typeof createCrossEncoderLoss> | undefined {
  if (name === undefined) return undefined;
  if (!crossEncoderLossNames().includes(name)) throw new UsageError(`--loss ${name}: not a cross-encoder loss; known: ${crossEncoderLossNames().join(', ')}`, 'train');
  return createCrossEncoderLoss(name, opts);
}

function str(v: unknown, file: string, i: number, col: string): string {
  if (typeof v !== 'string') throw new CliError(`${file} row ${i}, column ${col}: expected a string, got ${v === null ? 'null' : typeof v}`);
  return v;
}

function strList(v: unknown, file: string, i: number, col: string): string[] {
  if (!Array.isArray(v)) throw new CliError(`${file} row ${i}, column ${col}: expected an array of strings, got ${v === null ? 'null' : typeof v}`);
  return v.map((x, j) => str(x, file, i, `${col}[${j}]`));
}

/**
 * The CrossEncoder evaluator for a dev file, from its columns (as sentence-transformers' cross-encoder examples):
 * `query`, `positive` and `negative` or `documents` (lists) -> CrossEncoderRerankingEvaluator; two text columns
 * and a `label` / `score` -> CrossEncoderClassificationEvaluator when the model has several labels or every label
 * is 0 or 1, else CrossEncoderCorrelationEvaluator. Named after the file (`dev.jsonl` -> `dev`).
 */
export function crossEncoderEvaluatorForRows(rows: readonly Record<string, unknown>[], file: string, numLabels: number): Evaluator<never> {
  if (rows.length === 0) throw new CliError(`--eval ${file}: the file has no rows`);
  const name = (file.split(/[\\/]/).pop() ?? 'dev').replace(/\.(jsonl|csv)$/i, '');
  const first = rows[0];
  if ('query' in first && 'positive' in first && ('negative' in first || 'documents' in first)) {
    const samples: RerankingSample[] = rows.map((r, i) => {
      const s: RerankingSample = { query: str(r.query, file, i, 'query'), positive: Array.isArray(r.positive) ? strList(r.positive, file, i, 'positive') : str(r.positive, file, i, 'positive') };
      if ('negative' in r) s.negative = strList(r.negative, file, i, 'negative');
      if ('documents' in r) s.documents = strList(r.documents, file, i, 'documents');
      return s;
    });
    return new CrossEncoderRerankingEvaluator(samples, { name, writeCsv: false }) as unknown as Evaluator<never>;
  }
  const label = 'label' in first ? 'label' : 'score' in first ? 'score' : null;
  const texts = Array.isArray(first.texts) ? null : Object.keys(first).filter((k) => k !== 'label' && k !== 'score');
  if (label === null || (texts !== null && texts.length !== 2) || (texts === null && (first.texts as unknown[]).length !== 2)) {
    throw new CliError(
      `--eval ${file}: a cross-encoder is evaluated on 2 text columns and a label/score column (classification or correlation), or on query, positive and negative/documents columns (reranking); got columns ${Object.keys(first).join(', ')}`,
    );
  }
  const pairs = rows.map((r, i) => {
    if (texts === null) {
      const t = strList(r.texts, file, i, 'texts');
      if (t.length !== 2) throw new CliError(`${file} row ${i}, column texts: expected 2 texts, got ${t.length}`);
      return [t[0], t[1]] as [string, string];
    }
    return [str(r[texts[0]], file, i, texts[0]), str(r[texts[1]], file, i, texts[1])] as [string, string];
  });
  const labels = rows.map((r, i) => {
    const v = r[label];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new CliError(`${file} row ${i}, column ${label}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  });
  if (numLabels > 1 || labels.every((l) => l === 0 || l === 1)) return new CrossEncoderClassificationEvaluator(pairs, labels, { name, writeCsv: false }) as unknown as Evaluator<never>;
  return new CrossEncoderCorrelationEvaluator(pairs, labels, { name, writeCsv: false }) as unknown as Evaluator<never>;
}

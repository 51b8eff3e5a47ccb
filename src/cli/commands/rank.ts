/**
 * `sentence-tfjs rank`: score documents against a query with a cross-encoder and print them best first
 * (`CrossEncoder.rank`); also the cross-encoder loader that `search --reranker` uses.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/cross_encoder/CrossEncoder.py
 */
import { writeStdout } from '../../platform/cli_io.js';
import { DEFAULT_BATCH_SIZE } from '../../util/defaults.js';
import { CliError, DEVICE_OPTION, flagOpt, HUB_OPTIONS, intOpt, requiredOpt, stringsOpt, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { collectTexts, warnFileLikeTexts } from '../input.js';
import { compatFrom, deviceFrom, loadWith } from '../model.js';
import { withTextsProgress } from '../progress.js';

const NAME = 'rank';

/** One ranked document, as Python's `rank(..., return_documents=True)`. */
export interface RankedDocument {
  corpus_id: number;
  score: number;
  text: string;
}

/** What the CLI needs of a cross-encoder. */
export interface CliCrossEncoder {
  /** One score per (query, document) pair. */
  predictScores(pairs: [string, string][], batchSize?: number): Promise<number[]>;
  /** The documents sorted by decreasing score (the first `topK` when given). */
  rank(query: string, documents: string[], opts: { topK?: number; batchSize?: number; onProgress?: (done: number, total: number) => void }): Promise<RankedDocument[]>;
  dispose(): void;
}

/** Load a cross-encoder (`CrossEncoder.load`) with the command's hub options, device, download bars and error lines. */
export async function loadCrossEncoder(model: string, p: Parsed, ctx: CliContext, command: string, option: string): Promise<CliCrossEncoder> {
  const device = deviceFrom(p, command);
  const compat = compatFrom(p, command);
  const { CrossEncoder } = await import('../../api/cross_encoder.js');
  const ce = await loadWith(model, p, ctx, option, (hub) => CrossEncoder.load(model, { device, hub, compat }));
  if (ce.numLabels !== 1) {
    ce.dispose();
    throw new CliError(`${option} ${model}: ranking needs a cross-encoder with one score per pair, this one has ${ce.numLabels} labels (${ce.labels.join(', ')})`);
  }
  return {
    predictScores: async (pairs, batchSize) => (pairs.length ? ((await ce.predict(pairs, { batchSize })) as number[]) : []),
    rank: async (query, documents, opts) =>
      (await ce.rank(query, documents, { ...opts, returnDocuments: true })).map((r) => ({ corpus_id: r.corpusId, score: r.score, text: documents[r.corpusId] })),
    dispose: () => ce.dispose(),
  };
}

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a cross-encoder hub id or model directory');
  const query = requiredOpt(p, 'query', NAME, 'the text the documents are ranked against');
  const topK = intOpt(p, 'top-k', NAME);
  const batchSize = intOpt(p, 'batch-size', NAME);
  await warnFileLikeTexts(p.positionals, '--documents', 'document', ctx.quiet);
  const documents = await collectTexts({
    inline: p.positionals,
    files: stringsOpt(p, 'documents'),
    command: NAME,
    what: 'documents',
    hint: 'give DOCUMENT arguments, --documents FILE (one per line), or pipe lines on stdin',
  });
  const ce = await loadCrossEncoder(modelArg, p, ctx, NAME, '--model');
  let ranked: RankedDocument[];
  try {
    ranked = await withTextsProgress(ctx.progress, documents.length, batchSize ?? DEFAULT_BATCH_SIZE, 'Ranking', (onProgress) => ce.rank(query, documents, { topK, batchSize, onProgress }));
  } finally {
    ce.dispose();
  }
  if (flagOpt(p, 'json')) {
    await writeStdout(`${JSON.stringify({ query, results: ranked })}\n`);
    return;
  }
  const rows = ranked.map((r, i) => `  ${String(i + 1).padStart(3)}. ${r.score.toFixed(4)}  [${r.corpus_id}] ${r.text}`);
  await writeStdout(`query: ${query}\n${rows.join('\n')}${rows.length ? '\n' : ''}`);
}

export const rankCommand: Command = {
  name: NAME,
  summary: 'rank documents for a query with a cross-encoder',
  usage: ['rank --model CROSS_ENCODER --query TEXT [options] DOCUMENT ...', 'rank --model CROSS_ENCODER --query TEXT --documents FILE [options]'],
  description:
    'Score every (query, document) pair with a cross-encoder (CrossEncoder.predict with its default activation) and\n' +
    'print the documents by decreasing score (CrossEncoder.rank). Documents are arguments (each one the literal text\n' +
    'of a document, even when it names a file: a warning says so), lines of --documents files, or stdin lines.\n' +
    '--json prints {"query", "results": [{"corpus_id", "score", "text"}]}.',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'cross-encoder: hub id or local model directory (required)' },
    query: { type: 'string', short: 'Q', valueName: 'TEXT', help: 'the query (required)' },
    documents: { type: 'string', short: 'f', multiple: true, valueName: 'FILE', help: 'documents, one per line (- for stdin)' },
    'top-k': { type: 'string', short: 'k', valueName: 'K', help: 'print the K best only (default: all)' },
    'batch-size': { type: 'string', valueName: 'N', help: `pairs per forward pass (default: ${DEFAULT_BATCH_SIZE})` },
    json: { type: 'boolean', help: 'print JSON instead of text' },
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: true,
  examples: [
    'rank -m cross-encoder/ms-marco-MiniLM-L-6-v2 -Q "How many people live in Berlin?" --documents passages.txt -k 3',
    'rank -m cross-encoder/ms-marco-MiniLM-L-6-v2 -Q "capital of France" "Paris is the capital." "Berlin is in Germany."',
  ],
  run,
};

/**
 * `sentence-tfjs search`: semantic search of queries over a corpus file (`util.semanticSearch` on the model's
 * query and document embeddings), optionally re-ranked by a cross-encoder (`--reranker`), as the
 * sentence-transformers "retrieve & re-rank" example does: the bi-encoder's `--candidates` best hits are scored by
 * the cross-encoder and the `--top-k` best by that score are printed.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/examples/applications/retrieve_rerank/in_document_search_crossencoder.py
 */
import { semanticSearch, type SearchHit } from '../../util/retrieval.js';
import { similarityFunctionNames, type SimilarityFunctionName } from '../../util/similarity.js';
import { DEFAULT_BATCH_SIZE } from '../../util/defaults.js';
import { writeStdout } from '../../platform/cli_io.js';
import { choiceOpt, DEVICE_OPTION, flagOpt, HUB_OPTIONS, intOpt, requiredOpt, stringOpt, stringsOpt, UsageError, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { collectTexts, readLinesFrom } from '../input.js';
import { checkModelArg, loadSentenceTransformer } from '../model.js';
import { withTextsProgress } from '../progress.js';
import { EMBEDDING_OPTIONS, encodeOptionsFrom } from './encode.js';
import { loadCrossEncoder } from './rank.js';

const NAME = 'search';

/** One printed hit. */
export interface SearchResultHit {
  corpus_id: number;
  /** The bi-encoder score. */
  score: number;
  text: string;
  /** The cross-encoder score (with `--reranker`). */
  cross_score?: number;
}

function formatHits(query: string, hits: SearchResultHit[], reranked: boolean): string {
  const lines = [`query: ${query}`];
  hits.forEach((h, i) => {
    const scores = reranked ? `${h.cross_score!.toFixed(4)}  (bi-encoder ${h.score.toFixed(4)})` : h.score.toFixed(4);
    lines.push(`  ${String(i + 1).padStart(3)}. ${scores}  [${h.corpus_id}] ${h.text}`);
  });
  return `${lines.join('\n')}\n`;
}

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a hub id such as all-MiniLM-L6-v2 or a model directory');
  const corpusFile = requiredOpt(p, 'corpus', NAME, 'a text file with one document per line');
  const topK = intOpt(p, 'top-k', NAME) ?? 10;
  const reranker = stringOpt(p, 'reranker');
  const candidates = intOpt(p, 'candidates', NAME) ?? Math.max(32, topK);
  if (!reranker && stringOpt(p, 'candidates') !== undefined) throw new UsageError('--candidates needs --reranker', NAME);
  if (candidates < topK) throw new UsageError(`--candidates: expected at least --top-k (${topK}), got ${candidates}`, NAME);
  const scoreFunction = choiceOpt<SimilarityFunctionName>(p, 'score-function', similarityFunctionNames(), NAME) ?? 'cosine';
  const encodeOpts = encodeOptionsFrom(p, NAME);
  if (p.positionals.length) throw new UsageError(`unexpected argument '${p.positionals[0]}' (give queries with --query or --queries FILE)`, NAME);
  const queryFiles = stringsOpt(p, 'queries');
  const inline = stringsOpt(p, 'query');
  if (corpusFile === '-' && (queryFiles.includes('-') || (inline.length === 0 && queryFiles.length === 0))) {
    throw new UsageError('the corpus and the queries cannot both come from stdin', NAME);
  }
  if (reranker) await checkModelArg(reranker, '--reranker'); // fail before the bi-encoder work
  const corpus = await readLinesFrom(corpusFile, '--corpus');
  const queries = await collectTexts({ inline, files: queryFiles, command: NAME, what: 'queries', hint: 'give --query TEXT, --queries FILE, or pipe queries on stdin' });

  const model = await loadSentenceTransformer(modelArg, p, ctx, NAME);
  let results: SearchResultHit[][];
  try {
    const batchSize = encodeOpts.batchSize ?? DEFAULT_BATCH_SIZE;
    const opts = { ...encodeOpts, precision: 'float32' as const };
    const corpusEmb = (await withTextsProgress(ctx.progress, corpus.length, batchSize, 'Encoding corpus', (onProgress) => model.encodeDocument(corpus, { ...opts, onProgress }))) as Float32Array[];
    const queryEmb = (await model.encodeQuery(queries, opts)) as Float32Array[];
    const k = reranker ? candidates : topK;
    const hits: SearchHit[][] = semanticSearch(queryEmb, corpusEmb, { topK: k, scoreFunction });
    results = hits.map((row) => row.map((h) => ({ corpus_id: h.corpusId, score: h.score, text: corpus[h.corpusId] })));
  } finally {
    model.dispose();
  }

  if (reranker) {
    const ce = await loadCrossEncoder(reranker, p, ctx, NAME, '--reranker');
    try {
      for (let q = 0; q < queries.length; q++) {
        const pairs = results[q].map((h) => [queries[q], h.text] as [string, string]);
        const scores = pairs.length ? await ce.predictScores(pairs, encodeOpts.batchSize) : [];
        results[q].forEach((h, i) => (h.cross_score = scores[i]));
        // Python: sorted(hits, key=lambda x: x['cross-score'], reverse=True) -- a stable sort
        results[q] = [...results[q]].sort((a, b) => b.cross_score! - a.cross_score!).slice(0, topK);
      }
    } finally {
      ce.dispose();
    }
  }

  if (flagOpt(p, 'json')) {
    const out = queries.map((query, q) => ({ query, hits: results[q] }));
    await writeStdout(`${JSON.stringify(out)}\n`);
  } else {
    await writeStdout(queries.map((q, i) => formatHits(q, results[i], Boolean(reranker))).join('\n'));
  }
}

export const searchCommand: Command = {
  name: NAME,
  summary: 'semantic search of queries over a corpus file, optionally re-ranked by a cross-encoder',
  usage: ['search --model MODEL --corpus FILE --query TEXT [--query TEXT ...] [options]', 'search --model MODEL --corpus FILE --queries FILE [--reranker CROSS_ENCODER] [options]'],
  description:
    'Encode the corpus (one document per line) and the queries, and print for every query the --top-k documents by\n' +
    'util.semanticSearch (cosine by default). Queries use the model\'s "query" prompt and documents its "document"\n' +
    'prompt (encodeQuery / encodeDocument; both "" unless the model sets them; with --compat 3.4, "document",\n' +
    '"passage" or "corpus", the first the model defines). --prompt-name / --prompt apply to both. With --reranker, the\n' +
    "--candidates best hits are scored by the cross-encoder on (query, document) pairs and the --top-k best by that\n" +
    'score are printed. --json prints [{"query", "hits": [{"corpus_id", "score", "text", "cross_score"}]}].',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'bi-encoder: hub id or local model directory (required)' },
    corpus: { type: 'string', short: 'c', valueName: 'FILE', help: 'documents, one per line (- for stdin) (required)' },
    query: { type: 'string', multiple: true, valueName: 'TEXT', help: 'a query' },
    queries: { type: 'string', multiple: true, valueName: 'FILE', help: 'queries, one per line (- for stdin)' },
    'top-k': { type: 'string', short: 'k', valueName: 'K', help: 'hits per query (default: 10)' },
    'score-function': { type: 'string', valueName: 'NAME', help: `${similarityFunctionNames().join(', ')} (default: cosine)` },
    reranker: { type: 'string', short: 'r', valueName: 'MODEL', help: 'cross-encoder (hub id or directory) that re-ranks the hits' },
    candidates: { type: 'string', valueName: 'N', help: 'bi-encoder hits re-ranked per query with --reranker (default: max(32, top-k))' },
    json: { type: 'boolean', help: 'print JSON instead of text' },
    ...EMBEDDING_OPTIONS,
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: true,
  examples: [
    'search -m all-MiniLM-L6-v2 --corpus docs.txt --query "How do I reset my password?" -k 5',
    'search -m all-MiniLM-L6-v2 --corpus docs.txt --queries questions.txt -r cross-encoder/ms-marco-MiniLM-L-6-v2',
  ],
  run,
};

/**
 * `sentence-tfjs similarity`: the similarity matrix of sentences (arguments, files or stdin) with the model's
 * similarity function (`model.similarity(E, E)`), or another one with `--similarity-fn`.
 */
import { similarityFunctionNames } from '../../util/similarity.js';
import { DEFAULT_BATCH_SIZE } from '../../util/defaults.js';
import { writeStdout } from '../../platform/cli_io.js';
import { choiceOpt, DEVICE_OPTION, flagOpt, HUB_OPTIONS, requiredOpt, stringsOpt, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { matrixText } from '../formats.js';
import { collectTexts, warnFileLikeTexts } from '../input.js';
import { loadSentenceTransformer } from '../model.js';
import { withTextsProgress } from '../progress.js';
import { EMBEDDING_OPTIONS, encodeOptionsFrom } from './encode.js';

const NAME = 'similarity';

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a hub id such as all-MiniLM-L6-v2 or a model directory');
  const fn = choiceOpt(p, 'similarity-fn', similarityFunctionNames(), NAME);
  const encodeOpts = encodeOptionsFrom(p, NAME);
  await warnFileLikeTexts(p.positionals, '--file', 'sentence', ctx.quiet);
  const sentences = await collectTexts({
    inline: p.positionals,
    files: stringsOpt(p, 'file'),
    command: NAME,
    what: 'sentences',
    hint: 'give SENTENCE arguments, --file FILE (one per line), or pipe lines on stdin',
  });
  const model = await loadSentenceTransformer(modelArg, p, ctx, NAME);
  try {
    if (fn) model.similarityFnName = fn;
    const batchSize = encodeOpts.batchSize ?? DEFAULT_BATCH_SIZE;
    const emb = await withTextsProgress(ctx.progress, sentences.length, batchSize, 'Encoding', (onProgress) => model.encode(sentences, { ...encodeOpts, precision: 'float32', onProgress }));
    const sims = model.similarity(emb, emb);
    if (flagOpt(p, 'json')) {
      const out = { similarity_fn_name: model.similarityFnName, sentences, matrix: sims.map((r) => Array.from(r)) };
      await writeStdout(`${JSON.stringify(out)}\n`);
    } else {
      await writeStdout(matrixText(sims, 4));
    }
  } finally {
    model.dispose();
  }
}

export const similarityCommand: Command = {
  name: NAME,
  summary: 'similarity matrix of sentences (arguments, --file or stdin)',
  usage: ['similarity --model MODEL [options] SENTENCE SENTENCE ...', 'similarity --model MODEL [options] --file FILE'],
  description:
    "Encode the sentences and print the [n, n] matrix model.similarity(E, E) with the model's similarity function\n" +
    '(similarity_fn_name, cosine by default), one row per line with 4 decimals, or as JSON with --json\n' +
    '({"similarity_fn_name", "sentences", "matrix"}, full float32 precision). Sentences are arguments (literal\n' +
    "texts, even when one names a file: a warning says so), lines of --file files, or stdin lines.",
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'hub id or local model directory (required)' },
    file: { type: 'string', short: 'f', multiple: true, valueName: 'FILE', help: 'sentences, one per line (- for stdin)' },
    'similarity-fn': { type: 'string', valueName: 'NAME', help: `${similarityFunctionNames().join(', ')} (default: the model's)` },
    json: { type: 'boolean', help: 'print JSON instead of a text matrix' },
    ...EMBEDDING_OPTIONS,
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: true,
  examples: [
    'similarity -m all-MiniLM-L6-v2 "The weather is lovely today." "It\'s so sunny outside!"',
    'similarity -m ./my-model --file sentences.txt --json',
  ],
  run,
};

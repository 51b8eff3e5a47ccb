/**
 * `sentence-tfjs encode`: embeddings of texts (one per line from files or stdin, or `--text`), written as `.npy`,
 * `.safetensors` or JSON Lines (by the `--output` extension; JSON Lines on stdout by default).
 */
import { PRECISIONS, type Precision } from '../../api/encode_options.js';
import { DEFAULT_BATCH_SIZE } from '../../util/defaults.js';
import { fileExtension, writeOutputFile, writeStderrLine, writeStdout } from '../../platform/cli_io.js';
import { choiceOpt, DEVICE_OPTION, flagOpt, HUB_OPTIONS, intOpt, requiredOpt, stringOpt, stringsOpt, UsageError, type OptionTable, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { serializeEmbeddings, serializeNpy } from '../../util/storage.js';
import { embeddingsJsonl, toDense, type EmbeddingRows } from '../formats.js';
import { collectTexts } from '../input.js';
import { loadSentenceTransformer } from '../model.js';

const NAME = 'encode';

/** The float32 encode options shared with the other embedding commands. */
export const EMBEDDING_OPTIONS: OptionTable = {
  'batch-size': { type: 'string', valueName: 'N', help: `texts per forward pass (default: ${DEFAULT_BATCH_SIZE})` },
  normalize: { type: 'boolean', help: 'L2-normalize every embedding (after --truncate-dim)' },
  'prompt-name': { type: 'string', valueName: 'NAME', help: "a prompt of the model's config, e.g. query or document" },
  prompt: { type: 'string', valueName: 'TEXT', help: 'a literal prompt prepended to every text (wins over --prompt-name)' },
  'truncate-dim': { type: 'string', valueName: 'N', help: 'keep the first N dimensions (Matryoshka)' },
};

/** `encode`'s options: the embedding options and `--precision`. */
export const ENCODE_OPTIONS: OptionTable = {
  ...EMBEDDING_OPTIONS,
  precision: { type: 'string', valueName: 'P', help: `${PRECISIONS.join(', ')} (default: float32); quantized ranges come from the texts encoded` },
};

/** Output formats by extension. */
const FORMATS: Record<string, 'npy' | 'safetensors' | 'jsonl'> = {
  '.npy': 'npy',
  '.safetensors': 'safetensors',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/** The encode options of a command line, checked (usage errors name the option). */
export function encodeOptionsFrom(p: Parsed, command: string) {
  return {
    batchSize: intOpt(p, 'batch-size', command),
    normalizeEmbeddings: flagOpt(p, 'normalize'),
    promptName: stringOpt(p, 'prompt-name'),
    prompt: stringOpt(p, 'prompt'),
    precision: choiceOpt<Precision>(p, 'precision', PRECISIONS, command),
    truncateDim: intOpt(p, 'truncate-dim', command),
  };
}

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a hub id such as all-MiniLM-L6-v2 or a model directory');
  const output = stringOpt(p, 'output');
  const format = output === undefined ? 'jsonl' : FORMATS[fileExtension(output)];
  if (!format) {
    throw new UsageError(`--output ${output}: expected a file ending in ${Object.keys(FORMATS).join(', ')}`, NAME);
  }
  const encodeOpts = encodeOptionsFrom(p, NAME);
  const texts = await collectTexts({
    inline: stringsOpt(p, 'text'),
    files: p.positionals,
    command: NAME,
    what: 'input texts',
    hint: 'give a FILE (one text per line), --text TEXT, or pipe lines on stdin',
  });
  const model = await loadSentenceTransformer(modelArg, p, ctx, NAME);
  try {
    const batchSize = encodeOpts.batchSize ?? DEFAULT_BATCH_SIZE;
    const rows = (await model.encode(texts, { ...encodeOpts, showProgressBar: ctx.progress && texts.length > batchSize })) as EmbeddingRows;
    const precision = encodeOpts.precision ?? 'float32';
    const dense = toDense(rows, model.getSentenceEmbeddingDimension() ?? 0);
    if (format === 'jsonl' && output === undefined) {
      await writeStdout(embeddingsJsonl(texts, rows));
      return;
    }
    let bytes: Uint8Array | string;
    if (format === 'npy') bytes = serializeNpy(dense);
    else if (format === 'safetensors') {
      bytes = serializeEmbeddings({
        embeddings: dense,
        metadata: {
          model: modelArg,
          precision,
          normalized: String(encodeOpts.normalizeEmbeddings),
          ...(encodeOpts.promptName ? { prompt_name: encodeOpts.promptName } : {}),
        },
      });
    } else bytes = embeddingsJsonl(texts, rows);
    const path = await writeOutputFile(output as string, bytes);
    if (!ctx.quiet) writeStderrLine(`wrote ${dense.rows} embeddings [${dense.rows}, ${dense.cols}] ${precision} to ${path}`);
  } finally {
    model.dispose();
  }
}

export const encodeCommand: Command = {
  name: NAME,
  summary: 'embed texts (file lines, stdin or --text) into .npy, .safetensors or JSON Lines',
  usage: ['encode --model MODEL [options] [FILE ...]', "encode --model MODEL [options] < texts.txt"],
  description:
    'Encode texts with a sentence-transformers model. Each line of FILE is one text (- reads stdin; empty lines are\n' +
    'kept so that row i is line i+1); a .jsonl FILE holds one JSON string or {"text": ...} per line (texts with line\n' +
    'breaks; the JSON Lines output is valid input). With no FILE and no --text, lines are read from stdin. The output format follows\n' +
    'the --output extension: .npy (float32 [n, dim], or int8/uint8 for quantized precisions), .safetensors (tensor\n' +
    '"embeddings"), .jsonl; without --output, JSON Lines {"index", "text", "embedding"} go to stdout.',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'hub id (e.g. all-MiniLM-L6-v2) or local model directory (required)' },
    text: { type: 'string', short: 't', multiple: true, valueName: 'TEXT', help: 'a text to encode' },
    output: { type: 'string', short: 'o', valueName: 'FILE', help: 'output file: .npy, .safetensors or .jsonl (default: JSON Lines on stdout)' },
    ...ENCODE_OPTIONS,
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: true,
  examples: [
    'encode -m all-MiniLM-L6-v2 sentences.txt -o embeddings.npy',
    'encode -m ./my-model --normalize --precision int8 -o emb.safetensors < corpus.txt',
    'encode -m all-MiniLM-L6-v2 -t "Hello world" -t "Hi there"',
  ],
  run,
};

/**
 * `sentence-tfjs encode`: embeddings of texts (one per line from files or stdin, or `--text`), written as `.npy`,
 * `.safetensors` or JSON Lines (by the `--output` extension; JSON Lines on stdout by default).
 */
import { PRECISIONS, type EncodeOptions, type Precision } from '../../api/encode_options.js';
import type { SentenceTransformer } from '../../api/sentence_transformer.js';
import { DEFAULT_BATCH_SIZE } from '../../util/defaults.js';
import { createScratchFile, fileExtension, openOutputFile, writeStderrLine, writeStdout } from '../../platform/cli_io.js';
import { choiceOpt, DEVICE_OPTION, flagOpt, HUB_OPTIONS, intOpt, requiredOpt, stringOpt, stringsOpt, UsageError, type OptionTable, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { computeQuantizationRanges, quantizeEmbeddingsMatrix } from '../../util/quantization.js';
import { EmbeddingsStreamWriter, toStoredEmbeddings, type DenseMatrix } from '../../util/storage.js';
import { embeddingsJsonl, toDense, type EmbeddingRows } from '../formats.js';
import { chunked, countTexts, streamTexts } from '../input.js';
import { loadSentenceTransformer } from '../model.js';
import { TextsProgress } from '../progress.js';

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

/** Texts read, encoded and written per chunk (memory grows with it, not with the input). */
export const DEFAULT_CHUNK_SIZE = 10_000;

/** Where encoded rows go, one block at a time, in input order. */
interface RowsSink {
  /** Write the rows of `texts` (the first is text number `firstIndex`). */
  write(block: DenseMatrix, texts: readonly string[], firstIndex: number): Promise<void>;
  /** Complete the output ([0, emptyCols] when nothing was written); returns the final shape and dtype. */
  finish(emptyCols: number): Promise<{ rows: number; cols: number; dtype: string }>;
  close(): Promise<void>;
}

/** Dtype names as the "wrote" line shows them. */
const DTYPE_NAMES: Record<string, string> = { F32: 'float32', I8: 'int8', U8: 'uint8' };

/** The sink of an output: a streaming .npy / .safetensors writer, a JSON Lines file, or JSON Lines on stdout. */
async function openSink(format: 'npy' | 'safetensors' | 'jsonl', output: string | undefined, metadata: Record<string, string>): Promise<RowsSink & { path?: string }> {
  let rows = 0;
  let cols: number | undefined;
  let dtype = 'F32';
  const note = (block: DenseMatrix) => {
    rows += block.rows;
    cols = block.cols;
    dtype = block.data instanceof Int8Array ? 'I8' : block.data instanceof Uint8Array ? 'U8' : 'F32';
  };
  const jsonl = (block: DenseMatrix, texts: readonly string[], firstIndex: number) =>
    embeddingsJsonl(texts, toStoredEmbeddings(block).rows, firstIndex);
  if (output === undefined) {
    return {
      write: async (block, texts, firstIndex) => {
        note(block);
        await writeStdout(jsonl(block, texts, firstIndex));
      },
      finish: async (emptyCols) => ({ rows, cols: cols ?? emptyCols, dtype }),
      close: async () => undefined,
    };
  }
  const file = await openOutputFile(output);
  if (format === 'jsonl') {
    let position = 0;
    const encoder = new TextEncoder();
    return {
      path: file.path,
      write: async (block, texts, firstIndex) => {
        note(block);
        const bytes = encoder.encode(jsonl(block, texts, firstIndex));
        await file.write(bytes, position);
        position += bytes.length;
      },
      finish: async (emptyCols) => ({ rows, cols: cols ?? emptyCols, dtype }),
      close: () => file.close(),
    };
  }
  const writer = new EmbeddingsStreamWriter(file, format, format === 'safetensors' ? metadata : undefined);
  return {
    path: file.path,
    write: (block) => writer.append(block),
    finish: async (emptyCols) => writer.finish({ cols: emptyCols }),
    close: () => file.close(),
  };
}

/** Per-dimension [mins, maxs] over blocks, as numpy's min/max over all rows (NaN propagates). */
class RangeTracker {
  mins: Float32Array | undefined;
  maxs: Float32Array | undefined;

  add(block: DenseMatrix): void {
    if (block.rows === 0) return;
    const [lo, hi] = computeQuantizationRanges(block as { rows: number; cols: number; data: Float32Array });
    if (!this.mins || !this.maxs) {
      this.mins = lo;
      this.maxs = hi;
      return;
    }
    for (let j = 0; j < lo.length; j++) {
      if (lo[j] < this.mins[j] || lo[j] !== lo[j]) this.mins[j] = lo[j];
      if (hi[j] > this.maxs[j] || hi[j] !== hi[j]) this.maxs[j] = hi[j];
    }
  }
}

/** What {@link encodeStream} needs of a model. */
type EncodeModel = Pick<SentenceTransformer, 'encode'>;

/**
 * Encode chunks of texts and write each chunk's rows to `sink` in input order, holding one chunk at a time: the
 * rows are those of `model.encode(allTexts, opts)` (a text embeds the same in any batch). int8 / uint8 take
 * their ranges from all the texts, as `encode` does: with more than one chunk, the float32 rows are kept in a
 * scratch file until the ranges are known, then quantized block by block.
 */
export async function encodeStream(
  model: EncodeModel,
  chunks: AsyncIterator<string[]>,
  first: IteratorResult<string[]>,
  sink: RowsSink,
  opts: EncodeOptions & { precision?: Precision },
  onProgress: (done: number) => void,
): Promise<void> {
  const precision = opts.precision ?? 'float32';
  let done = 0;
  const encodeChunk = async (texts: string[], precisionNow: Precision): Promise<DenseMatrix> => {
    const base = done;
    const rows = (await model.encode(texts, { ...opts, precision: precisionNow, onProgress: (d) => onProgress(base + d) })) as EmbeddingRows;
    done += texts.length;
    onProgress(done);
    return toDense(rows);
  };
  const second = first.done ? first : await chunks.next();
  const twoPass = (precision === 'int8' || precision === 'uint8') && !second.done;
  if (!twoPass) {
    let index = 0;
    for (let r = first; !r.done; r = r === first ? second : await chunks.next()) {
      await sink.write(await encodeChunk(r.value, precision), r.value, index);
      index += r.value.length;
    }
    return;
  }
  // int8 / uint8 over several chunks: float32 rows and texts to a scratch file, then quantize with all the ranges.
  const scratch = await createScratchFile('sentence-tfjs-encode-');
  try {
    const blocks: { rows: number; cols: number; at: number; textsAt: number; textsBytes: number }[] = [];
    const ranges = new RangeTracker();
    const encoder = new TextEncoder();
    let position = 0;
    for (let r = first; !r.done; r = r === first ? second : await chunks.next()) {
      const block = await encodeChunk(r.value, 'float32');
      ranges.add(block);
      const data = new Uint8Array(block.data.buffer, block.data.byteOffset, block.data.byteLength);
      const texts = encoder.encode(JSON.stringify(r.value));
      blocks.push({ rows: block.rows, cols: block.cols, at: position, textsAt: position + data.length, textsBytes: texts.length });
      await scratch.write(data, position);
      await scratch.write(texts, position + data.length);
      position += data.length + texts.length;
    }
    const decoder = new TextDecoder();
    let index = 0;
    for (const b of blocks) {
      const bytes = await scratch.read(b.at, b.rows * b.cols * 4);
      const block = { rows: b.rows, cols: b.cols, data: new Float32Array(bytes.buffer, 0, b.rows * b.cols) };
      const q = quantizeEmbeddingsMatrix(block, precision, { ranges: [ranges.mins!, ranges.maxs!] });
      const texts = JSON.parse(decoder.decode(await scratch.read(b.textsAt, b.textsBytes))) as string[];
      await sink.write(q as DenseMatrix, texts, index);
      index += b.rows;
    }
  } finally {
    await scratch.close();
  }
}

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  const modelArg = requiredOpt(p, 'model', NAME, 'a hub id such as all-MiniLM-L6-v2 or a model directory');
  const output = stringOpt(p, 'output');
  const format = output === undefined ? 'jsonl' : FORMATS[fileExtension(output)];
  if (!format) {
    throw new UsageError(`--output ${output}: expected a file ending in ${Object.keys(FORMATS).join(', ')}`, NAME);
  }
  const encodeOpts = encodeOptionsFrom(p, NAME);
  const chunkSize = intOpt(p, 'chunk-size', NAME) ?? DEFAULT_CHUNK_SIZE;
  const sources = {
    inline: stringsOpt(p, 'text'),
    files: p.positionals,
    command: NAME,
    what: 'input texts',
    hint: 'give a FILE (one text per line), --text TEXT, or pipe lines on stdin',
  };
  const chunks = chunked(streamTexts(sources), chunkSize);
  const first = await chunks.next(); // input errors (no such file) before the model loads
  const total = ctx.progress ? await countTexts(sources) : undefined;
  const model = await loadSentenceTransformer(modelArg, p, ctx, NAME);
  const precision = encodeOpts.precision ?? 'float32';
  const metadata = {
    model: modelArg,
    precision,
    normalized: String(encodeOpts.normalizeEmbeddings),
    ...(encodeOpts.promptName ? { prompt_name: encodeOpts.promptName } : {}),
  };
  const progress = new TextsProgress(ctx.progress && (total === undefined || total > (encodeOpts.batchSize ?? DEFAULT_BATCH_SIZE)), total);
  let sink: Awaited<ReturnType<typeof openSink>> | undefined;
  try {
    sink = await openSink(format, output, metadata);
    await encodeStream(model, chunks, first, sink, encodeOpts, (d) => progress.update(d));
    progress.stop();
    const shape = await sink.finish(model.getSentenceEmbeddingDimension() ?? 0);
    if (output !== undefined && !ctx.quiet) {
      writeStderrLine(`wrote ${shape.rows} embeddings [${shape.rows}, ${shape.cols}] ${shape.rows ? DTYPE_NAMES[shape.dtype] : precision} to ${sink.path}`);
    }
  } finally {
    await sink?.close();
    model.dispose();
  }
}

export const encodeCommand: Command = {
  name: NAME,
  summary: 'embed texts (file lines, stdin or --text) into .npy, .safetensors or JSON Lines',
  usage: ['encode --model MODEL [options] [FILE ...]', "encode --model MODEL [options] < texts.txt"],
  description:
    'Encode texts with a sentence-transformers model. Each line of FILE is one text (- reads stdin; empty lines are\n' +
    'kept so that row i is line i+1); a .jsonl (or .ndjson) FILE holds one JSON string or {"text": ...} per line (texts with line\n' +
    'breaks; the JSON Lines output is valid input). With no FILE and no --text, lines are read from stdin. The output format follows\n' +
    'the --output extension: .npy (float32 [n, dim], or int8/uint8 for quantized precisions), .safetensors (tensor\n' +
    '"embeddings"), .jsonl or .ndjson; without --output, JSON Lines {"index", "text", "embedding"} go to stdout.\n' +
    'Texts are read, encoded and written --chunk-size at a time, so inputs of any length run in bounded memory; the\n' +
    'rows are those of encoding all texts at once, in input order (int8/uint8 ranges come from all the texts: past one\n' +
    'chunk, the float32 rows wait in a temporary file until they are known).',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'hub id (e.g. all-MiniLM-L6-v2) or local model directory (required)' },
    text: { type: 'string', short: 't', multiple: true, valueName: 'TEXT', help: 'a text to encode' },
    output: { type: 'string', short: 'o', valueName: 'FILE', help: 'output file: .npy, .safetensors, .jsonl or .ndjson (default: JSON Lines on stdout)' },
    ...ENCODE_OPTIONS,
    'chunk-size': { type: 'string', valueName: 'N', help: `texts read, encoded and written at a time (default: ${DEFAULT_CHUNK_SIZE}); memory grows with N, not with the input` },
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

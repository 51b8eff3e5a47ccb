/**
 * `sentence-tfjs quantize`: write an int8 ("q8") copy of a sentence-transformers model. The encoder's linear
 * weights are stored int8 per output channel (`<linear>.weight_q8` I8 [out, in] + `<linear>.weight_scale` F32
 * [out], see src/weights/q8.ts; Qwen3 / Gemma 3 attention output projections stay float32) and word embedding
 * tables of at least 2^20 entries int8 per row, next to the float position / token-type embeddings, norms and
 * biases; the folder gets a
 * `sentence_tfjs_quantization.json` marker, so `SentenceTransformer.load(dir)` picks `dtype: 'q8'` by itself.
 * Tokenizer, configs and the other modules (Pooling, Dense, Normalize, ...) are written as `save` writes them.
 */
import { absolutePath, writeStderrLine, writeStdout } from '../../platform/cli_io.js';
import { DEVICE_OPTION, HUB_OPTIONS, requiredOpt, UsageError, type Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { deviceFrom, loadWith } from '../model.js';

const NAME = 'quantize';

async function run(p: Parsed, ctx: CliContext): Promise<void> {
  if (p.positionals.length) throw new UsageError(`unexpected argument '${p.positionals[0]}' (give the model with --model and the output folder with --output)`, NAME);
  const model = requiredOpt(p, 'model', NAME, 'a hub id such as all-MiniLM-L6-v2 or a model directory');
  const output = requiredOpt(p, 'output', NAME, 'the folder to write the quantized model to');
  if (absolutePath(output) === absolutePath(model)) throw new UsageError(`--output ${output}: must differ from --model (the quantized model is written next to the original, not over it)`, NAME);
  const device = deviceFrom(p, NAME);
  const { SentenceTransformer } = await import('../../api/sentence_transformer.js');
  const st = await loadWith(model, p, ctx, '--model', (hub) => SentenceTransformer.load(model, { device, hub, dtype: 'q8' }));
  try {
    await st.save(output);
  } finally {
    st.dispose();
  }
  if (!ctx.quiet) writeStderrLine(`wrote the int8 (q8) model to ${absolutePath(output)}; SentenceTransformer.load on it uses dtype 'q8'`);
  await writeStdout(`${absolutePath(output)}\n`);
}

export const quantizeCommand: Command = {
  name: NAME,
  summary: "write an int8 (q8) copy of a model, loaded with dtype 'q8' (smaller on disk, faster to load)",
  usage: ['quantize --model MODEL --output DIR [options]'],
  description:
    "Load MODEL with dtype 'q8' (the encoder's linear weights int8 per output channel, except Qwen3 / Gemma 3\n" +
    'attention output projections; word embedding tables of at least 2^20 entries int8 per row; position and\n' +
    'token-type embeddings, norms and biases float32) and save it to DIR: model.safetensors holds\n' +
    '<X>.weight_q8 (I8 [out, in], or [rows, dim]) and <X>.weight_scale (F32 [out], or [rows]) in place of\n' +
    '<X>.weight for each int8 tensor X, and sentence_tfjs_quantization.json (format_version 3) marks\n' +
    "the folder, so that SentenceTransformer.load(DIR) uses dtype 'q8' (pass dtype: 'fp32' to get the\n" +
    'dequantized float weights). Python sentence-transformers cannot read the quantized folder. Prints DIR.',
  options: {
    model: { type: 'string', short: 'm', valueName: 'MODEL', help: 'hub id (e.g. all-MiniLM-L6-v2) or local model directory (required)' },
    output: { type: 'string', short: 'o', valueName: 'DIR', help: 'folder to write the quantized model to (required)' },
    ...DEVICE_OPTION,
    ...HUB_OPTIONS,
  },
  positionals: false,
  examples: ['quantize -m all-MiniLM-L6-v2 -o ./minilm-q8'],
  run,
};

/**
 * Peak RSS of one forward pass at long inputs, one child process per (model, length):
 *   `npx tsx scripts/long-input-rss.ts [--models tiny-modernbert,tiny-qwen3,tiny-embeddinggemma,minilm-l6-full,tiny-bert] [--lengths 512,2048,8192] [--device wasm]`
 * Each child loads the model, runs `forward` on one random text of T tokens (batch 1, no padding), reads the
 * last hidden state back and reports its peak RSS (`process.resourceUsage().maxRSS`), its time and the hidden
 * state's checksum. `SENTENCE_TFJS_WASM_KERNELS=0` compares the stock-op path.
 *
 * The test twins' config.json files say `max_position_embeddings: 512`. For the rotary models (ModernBERT,
 * Qwen3, Gemma 3) that number is only a limit (no position table; the released models say 8192, 32768 and 2048+):
 * the child raises it to the length asked for, which changes nothing else. Models with a learned position table
 * (BERT family) cannot go past it: those points are reported as limited by the config.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROTARY = new Set(['modernbert', 'qwen3', 'gemma3_text', 'gemma3']);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

function fixturesDir(): string {
  return process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');
}

async function child(name: string, t: number, device: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend } = await import('../src/backends/index.js');
  const { installWasmKernels, wasmKernelsActive } = await import('../src/kernels/index.js');
  const { createModel } = await import('../src/models/index.js');
  const { loadCheckpointDir, WeightMap } = await import('../src/weights/index.js');
  await initBackend(device as 'wasm' | 'cpu');
  if (device === 'wasm') await installWasmKernels();
  const dir = join(fixturesDir(), 'models', name);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (ROTARY.has(String(config.model_type)) && Number(config.max_position_embeddings) < t) config.max_position_embeddings = t;
  const model = createModel(config, WeightMap.from(await loadCheckpointDir(dir)));
  const vocab = Number(config.vocab_size);
  const ids = tf.tensor2d(Int32Array.from({ length: t }, (_, i) => 1000 + ((i * 7919) % Math.min(20000, vocab - 1000))), [1, t], 'int32');
  const mask = tf.ones([1, t], 'int32') as import('@tensorflow/tfjs-core').Tensor2D;
  const start = performance.now();
  const out = model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState;
  const data = await out.data();
  const ms = performance.now() - start;
  let sum = 0;
  for (const x of data) sum += Math.abs(x);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ model: name, t, rssMiB: Math.round(rssMiB), ms: Math.round(ms), kernels: wasmKernelsActive(), finite: Number.isFinite(sum) }));
}

function parent(): void {
  const models = arg('--models', 'tiny-modernbert,tiny-qwen3,tiny-embeddinggemma,minilm-l6-full,tiny-bert').split(',');
  const lengths = arg('--lengths', '512,2048,8192').split(',').map(Number);
  const device = arg('--device', 'wasm');
  console.log(`# peak RSS of one forward, batch 1, ${device}, kernels ${process.env.SENTENCE_TFJS_WASM_KERNELS === '0' ? 'off' : 'on'}\n`);
  console.log('| model | tokens | peak RSS MiB | forward ms |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of models) {
    const config = JSON.parse(readFileSync(join(fixturesDir(), 'models', name, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const t of lengths) {
      const limit = Number(config.max_position_embeddings);
      if (!ROTARY.has(String(config.model_type)) && t > limit) {
        console.log(`| ${name} | ${t} | (max_position_embeddings ${limit}: a learned position table) | |`);
        continue;
      }
      try {
        const line = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', name, String(t), device], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
          .trim()
          .split('\n')
          .pop()!;
        const r = JSON.parse(line) as { rssMiB: number; ms: number; finite: boolean };
        console.log(`| ${name} | ${t} | ${r.rssMiB} | ${r.ms}${r.finite ? '' : ' (non-finite output!)'} |`);
      } catch (e) {
        const msg = String((e as { stderr?: string }).stderr ?? e).split('\n').filter((l) => /Error|memory/i.test(l))[0] ?? String(e);
        console.log(`| ${name} | ${t} | failed: ${msg.slice(0, 120)} | |`);
      }
    }
  }
}

const c = process.argv.indexOf('--child');
if (c >= 0) void child(process.argv[c + 1]!, Number(process.argv[c + 2]), process.argv[c + 3]!);
else parent();

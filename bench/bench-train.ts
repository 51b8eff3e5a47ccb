/**
 * `npm run bench:train`: fine-tuning speed on minilm-l6-full (fixtures), MultipleNegativesRankingLoss at batch 32
 * pairs of ~30-token sentences and CosineSimilarityLoss at batch 16 pairs: steps/s, texts/s, peak RSS and the
 * achieved GFLOP/s (forward + backward ~ 3x the forward FLOPs) against the wasm dense-kernel ceiling measured in
 * the same run; with the wasm kernels and with stock ops. Peer: PyTorch sentence-transformers from the local
 * Python stack (`SENTENCE_TFJS_BENCH_PYTHON`, default /work/venv/bin/python) with 1 and 2 threads, when installed.
 * With the kernels, each workload also runs data-parallel over 2 replicas (`dataParallel: { workers: 2 }`, DDP
 * semantics: the same global batch as two per-device batches of half its size, this thread + 1 worker thread, gradients averaged); CPU time
 * and peak RSS are the whole process's (both replicas).
 * Options: `--steps N` (timed steps per workload, default 3), `--no-peer`, `--no-pool` (no data-parallel rows),
 * `--only kernels|stock`, `--workload mnrl|cos`. Each row also reports the process CPU time per step and the share of the step spent in
 * the optimizer update; the ceiling is re-measured next to each row (the machine may be shared: compare rows of
 * one run only).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { dense } from '../src/kernels/ops.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import { CosineSimilarityLoss } from '../src/losses/cosine_similarity.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import type { Loss } from '../src/losses/types.js';
import { AdamW } from '../src/training/optimizer.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { BENCH_PYTHON_ENV, DEFAULT_BENCH_PYTHON } from './bench-common.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = process.env.SENTENCE_TFJS_FIXTURES ?? resolve(here, '..', '..', 'shared', 'fixtures');
const modelDir = join(fixtures, 'models', 'minilm-l6-full');
const args = process.argv.slice(2);
const steps = Number(args[args.indexOf('--steps') + 1]) || 3;
const peer = !args.includes('--no-peer');
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = opt('--only');
const which = opt('--workload');
const workers = Number(opt('--workers') ?? 1);
const pool = !args.includes('--no-pool');

const WORDS = 'the a model sentence query document search learning neural network embedding vector training data text quick brown fox jumps over lazy dog city river mountain music science history language computer'.split(' ');
function sentence(i: number, n = 26): string {
  let s = '';
  let x = i * 2654435761;
  for (let k = 0; k < n; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += (k ? ' ' : '') + WORDS[x % WORDS.length];
  }
  return `${s}.`;
}

interface Workload {
  key: string;
  name: string;
  loss: () => Loss;
  rows: Record<string, unknown>[];
  batch: number;
}
const WORKLOADS: Workload[] = [
  { key: 'mnrl', name: 'MNRL, batch 32 pairs', loss: () => new MultipleNegativesRankingLoss(), batch: 32, rows: Array.from({ length: 32 * (steps + 1) }, (_, i) => ({ anchor: sentence(2 * i), positive: sentence(2 * i + 1) })) },
  { key: 'cos', name: 'CosineSimilarity, batch 16 pairs', loss: () => new CosineSimilarityLoss(), batch: 16, rows: Array.from({ length: 16 * (steps + 1) }, (_, i) => ({ sentence1: sentence(2 * i), sentence2: sentence(2 * i + 1), score: (i % 10) / 10 })) },
];

/** Forward FLOPs of a BERT encoder on `tokens` tokens in sequences of length `t` (dense layers + attention). */
function forwardFlops(cfg: Record<string, number>, tokens: number, t: number): number {
  const h = cfg.hidden_size;
  const inter = cfg.intermediate_size;
  return cfg.num_hidden_layers * tokens * (2 * (4 * h * h + 2 * h * inter) + 4 * t * h);
}

/** The dense kernel's GFLOP/s on a [2048, 384] x [384, 1536] product, per wall second and per CPU second. */
async function ceilingGflops(): Promise<{ wall: number; cpu: number }> {
  const x = tf.randomUniform([2048, 384]) as tf.Tensor2D;
  const w = tf.randomUniform([384, 1536]) as tf.Tensor2D;
  const run = () => {
    const y = dense(x, w);
    y.dataSync();
    y.dispose();
  };
  for (let i = 0; i < 3; i++) run();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const n = 10;
  for (let i = 0; i < n; i++) run();
  const s = (performance.now() - t0) / 1000 / n;
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6 / n;
  tf.dispose([x, w]);
  const flops = 2 * 2048 * 384 * 1536;
  return { wall: flops / s / 1e9, cpu: flops / cpuS / 1e9 };
}

/** The runtime column: wasm kernels or stock ops, and the data-parallel replicas when more than one. */
function runtimeName(kernels: boolean, n: number): string {
  return `sentence-tfjs wasm ${kernels ? 'kernels' : 'stock ops'}${n > 1 ? `, ${n} workers (DDP)` : ''}`;
}

async function main(): Promise<void> {
  if (!existsSync(modelDir)) throw new Error(`bench:train needs the fixtures model ${modelDir}`);
  await initBackend('wasm');
  // Time spent in AdamW.step (the optimizer update), summed over the timed steps.
  let optMs = 0;
  const step = AdamW.prototype.step;
  AdamW.prototype.step = function (this: AdamW, ...a: Parameters<typeof step>) {
    const t = performance.now();
    step.apply(this, a);
    optMs += performance.now() - t;
  };
  const child = args.includes('--child');
  if (!child) {
    console.log('| runtime | workload | steps/s | texts/s | CPU s/step | optimizer % | GFLOP/s (3x fwd) | ceiling GFLOP/s | % of ceiling | peak RSS MB |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  }
  const ours = new Map<string, { stepsPerS: number; cpuPerStep: number }>();
  if (!child) {
    // Each row in its own process: its own wasm heap (peak RSS per row; a heap that hit wasm32's 4 GiB limit
    // aborts that row only).
    for (const mode of ['kernels', 'stock']) {
      if (only && only !== mode) continue;
      for (const w of WORKLOADS) {
        if (which && which !== w.key) continue;
        for (const n of mode === 'kernels' && pool ? [1, 2] : [1]) {
          const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--steps', String(steps), '--only', mode, '--workload', w.key, '--workers', String(n)], { encoding: 'utf8', maxBuffer: 1 << 26 });
          const row = r.stdout.split('\n').find((l) => l.startsWith('| sentence-tfjs'));
          const json = r.stdout.split('\n').find((l) => l.startsWith('#json '));
          if (json) ours.set(`${mode}${n > 1 ? ` x${n}` : ''} ${w.name}`, JSON.parse(json.slice(6)) as { stepsPerS: number; cpuPerStep: number });
          if (row) console.log(row);
          else {
            const why = /memory access out of bounds|Aborted\(\)|Error: [^\n]*/.exec(r.stderr)?.[0] ?? `exit ${r.status}`;
            console.log(`| ${runtimeName(mode === 'kernels', n)} | ${w.name} | failed: ${why} | | | | | | | |`);
          }
        }
      }
    }
  }
  for (const kernels of child ? [true, false] : []) {
    if (only && only !== (kernels ? 'kernels' : 'stock')) continue;
    enableWasmKernels();
    const ceiling = await ceilingGflops(); // the dense kernel: measured with the kernels on, next to the row
    if (!kernels) disableWasmKernels();
    for (const w of WORKLOADS) {
      if (which && which !== w.key) continue;
      const model = await SentenceTransformer.load(modelDir, { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } });
      const cfg = (model.transformer.model.config.raw as Record<string, number>);
      let flops = 0;
      const cols = Object.keys(w.rows[0]).filter((k) => k !== 'score');
      for (let b = 1; b <= steps; b++) {
        for (const c of cols) {
          const tb = model.tokenize(w.rows.slice(b * w.batch, (b + 1) * w.batch).map((r) => r[c] as string));
          flops += 3 * forwardFlops(cfg, tb.batchSize * tb.seqLength, tb.seqLength);
        }
      }
      const times: number[] = [];
      const cpu: number[] = [];
      const optAt: number[] = [];
      let last = performance.now();
      let lastCpu = process.cpuUsage();
      let peak = process.memoryUsage().rss;
      await new SentenceTransformerTrainer({
        model,
        // the same global batch for every row: one per-device batch of w.batch / workers rows per replica
        args: { perDeviceTrainBatchSize: w.batch / workers, learningRate: 2e-5, maxSteps: steps + 1, shuffle: false, saveStrategy: 'no', ...(workers > 1 ? { dataParallel: { workers } } : {}) },
        trainDataset: w.rows,
        loss: w.loss(),
        callback: () => {
          const now = performance.now();
          times.push(now - last);
          last = now;
          const c = process.cpuUsage();
          cpu.push((c.user + c.system - lastCpu.user - lastCpu.system) / 1e6);
          lastCpu = c;
          optAt.push(optMs);
          peak = Math.max(peak, process.memoryUsage().rss);
        },
      }).train();
      model.dispose();
      const s = times.slice(1).reduce((a, b) => a + b, 0) / 1000; // first step: warmup
      const cpuPerStep = cpu.slice(1).reduce((a, b) => a + b, 0) / steps;
      const optShare = (optAt[optAt.length - 1] - optAt[0]) / 1000 / s;
      const texts = steps * w.batch * cols.length;
      const gflops = flops / s / 1e9;
      const gflopsCpu = flops / (cpuPerStep * steps) / 1e9;
      const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
      console.log(`#json ${JSON.stringify({ stepsPerS: steps / s, cpuPerStep })}`);
      console.log(
        `| ${runtimeName(kernels, workers)} | ${w.name} | ${(steps / s).toFixed(3)} | ${(texts / s).toFixed(1)} | ${cpuPerStep.toFixed(2)} | ${(100 * optShare).toFixed(1)}% | ` +
          `${gflops.toFixed(1)} wall / ${gflopsCpu.toFixed(1)} CPU | ${ceiling.wall.toFixed(1)} wall / ${ceiling.cpu.toFixed(1)} CPU | ${pct(gflops, ceiling.wall)} wall / ${pct(gflopsCpu, ceiling.cpu)} CPU | ${(peak / 2 ** 20).toFixed(0)} |`,
      );
    }
  }
  enableWasmKernels();
  if (child) return;
  const python = process.env[BENCH_PYTHON_ENV] ?? DEFAULT_BENCH_PYTHON;
  if (!peer || !existsSync(python)) {
    console.log(peer ? `(PyTorch peer skipped: ${python} not found)` : '(PyTorch peer skipped: --no-peer)');
    return;
  }
  const work = WORKLOADS.map((w) => {
    const cols = Object.keys(w.rows[0]).filter((k) => k !== 'score');
    const rows = w.rows.slice(w.batch, 2 * w.batch);
    return { name: w.name, loss: w.loss().name, columns: cols.map((c) => rows.map((r) => r[c])), labels: 'score' in rows[0] ? rows.map((r) => r.score) : null };
  });
  for (const threads of [1, 2]) {
    const r = spawnSync(python, [join(here, 'bench-train-peer.py'), modelDir, String(threads), String(steps)], { input: JSON.stringify(work), encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`(PyTorch peer failed: ${r.stderr.trim().split('\n').pop()})`);
      return;
    }
    for (const line of r.stdout.trim().split('\n')) {
      const j = JSON.parse(line) as { name: string; threads: number; steps_per_s: number; texts_per_s: number; cpu_s_per_step: number };
      const ratios: string[] = [];
      for (const [key, label] of [['kernels', '1 worker'], ['kernels x2', '2 workers (DDP)']]) {
        const k = ours.get(`${key} ${j.name}`);
        if (k) ratios.push(`${label}: ${(k.stepsPerS / j.steps_per_s).toFixed(2)}x by wall, ${(j.cpu_s_per_step / k.cpuPerStep).toFixed(2)}x by CPU time`);
      }
      const ratio = ratios.length ? ` (sentence-tfjs kernels, ${ratios.join('; ')})` : '';
      console.log(`| PyTorch ${j.threads} thread${j.threads > 1 ? 's' : ''} | ${j.name}${ratio} | ${j.steps_per_s.toFixed(3)} | ${j.texts_per_s.toFixed(1)} | ${j.cpu_s_per_step.toFixed(2)} | | | | | |`);
    }
  }
}

await main();

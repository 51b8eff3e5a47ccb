/**
 * The encode pool against one worker, in one process, alternating:
 * `npx tsx scripts/bench-pool.ts [--model DIR] [--workers 2] [--rounds 3] [--queries 48] [--sections q1,qk,passages]`.
 *
 * "One worker" is a SentenceTransformer on wasm in this thread (the bench's `ours` row); the pool is an EncodePool of
 * `--workers` workers on the same model directory. Sections:
 * - `q1`: single queries (bench's `queries` workload, ~10 tokens), one per call, sequentially: per-call latency of
 *   one worker and of the pool, and where the pool's time goes: the worker's own encode time (sent back with each
 *   result), the rest (message round trip: structured clone out, transfer back, scheduling), and, measured in this
 *   thread, tokenization alone.
 * - `qk`: calls of k = 2, 4, 8, 16 queries: one worker (one batch of k), the pool with the call whole (one chunk)
 *   and split (ceil(k / workers) per chunk): the measurement behind the default rule's MIN_CHUNK_CHARS.
 * - `passages`: calls of 32 and 96 passages (~256 tokens) at batch 32: one worker, the pool with one chunk per batch
 *   (what the old default did with 96 texts: 32 + 32, then 32 alone) and the pool's default (planChunks).
 * Every round visits the variants in a rotated order; the figures are medians over rounds of each round's median
 * per-call wall time, with the min-max over rounds, and process CPU time per call (all threads, workers included);
 * "workers busy" is the workers' summed encode time over the call's wall time (how many run at once, on average).
 * On a shared machine label every figure "under load"; ratios from one alternating run are what means something.
 */
import { join, resolve } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { EncodePool, planChunks } from '../src/api/pool.js';
import { makeWorkload } from '../bench/bench-workloads.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b); // spread-ok: a few rounds or calls
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Variant {
  name: string;
  /** Encodes one call's texts. */
  call: (texts: string[]) => Promise<unknown>;
  /** Whether it runs on the pool (its worker-side time is read from chunkStats). */
  pool?: boolean;
}

interface Sample {
  wall: number[];
  cpu: number[];
  workerMs: number[];
  chunks: number[];
  /** Per call, over all rounds: wall time minus the workers' encode time (pool variants). */
  overhead: number[];
}

async function main(): Promise<void> {
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve('..', 'shared', 'fixtures');
  const modelDir = arg('--model', join(fixtures, 'models', 'minilm-l6-full'));
  const workers = Number(arg('--workers', '2'));
  const rounds = Number(arg('--rounds', '3'));
  const nQueries = Number(arg('--queries', '48'));
  const sections = arg('--sections', 'q1,qk,passages').split(',');

  const model = await SentenceTransformer.load(modelDir, { device: 'wasm' });
  const pool = await EncodePool.start({ modelDir }, { workers });
  const queries = makeWorkload('queries').texts;
  const passages = makeWorkload('passages').texts;
  // warm-up: every worker and this thread, at both lengths
  await model.encode(passages.slice(0, 8), { batchSize: 8 });
  await pool.encode(passages.slice(0, 8 * workers), { batchSize: 8, chunkSize: 8 });
  await pool.encode(queries.slice(0, 4 * workers), { chunkSize: 4 });

  const out: string[] = [];
  out.push(`# Encode pool (${workers} workers) vs one worker, ${modelDir.split('/').pop()}, ${rounds} rounds alternating, under load if the machine is shared`);
  out.push('');

  /** Runs `calls` through every variant for `rounds` rounds (rotated order); returns per-variant samples. */
  async function measure(variants: Variant[], calls: string[][]): Promise<Map<string, Sample>> {
    const res = new Map<string, Sample>(variants.map((v) => [v.name, { wall: [], cpu: [], workerMs: [], chunks: [], overhead: [] }]));
    for (let r = 0; r < rounds; r++) {
      const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
      for (const v of order) {
        const walls: number[] = [];
        const s = res.get(v.name)!;
        const c0 = process.cpuUsage();
        const s0 = { ...pool.chunkStats };
        for (const texts of calls) {
          const w0 = pool.chunkStats.workerMs;
          const t = performance.now();
          await v.call(texts);
          const wall = performance.now() - t;
          walls.push(wall);
          if (v.pool) s.overhead.push(wall - (pool.chunkStats.workerMs - w0));
        }
        const c = process.cpuUsage(c0);
        s.wall.push(median(walls));
        s.cpu.push((c.user + c.system) / 1000 / calls.length);
        s.workerMs.push((pool.chunkStats.workerMs - s0.workerMs) / calls.length);
        s.chunks.push((pool.chunkStats.chunks - s0.chunks) / calls.length);
      }
      process.stderr.write(`[bench-pool] round ${r + 1}/${rounds}\n`);
    }
    return res;
  }

  const fmt = (x: number, d = 1): string => x.toFixed(d);
  const spread = (xs: number[]): string => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`; // spread-ok: rounds

  function table(title: string, res: Map<string, Sample>, baseline: string, texts: number): void {
    const base = median(res.get(baseline)!.wall);
    out.push(`## ${title}`);
    out.push('');
    out.push('| variant | ms per call (median, min–max over rounds) | texts/s | vs one worker | chunks per call | worker encode ms per call | workers busy (worker ms / wall) | CPU ms per call (all threads) |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, s] of res) {
      const w = median(s.wall);
      const pooled = median(s.chunks) > 0;
      out.push(`| ${name} | ${fmt(w)} (${spread(s.wall)}) | ${fmt((texts / w) * 1000)} | ${fmt(base / w, 2)}× | ${pooled ? fmt(median(s.chunks)) : ''} | ${pooled ? fmt(median(s.workerMs)) : ''} | ${pooled ? fmt(median(s.workerMs.map((m, i) => m / s.wall[i]!)), 2) : ''} | ${fmt(median(s.cpu))} |`);
    }
    out.push('');
  }

  if (sections.includes('q1')) {
    const calls = queries.slice(0, nQueries).map((q) => [q]);
    const res = await measure(
      [
        { name: 'one worker, batch 1', call: (t) => model.encode(t, { batchSize: 1, normalizeEmbeddings: true }) },
        { name: `pool of ${workers}, one query per call`, call: (t) => pool.encode(t, { batchSize: 1, normalizeEmbeddings: true }), pool: true },
      ],
      calls,
    );
    // tokenization alone, in this thread (the worker runs the same code)
    const tok: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      for (const [q] of calls) model.tokenize([q!]);
      tok.push((performance.now() - t) / calls.length);
    }
    table('Single queries, one per call (sequential)', res, 'one worker, batch 1', 1);
    const p = res.get(`pool of ${workers}, one query per call`)!;
    const q = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))]!; // spread-ok: a few hundred calls
    out.push(`Pool call breakdown: worker encode ${fmt(median(p.workerMs), 2)} ms per call (mean per round, median over rounds; tokenization alone ~${fmt(median(tok), 3)} ms, measured in this thread) + messaging/scheduling per call (wall minus the worker's encode): median ${fmt(median(p.overhead), 2)} ms, 10th–90th percentile ${fmt(q(p.overhead, 0.1), 2)}–${fmt(q(p.overhead, 0.9), 2)} ms over ${p.overhead.length} calls.`);
    out.push('');
  }

  if (sections.includes('qk')) {
    for (const k of [2, 4, 8, 16]) {
      const calls: string[][] = [];
      for (let i = 0; i + k <= Math.max(nQueries, 4 * k); i += k) calls.push(queries.slice(i, i + k));
      const chars = calls.reduce((a, c) => a + c.reduce((x, t) => x + t.length, 0), 0) / calls.length;
      const res = await measure(
        [
          { name: `one worker, batch ${k}`, call: (t) => model.encode(t, { batchSize: k, normalizeEmbeddings: true }) },
          { name: `pool, whole call (1 chunk)`, call: (t) => pool.encode(t, { batchSize: k, chunkSize: k, normalizeEmbeddings: true }), pool: true },
          { name: `pool, split (${Math.ceil(k / workers)} per chunk)`, call: (t) => pool.encode(t, { batchSize: k, chunkSize: Math.ceil(k / workers), normalizeEmbeddings: true }), pool: true },
          { name: `pool, default rule (${planChunks(calls[0]!, workers, k).length} chunk(s))`, call: (t) => pool.encode(t, { batchSize: k, normalizeEmbeddings: true }), pool: true },
        ],
        calls,
      );
      table(`${k} queries per call (~${fmt(chars, 0)} characters)`, res, `one worker, batch ${k}`, k);
    }
  }

  if (sections.includes('passages')) {
    for (const n of [32, 96]) {
      const calls = [passages.slice(0, n)];
      const res = await measure(
        [
          { name: 'one worker, batch 32', call: (t) => model.encode(t, { batchSize: 32, normalizeEmbeddings: true }) },
          { name: 'pool, one chunk per batch (chunkSize 32)', call: (t) => pool.encode(t, { batchSize: 32, chunkSize: 32, normalizeEmbeddings: true }), pool: true },
          { name: `pool, default rule (${planChunks(calls[0]!, workers, 32).map(([s, e]) => e - s).join(' + ')})`, call: (t) => pool.encode(t, { batchSize: 32, normalizeEmbeddings: true }), pool: true },
        ],
        calls,
      );
      table(`${n} passages in one call, batch 32`, res, 'one worker, batch 32', n);
    }
  }

  await pool.stop();
  model.dispose();
  process.stdout.write(out.join('\n') + '\n');
}

await main();

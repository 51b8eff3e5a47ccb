/**
 * `npx tsx bench/bench-long.ts`: long inputs (issue 15). Peak RSS and time of one text of 512, 2048 and 8192 tokens
 * through ModernBERT and Qwen3 (sentence-tfjs on wasm, and PyTorch sentence-transformers when present), each
 * (model, length, runtime) in a fresh process so that its maxRSS is its own.
 *
 *   npx tsx bench/bench-long.ts [--models tiny-modernbert,tiny-qwen3] [--lengths 512,2048,8192] [--timeout 300]
 *                               [--python PATH] [--out long.md]
 *
 * The fixtures' twins say max_position_embeddings 512; both architectures use RoPE (no position table), so the bench
 * copies each twin into a temporary folder with max_position_embeddings and max_seq_length raised to the longest
 * length (weights unchanged; ModernBERT's real checkpoints say 8192, Qwen3-Embedding's 32768). The text is the
 * sentences workload joined until the tokenizer gives at least the length; it is truncated to exactly that length.
 * A run that passes --timeout seconds is stopped and reported as such (no number is made up).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_PYTHON_ENV, DEFAULT_BENCH_PYTHON, flagReader } from './bench-common.js';
import { makeWorkload } from './bench-workloads.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(ROOT, '..', 'shared', 'fixtures');

/** One text long enough for `tokens` tokens with any of the tokenizers (about 1.3 tokens per word; doubled for margin). */
function longText(tokens: number): string {
  const words: string[] = [];
  for (const t of makeWorkload('sentences').texts) {
    words.push(t);
    if (words.join(' ').split(' ').length > tokens * 1.2) break;
  }
  return words.join(' ');
}

const NODE_CHILD = `
const { SentenceTransformer } = await import(${JSON.stringify(join(ROOT, 'src', 'api', 'sentence_transformer.ts'))});
const [dir, len, text] = [process.argv[1], Number(process.argv[2]), process.argv[3]];
const m = await SentenceTransformer.load(dir, { device: 'wasm' });
m.maxSeqLength = len;
const tokens = m.tokenize([text]).seqLength;
const rssLoaded = process.memoryUsage().rss / 2 ** 20;
const t = performance.now();
await m.encode([text]);
console.log(JSON.stringify({ ms: performance.now() - t, tokens, peakRssMB: process.resourceUsage().maxRSS / 1024, rssLoadedMB: rssLoaded }));
`;

const PY_CHILD = `
import json, resource, sys, time, torch
from sentence_transformers import SentenceTransformer
torch.set_num_threads(2)
d, n, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
m = SentenceTransformer(d, device="cpu", model_kwargs={"dtype": torch.float32})
m.max_seq_length = n
tokens = int(m.tokenize([text])["input_ids"].shape[1])
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
m.encode([text])
print(json.dumps({"ms": (time.perf_counter() - t) * 1000, "tokens": tokens, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rssLoadedMB": rss}))
`;

interface Row {
  model: string;
  runtime: string;
  length: number;
  result: string;
}

function main(): void {
  const argv = process.argv.slice(2);
  const get = flagReader(argv);
  const models = (get('--models') ?? 'tiny-modernbert,tiny-qwen3').split(',');
  const lengths = (get('--lengths') ?? '512,2048,8192').split(',').map(Number);
  for (const n of lengths) if (!Number.isInteger(n) || n < 8) throw new Error(`--lengths: expected integers >= 8, got ${get('--lengths')}`);
  const timeoutS = Number(get('--timeout') ?? 300);
  const python = get('--python') ?? process.env[BENCH_PYTHON_ENV] ?? DEFAULT_BENCH_PYTHON;
  const hasPy = existsSync(python) && spawnSync(python, ['-c', 'import torch, sentence_transformers'], { timeout: 120_000 }).status === 0;
  const work = mkdtempSync(join(tmpdir(), 'sentence-tfjs-bench-long-'));
  const maxLen = Math.max(...lengths);
  const text = longText(maxLen);
  const rows: Row[] = [];
  const before = loadavg();
  try {
    for (const name of models) {
      const src = existsSync(join(name, 'config.json')) ? resolve(name) : join(FIXTURES, 'models', name);
      const dir = join(work, name.split('/').pop()!);
      cpSync(src, dir, { recursive: true });
      const cfgPath = join(dir, 'config.json');
      // Edit the one key in the text: a JSON round trip would write 2.0 as 2, which transformers 5 rejects for float fields.
      const raw = readFileSync(cfgPath, 'utf8');
      const maxPos = Number((JSON.parse(raw) as Record<string, unknown>)['max_position_embeddings']);
      if (maxPos < maxLen) writeFileSync(cfgPath, raw.replace(/("max_position_embeddings"\s*:\s*)\d+/, `$1${maxLen}`));
      const sb = join(dir, 'sentence_bert_config.json');
      if (existsSync(sb)) writeFileSync(sb, JSON.stringify({ ...JSON.parse(readFileSync(sb, 'utf8')), max_seq_length: maxLen }, null, 2));
      for (const length of lengths) {
        const runs: [string, string, string[]][] = [['sentence-tfjs (wasm)', process.execPath, ['--import', 'tsx', '--input-type=module', '-e', NODE_CHILD, dir, String(length), text]]];
        if (hasPy) runs.push(['PyTorch 2.13, 2 threads', python, ['-c', PY_CHILD, dir, String(length), text]]);
        for (const [runtime, bin, args] of runs) {
          process.stderr.write(`[bench-long] ${name} ${length} ${runtime}\n`);
          const r = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutS * 1000, maxBuffer: 1 << 24 });
          const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
          let result: string;
          if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') result = `did not finish in ${timeoutS} s`;
          else if (r.status !== 0 || !line.startsWith('{')) {
            // The error's own line, not Node's trailing version banner.
            const errLines = (r.stderr ?? '').split('\n').filter((x) => x.length < 300 && /error|abort|out of|bounds/i.test(x));
            result = `failed (exit ${r.status ?? r.signal}): ${(errLines[0] ?? (r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? '').trim().slice(0, 200)}`;
          }
          else {
            const j = JSON.parse(line) as { ms: number; tokens: number; peakRssMB: number; rssLoadedMB: number };
            result = `${j.tokens} tokens · ${(j.ms / 1000).toFixed(1)} s · peak RSS ${j.peakRssMB.toFixed(0)} MB (loaded: ${j.rssLoadedMB.toFixed(0)} MB)`;
          }
          rows.push({ model: name, runtime, length, result });
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const L = [
    `# Long inputs: one text, peak RSS per (model, length, runtime), each in a fresh process`,
    '',
    `${new Date().toISOString()} · load average before ${before.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')} (times under load)`,
    '',
    '| model | length | runtime | result |',
    '| --- | ---: | --- | --- |',
    ...rows.map((r) => `| ${r.model} | ${r.length} | ${r.runtime} | ${r.result} |`),
  ];
  console.log(L.join('\n'));
  const out = get('--out');
  if (out) writeFileSync(out, L.join('\n') + '\n');
}

main();

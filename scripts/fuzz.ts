/**
 * `npm run fuzz`: the seeded mutation fuzzer over the files a hub repository can hold (safetensors, config and
 * module JSON, tokenizer files), mutating the real fixtures. Every input is either accepted (and its invariants
 * checked) or rejected with a named library error; anything else is a finding, printed with its seed, index and
 * mutation. Batches run in child processes (crashes), each input under a time limit (hangs).
 *
 *   npm run fuzz -- [--target safetensors|config|tokenizer|q8|all] [--count N] [--seed S] [--start I]
 *                   [--batch B] [--jobs J] [--timeout MS] [--json out.json] [--quiet]
 *
 * Reproduce a finding: `npm run fuzz -- --target T --seed S --start INDEX --count 1`.
 * Exit status: 1 when there are findings.
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFuzz, type FuzzSummary } from './fuzz/runner.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const num = (name: string, dflt: number): number => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name}: expected a non-negative integer, got ${opt(name)}`);
  return v;
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve(root, '..', 'shared', 'fixtures');
const which = opt('target', 'all')!;
const targets = which === 'all' ? ['safetensors', 'config', 'tokenizer', 'q8'] : which.split(',');
const quiet = args.includes('--quiet');

const summaries: FuzzSummary[] = [];
for (const target of targets) {
  const count = num('count', target === 'safetensors' ? 2000 : 300);
  const seed = num('seed', 1);
  let lastPrint = 0;
  const s = await runFuzz({
    target,
    seed,
    count,
    start: num('start', 0),
    batch: num('batch', target === 'safetensors' ? 2000 : 250),
    timeoutMs: opt('timeout') ? num('timeout', 0) : undefined,
    jobs: num('jobs', 1),
    fixtures,
    onFinding: (f) => console.log(`FINDING ${f.kind} target=${f.target} seed=${f.seed} index=${f.index}\n  mutation: ${f.what}\n  ${f.detail ?? ''}${f.stack ? `\n  at ${f.stack}` : ''}`),
    onProgress: (done, sum) => {
      if (!quiet && Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        console.error(`[${target}] ${done}/${count} ${JSON.stringify(sum.counts)}`);
      }
    },
  });
  summaries.push(s);
  console.log(`${target} seed=${seed} inputs=${count}: ${JSON.stringify(s.counts)} rejected by ${JSON.stringify(s.rejectedBy)} slowest ${s.maxMs.toFixed(0)} ms, time-outs retried alone ${s.retriedTimeouts}, wall ${(s.wallMs / 1000).toFixed(1)} s`);
}
const out = opt('json');
if (out) writeFileSync(out, JSON.stringify(summaries, null, 2));
process.exitCode = summaries.some((s) => s.findings.length) ? 1 : 0;

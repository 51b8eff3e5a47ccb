/**
 * q8 encode CPU time, this tree vs another checkout (e.g. /work/main), in ONE alternating run (issue 17): each slice
 * is a fresh child process per tree (A, B, A, B, ...) that loads minilm-l6-full with `dtype: 'q8'` from that tree's
 * src/, warms up (96 texts: tier-up, the int8 GEMM's calibration), then times `--reps` encodes of the bench's
 * workload (bench/bench-workloads.ts: `sentences` 320 texts, `passages` 64 texts of 150-250 words, truncated to 256
 * tokens) at batch 32, one worker, wasm; CPU seconds per encode (process.cpuUsage), the child's minimum. Prints the
 * medians over the slices, the spread and the per-slice ratio B / A. Children run under this process's Node
 * (run it with `npx -y node@22 --import tsx` or `node@24`).
 *
 *   npx -y node@22 --import tsx scripts/q8-tree-ab.ts --old /work/main [--workload sentences|passages] [--rounds 5] [--reps 2]
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : d;
};
const MODEL = opt('--model', join(import.meta.dirname, '../../shared/fixtures/models/minilm-l6-full'));

if (args[0] === '--child') {
  const [, tree, workload, reps] = args;
  const lib = (await import(join(tree, 'src/index.ts'))) as typeof import('../src/index.js');
  const { makeWorkload } = (await import(join(tree, 'bench/bench-workloads.ts'))) as typeof import('../bench/bench-workloads.js');
  await lib.initBackend('wasm', { fallbackToCpu: false });
  const model = await lib.SentenceTransformer.load(MODEL, { dtype: 'q8' });
  const all = makeWorkload(workload as 'sentences' | 'passages').texts;
  const texts = workload === 'passages' ? all.slice(0, 64) : all.slice(0, 320);
  await model.encode(texts.slice(0, 96), { batchSize: 32 });
  let best = Infinity;
  for (let r = 0; r < Number(reps); r++) {
    const u0 = process.cpuUsage();
    await model.encode(texts, { batchSize: 32 });
    const u = process.cpuUsage(u0);
    best = Math.min(best, (u.user + u.system) / 1e6);
  }
  model.dispose();
  console.log(JSON.stringify({ cpu: best, n: texts.length }));
} else {
  const OLD = resolve(opt('--old', ''));
  if (!opt('--old', '')) throw new Error('q8-tree-ab: --old DIR is required (another checkout of this repository)');
  const NEW = resolve(import.meta.dirname, '..');
  const WORKLOAD = opt('--workload', 'sentences');
  const ROUNDS = Number(opt('--rounds', '5'));
  const REPS = opt('--reps', '2');
  const child = (tree: string): { cpu: number; n: number } => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', tree, WORKLOAD, REPS, '--model', MODEL], { encoding: 'utf8', cwd: tree });
    return JSON.parse(out.trim().split('\n').pop()!) as { cpu: number; n: number };
  };
  const a: number[] = [];
  const b: number[] = [];
  let n = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const x = child(OLD);
    const y = child(NEW);
    a.push(x.cpu);
    b.push(y.cpu);
    n = x.n;
  }
  const median = (v: number[]): number => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
  const ratios = a.map((v, i) => b[i] / v);
  const fmt = (v: number[]): string => `${median(v).toFixed(3)} s [${v.map((t) => t.toFixed(3)).join(', ')}]`;
  console.log(`node ${process.version} (V8 ${process.versions.v8}), q8 minilm-l6-full, ${WORKLOAD} (${n} texts), batch 32, ${ROUNDS} alternating rounds, CPU s per encode (min of ${REPS})`);
  console.log(`A ${OLD}: ${fmt(a)} -> ${(n / median(a)).toFixed(1)} texts per CPU-s`);
  console.log(`B ${NEW}: ${fmt(b)} -> ${(n / median(b)).toFixed(1)} texts per CPU-s`);
  console.log(`B / A CPU time per round: ${ratios.map((v) => v.toFixed(3)).join(', ')} (median ${median(ratios).toFixed(3)})`);
}

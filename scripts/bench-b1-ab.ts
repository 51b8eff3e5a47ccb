/**
 * One-query encodes (batch 1, normalized: the bench's queries:1 cell), this checkout against another one, in one
 * alternating run: `npx tsx scripts/bench-b1-ab.ts --other /work/main [--rounds 8] [--texts 128] [--node 22]`.
 *
 * Each round starts one child per checkout (the order flips each round; `--node 22` runs the children under
 * `npx -y node@22`); a child loads minilm-l6-full on wasm, warms up, then encodes bench's `queries` texts one at a
 * time, and reports the CPU time (process.cpuUsage) and wall time per query, and its embeddings. Prints medians,
 * the spread, the median of the per-round ratios, and whether the two checkouts' embeddings are bit-identical.
 * On a shared machine the ratio (one alternating run) is what means something.
 * The child side: `npx tsx scripts/bench-b1-ab.ts --child OUT.bin [--texts 128]` (run from the checkout measured).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function child(out: string): Promise<void> {
  const fixtures = process.env.SENTENCE_TFJS_FIXTURES ? resolve(process.env.SENTENCE_TFJS_FIXTURES) : resolve('..', 'shared', 'fixtures');
  // Imported from the checkout the child runs in (its cwd), not this file's.
  const cwd = process.cwd();
  const { SentenceTransformer } = (await import(join(cwd, 'src/api/sentence_transformer.ts'))) as typeof import('../src/api/sentence_transformer.js');
  const { makeWorkload } = (await import(join(cwd, 'bench/bench-workloads.ts'))) as typeof import('../bench/bench-workloads.js');
  const { wasmKernelsFlavor } = (await import(join(cwd, 'src/kernels/index.ts'))) as typeof import('../src/kernels/index.js');
  const model = await SentenceTransformer.load(join(fixtures, 'models', 'minilm-l6-full'), { device: 'wasm' });
  const texts = makeWorkload('queries').texts.slice(0, Number(arg('--texts', '128')));
  for (const t of texts.slice(0, 16)) await model.encode([t], { batchSize: 1, normalizeEmbeddings: true });
  const rows: Float32Array[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const t of texts) rows.push((await model.encode([t], { batchSize: 1, normalizeEmbeddings: true }))[0]!);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  const data = new Float32Array(rows.length * rows[0]!.length);
  rows.forEach((r, i) => data.set(r, i * r.length));
  writeFileSync(out, new Uint8Array(data.buffer));
  console.log(JSON.stringify({ cpuUs: (c.user + c.system) / texts.length, wallUs: (1000 * wall) / texts.length, flavor: wasmKernelsFlavor(), node: process.version }));
  model.dispose();
}

function parent(): void {
  const other = resolve(arg('--other', '/work/main'));
  const here = resolve('.');
  const rounds = Number(arg('--rounds', '8'));
  const texts = arg('--texts', '128');
  const node = arg('--node', '');
  const tmp = mkdtempSync(join(tmpdir(), 'b1-ab-'));
  const script = resolve(import.meta.dirname, 'bench-b1-ab.ts');
  const runs: [string, string][] = [['other', other], ['this', here]];
  const res = new Map<string, { cpu: number[]; wall: number[]; bytes?: Buffer; info?: string }>(runs.map(([n]) => [n, { cpu: [], wall: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, dir] of r % 2 ? runs.slice().reverse() : runs) {
      const out = join(tmp, `${name}.bin`);
      const cmd = node ? 'npx' : 'node';
      const args = [...(node ? ['-y', `node@${node}`] : []), '--import', 'tsx', script, '--child', out, '--texts', texts];
      const line = execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, SENTENCE_TFJS_FIXTURES: process.env.SENTENCE_TFJS_FIXTURES ?? resolve('..', 'shared', 'fixtures') } }).trim().split('\n').pop()!;
      const j = JSON.parse(line) as { cpuUs: number; wallUs: number; flavor: string; node: string };
      const e = res.get(name)!;
      e.cpu.push(j.cpuUs);
      e.wall.push(j.wallUs);
      e.info = `${j.node}, ${j.flavor} kernels`;
      const bytes = readFileSync(out);
      if (e.bytes && !e.bytes.equals(bytes)) throw new Error(`${name}: embeddings differ between rounds`);
      e.bytes = bytes;
    }
  }
  const o = res.get('other')!;
  const t = res.get('this')!;
  console.log(`# one-query encodes (batch 1, normalized), ${texts} queries per child, ${rounds} alternating rounds; ${t.info}; under load\n`);
  console.log('| checkout | CPU µs / query, median (min-max) | wall µs / query, median (min-max) |\n| --- | ---: | ---: |');
  const show = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`; // spread-ok: rounds
  console.log(`| ${other} | ${show(o.cpu)} | ${show(o.wall)} |`);
  console.log(`| ${here} | ${show(t.cpu)} | ${show(t.wall)} |`);
  const ratio = (k: 'cpu' | 'wall') => o[k].map((x, i) => x / t[k][i]!);
  console.log(`\nother / this, median of per-round ratios: CPU ${median(ratio('cpu')).toFixed(3)} (${ratio('cpu').map((x) => x.toFixed(2)).join(', ')}); wall ${median(ratio('wall')).toFixed(3)}`);
  console.log(`embeddings bit-identical: ${o.bytes!.equals(t.bytes!)}`);
}

if (process.argv.includes('--child')) {
  child(arg('--child', '')).catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  });
} else {
  parent();
}

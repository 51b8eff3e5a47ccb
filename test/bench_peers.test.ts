/**
 * The benchmark peers (onnxruntime-node, @huggingface/transformers, @huggingface/tokenizers) are not part of the
 * project's install: they live in bench/package.json with their own lockfile, so their install scripts (which
 * download binaries) cannot break `npm ci`. A bench run without them says, in one line, how to get them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';
import { agreement, agreementBar, agrees, cellSlices, defaultCells, FP32_BAR, parseBenchArgs, POOL_WORKERS, ratioText, roster, rotation, sliceReport, throughput } from '../bench/bench-plan.js';
import { makeWorkload } from '../bench/bench-workloads.js';
import { q8Unavailable } from '../bench/bench-ours.js';

const PEERS = ['onnxruntime-node', '@huggingface/transformers', '@huggingface/tokenizers'];

function pkg(path: string): Record<string, Record<string, string> | undefined> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, path), 'utf8')) as Record<string, Record<string, string> | undefined>;
}

/** Run a bench script with the peers hidden from the resolver (test/helpers/hide_packages.mjs). */
function benchWithoutPeers(script: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/hide_packages.mjs', script, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HIDE_PACKAGES: PEERS.join(',') },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('bench peers: out of the default install, named when missing', function () {
  this.timeout(120_000);

  it('the project installs none of them; bench/package.json and its lockfile hold them', () => {
    const root = pkg('package.json');
    const lock = pkg('package-lock.json') as unknown as { packages: Record<string, unknown> };
    for (const p of PEERS) {
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
        assert.equal(root[field]?.[p], undefined, `${p} in the project's ${field}`);
      }
      assert.equal(lock.packages[`node_modules/${p}`], undefined, `${p} in the project's package-lock.json`);
      assert.ok(pkg('bench/package.json')['dependencies']?.[p], `${p} in bench/package.json`);
    }
    const benchLock = pkg('bench/package-lock.json') as unknown as { packages: Record<string, unknown> };
    for (const p of PEERS) assert.ok(benchLock.packages[`node_modules/${p}`], `${p} in bench/package-lock.json`);
    assert.match(root['scripts']?.['bench:install'] ?? '', /npm ci --prefix bench/);
  });

  it('`npm run bench` without them exits 2 with one line saying how to install them', function () {
    if (!requireFixtures(this, ['models', 'minilm-l6-full'])) return;
    const r = benchWithoutPeers('bench/bench.ts', ['--quick']);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^bench: missing @huggingface\/transformers, onnxruntime-node: install the benchmark peers with `npm run bench:install`/);
  });

  it('`npm run bench:tokenizer` without @huggingface/tokenizers says the same', () => {
    const r = benchWithoutPeers('bench/bench-tokenizer.ts', []);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^bench: missing @huggingface\/tokenizers: install the benchmark peers with `npm run bench:install`/);
  });
});

/**
 * The bench's own logic, without timing anything: argument parsing, which runtime runs under which Node version,
 * the round-robin schedule (every runtime gets the same length-sorted batches, each exactly once), the agreement
 * statistics that gate a speed, and the ratio text.
 */
describe('bench logic (no timing)', () => {
  it('parses --node, --models, --runtimes, --cells and --reps, with the documented defaults', () => {
    const d = parseBenchArgs([]);
    assert.deepEqual(d.nodeVersions, ['current']);
    assert.deepEqual(d.models, ['minilm-l6-full']);
    assert.equal(d.runtimes, undefined);
    assert.equal(d.cells, undefined);
    assert.equal(d.reps, 4);
    assert.equal(d.python, '/work/venv/bin/python');
    assert.equal(d.ceiling, true);
    const a = parseBenchArgs(['--node', '20,22,24', '--models', 'tiny-qwen3,random-splade', '--runtimes', 'ours,torch1', '--cells', 'sentences:32,queries:1:50', '--reps', '3', '--no-ceiling', '--q8-onnx', '/x/q.onnx']);
    assert.deepEqual(a.nodeVersions, ['20', '22', '24']);
    assert.deepEqual(a.models, ['tiny-qwen3', 'random-splade']);
    assert.deepEqual(a.runtimes, ['ours', 'torch1']);
    assert.deepEqual(a.cells, [
      { workload: 'sentences', batchSize: 32, texts: 640 },
      { workload: 'queries', batchSize: 1, texts: 50 },
    ]);
    assert.equal(a.reps, 3);
    assert.equal(a.ceiling, false);
    assert.equal(a.q8Onnx, '/x/q.onnx');
  });

  it('takes the Python and the q8 ONNX from the environment when no flag names them; a flag wins', () => {
    const env = { SENTENCE_TFJS_BENCH_PYTHON: '/opt/py', SENTENCE_TFJS_BENCH_Q8_ONNX: '/q8.onnx' };
    assert.equal(parseBenchArgs([], env).python, '/opt/py');
    assert.equal(parseBenchArgs([], env).q8Onnx, '/q8.onnx');
    assert.equal(parseBenchArgs(['--python', '/usr/bin/python3'], env).python, '/usr/bin/python3');
  });

  it('rejects bad flags naming the flag, what was expected and what was got', () => {
    assert.throws(() => parseBenchArgs(['--nodes', '22']), /unknown flag --nodes; expected one of/);
    assert.throws(() => parseBenchArgs(['--node', 'v22']), /--node: expected Node major versions .* got "v22"/);
    assert.throws(() => parseBenchArgs(['--node', '22,22']), /--node: expected distinct versions/);
    assert.throws(() => parseBenchArgs(['--runtimes', 'ours,pytorch']), /--runtimes: expected some of .* got "pytorch"/);
    assert.throws(() => parseBenchArgs(['--cells', 'docs:32']), /--cells: expected workload:batch\[:texts\] .* got "docs:32"/);
    assert.throws(() => parseBenchArgs(['--cells', 'sentences:0']), /--cells: expected a positive integer batch size/);
    assert.throws(() => parseBenchArgs(['--reps', '0']), /--reps: expected a positive integer, got 0/);
    assert.throws(() => parseBenchArgs(['--node']), /--node: expected a value, got nothing/);
  });

  it('runs every Node-side runtime under every --node version and the PyTorch runtimes once', () => {
    const r = roster(['ours', 'tjs', 'torch1', 'torch2'], ['20', '22']);
    assert.deepEqual(
      r.map((s) => s.id),
      ['ours@node20', 'tjs@node20', 'ours@node22', 'tjs@node22', 'torch1', 'torch2'],
    );
    assert.equal(r[2]!.node, '22');
    assert.equal(r[4]!.node, undefined);
    assert.deepEqual(roster(['ours'], ['current']).map((s) => s.id), ['ours']);
  });

  it('deals the length-sorted batches into slices: each batch exactly once, every slice spanning the length range', () => {
    const texts = Array.from({ length: 100 }, (_, i) => 'w '.repeat(1 + ((i * 37) % 100)).trim());
    const slices = cellSlices(texts, 8, 4);
    assert.equal(slices.length, 4);
    const all = slices.flat();
    assert.equal(all.length, 13); // ceil(100 / 8)
    assert.deepEqual([...all.flat()].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
    // Every batch is a run of the longest-first order: its texts are no longer than any text of an earlier batch.
    const sorted = [...all].sort((x, y) => texts[y[0]!]!.length - texts[x[0]!]!.length);
    for (let k = 1; k < sorted.length; k++) assert.ok(Math.min(...sorted[k - 1]!.map((i) => texts[i]!.length)) >= Math.max(...sorted[k]!.map((i) => texts[i]!.length)));
    // The first slice holds the longest batch and one from the shorter half (bit-reversed order: 0, 8, 4, 12, ...).
    const lens = (b: number[]) => Math.max(...b.map((i) => texts[i]!.length));
    assert.ok(Math.max(...slices[0]!.map(lens)) > 150 && Math.min(...slices[0]!.map(lens)) < 100);
    // The same call gives the same slices (every runtime gets these).
    assert.deepEqual(cellSlices(texts, 8, 4), slices);
    // More slices than batches: one batch per slice.
    assert.equal(cellSlices(texts.slice(0, 10), 8, 4).length, 2);
  });

  it('gives every slice of every default cell at least one batch per pool worker (passages: 2 per slice)', () => {
    for (const quick of [false, true]) {
      const reps = parseBenchArgs(quick ? ['--quick'] : []).reps;
      const cells = defaultCells(quick, false);
      // the other cells keep their sizes; passages hold batch x workers x repetitions texts
      assert.deepEqual(
        cells.map((c) => `${c.workload}:${c.batchSize}:${c.texts}`),
        quick ? ['sentences:32:320', 'queries:1:64', 'queries:32:256', 'passages:32:128'] : ['sentences:32:640', 'queries:1:128', 'queries:32:512', 'passages:32:256'],
      );
      for (const c of cells) {
        const texts = makeWorkload(c.workload).texts.slice(0, c.texts);
        const r = sliceReport(cellSlices(texts, c.batchSize, reps));
        assert.equal(r.warning, undefined, `${c.workload}:${c.batchSize} quick=${quick}: ${r.perSlice.join('/')}`);
        assert.ok(Math.min(...r.perSlice) >= POOL_WORKERS); // spread-ok: a few slices
      }
      const passages = cells.find((c) => c.workload === 'passages')!;
      assert.ok(makeWorkload('passages').texts.length >= passages.texts, 'the passages workload holds the cell');
      assert.deepEqual(sliceReport(cellSlices(makeWorkload('passages').texts.slice(0, passages.texts), 32, reps)).perSlice, new Array<number>(reps).fill(2));
    }
  });

  it("flags a cell whose slices hold fewer batches than the pool's workers (96 passages in 4 slices)", () => {
    const r = sliceReport(cellSlices(makeWorkload('passages').texts.slice(0, 96), 32, 4));
    assert.deepEqual(r.perSlice, [1, 1, 1]);
    assert.match(r.warning ?? '', /fewer batches than the pool's 2 workers/);
  });

  it('rotates the runtime order by one each repetition', () => {
    assert.deepEqual(rotation(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
    assert.deepEqual(rotation(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
    assert.deepEqual(rotation(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
    assert.deepEqual(rotation([], 3), []);
  });

  it('agreement: min and mean cosine and max abs diff over the texts both have, minus the skipped ones', () => {
    const A = new Map<number, Float32Array>([
      [0, Float32Array.of(1, 0)],
      [1, Float32Array.of(0, 1)],
      [2, Float32Array.of(1, 1)],
      [3, Float32Array.of(1, 0)],
    ]);
    const B = new Map<number, Float32Array>([
      [0, Float32Array.of(1, 0)],
      [1, Float32Array.of(0.6, 0.8)], // cosine 0.8 with (0, 1)
      [2, Float32Array.of(-1, -1)], // cosine -1, but skipped
      [9, Float32Array.of(1, 0)], // not in A
    ]);
    const a = agreement(A, B, (i) => i === 2);
    assert.equal(a.compared, 2);
    assert.equal(a.excluded, 1);
    assert.ok(Math.abs(a.minCos - 0.8) < 1e-6, String(a.minCos));
    assert.ok(Math.abs(a.meanCos - 0.9) < 1e-6, String(a.meanCos));
    assert.ok(Math.abs(a.maxAbsDiff - 0.6) < 1e-6, String(a.maxAbsDiff));
    assert.equal(agrees(a, FP32_BAR), false);
    assert.equal(agrees(agreement(A, A), FP32_BAR), true);
    assert.equal(agrees(agreement(A, new Map()), FP32_BAR), false, 'nothing compared: no speed quoted');
    assert.throws(() => agreement(A, new Map([[0, Float32Array.of(1, 0, 0)]])), /text 0 has 2 dimensions in the reference and 3 in the runtime/);
  });

  it('holds fp32 runtimes to 0.9999 and q8 runtimes to 0.99 against fp32', () => {
    assert.equal(agreementBar('ours'), 0.9999);
    assert.equal(agreementBar('torch2'), 0.9999);
    assert.equal(agreementBar('ours-pool-q8'), 0.99);
    assert.equal(agreementBar('tjs-q8'), 0.99);
  });

  it('ratio text: vs transformers.js fp32; a q8 runtime says its fp32 ratio is a cross comparison and adds its ratio to q8', () => {
    assert.equal(throughput(640, 4000), 160);
    assert.ok(Number.isNaN(throughput(1, 0)));
    assert.equal(ratioText('tjs', 200, 200, undefined, true), '1');
    assert.equal(ratioText('tjs', 180, 200, undefined), '0.90×');
    assert.equal(ratioText('ours-pool', 120, 240, 400), '0.50×');
    assert.equal(ratioText('ours-pool-q8', 300, 240, 400), '1.25× (cross: q8 vs fp32); 0.75× vs q8');
    assert.equal(ratioText('tjs-q8', 400, 240, 400), '1.67× (cross: q8 vs fp32)');
    assert.equal(ratioText('torch2', 391.4, 240, undefined), '1.63×');
    assert.equal(ratioText('ours', 100, undefined, undefined), '', 'no transformers.js row: no ratio');
  });
});

describe('bench q8 detection (no timing)', () => {
  it('a load that accepts an unknown dtype means the option is not implemented: the q8 row is skipped, never fp32 labelled q8', async () => {
    const seen: unknown[] = [];
    const accepts = async (opts: Record<string, unknown>) => (seen.push(opts['dtype']), { dispose: () => undefined });
    assert.match((await q8Unavailable('m', accepts))!, /^skipped: q8 not available \(load accepted dtype 'no-such-dtype'/);
    assert.deepEqual(seen, ['no-such-dtype']);
    const rejectsDtype = async () => {
      throw new Error("dtype: expected 'fp32' or 'q8', got 'no-such-dtype'");
    };
    assert.equal(await q8Unavailable('m', rejectsDtype), undefined);
    const otherError = async () => {
      throw new Error('no model.safetensors');
    };
    assert.equal(await q8Unavailable('m', otherError), 'skipped: q8 not available (no model.safetensors)');
  });
});

/**
 * The seed's batch job through the CLI's streaming path: write N texts `"Document {i}"` (default 1,000,000) to a
 * file, run `sentence-tfjs encode FILE -o out.npy` as a child process, and report its wall time, texts/s and peak
 * RSS (the child's VmHWM from /proc, Linux), then check the output's shape and the first rows against
 * `SentenceTransformer.encode` in this process.
 *
 *   npx tsx scripts/encode-million.ts [--model DIR] [--n 1000000] [--batch-size 32] [--chunk-size 10000]
 *                                     [--device wasm|cpu] [--format npy|safetensors|jsonl] [--keep]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(ROOT, '..', 'shared', 'fixtures', 'models', 'tiny-bert') },
    n: { type: 'string', default: '1000000' },
    'batch-size': { type: 'string', default: '32' },
    'chunk-size': { type: 'string', default: '10000' },
    device: { type: 'string', default: 'wasm' },
    format: { type: 'string', default: 'npy' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.n);
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

const dir = mkdtempSync(join(tmpdir(), 'encode-million-'));
const input = join(dir, 'documents.txt');
const output = join(dir, `embeddings.${values.format}`);

// the seed's texts, written in pieces (the generator holds no array of N texts)
await new Promise<void>((res, rej) => {
  const out = createWriteStream(input);
  out.on('error', rej);
  let i = 0;
  const pump = () => {
    while (i < N) {
      let piece = '';
      for (let k = 0; k < 10_000 && i < N; k++, i++) piece += `Document ${i}\n`;
      if (!out.write(piece)) return void out.once('drain', pump);
    }
    out.end(res);
  };
  pump();
});
console.log(`${N} texts "Document {i}" in ${input} (${mib(statSync(input).size)} MiB)`);

/** VmHWM (peak resident set) of a process in bytes, or undefined off Linux / after it ended. */
async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

const args = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'encode', '-m', values.model!, input, '-o', output,
  '--batch-size', values['batch-size']!, '--chunk-size', values['chunk-size']!, '--device', values.device!];
console.log(`$ sentence-tfjs ${args.slice(3).join(' ')}`);
const t0 = performance.now();
const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
let peak = 0;
let lastLog = t0;
const timer = setInterval(async () => {
  const p = await peakRss(child.pid!);
  if (p !== undefined) peak = Math.max(peak, p);
  const now = performance.now();
  if (now - lastLog > 30_000) {
    lastLog = now;
    console.log(`  ${((now - t0) / 1000).toFixed(0)} s: peak rss so far ${mib(peak)} MiB`);
  }
}, 100);
const code = await new Promise<number | null>((res) => child.on('close', res));
clearInterval(timer);
const seconds = (performance.now() - t0) / 1000;
if (code !== 0) {
  console.error(stderr);
  throw new Error(`the CLI exited with ${code}`);
}
console.log(stderr.trim());
console.log(`encoded ${N} texts in ${seconds.toFixed(1)} s: ${(N / seconds).toFixed(0)} texts/s (process start and model load included)`);
console.log(`peak RSS of the CLI process: ${peak ? `${mib(peak)} MiB` : 'unknown (no /proc)'}; output ${mib(statSync(output).size)} MiB`);

if (values.format === 'npy') {
  // check: the header's shape, and the first and last rows against encode() here (bit for bit)
  const fh = await open(output, 'r');
  const head = new Uint8Array(4096);
  await fh.read(head, 0, head.length, 0);
  const headerLen = new DataView(head.buffer).getUint16(8, true) + 10;
  const dims = /'shape': \((\d+), (\d+)\)/.exec(new TextDecoder('latin1').decode(head.subarray(10, headerLen)))!;
  const shape = [Number(dims[1]), Number(dims[2])];
  const dim = shape[1];
  const rowBytes = dim * 4;
  const row = async (i: number) => {
    const buf = new Uint8Array(rowBytes);
    await fh.read(buf, 0, rowBytes, headerLen + i * rowBytes);
    return new Float32Array(buf.buffer);
  };
  const model = await SentenceTransformer.load(values.model!, { device: values.device as 'wasm' | 'cpu' });
  const probe = [0, 1, 2, N - 3, N - 2, N - 1].filter((i) => i >= 0 && i < N);
  const want = await model.encode(probe.map((i) => `Document ${i}`), { batchSize: Number(values['batch-size']) });
  let same = true;
  for (let k = 0; k < probe.length; k++) {
    const got = await row(probe[k]);
    same &&= got.every((v, j) => Object.is(v, want[k][j]));
  }
  await fh.close();
  model.dispose();
  console.log(`output shape (${shape.join(', ')}); rows ${probe.join(', ')} ${same ? 'equal' : 'DIFFER from'} encode() in this process bit for bit`);
  if (shape[0] !== N || !same) process.exitCode = 1;
}
if (values.keep) console.log(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });

/**
 * The CLI at the seed's scale (issue 13, items 6-9): `encode` streams (texts read, encoded and written a chunk at a
 * time, the rows bit for bit those of `model.encode(all)`), the streaming .npy / safetensors writer, `similarity`
 * on 1000 sentences, positional texts that name files, tfjs' banner, negative option values and the texts
 * progress line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { attachNegativeValues, intOpt, parseCommandLine, UsageError } from '../src/cli/args.js';
import { encodeStream } from '../src/cli/commands/encode.js';
import { LineSplitter, matrixText, splitLines } from '../src/cli/formats.js';
import { chunked } from '../src/cli/input.js';
import { formatTextsProgress } from '../src/cli/progress.js';
import { serializeEmbeddings, serializeNpy, EmbeddingsStreamWriter, type ByteSink, type DenseMatrix } from '../src/util/storage.js';
import { SafetensorsFile } from '../src/formats/safetensors.js';
import { CLI_MAIN, lines, parseNpy, runCli } from './helpers/cli.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

/** A growing in-memory file for the streaming writer. */
class MemorySink implements ByteSink {
  bytes = new Uint8Array(0);
  async write(data: Uint8Array, position: number): Promise<void> {
    if (position + data.length > this.bytes.length) {
      const grown = new Uint8Array(position + data.length);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(data, position);
  }
}

const bitsEqual = (a: Float32Array | Int8Array | Uint8Array, b: Float32Array | Int8Array | Uint8Array) =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** One row-major matrix of a list of rows. */
function concat<T extends Float32Array | Int8Array | Uint8Array>(rows: T[], make: (n: number) => T): T {
  const out = make(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r as never, at);
    at += r.length;
  }
  return out;
}

describe('cli streaming and scale', function () {
  this.timeout(180000);

  describe('streaming embeddings writer (util/storage.ts)', () => {
    const m = (rows: number, cols: number, start: number): DenseMatrix => ({ rows, cols, data: Float32Array.from({ length: rows * cols }, (_, i) => start + i * 0.25) });

    it('.npy in blocks holds the same rows as serializeNpy of the whole, with the final row count in the header', async () => {
      const sink = new MemorySink();
      const w = new EmbeddingsStreamWriter(sink, 'npy');
      const blocks = [m(3, 4, 0), m(1, 4, 100), m(5, 4, 200)];
      for (const b of blocks) await w.append(b);
      assert.deepEqual(await w.finish(), { rows: 9, cols: 4, dtype: 'F32' });
      const got = parseNpy(sink.bytes);
      const whole = parseNpy(serializeNpy({ rows: 9, cols: 4, data: concat(blocks.map((b) => b.data as Float32Array), (n) => new Float32Array(n)) }));
      assert.deepEqual(got.shape, [9, 4]);
      assert.equal(got.descr, '<f4');
      assert.equal(got.dataOffset % 64, 0, 'data aligned to 64 bytes');
      assert.ok(bitsEqual(got.data, whole.data));
      assert.equal(sink.bytes.length, got.dataOffset + 9 * 4 * 4, 'nothing after the data');
    });

    it('.safetensors in blocks is a valid file: JSON header, contiguous offsets, data to the end, metadata kept', async () => {
      const sink = new MemorySink();
      const w = new EmbeddingsStreamWriter(sink, 'safetensors', { model: 'tiny', precision: 'int8' });
      const block = (rows: number, v: number): DenseMatrix => ({ rows, cols: 3, data: Int8Array.from({ length: rows * 3 }, (_, i) => (v + i) % 128) });
      const blocks = [block(2, 1), block(4, 50)];
      for (const b of blocks) await w.append(b);
      await w.finish();
      const bytes = sink.bytes;
      const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal(hlen % 8, 0);
      const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + hlen)).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
      assert.deepEqual(header.embeddings, { dtype: 'I8', shape: [6, 3], data_offsets: [0, 18] });
      assert.deepEqual(header.__metadata__, { model: 'tiny', precision: 'int8' });
      assert.equal(bytes.length, 8 + hlen + 18, 'the data runs exactly to the end of the file (as safetensors checks)');
      const st = SafetensorsFile.parse(bytes, 'stream.safetensors');
      const all = concat(blocks.map((b) => b.data as Int8Array), (n) => new Int8Array(n));
      assert.ok(bitsEqual(st.typed('embeddings') as Int8Array, all));
      // the whole-matrix writer gives the same tensor and metadata
      const whole = SafetensorsFile.parse(serializeEmbeddings({ embeddings: { rows: 6, cols: 3, data: all }, metadata: { model: 'tiny', precision: 'int8' } }));
      assert.deepEqual(whole.metadata, st.metadata);
    });

    it('with no rows the file is [0, cols]; blocks of another width are refused', async () => {
      const sink = new MemorySink();
      const w = new EmbeddingsStreamWriter(sink, 'npy');
      assert.deepEqual(await w.finish({ cols: 384 }), { rows: 0, cols: 384, dtype: 'F32' });
      assert.deepEqual(parseNpy(sink.bytes).shape, [0, 384]);
      const w2 = new EmbeddingsStreamWriter(new MemorySink(), 'safetensors');
      await w2.append(m(1, 4, 0));
      await assert.rejects(w2.append(m(1, 5, 0)), /expected blocks of \[n, 4\] F32, got \[1, 5\] F32/);
    });
  });

  describe('input in pieces', () => {
    it('LineSplitter gives the lines of splitLines for every way of cutting the text', () => {
      const texts = ['a\nb\n', 'a\r\n\r\n  b  \r\n', '\ufeffx\ny', '', '\n', 'one', 'x\r', 'é\u2028ü\n\nlast', '\ufeff'];
      for (const text of texts) {
        for (let cut1 = 0; cut1 <= text.length; cut1++) {
          for (let cut2 = cut1; cut2 <= text.length; cut2++) {
            const s = new LineSplitter();
            const got = [...s.push(text.slice(0, cut1)), ...s.push(text.slice(cut1, cut2)), ...s.push(text.slice(cut2)), ...s.end()];
            assert.deepEqual(got, splitLines(text), `${JSON.stringify(text)} cut at ${cut1}, ${cut2}`);
          }
        }
      }
    });
  });

  describe('options and messages', () => {
    const table = { 'batch-size': { type: 'string' as const, help: '' }, 'top-k': { type: 'string' as const, short: 'k', help: '' }, text: { type: 'string' as const, multiple: true, help: '' }, quiet: { type: 'boolean' as const, short: 'q', help: '' } };

    it('a negative number after a string option is its value, so the option check names it (not "ambiguous")', () => {
      assert.deepEqual(attachNegativeValues(['--batch-size', '-1', '-k', '-3', '-q', '--', '--top-k', '-2'], table), ['--batch-size=-1', '--top-k=-3', '-q', '--', '--top-k', '-2']);
      const p = parseCommandLine('encode', ['--batch-size', '-1', '--text', '-5.5'], table, true);
      assert.deepEqual(p.values.text, ['-5.5']);
      assert.throws(() => intOpt(p, 'batch-size', 'encode'), (e: unknown) => e instanceof UsageError && e.message === "--batch-size: expected a positive integer, got '-1'");
    });

    it('the progress line counts texts and shows texts/s and the ETA (or the time spent when the total is unknown)', () => {
      const line = formatTextsProgress({ label: 'Encoding', done: 25_000, total: 100_000, elapsedSeconds: 10, barWidth: 8 });
      assert.equal(line, 'Encoding |\u2588\u2588\u2591\u2591\u2591\u2591\u2591\u2591| 25000/100000 texts 25% | 2500 texts/s | ETA 30s');
      assert.equal(formatTextsProgress({ label: 'Encoding', done: 1_000_000, total: 1_000_000, elapsedSeconds: 400 }).endsWith('| 2500 texts/s | ETA 0s'), true);
      assert.equal(formatTextsProgress({ label: 'Encoding', done: 300, elapsedSeconds: 125 }), 'Encoding 300 texts | 2.4 texts/s | 2m 05s');
      assert.doesNotMatch(line, /Batches/);
    });

    it('a text matrix of 1000 x 1000 values prints (no spread of a million cells)', () => {
      const rows = Array.from({ length: 1000 }, (_, i) => Float32Array.from({ length: 1000 }, (_, j) => (i === j ? 1 : -0.5)));
      const text = matrixText(rows, 4);
      assert.equal(lines(text).length, 1000);
      assert.equal(lines(text)[0].split(/\s+/).filter(Boolean).length, 1000);
      assert.ok(lines(text)[0].startsWith(' 1.0000  -0.5000'), 'padded to the widest cell');
    });
  });

  describe('on tiny-bert', () => {
    let modelDir: string;
    let model: SentenceTransformer;
    let tmp: string;
    let texts: string[];
    let inputFile: string;

    before(async function () {
      if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
      modelDir = fixture('models', 'tiny-bert');
      model = await SentenceTransformer.load(modelDir);
      tmp = mkdtempSync(join(tmpdir(), 'stfjs-stream-'));
      // 3000 lines: the seed's texts, with empty, blank, long and non-ASCII lines among them
      texts = Array.from({ length: 3000 }, (_, i) =>
        i % 97 === 0 ? '' : i % 89 === 0 ? '   ' : i % 83 === 0 ? `Document ${i} ${'long words here '.repeat(20)}` : i % 79 === 0 ? `Dokument ${i} über Café` : `Document ${i}`);
      inputFile = join(tmp, 'texts.txt');
      writeFileSync(inputFile, texts.join('\n') + '\n');
    });
    after(() => {
      model?.dispose();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('encode in chunks of 700 writes .npy rows equal to model.encode(all) bit for bit, in input order', async () => {
      const out = join(tmp, 'stream.npy');
      const r = await runCli(['encode', '-m', modelDir, inputFile, '-o', out, '--chunk-size', '700']);
      assert.equal(r.code, 0, r.stderr);
      const npy = parseNpy(readFileSync(out));
      assert.deepEqual(npy.shape, [3000, 32]);
      const want = concat(await model.encode(texts), (n) => new Float32Array(n));
      assert.ok(bitsEqual(npy.data, want), 'streamed rows differ from encode(all)');
      assert.match(r.stderr, /wrote 3000 embeddings \[3000, 32\] float32 to .*stream\.npy/);
    });

    it('encode --normalize to .safetensors and --precision int8 over several chunks equal encode(all) bit for bit (int8 ranges from all texts)', async () => {
      const f32 = join(tmp, 'stream.safetensors');
      let r = await runCli(['encode', '-m', modelDir, inputFile, '-o', f32, '--chunk-size', '1000', '--normalize', '-q']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const st = SafetensorsFile.parse(readFileSync(f32), f32);
      assert.deepEqual([...st.info('embeddings').shape], [3000, 32]);
      assert.ok(bitsEqual(st.float32('embeddings'), concat(await model.encode(texts, { normalizeEmbeddings: true }), (n) => new Float32Array(n))));
      assert.equal(st.metadata?.normalized, 'true');

      const i8 = join(tmp, 'stream-int8.npy');
      r = await runCli(['encode', '-m', modelDir, inputFile, '-o', i8, '--chunk-size', '1000', '--precision', 'int8']);
      assert.equal(r.code, 0, r.stderr);
      const q = parseNpy(readFileSync(i8));
      assert.equal(q.descr, '|i1');
      const wantQ = concat((await model.encode(texts, { precision: 'int8' })) as Int8Array[], (n) => new Int8Array(n));
      assert.ok(bitsEqual(q.data, wantQ), 'int8 rows differ from encode(all, int8)');

      const bin = join(tmp, 'stream-ubinary.npy');
      r = await runCli(['encode', '-m', modelDir, inputFile, '-o', bin, '--chunk-size', '1000', '--precision', 'ubinary']);
      assert.equal(r.code, 0, r.stderr);
      const wantB = concat((await model.encode(texts, { precision: 'ubinary' })) as Uint8Array[], (n) => new Uint8Array(n));
      assert.ok(bitsEqual(parseNpy(readFileSync(bin)).data, wantB));
    });

    it('encode from stdin in chunks writes JSON Lines with running indices and the texts in input order', async () => {
      const some = texts.slice(0, 250);
      const r = await runCli(['encode', '-m', modelDir, '--chunk-size', '64'], { input: some.join('\n') + '\n' });
      assert.equal(r.code, 0, r.stderr);
      const rows = lines(r.stdout).map((l) => JSON.parse(l) as { index: number; text: string; embedding: number[] });
      assert.deepEqual(rows.map((x) => x.index), some.map((_, i) => i));
      assert.deepEqual(rows.map((x) => x.text), some);
      const want = await model.encode(some);
      assert.ok(rows.every((x, i) => bitsEqual(Float32Array.from(x.embedding), want[i])));
    });

    it('encode holds one chunk at a time: reading runs at most one chunk ahead of writing, and each write is one chunk', async () => {
      const chunkSize = 5000;
      const total = 60_000;
      let produced = 0;
      async function* source() {
        for (let i = 0; i < total; i++) {
          produced++;
          yield `Document ${i}`;
        }
      }
      const chunks = chunked(source(), chunkSize);
      const first = await chunks.next();
      let written = 0;
      let maxAhead = 0;
      let maxBlock = 0;
      const sink = {
        write: async (block: DenseMatrix, blockTexts: readonly string[], firstIndex: number) => {
          assert.equal(firstIndex, written);
          assert.equal(blockTexts[0], `Document ${written}`);
          written += block.rows;
          maxBlock = Math.max(maxBlock, block.rows);
          maxAhead = Math.max(maxAhead, produced - written);
        },
        finish: async () => ({ rows: written, cols: 32, dtype: 'F32' }),
        close: async () => undefined,
      };
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      await encodeStream(model, chunks, first, sink, { batchSize: 64 }, () => {
        peak = Math.max(peak, process.memoryUsage().rss);
      });
      assert.equal(written, total);
      assert.equal(maxBlock, chunkSize);
      assert.ok(maxAhead <= 2 * chunkSize, `the reader ran ${maxAhead} texts ahead of the writer`);
      // a coarse guard (the structural checks above are the real bound): no runaway growth while streaming
      assert.ok(peak - rss0 < 200 * 2 ** 20, `rss grew by ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`);
    });

    it('similarity prints the text matrix of 1000 sentences (it crashed at 400)', async () => {
      const file = join(tmp, 'sentences.txt');
      writeFileSync(file, texts.slice(0, 1000).map((t, i) => t || `blank ${i}`).join('\n'));
      const r = await runCli(['similarity', '-m', modelDir, '--file', file]);
      assert.equal(r.code, 0, r.stderr);
      const rows = lines(r.stdout);
      assert.equal(rows.length, 1000);
      assert.equal(rows[0].trim().split(/\s+/).length, 1000);
      assert.equal(rows[5].trim().split(/\s+/)[5], '1.0000');
    });

    it('a positional text that names a file is warned about (it stays a literal text); -q keeps stderr empty', async () => {
      const docs = join(tmp, 'docs.txt');
      writeFileSync(docs, 'Paris\nBerlin\n');
      let r = await runCli(['similarity', '-m', modelDir, docs, 'another sentence']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`warning: the sentence '${docs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' names an existing file but is used as literal text; to read the file's lines, pass --file `));
      assert.equal(lines(r.stdout).length, 2, 'two sentences: the path and the other text');
      r = await runCli(['similarity', '-m', modelDir, docs, 'another sentence', '-q']);
      assert.equal(r.stderr, '');
    });

    it('rank --query ... docs.txt (the README\'s old form) warns that docs.txt is a literal document; --documents reads it', async function () {
      if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'])) return;
      const ce = fixture('models', 'tiny-bert-cross-encoder');
      const docs = join(tmp, 'docs.txt');
      writeFileSync(docs, 'Paris is the capital of France.\nBerlin is in Germany.\n');
      let r = await runCli(['rank', '-m', ce, '--query', 'capital of France', docs, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: the document '.*docs\.txt' names an existing file but is used as literal text; to read the file's lines, pass --documents /);
      assert.deepEqual((JSON.parse(r.stdout) as { results: { text: string }[] }).results.map((x) => x.text), [docs]);
      r = await runCli(['rank', '-m', ce, '--query', 'capital of France', '--documents', docs, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal((JSON.parse(r.stdout) as { results: unknown[] }).results.length, 2);
    });

    it("tfjs' Node.js banner is not printed on --device cpu (nor with -q); --verbose lets tfjs' notes through", async () => {
      const banner = /Hi, looks like you are running TensorFlow\.js in Node\.js/;
      for (const extra of [[], ['-q']]) {
        const r = await runCli(['encode', '-m', modelDir, '--device', 'cpu', '-t', 'hello', ...extra]);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, banner);
        assert.equal(r.stderr, '');
      }
      const v = await runCli(['encode', '-m', modelDir, '--device', 'cpu', '-t', 'hello', '--verbose']);
      assert.match(v.stderr, banner);
    });

    it('--batch-size -1 is a usage error in the project\'s words (exit 2)', async () => {
      const r = await runCli(['encode', '-m', modelDir, '-t', 'x', '--batch-size', '-1']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim(), "sentence-tfjs: error: --batch-size: expected a positive integer, got '-1' (see 'sentence-tfjs encode --help')");
    });

    it('200,000 lines through the CLI finish in bounded memory (peak RSS of the process under 400 MiB)', async function () {
      if (process.platform !== 'linux') this.skip();
      const big = join(tmp, 'big.txt');
      let text = '';
      for (let i = 0; i < 200_000; i++) text += `Document ${i}\n`;
      writeFileSync(big, text);
      const out = join(tmp, 'big.npy');
      const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'encode', '-m', modelDir, big, '-o', out, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      let peak = 0;
      const timer = setInterval(() => {
        try {
          const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
          if (kb) peak = Math.max(peak, Number(kb) * 1024);
        } catch {
          // the process has ended
        }
      }, 50);
      const code = await new Promise<number | null>((res) => child.on('close', res));
      clearInterval(timer);
      assert.equal(code, 0, stderr);
      const npy = parseNpy(readFileSync(out));
      assert.deepEqual(npy.shape, [200_000, 32]);
      assert.ok(peak > 0 && peak < 400 * 2 ** 20, `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    });
  });
});

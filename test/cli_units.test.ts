/**
 * Pieces of the CLI tested in process: the .npy layout of the NumPy format specification (hand-written headers),
 * line splitting, option parsing, and the download progress bars on a terminal-like stream.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { intOpt, parseCommandLine, UsageError } from '../src/cli/args.js';
import { splitLines, toDense } from '../src/cli/formats.js';
import { serializeNpy } from '../src/util/storage.js';
import { DownloadBars, formatBytes } from '../src/cli/progress.js';
import { oneLine } from '../src/cli/run.js';
import { parseNpy } from './helpers/cli.js';
import { quantizeCommand } from '../src/cli/commands/quantize.js';
import { searchCommand } from '../src/cli/commands/search.js';
import { trainCommand } from '../src/cli/commands/train.js';
import { encodeCommand } from '../src/cli/commands/encode.js';
import { q8Marker } from '../src/weights/q8.js';
import { Q8_EMBEDDING_MIN_ENTRIES } from '../src/layers/embedding.js';

describe('cli units', () => {
  describe('.npy files', () => {
    it('a float32 [2, 3] array has the version 1.0 header numpy.save writes, padded to 64 bytes', () => {
      const data = new Float32Array([1, 2, 3, 4, 5, 6.5]);
      const bytes = serializeNpy({ data, rows: 2, cols: 3 });
      const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
      assert.equal(dict.length, 59); // 10-byte preamble + 59 + newline > 64, so the header ends at byte 128
      const header = dict.padEnd(128 - 10 - 1, ' ') + '\n';
      const expected = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length, 0]), Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
      assert.deepEqual(Buffer.from(bytes), expected);
    });

    it('int8 and uint8 rows are |i1 and |u1; an empty matrix keeps its width', () => {
      const i8 = parseNpy(serializeNpy(toDense([Int8Array.of(-1, 2), Int8Array.of(3, -128)])));
      assert.equal(i8.descr, '|i1');
      assert.deepEqual(Array.from(i8.data), [-1, 2, 3, -128]);
      const u8 = parseNpy(serializeNpy(toDense([Uint8Array.of(255)])));
      assert.equal(u8.descr, '|u1');
      assert.deepEqual(u8.shape, [1, 1]);
      const empty = parseNpy(serializeNpy(toDense([], 384)));
      assert.deepEqual(empty.shape, [0, 384]);
      assert.equal(empty.data.length, 0);
    });

    it('rows of different lengths are refused, naming the row', () => {
      assert.throws(() => toDense([new Float32Array(3), new Float32Array(2)]), /rows\[1\]: expected 3 values, got 2/);
    });
  });

  describe('input lines', () => {
    it('one text per line: LF or CRLF, no extra text for the final newline, empty lines kept, BOM dropped', () => {
      assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
      assert.deepEqual(splitLines('a\r\n\r\n  b  \r\n'), ['a', '', '  b  ']);
      assert.deepEqual(splitLines('\ufeffx\ny'), ['x', 'y']);
      assert.deepEqual(splitLines(''), []);
      assert.deepEqual(splitLines('\n'), ['']);
      assert.deepEqual(splitLines('tab\there\u2028same line'), ['tab\there\u2028same line']);
    });
  });

  describe('options', () => {
    const table = { model: { type: 'string' as const, help: '' }, n: { type: 'string' as const, help: '' }, flag: { type: 'boolean' as const, help: '' } };

    it('unknown options and missing values become one-line UsageErrors naming the command', () => {
      for (const [args, msg] of [
        [['--nope'], /^unknown option '--nope'$/],
        [['--model'], /^option '--model <value>' argument missing$/],
        [['--flag=1'], /^option '--flag' does not take an argument$/],
      ] as const) {
        assert.throws(
          () => parseCommandLine('encode', [...args], table, true),
          (e: unknown) => e instanceof UsageError && e.command === 'encode' && msg.test(e.message) && !e.message.includes('\n'),
        );
      }
    });

    it('integer options accept digits only and respect the minimum', () => {
      const p = (v: string) => parseCommandLine('x', ['--n', v], table, false);
      assert.equal(intOpt(p('12'), 'n', 'x'), 12);
      for (const bad of ['0', '-3', '1.5', '1e3', 'abc', '']) assert.throws(() => intOpt(p(bad), 'n', 'x'), UsageError, bad);
      assert.equal(intOpt(p('0'), 'n', 'x', 0), 0);
    });

    it('multi-line error messages are printed as one line', () => {
      assert.equal(oneLine('first\n  missing: a, b\n  looked in: /x\n'), 'first; missing: a, b; looked in: /x');
    });
  });

  describe('download progress bars', () => {
    function fakeTerminal(): { stream: PassThrough; text: () => string } {
      const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
      let out = '';
      stream.on('data', (d: Buffer) => (out += d.toString('utf8')));
      return { stream, text: () => out };
    }

    it('draws one bar per transferred file with its name and size, and nothing for cached files', () => {
      const t = fakeTerminal();
      const bars = new DownloadBars(true, t.stream);
      bars.onProgress({ repoId: 'o/m', file: 'config.json', loaded: 612, total: 612, cached: true });
      bars.onProgress({ repoId: 'o/m', file: 'model.safetensors', loaded: 0, total: 2_500_000 });
      bars.onProgress({ repoId: 'o/m', file: 'model.safetensors', loaded: 2_500_000, total: 2_500_000 });
      bars.onProgress({ repoId: 'o/m', file: 'tokenizer.json', loaded: 700, total: 700 });
      bars.stop();
      const out = t.text();
      assert.match(out, /model\.safetensors \|.*\| 100% \| 2\.50 MB \/ 2\.50 MB/);
      assert.match(out, /tokenizer\.json \|/);
      assert.doesNotMatch(out, /config\.json/);
      assert.deepEqual(bars.transferred, [
        { file: 'model.safetensors', bytes: 2_500_000 },
        { file: 'tokenizer.json', bytes: 700 },
      ]);
    });

    it('draws nothing when disabled (not a terminal, or --quiet) but still counts the transfers', () => {
      const t = fakeTerminal();
      const bars = new DownloadBars(false, t.stream);
      bars.onProgress({ repoId: 'o/m', file: 'model.safetensors', loaded: 10, total: 10 });
      bars.stop();
      assert.equal(t.text(), '');
      assert.equal(bars.transferred.length, 1);
    });

    it('sizes are shown in decimal units', () => {
      assert.equal(formatBytes(999), '999 B');
      assert.equal(formatBytes(1000), '1.00 kB');
      assert.equal(formatBytes(90_868_376), '90.9 MB');
    });
  });

  describe('help text says what the commands do', () => {
    it('quantize --help names the marker version quantize writes and the int8 word-embedding tables (not "embeddings float32")', () => {
      const text = quantizeCommand.description.replace(/\n/g, ' ');
      assert.match(text, new RegExp(`format_version ${q8Marker().format_version}\\b`));
      assert.equal(Q8_EMBEDDING_MIN_ENTRIES, 2 ** 20);
      assert.match(text, /word embedding tables of at least 2\^20 entries int8 per row/);
      assert.doesNotMatch(text, /output channel; embeddings, norms/);
    });

    it('train --help: --loss is optional in the usage line, as its default (MultipleNegativesRankingLoss) says; quantize takes [options] (the hub options too)', () => {
      assert.match(trainCommand.options.loss.help, /default MultipleNegativesRankingLoss/);
      assert.deepEqual(trainCommand.usage, ['train --model MODEL --data FILE --output DIR [--loss NAME] [options]']);
      assert.ok('revision' in quantizeCommand.options && 'offline' in quantizeCommand.options);
      assert.deepEqual(quantizeCommand.usage, ['quantize --model MODEL --output DIR [options]']);
    });

    it('encode --help names every output extension encode accepts (.ndjson too)', () => {
      for (const ext of ['.npy', '.safetensors', '.jsonl', '.ndjson']) assert.ok(encodeCommand.options.output.help.includes(ext), ext);
    });

    it('search --help: documents use the "document" prompt; "passage" / "corpus" only under --compat 3.4 (6.0.1 always has "document")', () => {
      const text = searchCommand.description.replace(/\n/g, ' ');
      assert.match(text, /with --compat 3\.4, "document", "passage" or "corpus"/);
      assert.doesNotMatch(text, /"document" \(or "passage", "corpus"\) prompt when the model defines them/);
    });
  });
});

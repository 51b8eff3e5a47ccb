/**
 * The `sentence-tfjs` command line as a user meets it: help everywhere, exit codes 0/1/2, one-line errors without
 * stack traces (unless --verbose), and a clear message when a hub model is neither cached nor reachable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lines, runCli } from './helpers/cli.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

const COMMANDS = ['encode', 'similarity', 'search', 'rank', 'train', 'download', 'quantize', 'demo'];
const STACK_LINE = /^\s+at .+/m;

function assertOneErrorLine(stderr: string, pattern: RegExp): void {
  const ls = lines(stderr);
  assert.equal(ls.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(ls[0], /^sentence-tfjs: error: /);
  assert.match(ls[0], pattern);
}

describe('cli: help, usage errors and exit codes', function () {
  this.timeout(60000);

  it('--help prints the commands and the exit codes and exits 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\s`, 'm'), `lists ${c}`);
    assert.match(r.stdout, /Exit codes: 0 success, 1 runtime error .*, 2 usage error/);
    assert.equal(r.stderr, '');
  });

  it('every command has its own --help (usage, options, exit codes) with exit 0', async () => {
    const results = await Promise.all(COMMANDS.map((c) => runCli([c, '--help'])));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `${COMMANDS[i]}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: sentence-tfjs ${COMMANDS[i]} `, 'm'));
      assert.match(r.stdout, /^Options:$/m);
      assert.match(r.stdout, /--verbose/);
      assert.match(r.stdout, /Exit codes: /);
    });
  });

  it('-h after other options and `help <command>` also print the command help', async () => {
    const [a, b] = await Promise.all([runCli(['encode', '--normalize', '-h']), runCli(['help', 'search'])]);
    assert.equal(a.code, 0);
    assert.match(a.stdout, /^Usage: sentence-tfjs encode /m);
    assert.equal(b.code, 0);
    assert.match(b.stdout, /^Usage: sentence-tfjs search /m);
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\S*\n$/);
  });

  it('an unknown option is a usage error: exit 2, one line naming it, nothing on stdout', async () => {
    const r = await runCli(['encode', '--model', 'x', '--bogus']);
    assert.equal(r.code, 2);
    assertOneErrorLine(r.stderr, /unknown option '--bogus'.*sentence-tfjs encode --help/);
    assert.equal(r.stdout, '');
  });

  it('an unknown command, a missing command and an option before the command are usage errors', async () => {
    const [a, b, c] = await Promise.all([runCli(['embed']), runCli([]), runCli(['--model', 'x', 'encode'])]);
    for (const r of [a, b, c]) assert.equal(r.code, 2);
    assertOneErrorLine(a.stderr, /unknown command 'embed'/);
    assertOneErrorLine(b.stderr, /missing command/);
    assertOneErrorLine(c.stderr, /unknown option '--model' before the command/);
  });

  it('bad option values are usage errors that name the option and the value', async () => {
    const m = fixture('models', 'tiny-bert');
    const cases: [string[], RegExp][] = [
      [['encode', '-m', m, '-t', 'a', '--batch-size', '0'], /--batch-size: expected a positive integer, got '0'/],
      [['encode', '-m', m, '-t', 'a', '--truncate-dim', 'x'], /--truncate-dim: expected a positive integer, got 'x'/],
      [['encode', '-m', m, '-t', 'a', '--precision', 'float16'], /--precision: expected one of float32, int8, uint8, binary, ubinary, got 'float16'/],
      [['encode', '-m', m, '-t', 'a', '--device', 'tpu'], /--device: expected one of wasm, cpu, webgpu, webgl, tensorflow, cuda, got 'tpu'/],
      [['encode', '-m', m, '-t', 'a', '-o', 'out.csv'], /--output out\.csv: expected a file ending in \.npy, \.safetensors, \.jsonl/],
      [['encode', '-t', 'a'], /--model is required/],
      [['encode', '-m', m, '-t', 'a', '--batch-size'], /option '--batch-size <value>' argument missing/],
      [['download'], /expected one MODEL/],
      [['search', '-m', m, '--corpus', 'c.txt', '--query', 'q', '--candidates', '5'], /--candidates needs --reranker/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i][0].join(' ')}: ${r.stderr}`);
      assertOneErrorLine(r.stderr, cases[i][1]);
    });
  });

  it('a missing model directory is a runtime error (exit 1) in one line, without a stack trace', async () => {
    const dir = join(tmpdir(), 'sentence-tfjs-no-such-model-dir');
    const r = await runCli(['encode', '--model', dir, '-t', 'hello']);
    assert.equal(r.code, 1);
    assertOneErrorLine(r.stderr, new RegExp(`--model ${dir}: no such model directory`));
    assert.doesNotMatch(r.stderr, STACK_LINE);
    assert.equal(r.stdout, '');
  });

  it('--verbose adds the stack trace to the error line', async () => {
    const dir = join(tmpdir(), 'sentence-tfjs-no-such-model-dir');
    const r = await runCli(['encode', '--model', dir, '-t', 'hello', '--verbose']);
    assert.equal(r.code, 1);
    assert.match(lines(r.stderr)[0], /^sentence-tfjs: error: --model .*: no such model directory/);
    assert.match(r.stderr, STACK_LINE);
    assert.match(r.stderr, /src\/cli\/model\.ts/);
  });

  it('a missing input file is a runtime error naming the file', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    const r = await runCli(['encode', '--model', fixture('models', 'tiny-bert'), join(tmpdir(), 'sentence-tfjs-no-such-input.txt')]);
    assert.equal(r.code, 1);
    assertOneErrorLine(r.stderr, /input texts: no such file .*sentence-tfjs-no-such-input\.txt/);
  });

  describe('a hub model that is not cached, offline', () => {
    let cache: string;
    beforeEach(() => (cache = mkdtempSync(join(tmpdir(), 'stfjs-cli-cache-'))));
    afterEach(() => rmSync(cache, { recursive: true, force: true }));

    it('--model all-MiniLM-L6-v2 says where the cache was looked for and suggests --model <dir>', async () => {
      const r = await runCli(['encode', '--model', 'all-MiniLM-L6-v2', '-t', 'hello'], { env: { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache } });
      assert.equal(r.code, 1);
      assertOneErrorLine(r.stderr, /sentence-transformers\/all-MiniLM-L6-v2 is not in the cache/);
      assert.ok(r.stderr.includes(join(cache, 'models--sentence-transformers--all-MiniLM-L6-v2')), r.stderr);
      assert.match(r.stderr, /offline mode/);
      assert.match(r.stderr, /--model <dir>/);
      assert.match(r.stderr, /sentence-tfjs download all-MiniLM-L6-v2/);
      assert.doesNotMatch(r.stderr, STACK_LINE);
    });

    it('--offline and --cache-folder on the command line do the same without environment variables', async () => {
      const r = await runCli(['demo', '--model', 'all-MiniLM-L6-v2', '--offline', '--cache-folder', cache], { env: { HF_HUB_OFFLINE: undefined } });
      assert.equal(r.code, 1);
      assertOneErrorLine(r.stderr, /is not in the cache \(looked in .*models--sentence-transformers--all-MiniLM-L6-v2\)/);
      assert.ok(r.stderr.includes(cache));
    });

    it('with an unreachable hub (not offline) the message says the hub could not be reached', async () => {
      const r = await runCli(['encode', '--model', 'all-MiniLM-L6-v2', '-t', 'x'], {
        env: { HF_HUB_OFFLINE: undefined, HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_ETAG_TIMEOUT: '2' },
      });
      assert.equal(r.code, 1);
      assertOneErrorLine(r.stderr, /not in the cache .* the hub could not be reached/);
      // the network failure itself is in the line (fetch refuses port 9: "bad port"), not only under --verbose
      assert.match(r.stderr, /the hub could not be reached \(HEAD modules\.json: could not reach http:\/\/127\.0\.0\.1:9\/.* \(fetch failed: [^)]+\)\); download it first/);
    });
  });
});

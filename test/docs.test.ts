/**
 * The API reference (`npm run docs`, TypeDoc on src/index.ts with typedoc.json) builds with no warning: every
 * exported class, interface, function, variable and type alias has a doc comment (and so do their methods), no
 * `{@link}` is broken, and every type a public signature names is exported (or listed as intentionally internal).
 * A failure lists TypeDoc's warnings.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './helpers/fixtures.js';

const require = createRequire(import.meta.url);

function runTypedoc(out: string): Promise<{ code: number | null; output: string }> {
  const bin = join(require.resolve('typedoc/package.json'), '..', 'bin', 'typedoc');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '--out', out, '--logLevel', 'Warn'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('docs: the TypeDoc API reference', function () {
  this.timeout(120000);
  let out = '';
  let result: { code: number | null; output: string };

  before(async () => {
    out = mkdtempSync(join(tmpdir(), 'sentence-tfjs-docs-'));
    result = await runTypedoc(out);
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('builds with no missing doc on an export, no broken link and no unexported public type', () => {
    const problems = result.output
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .filter((l) => /\[(warning|error)\]/.test(l));
    assert.deepEqual(problems, [], `typedoc reported ${problems.length} problem(s):\n${problems.join('\n')}`);
    assert.equal(result.code, 0, result.output);
  });

  it('writes a page for each main entry point (SentenceTransformer, CrossEncoder, semanticSearch)', () => {
    for (const page of ['classes/SentenceTransformer.html', 'classes/CrossEncoder.html', 'functions/semanticSearch.html']) {
      assert.ok(existsSync(join(out, page)), `${page} in ${out}`);
    }
    const st = readFileSync(join(out, 'classes/SentenceTransformer.html'), 'utf8');
    assert.match(st, /encodeQuery/, 'the SentenceTransformer page documents encodeQuery');
  });
});

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

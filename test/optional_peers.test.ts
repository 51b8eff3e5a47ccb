/**
 * Optional peers (package.json peerDependencies + peerDependenciesMeta optional): each device that needs one
 * fails, when a package is missing, with an error that names EVERY package the device needs, in one
 * `npm install` line. Packages are hidden from the resolver in a child process (test/helpers/hide_packages.mjs),
 * so the tests run whether or not they are installed here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dawnChildEnv } from './helpers/dawn_env.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

interface ChildResult {
  ok?: boolean;
  backend?: string;
  name?: string;
  message?: string;
  packageName?: string;
  packages?: string[];
}

function runHidden(what: string, hide: string[], env: NodeJS.ProcessEnv = process.env): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/hide_packages.mjs', 'test/helpers/peer_child.ts', what], {
    cwd: PROJECT_ROOT,
    env: { ...env, HIDE_PACKAGES: hide.join(',') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`peer_child ${what} printed no result (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7)) as ChildResult;
}

describe('optional peers: declared, and named in full by each device error', function () {
  this.timeout(180_000);

  it('package.json declares every optional backend package as an optional peer, not a dependency', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const p of ['@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-webgpu', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
      assert.ok(pkg['peerDependencies']?.[p], `${p} in peerDependencies`);
      assert.deepEqual(pkg['peerDependenciesMeta']?.[p], { optional: true }, `${p} optional`);
      assert.equal(pkg['dependencies']?.[p], undefined, `${p} is not a dependency`);
    }
  });

  it('hiding the GPU packages leaves a device that needs none of them working', () => {
    // wasm needs none of the hidden packages: it still works.
    assert.deepEqual(runHidden('wasm', ['webgpu', '@tensorflow/tfjs-backend-webgpu']), { ok: true, backend: 'wasm' });
  });

  it("webgpu in Node without 'webgpu' names 'webgpu' and '@tensorflow/tfjs-backend-webgpu' in one npm install", () => {
    const r = runHidden('webgpu', ['webgpu']);
    assert.equal(r.name, 'MissingPeerError', String(r.message));
    assert.equal(r.packageName, 'webgpu');
    assert.deepEqual(r.packages, ['webgpu', '@tensorflow/tfjs-backend-webgpu']);
    assert.match(r.message!, /device 'webgpu' in Node\.js.*'webgpu' and '@tensorflow\/tfjs-backend-webgpu'/);
    assert.match(r.message!, /npm install webgpu @tensorflow\/tfjs-backend-webgpu`/);
  });

  it("webgpu in Node with Dawn but without the tfjs backend names both packages too", function () {
    const dawn = dawnChildEnv();
    if ('skip' in dawn) {
      console.warn(`  [skip] ${dawn.skip}`);
      this.skip();
    }
    const r = runHidden('webgpu', ['@tensorflow/tfjs-backend-webgpu'], dawn.env);
    assert.equal(r.name, 'MissingPeerError', String(r.message));
    assert.equal(r.packageName, '@tensorflow/tfjs-backend-webgpu');
    assert.match(r.message!, /'@tensorflow\/tfjs-backend-webgpu' is not installed: run `npm install webgpu @tensorflow\/tfjs-backend-webgpu`/);
  });

  it("the webgl backend loader without '@tensorflow/tfjs-backend-webgl' names it", () => {
    const r = runHidden('webgl-package', ['@tensorflow/tfjs-backend-webgl']);
    assert.equal(r.name, 'MissingPeerError', String(r.message));
    assert.deepEqual(r.packages, ['@tensorflow/tfjs-backend-webgl']);
    assert.match(r.message!, /device 'webgl' needs the optional package '@tensorflow\/tfjs-backend-webgl'.*npm install @tensorflow\/tfjs-backend-webgl`/);
  });

  it("device 'tensorflow' without tfjs-node names both TensorFlow packages", () => {
    const r = runHidden('tensorflow', ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']);
    assert.equal(r.name, 'MissingPeerError', String(r.message));
    assert.match(r.message!, /'@tensorflow\/tfjs-node' or '@tensorflow\/tfjs-node-gpu'/);
    assert.match(r.message!, /npm install @tensorflow\/tfjs-node`/);
  });

  it("device 'cuda' without tfjs-node-gpu names @tensorflow/tfjs-node-gpu", () => {
    const r = runHidden('cuda', ['@tensorflow/tfjs-node-gpu']);
    assert.equal(r.name, 'MissingPeerError', String(r.message));
    assert.equal(r.packageName, '@tensorflow/tfjs-node-gpu');
    assert.match(r.message!, /npm install @tensorflow\/tfjs-node-gpu`/);
  });
});

/**
 * Every Node backend runs the same code: wasm, cpu and webgpu (Dawn, on SwiftShader when there is no GPU), each in
 * its own child process. Optional peers that are absent give errors naming the package to install.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initBackend } from '../src/backends/index.js';
import { initTensorflow } from '../src/backends/tensorflow.js';
import { initWebGL } from '../src/backends/webgl.js';
import { MissingPeerError } from '../src/platform/optional_peer.js';
import { dawnChildEnv } from './helpers/dawn_env.js';
import { PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';
import { assertModelParity, MODEL_TOLERANCE } from './parity/assert_parity.js';
import { PARITY_MODELS, type ModelParityReport } from './parity/model_job.js';
import type { OpsReport } from './parity/ops_job.js';

/** Run `test/parity/run_device.ts <device> <job>` in a child and return its RESULT payload. */
export async function runDeviceJob<T>(device: string, job: string, env: NodeJS.ProcessEnv = process.env, extra: string[] = []): Promise<{ device: string; backend: string; ms: number; result: T }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/parity/run_device.ts'), device, job, ...extra], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const line = out.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('ERROR '));
  if (!line) throw new Error(`${device}/${job} child exited with ${code} and no result.\nstdout: ${out}\nstderr: ${err}`);
  if (line.startsWith('ERROR ')) throw new Error(`${device}/${job}: ${JSON.parse(line.slice(6)).message}\nstderr: ${err}`);
  return JSON.parse(line.slice(7));
}

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Plain ops against float64: every backend is fp32, so 1e-5 absolute on O(1) values is the bar. */
const OPS_TOLERANCE = 1e-5;

function assertOps(report: OpsReport, device: string): void {
  assert.deepEqual(Object.keys(report).sort(), ['attention_scores', 'dense', 'gather', 'gelu_erf', 'layer_norm', 'mask_count', 'mean_8192', 'softmax', 'tanh']);
  for (const [op, { maxAbsDiff }] of Object.entries(report)) {
    assert.ok(maxAbsDiff <= OPS_TOLERANCE, `${device} ${op}: max |diff| vs float64 ${maxAbsDiff} > ${OPS_TOLERANCE}`);
  }
  assert.equal(report.gather.maxAbsDiff, 0, `${device}: gather must copy rows exactly`);
}

const FIXTURE_PARTS = Object.keys(PARITY_MODELS).flatMap((n) => [['models', n], ['reference', n]]);

describe('backends in Node', function () {
  this.timeout(180_000);

  for (const device of ['wasm', 'cpu'] as const) {
    it(`plain tfjs ops on ${device} match float64 math within 1e-5`, async () => {
      const r = await runDeviceJob<OpsReport>(device, 'ops');
      assert.equal(r.backend, device);
      assertOps(r.result, device);
    });
  }

  it('plain tfjs ops on webgpu (Dawn in Node) match float64 math within 1e-5', async function () {
    const dawn = dawnChildEnv();
    if ('skip' in dawn) {
      console.warn(`  [skip] webgpu in Node: ${dawn.skip}`);
      this.skip();
    }
    const r = await runDeviceJob<OpsReport>('webgpu', 'ops', dawn.env);
    assert.equal(r.backend, 'webgpu');
    assertOps(r.result, 'webgpu');
  });

  for (const device of ['wasm', 'cpu', 'webgpu'] as const) {
    it(`the parity models (${Object.keys(PARITY_MODELS).join(', ')}) on ${device}${device === 'webgpu' ? ' (Dawn)' : ''} match PyTorch within ${MODEL_TOLERANCE[device].toExponential()}`, async function () {
      this.timeout(900_000);
      if (!requireFixtures(this, ...FIXTURE_PARTS)) return;
      let env = process.env;
      if (device === 'webgpu') {
        const dawn = dawnChildEnv();
        if ('skip' in dawn) {
          console.warn(`  [skip] webgpu in Node: ${dawn.skip}`);
          this.skip();
        }
        env = dawn.env;
      }
      const r = await runDeviceJob<Record<string, ModelParityReport>>(device, 'models', env);
      assertModelParity(r.result, device);
    });
  }

  it('webgpu in Node without a Vulkan driver fails with advice on VK_ICD_FILENAMES', async function () {
    const dawn = dawnChildEnv();
    if ('skip' in dawn) this.skip();
    // An ICD file that does not exist leaves Dawn without adapters.
    const env = { ...dawn.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' };
    await assert.rejects(runDeviceJob('webgpu', 'ops', env), /returned no adapter.*VK_ICD_FILENAMES/s);
  });

  it("device 'tensorflow' without tfjs-node names the package to install", async function () {
    if (installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')) this.skip();
    await assert.rejects(initTensorflow('tensorflow'), (e: unknown) => {
      assert.ok(e instanceof MissingPeerError);
      assert.equal(e.packageName, '@tensorflow/tfjs-node');
      assert.match(e.message, /npm install @tensorflow\/tfjs-node\b/);
      assert.match(e.message, /@tensorflow\/tfjs-node-gpu/);
      return true;
    });
  });

  it("device 'cuda' without tfjs-node-gpu names @tensorflow/tfjs-node-gpu", async function () {
    if (installed('@tensorflow/tfjs-node-gpu')) this.skip();
    await assert.rejects(initBackend('cuda'), (e: unknown) => {
      assert.ok(e instanceof MissingPeerError);
      assert.equal(e.packageName, '@tensorflow/tfjs-node-gpu');
      assert.match(e.message, /npm install @tensorflow\/tfjs-node-gpu/);
      return true;
    });
  });

  it("device 'webgl' in Node says it needs a browser", async () => {
    await assert.rejects(initWebGL(), /device 'webgl' is for browsers/);
  });

  it('an unknown device lists the supported ones', async () => {
    await assert.rejects(initBackend('metal' as never), /unsupported device "metal"; expected one of wasm, cpu, webgpu, webgl, tensorflow, cuda/);
  });
});

/** Assertions shared by the Node and browser parity suites. */
import assert from 'node:assert/strict';
import { PARITY_MODELS, type ModelParityReport } from './model_job.js';

/**
 * Per-backend tolerance of fixture parity (max |ours - PyTorch| on embeddings, hidden states of real tokens and
 * logits). Every backend computes in fp32; measured maxima are about 2e-6 (wasm, cpu, webgpu). The bar is 1e-5.
 */
export const MODEL_TOLERANCE: Record<string, number> = { wasm: 1e-5, cpu: 1e-5, webgpu: 1e-5, webgl: 1e-5 };

/**
 * Checks whose bar is wider than the device's, with the reason. EmbeddingGemma's deep hidden states: PyTorch's own
 * float32 run is 1.04e-5 from its float64 evaluation of the same weights (a rerun of the generator differs by
 * 1.45e-5), so two float32 implementations legitimately differ by up to about 2e-5 there (test/models-gemma3.test.ts).
 */
const CHECK_TOLERANCE: Record<string, number> = { 'tiny-embeddinggemma/last_hidden_state': 2e-5 };

/** Assert a parity report covers every fixture model and check within the device's tolerance. */
export function assertModelParity(result: Record<string, ModelParityReport>, device: string): void {
  assert.deepEqual(Object.keys(result).sort(), Object.keys(PARITY_MODELS).sort());
  const tol = MODEL_TOLERANCE[device];
  const summary = Object.entries(result).map(([name, checks]) => `${name} ${Object.entries(checks).map(([c, r]) => `${c} ${r.maxAbsDiff.toExponential(1)}`).join(', ')}`);
  console.log(`      max |diff| on ${device}: ${summary.join('; ')}`);
  for (const [name, checks] of Object.entries(result)) {
    const expected = PARITY_MODELS[name as keyof typeof PARITY_MODELS] === 'bi-encoder' ? ['encode', 'last_hidden_state'] : ['logits', 'predict'];
    assert.deepEqual(Object.keys(checks).sort(), expected);
    for (const [check, { maxAbsDiff, n }] of Object.entries(checks)) {
      assert.ok(n > 0, `${device} ${name} ${check}: nothing compared`);
      const bar = Math.max(tol, CHECK_TOLERANCE[`${name}/${check}`] ?? 0);
      assert.ok(maxAbsDiff <= bar, `${device} ${name} ${check}: max |diff| vs PyTorch ${maxAbsDiff} > ${bar}`);
    }
  }
}


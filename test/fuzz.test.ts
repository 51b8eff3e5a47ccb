/**
 * A bounded, seeded run of the fuzzer (scripts/fuzz.ts; `npm run fuzz` runs it long). Each input is a real fixture
 * file mutated (byte flips, truncation, JSON-structure mutations, type swaps, size inflation, deep nesting), loaded
 * in a child process under a time limit, and either accepted with its invariants checked or rejected with a named
 * library error (SafetensorsError, ModelConfigError, TokenizerConfigError). Anything else is a finding, printed
 * with the seed, index and mutation that reproduce it.
 */
import assert from 'node:assert/strict';
import { fixturesDir, requireFixtures } from './helpers/fixtures.js';
import { runFuzz, type Finding } from '../scripts/fuzz/runner.js';

const show = (fs: Finding[]) =>
  fs.map((f) => `${f.kind} seed=${f.seed} index=${f.index}: ${f.what}\n    ${f.detail ?? ''}${f.stack ? `\n    at ${f.stack}` : ''}`).join('\n');

describe('fuzz (bounded seeded run; `npm run fuzz` for the long one)', function () {
  this.timeout(180_000);
  before(function () {
    requireFixtures(this, ['models', 'tiny-bert']);
  });

  it('safetensors: 1,000 mutated checkpoints, every one accepted with its invariants or a SafetensorsError', async () => {
    const s = await runFuzz({ target: 'safetensors', seed: 16, count: 1000, batch: 1000, fixtures: fixturesDir() });
    assert.equal(s.counts.accepted + s.counts.rejected, 1000, show(s.findings));
    assert.ok(s.counts.accepted > 20 && s.counts.rejected > 500, JSON.stringify(s.counts)); // both paths exercised
  });

  it('config.json, modules.json, module configs, prompts, sharded index, paths: 24 mutated model folders, zero findings', async () => {
    const s = await runFuzz({ target: 'config', seed: 16, count: 24, batch: 24, fixtures: fixturesDir() });
    assert.equal(s.findings.length, 0, show(s.findings));
    assert.ok(s.counts.accepted > 0 && s.counts.rejected > 0, JSON.stringify(s.counts));
  });

  it('quantized model folders (q8 formats 1-3: marker, int8 values, scales, dtypes, shapes, layer lists, head count): 60 inputs, no finding', async () => {
    const s = await runFuzz({ target: 'q8', seed: 16, count: 60, batch: 60, fixtures: fixturesDir() });
    assert.equal(s.findings.length, 0, show(s.findings));
    assert.ok(s.counts.accepted > 10 && s.counts.rejected > 10, JSON.stringify(s.counts));
  });

  /** Tokenizer files: every mutated tokenizer.json is accepted with its invariants checked or rejected with a named error. */
  it('tokenizer files: 40 mutated tokenizers, no finding', async () => {
    const s = await runFuzz({ target: 'tokenizer', seed: 16, count: 40, batch: 40, timeoutMs: 5000, fixtures: fixturesDir() });
    assert.equal(s.findings.length, 0, show(s.findings));
    assert.ok(s.counts.accepted > 0 && s.counts.rejected > 0, JSON.stringify(s.counts));
  });
});

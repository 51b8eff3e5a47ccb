/**
 * `sentence-tfjs train`: fine-tunes from JSONL and CSV files (sentence-transformers' column rules), prints a line
 * per step and a JSON summary, saves a model that loads, and refuses bad files and unknown losses naming them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { readTrainingFile } from '../src/cli/commands/train.js';
import { runCli } from './helpers/cli.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

describe('cli: sentence-tfjs train', function () {
  let tmp: string;
  before(function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    tmp = mkdtempSync(join(tmpdir(), 'cli-train-'));
    writeFileSync(join(tmp, 'pairs.jsonl'), '{"anchor": "A man is eating food.", "positive": "A man eats."}\n\n{"anchor": "The weather is lovely.", "positive": "It is sunny."}\n');
    writeFileSync(join(tmp, 'sts.csv'), 'sentence1,sentence2,score\n"A man, eating",A man eats.,0.9\nThe sky,"He said ""hi""",0.1\n');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads JSONL objects and CSV with quoted fields, label columns as numbers', async () => {
    assert.deepEqual(await readTrainingFile(join(tmp, 'sts.csv')), [
      { sentence1: 'A man, eating', sentence2: 'A man eats.', score: 0.9 },
      { sentence1: 'The sky', sentence2: 'He said "hi"', score: 0.1 },
    ]);
    assert.equal((await readTrainingFile(join(tmp, 'pairs.jsonl'))).length, 2);
  });

  it('trains 2 MNRL steps from JSONL, logs each step, prints the summary and saves a loadable model', async () => {
    const out = join(tmp, 'out');
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'pairs.jsonl'), '--loss', 'MultipleNegativesRankingLoss', '--epochs', '2', '--batch-size', '2', '--lr', '1e-3', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /step 1 epoch 1\.00 loss \d+\.\d+ lr 0\.000e\+0 grad_norm/);
    assert.match(r.stderr, /step 2 epoch 2\.00 loss/);
    const summary = JSON.parse(r.stdout.trim());
    assert.equal(summary.steps, 2);
    const m = await SentenceTransformer.load(out);
    try {
      assert.equal(((await m.encode(['x'])) as Float32Array[])[0].length, 32);
    } finally {
      m.dispose();
    }
  });

  it('refuses an unknown loss and a CSV label that is not a number, naming them', async () => {
    const bad = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'pairs.jsonl'), '--loss', 'Nope', '-o', join(tmp, 'x')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--loss Nope: unknown loss; known: CoSENTLoss, CosineSimilarityLoss/);
    writeFileSync(join(tmp, 'bad.csv'), 'sentence1,sentence2,score\na,b,high\n');
    const badCsv = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'bad.csv'), '--loss', 'CosineSimilarityLoss', '-o', join(tmp, 'y')]);
    assert.notEqual(badCsv.code, 0);
    assert.match(badCsv.stderr, /bad\.csv line 2, column score: expected a number, got "high"/);
    assert.equal(existsSync(join(tmp, 'y')), false);
  });
});

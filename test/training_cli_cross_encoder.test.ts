/**
 * `sentence-tfjs train` on a cross-encoder: a cross-encoder folder is recognised without a flag (and `--cross-encoder`
 * forces it), CrossEncoder losses by name, the CrossEncoder evaluators chosen from the dev file's columns, and the
 * saved folder loads and predicts exactly what the same CrossEncoderTrainer run in this process predicts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { initBackend } from '../src/backends/index.js';
import { readTrainingFile } from '../src/cli/commands/train.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { runCli } from './helpers/cli.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const PAIRS: [string, string][] = [
  ['How many people live in Berlin?', 'Berlin has 3.5 million inhabitants.'],
  ['How many people live in Berlin?', 'The cat sat on the mat.'],
  ['What is the capital of France?', 'Paris is the capital of France.'],
  ['What is the capital of France?', 'Stocks fell sharply today.'],
];

describe('cli: sentence-tfjs train, cross-encoders', function () {
  let tmp: string;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert-cross-encoder']);
    await initBackend('cpu');
    tmp = mkdtempSync(join(tmpdir(), 'cli-train-ce-'));
    writeFileSync(join(tmp, 'train.csv'), ['query,passage,label', '"How many people live in Berlin?",Berlin has 3.5 million inhabitants.,1', '"How many people live in Berlin?",The cat sat on the mat.,0', 'What is the capital of France?,"Paris is the capital of France.",1', 'What is the capital of France?,Stocks fell sharply today.,0'].join('\n'));
    writeFileSync(
      join(tmp, 'dev.jsonl'),
      [
        '{"query": "Who wrote Hamlet?", "positive": ["Shakespeare wrote Hamlet."], "negative": ["Bananas are yellow.", "The train was late."]}',
        '{"query": "Where is Rome?", "positive": ["Rome is in Italy."], "negative": ["Cats purr.", "Water boils at 100 degrees."]}',
      ].join('\n'),
    );
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('--loss BinaryCrossEntropyLoss trains a cross-encoder with a reranking --eval, saves a folder that predicts as the in-process run', async () => {
    const out = join(tmp, 'out');
    const args = ['--data', join(tmp, 'train.csv'), '--eval', join(tmp, 'dev.jsonl'), '--epochs', '2', '--batch-size', '2', '--lr', '1e-3', '--warmup-ratio', '0.25', '--seed', '7', '--device', 'cpu'];
    const r = await runCli(['train', '-m', modelDir('tiny-bert-cross-encoder'), ...args, '--loss', 'BinaryCrossEntropyLoss', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^step 1 epoch 0\.50 loss \d+\.\d+ lr 0\.000e\+0 grad_norm/m, 'the first step runs at lr 0 (warmup)');
    assert.match(r.stderr, /^step 4 epoch 2\.00 loss/m);
    const evals = [...r.stderr.matchAll(/^eval step (\d+) epoch (\d\.\d+) dev_ndcg@10 (\d\.\d+)$/gm)];
    assert.deepEqual(evals.map((m) => Number(m[1])), [2, 4], 'a CrossEncoderRerankingEvaluator at each epoch end');
    const summary = JSON.parse(r.stdout.trim());
    assert.equal(summary.steps, 4);
    assert.ok('dev_map' in summary.eval && 'dev_mrr@10' in summary.eval, JSON.stringify(summary.eval));
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(card, /^pipeline_tag: text-ranking$/m);
    assert.match(card, /\* Loss: \[<code>BinaryCrossEntropyLoss<\/code>\]/);
    assert.match(card, /\* Dataset: `dev`\n\* Evaluated with \[<code>CrossEncoderRerankingEvaluator<\/code>\]/);

    // The same run in this process (same rows, arguments and seed), then predict: the saved folder gives the same scores, bit for bit.
    const ref = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), { device: 'cpu' });
    const saved = await CrossEncoder.load(out, { device: 'cpu' });
    try {
      const before = (await ref.predict(PAIRS)) as number[];
      await new CrossEncoderTrainer({
        model: ref,
        args: { numTrainEpochs: 2, perDeviceTrainBatchSize: 2, learningRate: 1e-3, warmupRatio: 0.25, seed: 7 },
        trainDataset: await readTrainingFile(join(tmp, 'train.csv')),
        loss: 'BinaryCrossEntropyLoss',
      }).train();
      const expected = (await ref.predict(PAIRS)) as number[];
      const got = (await saved.predict(PAIRS)) as number[];
      assert.deepEqual(got, expected);
      assert.ok(got.some((g, i) => Math.abs(g - before[i]) > 1e-4), 'training changed the scores');
    } finally {
      ref.dispose();
      saved.dispose();
    }
  });

  it('--cross-encoder with MSELoss and a score column: CrossEncoderCorrelationEvaluator', async () => {
    writeFileSync(join(tmp, 'sts.jsonl'), ['{"sentence1": "A man eats.", "sentence2": "A man is eating food.", "score": 0.9}', '{"sentence1": "The sky is blue.", "sentence2": "Stocks fell.", "score": 0.1}'].join('\n'));
    writeFileSync(join(tmp, 'sts_dev.csv'), 'sentence1,sentence2,score\nA woman sings.,A lady is singing.,1\nA dog runs.,The market is closed.,0\nMen cook.,People make food.,0.7\n');
    const out = join(tmp, 'out-mse');
    const r = await runCli(['train', '--cross-encoder', '-m', modelDir('tiny-bert-cross-encoder'), '--data', join(tmp, 'sts.jsonl'), '--eval', join(tmp, 'sts_dev.csv'), '--loss', 'MSELoss', '--batch-size', '2', '--device', 'cpu', '-q', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout.trim());
    assert.equal(summary.steps, 1);
    assert.deepEqual(Object.keys(summary.eval).sort(), ['eval_loss', 'sts_dev_pearson', 'sts_dev_spearman']); // the dev rows have the loss's columns: eval_loss too
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /\* Loss: \[<code>MSELoss<\/code>\]/);
  });

  it('a cross-encoder folder is recognised without the flag (--max-steps stops the run); a bi-encoder loss is refused, naming the known ones', async () => {
    const out = join(tmp, 'out-detect');
    const r = await runCli(['train', '-m', modelDir('tiny-bert-cross-encoder'), '--data', join(tmp, 'train.csv'), '--max-steps', '3', '--batch-size', '2', '--epochs', '5', '--device', 'cpu', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim()).steps, 3);
    assert.equal(JSON.parse(readFileSync(join(out, 'config_sentence_transformers.json'), 'utf8')).model_type, 'CrossEncoder');
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /- `max_steps`: 3/);
    const bad = await runCli(['train', '--cross-encoder', '-m', modelDir('tiny-bert-cross-encoder'), '--data', join(tmp, 'train.csv'), '--loss', 'MultipleNegativesRankingLoss', '-o', join(tmp, 'x')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--loss MultipleNegativesRankingLoss: not a cross-encoder loss; known: BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss/);
    assert.equal(existsSync(join(tmp, 'x')), false);
  });

  it('--workers 2 trains a cross-encoder data-parallel (--batch-size per replica: 4 rows, 2 x 2 a step, 2 epochs = 2 steps), saving what the same CrossEncoderTrainer dataParallel run in this process gives, bit for bit', async () => {
    const out = join(tmp, 'out-ddp');
    const r = await runCli(['train', '--cross-encoder', '-m', modelDir('tiny-bert-cross-encoder'), '--data', join(tmp, 'train.csv'), '--workers', '2', '--loss', 'BinaryCrossEntropyLoss', '--epochs', '2', '--batch-size', '2', '--lr', '1e-3', '--warmup-ratio', '0.25', '--seed', '7', '--device', 'cpu', '-q', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim()).steps, 2);
    const ref = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), { device: 'cpu' });
    const saved = await CrossEncoder.load(out, { device: 'cpu' });
    try {
      await new CrossEncoderTrainer({
        model: ref,
        args: { numTrainEpochs: 2, perDeviceTrainBatchSize: 2, learningRate: 1e-3, warmupRatio: 0.25, seed: 7, dataParallel: { workers: 2 } },
        trainDataset: await readTrainingFile(join(tmp, 'train.csv')),
        loss: 'BinaryCrossEntropyLoss',
      }).train();
      assert.deepEqual(await saved.predict(PAIRS), await ref.predict(PAIRS));
    } finally {
      ref.dispose();
      saved.dispose();
    }
  });
});

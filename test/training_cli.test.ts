/**
 * `sentence-tfjs train`: fine-tunes from JSONL and CSV files (sentence-transformers' column rules), prints a line
 * per step and a JSON summary, saves a model that loads, and refuses bad files and unknown losses naming them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { readFileSync } from 'node:fs';
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
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

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
    // the card's non-default hyperparameters are those that differ from transformers' defaults, as 6.0.1 lists them:
    // the CLI's own choices (batch 16 → 2 here, 1 epoch, lr, warmup 0.1, no checkpoints), not seed 42 or eval_strategy no
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const nonDefault = card.slice(card.indexOf('#### Non-Default Hyperparameters'), card.indexOf('#### All Hyperparameters'));
    assert.deepEqual(nonDefault.split('\n').filter((l) => l.startsWith('- ')), [
      '- `per_device_train_batch_size`: 2',
      '- `num_train_epochs`: 2',
      '- `learning_rate`: 0.001',
      '- `warmup_ratio`: 0.1',
      '- `save_strategy`: no',
    ]);
    assert.match(card, /#### All Hyperparameters[\s\S]*- `eval_strategy`: no\n[\s\S]*- `seed`: 42\n/);
    const m = await SentenceTransformer.load(out);
    try {
      assert.equal(((await m.encode(['x'])) as Float32Array[])[0].length, 32);
    } finally {
      m.dispose();
    }
  });

  it('--workers 2 trains data-parallel (2 replicas, --batch-size rows each)', async () => {
    const out = join(tmp, 'out-ddp');
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'sts.csv'), '--loss', 'CosineSimilarityLoss', '--batch-size', '1', '--workers', '2', '--lr', '1e-3', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /step 1 epoch 1\.00 loss \d+\.\d+/);
    assert.equal(JSON.parse(r.stdout.trim()).steps, 1);
    assert.ok(existsSync(join(out, 'model.safetensors')));
  });

  it('refuses an unknown loss and a CSV label that is not a number, naming them', async () => {
    const bad = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'pairs.jsonl'), '--loss', 'Nope', '-o', join(tmp, 'x')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--loss Nope: unknown loss; known: AnglELoss, BatchAllTripletLoss/);
    writeFileSync(join(tmp, 'bad.csv'), 'sentence1,sentence2,score\na,b,high\n');
    const badCsv = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'bad.csv'), '--loss', 'CosineSimilarityLoss', '-o', join(tmp, 'y')]);
    assert.notEqual(badCsv.code, 0);
    assert.match(badCsv.stderr, /bad\.csv line 2, column score: expected a number, got "high"/);
    assert.equal(existsSync(join(tmp, 'y')), false);
  });

  it('a missing --data / --eval file is a runtime error (exit 1) naming the option and the absolute path', async () => {
    const missing = join(tmp, 'nope.jsonl');
    const [noData, noEval] = await Promise.all([
      runCli(['train', '-m', modelDir('tiny-bert'), '--data', missing, '-o', join(tmp, 'm1')]),
      runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'pairs.jsonl'), '--eval', missing, '-o', join(tmp, 'm2')]),
    ]);
    assert.equal(noData.code, 1);
    assert.match(noData.stderr, new RegExp(`^sentence-tfjs: error: --data: no such file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    assert.equal(noEval.code, 1);
    assert.match(noEval.stderr, /^sentence-tfjs: error: --eval: no such file .*nope\.jsonl\n$/);
    assert.equal(existsSync(join(tmp, 'm1')), false);
  });

  it('a bad --loss, --loss-options or a lone --eval-steps is a usage error (exit 2) pointing at train --help', async () => {
    const base = ['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'pairs.jsonl'), '-o', join(tmp, 'u')];
    const runs = await Promise.all([
      runCli([...base, '--loss', 'Nope']),
      runCli([...base, '--loss-options', '[1]']),
      runCli([...base, '--loss-options', '{bad']),
      runCli([...base, '--eval-steps', '2']),
      runCli([...base, '--cross-encoder', '--loss', 'CoSENTLoss']),
    ]);
    const wanted = [/--loss Nope: unknown loss/, /--loss-options must be a JSON object, got \[1\]/, /--loss-options must be a JSON object, got "\{bad"/, /--eval-steps needs --eval FILE/, /--loss CoSENTLoss: not a cross-encoder loss/];
    runs.forEach((r, i) => {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, wanted[i]);
      assert.match(r.stderr, /\(see 'sentence-tfjs train --help'\)\n$/);
    });
  });

  it('--eval with a score column: EmbeddingSimilarityEvaluator every --eval-steps, metrics in the summary and the model card', async () => {
    writeFileSync(join(tmp, 'sts_train.jsonl'), ['{"sentence1": "A man is eating food.", "sentence2": "A man eats.", "score": 0.9}', '{"sentence1": "The sky is blue.", "sentence2": "Stocks fell.", "score": 0.1}', '{"sentence1": "A girl plays.", "sentence2": "A child is playing.", "score": 0.8}', '{"sentence1": "It rains.", "sentence2": "A cat sleeps.", "score": 0.0}'].join('\n'));
    writeFileSync(join(tmp, 'dev.jsonl'), ['{"sentence1": "A woman sings.", "sentence2": "A lady is singing.", "score": 1.0}', '{"sentence1": "A dog runs.", "sentence2": "The market is closed.", "score": 0.0}', '{"sentence1": "Men cook.", "sentence2": "People make food.", "score": 0.7}'].join('\n'));
    const out = join(tmp, 'out-sts');
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'sts_train.jsonl'), '--eval', join(tmp, 'dev.jsonl'), '--eval-steps', '2', '--loss', 'CoSENTLoss', '--loss-options', '{"scale": 15}', '--max-steps', '4', '--batch-size', '2', '--lr', '1e-3', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const evals = [...r.stderr.matchAll(/^eval step (\d+) epoch \d+\.\d+ dev_spearman_cosine (-?\d\.\d+)$/gm)];
    assert.deepEqual(evals.map((m) => Number(m[1])), [2, 4]);
    const summary = JSON.parse(r.stdout.trim());
    assert.equal(summary.steps, 4);
    assert.equal(summary.eval.dev_spearman_cosine.toFixed(6), evals[1][2]);
    assert.ok('dev_pearson_cosine' in summary.eval);
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(card, /\* Loss: \[<code>CoSENTLoss<\/code>\]\(https:\/\/sbert\.net\/docs\/package_reference\/sentence_transformer\/losses\.html#cosentloss\) with these parameters:\n {2}```json\n {2}\{\n {6}"scale": 15\.0,/);
    assert.match(card, /#### Semantic Similarity\n\n\* Dataset: `dev`\n\* Evaluated with \[<code>EmbeddingSimilarityEvaluator<\/code>\]/);
    assert.match(card, /- `eval_steps`: 2/);
  });

  it('--eval with the loss columns: eval_loss at each evaluation too (stderr, summary, the card\'s Validation Loss column); a dev file that fits only the loss gets the eval loss alone', async () => {
    const out = join(tmp, 'out-evalloss');
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'sts_train.jsonl'), '--eval', join(tmp, 'dev.jsonl'), '--eval-steps', '2', '--loss', 'CoSENTLoss', '--max-steps', '4', '--batch-size', '2', '--lr', '1e-3', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const losses = [...r.stderr.matchAll(/^eval step (\d+) epoch \d+\.\d+ eval_loss (\d+\.\d+)$/gm)];
    assert.deepEqual(losses.map((m) => Number(m[1])), [2, 4]);
    const summary = JSON.parse(r.stdout.trim());
    assert.equal(summary.eval.eval_loss.toFixed(6), losses[1][2]);
    assert.ok('dev_spearman_cosine' in summary.eval, 'the evaluator still runs');
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    assert.match(card, /### Evaluation Dataset\n\n#### Unnamed Dataset\n\n\* Size: 3 evaluation samples/);
    assert.match(card, /\| Epoch +\| Step +\| Validation Loss +\| dev_spearman_cosine +\|/); // no Training Loss: logging every 500 steps, as transformers' default
    // MNRL on (anchor, positive) dev rows: no evaluator fits those columns, the eval loss alone runs
    writeFileSync(join(tmp, 'pairs_dev.jsonl'), ['{"anchor": "A man eats.", "positive": "Someone has a meal."}', '{"anchor": "A dog runs.", "positive": "A puppy is running."}'].join('\n'));
    const mn = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'pairs.jsonl'), '--eval', join(tmp, 'pairs_dev.jsonl'), '--loss', 'MultipleNegativesRankingLoss', '--max-steps', '2', '--batch-size', '2', '-o', join(tmp, 'out-mn-eval')]);
    assert.equal(mn.code, 0, mn.stderr);
    assert.equal([...mn.stderr.matchAll(/^eval step 2 epoch \d+\.\d+ eval_loss \d+\.\d+$/gm)].length, 1);
    assert.deepEqual(Object.keys(JSON.parse(mn.stdout.trim()).eval), ['eval_loss']);
  });

  it('--eval with (anchor, positive, negative) rows: TripletEvaluator at each epoch end (TripletLoss); a dev file of other columns is refused', async () => {
    const triplets = ['{"anchor": "A man eats.", "positive": "Someone has a meal.", "negative": "Stocks fell."}', '{"anchor": "A dog runs.", "positive": "A puppy is running.", "negative": "It is raining."}'].join('\n');
    writeFileSync(join(tmp, 'triplets.jsonl'), triplets);
    writeFileSync(join(tmp, 'trip_dev.jsonl'), triplets);
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'triplets.jsonl'), '--eval', join(tmp, 'trip_dev.jsonl'), '--loss', 'TripletLoss', '--epochs', '2', '--batch-size', '2', '-o', join(tmp, 'out-trip')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal([...r.stderr.matchAll(/^eval step \d+ epoch \d\.00 trip_dev_cosine_accuracy \d\.\d+$/gm)].length, 2);
    assert.ok('trip_dev_cosine_accuracy' in JSON.parse(r.stdout.trim()).eval);
    const bad = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'triplets.jsonl'), '--eval', join(tmp, 'pairs.jsonl'), '--loss', 'TripletLoss', '-o', join(tmp, 'out-bad')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--eval .*pairs\.jsonl: expected 2 text columns and a score\/label column \(EmbeddingSimilarityEvaluator\) or 3 text columns .*got 2 text column\(s\) \(anchor, positive\) and no label/);
    const noEval = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'triplets.jsonl'), '--eval-steps', '2', '--loss', 'TripletLoss', '-o', join(tmp, 'out-bad2')]);
    assert.match(noEval.stderr, /--eval-steps needs --eval FILE/);
  });

  it('--loss SoftmaxLoss takes the embedding size from the model and the classes from the labels', async () => {
    writeFileSync(join(tmp, 'nli.jsonl'), ['{"premise": "A man eats.", "hypothesis": "A man has food.", "label": 0}', '{"premise": "A dog runs.", "hypothesis": "A cat sleeps.", "label": 2}', '{"premise": "It rains.", "hypothesis": "It is wet.", "label": 1}'].join('\n'));
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'nli.jsonl'), '--loss', 'SoftmaxLoss', '--max-steps', '2', '--batch-size', '3', '-o', join(tmp, 'out-nli')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(tmp, 'out-nli', 'README.md'), 'utf8'), /"num_labels": 3,/);
  });

  it('--loss MSELoss reads teacher vectors from a JSONL label column', async () => {
    const teacher = (k: number) => JSON.stringify(Array.from({ length: 32 }, (_, i) => ((i * 7 + k) % 5) / 10 - 0.2));
    writeFileSync(join(tmp, 'distill.jsonl'), [`{"english": "A man eats.", "label": ${teacher(1)}}`, `{"english": "A dog runs.", "label": ${teacher(2)}}`].join('\n'));
    const r = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'distill.jsonl'), '--loss', 'MSELoss', '--max-steps', '3', '--batch-size', '2', '--lr', '1e-3', '--warmup-ratio', '0', '-o', join(tmp, 'out-mse')]);
    assert.equal(r.code, 0, r.stderr);
    const losses = [...r.stderr.matchAll(/^step \d+ epoch \S+ loss (\d+\.\d+)/gm)].map((m) => Number(m[1]));
    assert.equal(losses.length, 3);
    assert.ok(losses[2] < losses[0], `MSE ${losses.join(' -> ')}`);
    writeFileSync(join(tmp, 'distill_bad.jsonl'), `{"english": "A man eats.", "label": [0.1, "x"]}`);
    const bad = await runCli(['train', '-m', modelDir('tiny-bert'), '--data', join(tmp, 'distill_bad.jsonl'), '--loss', 'MSELoss', '-o', join(tmp, 'out-mse-bad')]);
    assert.match(bad.stderr, /dataset row 0, column label\[1\]: expected a finite number, got "x"/);
  });
});

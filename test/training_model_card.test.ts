/**
 * The model card: after a fit with an evaluator, `save` writes README.md (as sentence-transformers does) naming the
 * base model, the loss and its config dict, the hyperparameters, the dataset size and columns, the evaluation
 * metrics (the same numbers the evaluator returned) and the framework versions.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { EmbeddingSimilarityEvaluator } from '../src/evaluation/embedding_similarity.js';
import { CoSENTLoss } from '../src/losses/cosent.js';
import type { EvalLog } from '../src/training/loop.js';
import { renderModelCard } from '../src/training/model_card.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const S1 = ['A man is eating food.', 'A man is riding a horse.', 'The girl is carrying a baby.', 'A woman plays the violin.'];
const S2 = ['A man eats.', 'A person rides a horse.', 'It is raining.', 'Stocks fell today.'];
const SCORES = [0.9, 0.8, 0.1, 0.0];

describe('training: the model card (README.md) after a fit (wasm)', function () {
  let tmp: string;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    tmp = mkdtempSync(join(tmpdir(), 'st-card-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the base model, the loss with its config, the non-default and all hyperparameters, the dataset and the evaluator metrics', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const out = join(tmp, 'model');
      await model.save(out);
      assert.equal(existsSync(join(out, 'README.md')), false, 'no card before training');
      const evaluations: EvalLog[] = [];
      const evaluator = new EmbeddingSimilarityEvaluator(S1, S2, SCORES, { name: 'sts-dev' });
      await new SentenceTransformerTrainer({
        model,
        args: { perDeviceTrainBatchSize: 4, learningRate: 1e-3, maxSteps: 4, warmupRatio: 0.25, evalStrategy: 'steps', evalSteps: 2, saveStrategy: 'no', seed: 7 },
        trainDataset: S1.map((s, i) => ({ sentence1: s, sentence2: S2[i], score: SCORES[i] })),
        loss: new CoSENTLoss({ scale: 15 }),
        evaluator,
        onEvaluate: (e) => void evaluations.push(e),
      }).train();
      assert.equal(evaluations.length, 2);
      await model.save(out);
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      assert.match(card, /^---\nlibrary_name: sentence-transformers\n/);
      assert.match(card, /- loss:CoSENTLoss\n/);
      assert.match(card, /- dataset_size:4\n/);
      assert.ok(card.includes(`- **Base model:** ${modelDir('tiny-bert')}`));
      assert.doesNotMatch(card, /^base_model:/m, 'a local folder is no hub base_model (as Python)');
      assert.match(card, /- \*\*Output Dimensionality:\*\* 32 dimensions/);
      assert.match(card, /\* Size: 4 training samples/);
      assert.match(card, /\* Columns: <code>sentence1<\/code>, <code>sentence2<\/code>, <code>score<\/code>/);
      assert.match(card, /\* Loss: <code>CoSENTLoss<\/code> with these parameters:\n {2}```json\n {2}\{\n {6}"scale": 15,\n {6}"similarity_fct": "pairwise_cos_sim"\n {2}\}/);
      const nonDefault = card.slice(card.indexOf('#### Non-Default Hyperparameters'), card.indexOf('#### All Hyperparameters'));
      for (const line of ['- `per_device_train_batch_size`: 4', '- `learning_rate`: 0.001', '- `max_steps`: 4', '- `warmup_ratio`: 0.25', '- `eval_strategy`: steps', '- `eval_steps`: 2', '- `seed`: 7']) {
        assert.ok(nonDefault.includes(line), `non-default hyperparameters lack ${line}`);
      }
      assert.ok(!nonDefault.includes('adam_beta1'));
      const all = card.slice(card.indexOf('#### All Hyperparameters'));
      for (const line of ['- `adam_beta1`: 0.9', '- `max_grad_norm`: 1', '- `lr_scheduler_type`: linear', '- `weight_decay`: 0', '- `gradient_accumulation_steps`: 1', '- `load_best_model_at_end`: False']) {
        assert.ok(all.includes(line), `all hyperparameters lack ${line}`);
      }
      // The metrics table holds the last evaluation's numbers, the primary metric in bold.
      const last = evaluations[1].metrics;
      assert.ok(Object.keys(last).length >= 2);
      assert.match(card, /#### EmbeddingSimilarityEvaluator \(`sts-dev`\)/);
      for (const [k, v] of Object.entries(last)) {
        const cell = k === evaluator.primaryMetric ? `| **${k}** | **${v.toFixed(4)}** |` : `| ${k} | ${v.toFixed(4)} |`;
        assert.ok(card.includes(cell), `metrics table lacks ${cell}`);
      }
      // Training logs: one row per evaluation (steps 2 and 4; one step per epoch here) with the primary metric.
      assert.match(card, new RegExp(`\\| 2\\.0000 \\| 2 \\| \\d\\.\\d{4} \\| ${evaluations[0].metrics[evaluator.primaryMetric].toFixed(4).replace('.', '\\.')} \\|`));
      assert.match(card, /### Framework Versions\n- sentence-tfjs: \d+\.\d+\.\d+\n- TensorFlow\.js \(tfjs-core\): \d+\.\d+\.\d+\n- Backend: wasm/);
      // The card does not disturb loading.
      const reloaded = await SentenceTransformer.load(out);
      reloaded.dispose();
    } finally {
      model.dispose();
    }
  });

  it('fit() with an evaluator and saveBestModel writes the card into the saved best model', async () => {
    const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
    try {
      const out = join(tmp, 'fit-best');
      await model.fit({
        trainObjectives: [{ data: S1.map((s, i) => ({ texts: [s, S2[i]], label: SCORES[i] })), loss: new CoSENTLoss() }],
        evaluator: new EmbeddingSimilarityEvaluator(S1, S2, SCORES, { name: 'dev' }),
        batchSize: 2,
        epochs: 1,
        warmupSteps: 0,
        optimizerParams: { lr: 1e-3 },
        outputPath: out,
      });
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      assert.match(card, /\* Columns: <code>sentence_0<\/code>, <code>sentence_1<\/code>, <code>label<\/code>/);
      assert.match(card, /- `optimizer_params`: \{"lr":0\.001\}/);
      assert.match(card, /- `warmup_steps`: 0/);
      assert.match(card, /#### EmbeddingSimilarityEvaluator \(`dev`\)/);
    } finally {
      model.dispose();
    }
  });

  it('a hub id base model goes into the YAML metadata and links to the hub', () => {
    const card = renderModelCard({
      baseModel: 'sentence-transformers/all-MiniLM-L6-v2',
      maxSeqLength: 256,
      outputDimensionality: 384,
      similarityFnName: 'cosine',
      trainDatasets: [{ size: 1200, columns: ['anchor', 'positive'], loss: { name: 'MultipleNegativesRankingLoss', config: { scale: 20, similarity_fct: 'cos_sim' } } }],
      allHyperparameters: { learning_rate: 2e-5 },
      nonDefaultHyperparameters: {},
      evaluations: [],
      logs: [],
      backend: 'cpu',
    });
    assert.match(card, /^base_model: sentence-transformers\/all-MiniLM-L6-v2$/m);
    assert.ok(card.includes('- **Base model:** [sentence-transformers/all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2)'));
    assert.match(card, /\* Size: 1,200 training samples/);
    assert.match(card, /- \*\*Maximum Sequence Length:\*\* 256 tokens/);
    assert.doesNotMatch(card, /## Evaluation/);
  });
});

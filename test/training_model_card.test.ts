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
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { CrossEncoderCorrelationEvaluator } from '../src/evaluation/cross_encoder_correlation.js';
import { CrossEncoderTrainer } from '../src/training/cross_encoder_trainer.js';
import { SentenceTransformerTrainer } from '../src/training/trainer.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

/** What sentence-transformers 6.0.1's cross-encoder card holds (test/data/model_card/gen_cross_encoder_card.py). */
const PY_CE_CARD = JSON.parse(readFileSync(new URL('./data/model_card/cross_encoder_card.json', import.meta.url), 'utf8')) as {
  tags: string[];
  pipeline_tag: string;
  headings: string[];
  model_description: [string, string][];
  loss_config: Record<string, unknown>;
};

/** Section headings outside code blocks, without the evaluators' own (between `### Metrics` and `## Training Details`). */
function cardHeadings(card: string): string[] {
  const body = card.split('---').slice(2).join('---').replace(/```[\s\S]*?```/g, '');
  const all: string[] = body.match(/^#{2,4} .*$/gm) ?? [];
  const m = all.indexOf('### Metrics');
  return all.filter((h, i) => !(m >= 0 && i > m && h.startsWith('#### ') && i < all.indexOf('## Training Details')));
}

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

  it('CrossEncoderTrainer then CrossEncoder.save writes a cross-encoder card with 6.0.1\'s sections, tags and facts', async () => {
    const ce = await CrossEncoder.load(modelDir('tiny-bert-cross-encoder'), NO_DROPOUT);
    try {
      const out = join(tmp, 'ce');
      await ce.save(out);
      assert.equal(existsSync(join(out, 'README.md')), false, 'no card before training');
      const evaluator = new CrossEncoderCorrelationEvaluator([['a cat', 'a kitten'], ['a dog', 'a car'], ['x', 'y']], [1, 0, 0.3], { name: 'dev', writeCsv: false });
      const result = await new CrossEncoderTrainer({
        model: ce,
        args: { numTrainEpochs: 1, perDeviceTrainBatchSize: 2, learningRate: 1e-4 },
        trainDataset: [
          { sentence1: 'a cat', sentence2: 'a kitten', label: 1 },
          { sentence1: 'a dog', sentence2: 'a car', label: 0 },
          { sentence1: 'the sun', sentence2: 'the moon', label: 0.5 },
          { sentence1: 'rain', sentence2: 'wet', label: 1 },
        ],
        loss: 'BinaryCrossEntropyLoss',
        evaluator,
      }).train();
      await ce.save(out);
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      const yaml = card.split('---')[1];
      assert.deepEqual(yaml.match(/^- (\S+)$/gm)?.map((l) => l.slice(2)), PY_CE_CARD.tags, 'YAML tags as 6.0.1');
      assert.match(yaml, new RegExp(`^pipeline_tag: ${PY_CE_CARD.pipeline_tag}$`, 'm'));
      // Our sections are 6.0.1's, in its order (a subsequence: no model sources, architecture, training time, citation).
      const ours = cardHeadings(card);
      const theirs = PY_CE_CARD.headings.filter((h, i, a) => !(h.startsWith('#### ') && i > a.indexOf('### Metrics') && i < a.indexOf('## Training Details')));
      let j = 0;
      for (const h of ours) {
        while (j < theirs.length && theirs[j] !== h) j++;
        assert.ok(j < theirs.length, `heading ${JSON.stringify(h)} is not in 6.0.1's card (in this order): ${JSON.stringify(theirs)}`);
      }
      for (const h of ['## Model Details', '## Evaluation', '## Training Details', '### Training Hyperparameters', '### Training Logs', '### Framework Versions']) assert.ok(ours.includes(h), `card lacks ${h}`);
      for (const [k, v] of PY_CE_CARD.model_description) assert.ok(card.includes(`- **${k}:** ${v}`), `model description lacks ${k}: ${v}`);
      assert.ok(card.includes(`- **Base model:** ${modelDir('tiny-bert-cross-encoder')}`));
      assert.match(card, /It computes scores for pairs of texts, which can be used for text reranking and semantic search\./);
      const cfg = JSON.stringify(PY_CE_CARD.loss_config, null, 4).split('\n').map((l) => `  ${l}`).join('\n');
      assert.ok(card.includes(`* Loss: <code>BinaryCrossEntropyLoss</code> with these parameters:\n  \`\`\`json\n${cfg}\n  \`\`\``), 'the loss config dict as 6.0.1 prints it');
      assert.match(card, /\* Size: 4 training samples\n\* Columns: <code>sentence1<\/code>, <code>sentence2<\/code>, <code>label<\/code>/);
      const nonDefault = card.slice(card.indexOf('#### Non-Default Hyperparameters'), card.indexOf('#### All Hyperparameters'));
      for (const line of ['- `per_device_train_batch_size`: 2', '- `num_train_epochs`: 1', '- `learning_rate`: 0.0001']) assert.ok(nonDefault.includes(line), `non-default hyperparameters lack ${line}`);
      assert.ok(!nonDefault.includes('adam_beta1'));
      assert.ok(card.slice(card.indexOf('#### All Hyperparameters')).includes('- `weight_decay`: 0'));
      // The metrics are the evaluator's last numbers (one evaluation, at the end of the epoch).
      assert.equal(result.evaluations.length, 1);
      for (const [k, v] of Object.entries(result.evaluations[0].metrics)) {
        const cell = k === evaluator.primaryMetric ? `| **${k}** | **${v.toFixed(4)}** |` : `| ${k} | ${v.toFixed(4)} |`;
        assert.ok(card.includes(cell), `metrics table lacks ${cell}`);
      }
      assert.match(card, /#### CrossEncoderCorrelationEvaluator \(`dev`\)/);
      const reloaded = await CrossEncoder.load(out);
      reloaded.dispose();
    } finally {
      ce.dispose();
    }
  });

  it('a multi-label cross-encoder card names its task (text pair classification), pipeline tag and label count', () => {
    const card = renderModelCard({
      modelType: 'CrossEncoder',
      numLabels: 3,
      baseModel: 'cross-encoder/nli-deberta-v3-base',
      maxSeqLength: 512,
      outputDimensionality: null,
      similarityFnName: null,
      trainDatasets: [{ size: 10, columns: ['sentence_0', 'sentence_1', 'label'], loss: { name: 'CrossEntropyLoss', config: { activation_fn: 'torch.nn.modules.linear.Identity' } } }],
      allHyperparameters: { batch_size: 16 },
      nonDefaultHyperparameters: {},
      evaluations: [],
      logs: [],
      backend: 'cpu',
    });
    assert.match(card, /^pipeline_tag: text-classification$/m);
    assert.match(card, /^# CrossEncoder based on cross-encoder\/nli-deberta-v3-base$/m);
    assert.match(card, /- \*\*Number of Output Labels:\*\* 3 labels/);
    assert.match(card, /which can be used for text pair classification\./);
    assert.doesNotMatch(card, /Output Dimensionality/);
  });
});

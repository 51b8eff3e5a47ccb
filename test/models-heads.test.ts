import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { createSequenceClassifier } from '../src/models/index.js';
import { loadSequenceClassifierFromDir } from '../src/modules/transformer.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import { assertEncoderParity, disposeInputs, readConfig, referenceInputs } from './helpers/models.js';
import { assertClose, loadReference, modelDir } from './helpers/reference.js';

const CASES = [
  { name: 'tiny-bert-cross-encoder', numLabels: 1, labels: ['LABEL_0'] },
  { name: 'tiny-roberta-nli-cross-encoder', numLabels: 3, labels: ['contradiction', 'entailment', 'neutral'] },
];

describe('sequence-classification heads (wasm)', function () {
  before(async () => {
    await initBackend('wasm');
  });

  for (const c of CASES) {
    it(`${c.name}: logits match PyTorch within 1e-5 (${c.numLabels} label${c.numLabels > 1 ? 's' : ''})`, async function () {
      requireFixtures(this, ['models', c.name], ['reference', c.name]);
      const ref = loadReference(c.name);
      const model = await loadSequenceClassifierFromDir(modelDir(c.name));
      const inputs = referenceInputs(ref, 'batch');
      try {
        assert.equal(model.numLabels, c.numLabels);
        assert.deepEqual(model.labels, c.labels);
        assert.deepEqual(model.loadReport, { unused: [], missing: [] }, 'every tensor of the checkpoint is used');
        const logits = model.forward(inputs);
        assertClose(logits, ref.tensorValues('batch.logits', logits.shape), 1e-5, `${c.name} logits`);
        logits.dispose();
      } finally {
        disposeInputs(inputs);
        model.dispose();
      }
    });

    it(`${c.name}: the encoder inside matches every hidden state within 1e-5`, async function () {
      requireFixtures(this, ['models', c.name], ['reference', c.name]);
      const model = await loadSequenceClassifierFromDir(modelDir(c.name));
      try {
        assertEncoderParity(model.encoder, loadReference(c.name), 'batch', 1e-5);
      } finally {
        model.dispose();
      }
    });
  }

  it('classifier forward leaks no tensors and dispose() frees every weight', async function () {
    requireFixtures(this, ['models', 'tiny-bert-cross-encoder'], ['reference', 'tiny-bert-cross-encoder']);
    const before = tf.memory().numTensors;
    const model = await loadSequenceClassifierFromDir(modelDir('tiny-bert-cross-encoder'));
    const inputs = referenceInputs(loadReference('tiny-bert-cross-encoder'), 'batch');
    const loaded = tf.memory().numTensors;
    model.forward(inputs).dispose();
    assert.equal(tf.memory().numTensors, loaded);
    disposeInputs(inputs);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('a checkpoint without the head is an error naming the missing tensor', async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    const before = tf.memory().numTensors;
    const weights = WeightMap.from(await loadCheckpointDir(modelDir('tiny-bert')));
    assert.throws(() => createSequenceClassifier(readConfig('tiny-bert'), weights), /cannot find tensor classifier\.weight/);
    assert.equal(tf.memory().numTensors, before, 'a failed load leaves no tensors behind');
  });
});

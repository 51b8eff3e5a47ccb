import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { positionIdsFromInputIds } from '../src/layers/position_ids.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import { assertEncoderParity, disposeInputs, loadFixtureModel, prefixedSource, readConfig, referenceInputs, assertBatchedEqualsSingle } from './helpers/models.js';
import { assertClose, loadReference, modelDir } from './helpers/reference.js';

describe('RoBERTa encoder (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-roberta'], ['reference', 'tiny-roberta']);
    await initBackend('wasm');
  });

  it('position ids count real tokens from padding_idx + 1 and give padding padding_idx', () => {
    // pad = 1: "<s> a b </s> <pad> <pad>" -> 2 3 4 5 1 1; a pad id in the middle keeps its padding position.
    const ids = tf.tensor2d([[0, 10, 11, 2, 1, 1], [0, 1, 12, 2, 1, 1]], [2, 6], 'int32');
    const pos = positionIdsFromInputIds(ids, 1);
    assert.deepEqual(pos.arraySync(), [[2, 3, 4, 5, 1, 1], [2, 1, 3, 4, 1, 1]]);
    assert.equal(pos.dtype, 'int32');
    tf.dispose([ids, pos]);
  });

  it('tiny-roberta matches every hidden state and the padded last_hidden_state within 1e-5', async () => {
    const model = await loadFixtureModel('tiny-roberta');
    try {
      assertEncoderParity(model, loadReference('tiny-roberta'), 'batch', 1e-5);
    } finally {
      model.dispose();
    }
  });

  it('tiny-roberta matches every attention map of the probe batch within 1e-5', async () => {
    const model = await loadFixtureModel('tiny-roberta');
    try {
      assertEncoderParity(model, loadReference('tiny-roberta'), 'probe', 1e-5);
    } finally {
      model.dispose();
    }
  });

  it('usable length is max_position_embeddings - padding_idx - 1', async () => {
    const model = await loadFixtureModel('tiny-roberta');
    try {
      assert.equal(model.maxPositionEmbeddings, 514 - 1 - 1);
      assert.equal(model.padTokenId, 1);
      const long = tf.fill([1, 513], 5, 'int32') as tf.Tensor2D;
      assert.throws(() => model.forward({ inputIds: long, attentionMask: tf.onesLike(long) }), /sequence length 513 exceeds the model's maximum of 512 positions/);
      long.dispose();
    } finally {
      model.dispose();
    }
  });

  it('row i of a padded batch equals that text encoded alone within 1e-6', async () => {
    const model = await loadFixtureModel('tiny-roberta');
    try {
      assertBatchedEqualsSingle(model, loadReference('tiny-roberta'), 1e-6);
    } finally {
      model.dispose();
    }
  });

  it('xlm-roberta is the same architecture and accepts roberta.-prefixed keys', async () => {
    const source = await loadCheckpointDir(modelDir('tiny-roberta'));
    const cfg = { ...readConfig('tiny-roberta'), model_type: 'xlm-roberta' };
    const xlmr = createModel(cfg, WeightMap.from(prefixedSource(source, 'roberta.')));
    const roberta = createModel(readConfig('tiny-roberta'), WeightMap.from(source));
    const inputs = referenceInputs(loadReference('tiny-roberta'), 'probe');
    try {
      assert.equal(xlmr.modelType, 'xlm-roberta');
      assert.deepEqual(xlmr.loadReport.unused, ['roberta.pooler.dense.bias', 'roberta.pooler.dense.weight']);
      const a = xlmr.forward(inputs).lastHiddenState;
      const b = roberta.forward(inputs).lastHiddenState;
      assertClose(a, b, 0, 'xlm-roberta vs roberta');
      tf.dispose([a, b]);
    } finally {
      disposeInputs(inputs);
      xlmr.dispose();
      roberta.dispose();
    }
  });

  it('forward leaks no tensors and dispose() frees every weight', async () => {
    const before = tf.memory().numTensors;
    const model = await loadFixtureModel('tiny-roberta');
    const inputs = referenceInputs(loadReference('tiny-roberta'), 'probe');
    const loaded = tf.memory().numTensors;
    tf.dispose(model.forward(inputs, { outputHiddenStates: true, outputAttentions: true }) as unknown as tf.TensorContainer);
    assert.equal(tf.memory().numTensors, loaded);
    disposeInputs(inputs);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { createModel } from '../src/models/index.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import {
  assertEncoderParity,
  disposeInputs,
  loadFixtureModel,
  prefixedSource,
  readConfig,
  referenceInputs,
  assertBatchedEqualsSingle } from './helpers/models.js';
import { assertClose, loadReference, modelDir } from './helpers/reference.js';

for (const device of ['wasm', 'cpu'] as const) {
  describe(`BERT encoder parity with PyTorch (${device})`, function () {
    before(async function () {
      requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'tiny-bert']);
      assert.equal(await initBackend(device, { fallbackToCpu: false }), device);
    });
    after(async () => {
      await initBackend('wasm'); // leave the default backend for the suites that follow
    });

    it('tiny-bert matches every hidden state and the padded last_hidden_state within 1e-5', async () => {
      const model = await loadFixtureModel('tiny-bert');
      try {
        assertEncoderParity(model, loadReference('tiny-bert'), 'batch', 1e-5);
      } finally {
        model.dispose();
      }
    });

    it('tiny-bert matches every attention map of the probe batch within 1e-5', async () => {
      const model = await loadFixtureModel('tiny-bert');
      try {
        assertEncoderParity(model, loadReference('tiny-bert'), 'probe', 1e-5);
      } finally {
        model.dispose();
      }
    });
  });
}

describe('BERT checkpoints in other storage formats (wasm)', function () {
  before(async () => {
    await initBackend('wasm');
  });

  for (const name of ['tiny-bert-f16', 'tiny-bert-bf16', 'tiny-bert-sharded']) {
    it(`${name} matches its own reference (hidden states and attentions) within 1e-5`, async function () {
      requireFixtures(this, ['models', name], ['reference', name]);
      const model = await loadFixtureModel(name);
      try {
        const ref = loadReference(name);
        assertEncoderParity(model, ref, 'batch', 1e-5);
        assertEncoderParity(model, ref, 'probe', 1e-5);
      } finally {
        model.dispose();
      }
    });
  }

  it('minilm-l6-full (all-MiniLM-L6-v2 architecture, F16 weights) matches the last hidden state of every real token within 1e-4', async function () {
    this.timeout(600_000);
    requireFixtures(this, ['models', 'minilm-l6-full'], ['reference', 'minilm-l6-full']);
    const ref = loadReference('minilm-l6-full');
    const model = await loadFixtureModel('minilm-l6-full');
    const inputs = referenceInputs(ref, 'batch');
    try {
      const out = model.forward(inputs);
      const [b, t, h] = out.lastHiddenState.shape;
      assert.deepEqual([b, t, h], [25, 256, 384]);
      // The ragged reference: real tokens of text i are rows offsets[i]..offsets[i+1].
      const lengths = ref.i32('batch.lengths');
      const ragged = ref.f32('batch.last_hidden_state_ragged');
      const ours = out.lastHiddenState.dataSync();
      const mine = new Float32Array(ragged.length);
      let row = 0;
      for (let i = 0; i < b; i++) {
        for (let j = 0; j < lengths[i]; j++, row++) mine.set(ours.subarray((i * t + j) * h, (i * t + j + 1) * h), row * h);
      }
      assert.equal(row * h, ragged.length, 'ragged row count');
      const diff = assertClose(mine, ragged, 1e-4, 'last_hidden_state_ragged');
      if (process.env.SENTENCE_TFJS_VERBOSE) console.log(`    minilm-l6-full max abs diff ${diff}`);
      tf.dispose(out as unknown as tf.TensorContainer);
    } finally {
      disposeInputs(inputs);
      model.dispose();
    }
  });
});

describe('BERT encoder behaviour (wasm)', function () {
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert'], ['reference', 'tiny-bert']);
    await initBackend('wasm');
  });

  it('row i of a padded batch equals that text encoded alone within 1e-6', async () => {
    const model = await loadFixtureModel('tiny-bert');
    try {
      assertBatchedEqualsSingle(model, loadReference('tiny-bert'), 1e-6);
    } finally {
      model.dispose();
    }
  });

  it('forward leaks no tensors and dispose() frees every weight', async () => {
    const before = tf.memory().numTensors;
    const model = await loadFixtureModel('tiny-bert');
    const inputs = referenceInputs(loadReference('tiny-bert'), 'probe');
    const loaded = tf.memory().numTensors;
    assert.ok(loaded > before + 4, 'weights are tensors');
    const out = model.forward(inputs, {
      outputHiddenStates: true,
      outputAttentions: true,
      taps: ['embeddings', 'encoder.layer.0.attention.self', 'encoder.layer.1.intermediate'],
    });
    tf.dispose(out as unknown as tf.TensorContainer);
    assert.equal(tf.memory().numTensors, loaded, 'tensors after forward + dispose of the outputs');
    disposeInputs(inputs);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'tensors after model.dispose()');
  });

  it('taps return intermediates under HF module paths', async () => {
    const ref = loadReference('tiny-bert');
    const model = await loadFixtureModel('tiny-bert');
    const inputs = referenceInputs(ref, 'probe');
    try {
      assert.ok(model.tapNames().includes('encoder.layer.1.attention.self'));
      const out = model.forward(inputs, {
        outputHiddenStates: true,
        taps: ['embeddings', 'encoder.layer.0.attention.self', 'encoder.layer.0.intermediate', 'encoder.layer.1.output'],
      });
      const taps = out.intermediates!;
      const [b, t] = inputs.inputIds.shape;
      assert.deepEqual(taps['encoder.layer.0.attention.self'].shape, [b, t, 32]); // context before the output dense
      assert.deepEqual(taps['encoder.layer.0.intermediate'].shape, [b, t, 64]); // after the activation
      assertClose(taps['embeddings'], out.hiddenStates![0], 0, 'embeddings tap = hidden_states[0]');
      assertClose(taps['encoder.layer.1.output'], out.lastHiddenState, 0, 'last layer output tap = last hidden state');
      // The intermediate after exact-erf GELU is non-negative up to GELU's minimum (about -0.17).
      assert.ok(tf.min(taps['encoder.layer.0.intermediate']).dataSync()[0] >= -0.1701);
      tf.dispose(out as unknown as tf.TensorContainer);
      assert.throws(() => model.forward(inputs, { taps: ['encoder.layer.9.output'] }), /unknown tap name\(s\) "encoder\.layer\.9\.output"; valid taps: embeddings, encoder\.layer\.0/);
    } finally {
      disposeInputs(inputs);
      model.dispose();
    }
  });

  it('accepts checkpoints whose keys carry the bert. prefix and reports the unused pooler', async () => {
    const ref = loadReference('tiny-bert');
    const source = await loadCheckpointDir(modelDir('tiny-bert'));
    const plain = createModel(readConfig('tiny-bert'), WeightMap.from(source));
    const prefixed = createModel(readConfig('tiny-bert'), WeightMap.from(prefixedSource(source, 'bert.')));
    const inputs = referenceInputs(ref, 'probe');
    try {
      assert.deepEqual(plain.loadReport, { unused: ['pooler.dense.bias', 'pooler.dense.weight'], missing: [] });
      assert.deepEqual(prefixed.loadReport.unused, ['bert.pooler.dense.bias', 'bert.pooler.dense.weight']);
      const a = plain.forward(inputs).lastHiddenState;
      const b = prefixed.forward(inputs).lastHiddenState;
      assertClose(a, b, 0, 'prefixed checkpoint');
      tf.dispose([a, b]);
    } finally {
      disposeInputs(inputs);
      plain.dispose();
      prefixed.dispose();
    }
  });

  it('treats absent token_type_ids as zeros', async () => {
    const model = await loadFixtureModel('tiny-bert');
    const inputs = referenceInputs(loadReference('tiny-bert'), 'probe');
    try {
      assert.equal(tf.max(inputs.tokenTypeIds!).dataSync()[0], 0);
      const a = model.forward(inputs).lastHiddenState;
      const b = model.forward({ inputIds: inputs.inputIds, attentionMask: inputs.attentionMask }).lastHiddenState;
      assertClose(a, b, 0, 'without token types');
      tf.dispose([a, b]);
    } finally {
      disposeInputs(inputs);
      model.dispose();
    }
  });
});

describe('BERT configuration and input errors', function () {
  let source: Awaited<ReturnType<typeof loadCheckpointDir>>;
  before(async function () {
    requireFixtures(this, ['models', 'tiny-bert']);
    await initBackend('wasm');
    source = await loadCheckpointDir(modelDir('tiny-bert'));
  });

  const build = (edit: (c: Record<string, unknown>) => void) => {
    const cfg = readConfig('tiny-bert');
    edit(cfg);
    const before = tf.memory().numTensors;
    try {
      return createModel(cfg, WeightMap.from(source));
    } catch (e) {
      assert.equal(tf.memory().numTensors, before, 'a failed load leaves no tensors behind');
      throw e;
    }
  };

  it('a config missing a required key is an error naming the key', () => {
    assert.throws(() => build((c) => delete c.hidden_size), /missing required key "hidden_size"/);
    assert.throws(() => build((c) => delete c.num_hidden_layers), /missing required key "num_hidden_layers"/);
  });

  it('an invalid config value is an error naming the key and the value', () => {
    assert.throws(() => build((c) => (c.num_attention_heads = 'four')), /"num_attention_heads" must be a positive integer, got "four"/);
    assert.throws(() => build((c) => (c.num_attention_heads = 5)), /hidden_size \(32\) must be a multiple of num_attention_heads \(5\)/);
    assert.throws(() => build((c) => (c.hidden_act = 'mish')), /unsupported hidden_act "mish"; supported: gelu, /);
  });

  it('weights of the wrong shape are an error naming the tensor and both shapes', () => {
    assert.throws(
      () => build((c) => (c.intermediate_size = 48)),
      /shape mismatch for encoder\.layer\.0\.intermediate\.dense\.weight: expected \[48, 32\], got \[64, 32\]/,
    );
  });

  it('relative position embeddings, decoders and cross-attention are rejected naming key and value', () => {
    assert.throws(() => build((c) => (c.position_embedding_type = 'relative_key')), /"position_embedding_type": "relative_key" is not supported/);
    assert.throws(() => build((c) => (c.is_decoder = true)), /"is_decoder": true is not supported/);
    assert.throws(() => build((c) => (c.add_cross_attention = true)), /"add_cross_attention": true is not supported/);
  });

  it('an unknown model_type lists the supported ones', () => {
    assert.throws(() => build((c) => (c.model_type = 'gpt2')), /unsupported model_type "gpt2" in config.json; supported: bert, roberta, xlm-roberta, distilbert, mpnet, gemma3_text, qwen3, modernbert$/);
  });

  it('rejects inputs of the wrong dtype, shape, length or id range', async () => {
    const model = build(() => {});
    const ids = tf.tensor2d([[101, 2000, 102]], [1, 3], 'int32');
    const mask = tf.onesLike(ids);
    try {
      assert.throws(() => model.forward({ inputIds: tf.cast(ids, 'float32') as tf.Tensor2D, attentionMask: mask }), /inputIds must be int32, got float32/);
      assert.throws(() => model.forward({ inputIds: ids, attentionMask: tf.ones([1, 4], 'int32') }), /attentionMask shape \[1, 4\] differs from inputIds shape \[1, 3\]/);
      assert.throws(() => model.forward({ inputIds: tf.fill([1, 3], 30522, 'int32') as tf.Tensor2D, attentionMask: mask }), /inputIds must lie in \[0, 30522\) \(vocab_size\), got values in \[30522, 30522\]/);
      assert.throws(() => model.forward({ inputIds: ids, attentionMask: mask, tokenTypeIds: tf.fill([1, 3], 2, 'int32') as tf.Tensor2D }), /tokenTypeIds must lie in \[0, 2\)/);
      const long = tf.zeros([1, 513], 'int32') as tf.Tensor2D;
      assert.throws(() => model.forward({ inputIds: long, attentionMask: long }), /sequence length 513 exceeds the model's maximum of 512 positions/);
    } finally {
      model.dispose();
    }
  });
});

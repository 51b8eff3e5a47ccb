import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backends/index.js';
import { requireFixtures } from './helpers/fixtures.js';
import { disposeInputs, loadFixtureModel, referenceInputs } from './helpers/models.js';
import { loadReference } from './helpers/reference.js';

const MODELS = [
  { name: 'tiny-bert', layer: 'encoder.layer', inLayer: ['attention', 'attention.self', 'attention.output', 'intermediate', 'output'] },
  { name: 'tiny-roberta', layer: 'encoder.layer', inLayer: ['attention', 'attention.self', 'attention.output', 'intermediate', 'output'] },
  { name: 'tiny-mpnet', layer: 'encoder.layer', inLayer: ['attention', 'attention.attn', 'intermediate', 'output'] },
  { name: 'tiny-distilbert', layer: 'transformer.layer', inLayer: ['attention', 'sa_layer_norm', 'ffn', 'output_layer_norm'] },
];

describe('inspection taps are the module tree', function () {
  before(async function () {
    requireFixtures(this, ...MODELS.flatMap((m) => [['models', m.name], ['reference', m.name]]));
    await initBackend('wasm');
  });

  for (const m of MODELS) {
    it(`${m.name}: tapNames() walks the tree (embeddings, then each layer before its modules)`, async () => {
      const model = await loadFixtureModel(m.name);
      try {
        const expected = ['embeddings'];
        for (let i = 0; i < model.numLayers; i++) expected.push(`${m.layer}.${i}`, ...m.inLayer.map((t) => `${m.layer}.${i}.${t}`));
        assert.deepEqual(model.tapNames(), expected);
      } finally {
        model.dispose();
      }
    });

    it(`${m.name}: every listed tap comes back from forward, and the layer taps equal the hidden states`, async () => {
      const model = await loadFixtureModel(m.name);
      const inputs = referenceInputs(loadReference(m.name), 'probe');
      try {
        const names = model.tapNames();
        const out = model.forward(inputs, { taps: names, outputHiddenStates: true });
        const [b, t] = inputs.inputIds.shape;
        assert.deepEqual(Object.keys(out.intermediates!).sort(), [...names].sort());
        for (const n of names) assert.deepEqual(out.intermediates![n].shape.slice(0, 2), [b, t], n);
        for (let i = 0; i < model.numLayers; i++) {
          assert.deepEqual(out.intermediates![`${m.layer}.${i}`].dataSync(), out.hiddenStates![i + 1].dataSync(), `${m.layer}.${i}`);
        }
        tf.dispose(out as unknown as tf.TensorContainer);
      } finally {
        disposeInputs(inputs);
        model.dispose();
      }
    });
  }
});

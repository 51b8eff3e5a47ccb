import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Dense } from '../src/modules/dense.js';
import { Normalize } from '../src/modules/normalize.js';
import { activationFromName } from '../src/modules/activations.js';
import { moduleKind } from '../src/modules/pipeline.js';
import { pyStrip, codePointLength } from '../src/modules/text.js';
import { readJSONFile } from '../src/platform/fs.js';
import { loadCheckpointDir } from '../src/weights/load.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, maxAbsDiff, referenceParts } from './helpers/st_reference.js';

const run = (m: { forward: (f: never) => { sentenceEmbedding?: tf.Tensor2D } }, rows: Float32Array[]) =>
  tf.tidy(() => {
    const x = tf.tensor2d(rows.map((r) => Array.from(r)));
    return m.forward({ sentenceEmbedding: x } as never).sentenceEmbedding!.arraySync();
  });

describe('pipeline modules after pooling (Dense, Normalize)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('Dense 32->16 with Tanh matches tiny-roberta module 2 within 1e-5', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-roberta'), ['models', 'tiny-roberta', '2_Dense'])) return;
    const ref = loadReference('tiny-roberta');
    const dir = fixture('models', 'tiny-roberta', '2_Dense');
    const dense = Dense.fromConfig(await readJSONFile(`${dir}/config.json`), await loadCheckpointDir(dir));
    assert.equal(dense.getSentenceEmbeddingDimension(), 16);
    assert.equal(dense.activationName, 'torch.nn.modules.activation.Tanh');
    const got = run(dense, ref.rows('modules.1.sentence_embedding'));
    const d = maxAbsDiff(got, ref.rows('modules.2.sentence_embedding'));
    assert.ok(d <= 1e-5, `max abs diff ${d}`);
    dense.dispose();
  });

  it('Normalize matches tiny-bert module 2 within 1e-6', function () {
    if (!requireFixtures(this, ...referenceParts('tiny-bert'))) return;
    const ref = loadReference('tiny-bert');
    const got = run(new Normalize(), ref.rows('modules.1.sentence_embedding'));
    const d = maxAbsDiff(got, ref.rows('modules.2.sentence_embedding'));
    assert.ok(d <= 1e-6, `max abs diff ${d}`);
  });

  it('Normalize maps a zero vector to zeros (norm clamped at 1e-12)', () => {
    assert.deepEqual(run(new Normalize(), [new Float32Array([0, 0])]), [[0, 0]]);
  });

  it('Dense rejects embeddings of the wrong size', async function () {
    if (!requireFixtures(this, ['models', 'tiny-roberta', '2_Dense'])) return;
    const dir = fixture('models', 'tiny-roberta', '2_Dense');
    const dense = Dense.fromConfig(await readJSONFile(`${dir}/config.json`), await loadCheckpointDir(dir));
    assert.throws(() => run(dense, [new Float32Array(8)]), /in_features=32, got 8/);
    dense.dispose();
  });

  it('activation names resolve from torch class paths, unknown ones are listed', () => {
    assert.equal(activationFromName('torch.nn.modules.linear.Identity').name, 'torch.nn.modules.linear.Identity');
    const y = tf.tidy(() => activationFromName('torch.nn.modules.activation.Tanh').fn(tf.tensor1d([0.5])).arraySync());
    assert.ok(Math.abs((y as number[])[0] - Math.tanh(0.5)) < 1e-7);
    assert.throws(() => activationFromName('torch.nn.modules.activation.Hardswish'), /Hardswish.*supported: .*torch\.nn\.Tanh/);
  });

  it('module types resolve from modules.json names; an unknown one names itself and the supported list', () => {
    assert.equal(moduleKind('sentence_transformers.models.Pooling'), 'Pooling');
    assert.equal(moduleKind('sentence_transformers.models.Dense.Dense'), 'Dense');
    assert.throws(() => moduleKind('sentence_transformers.models.WordWeights'), /WordWeights.*supported: .*modules\.transformer\.Transformer.*modules\.normalize\.Normalize/);
  });

  it('strip uses Python whitespace (removes \\u001f, keeps \\u200b) and len counts code points', () => {
    assert.equal(pyStrip('\u00a0\u3000 odd whitespace around \u2003\u001f'), 'odd whitespace around');
    assert.equal(pyStrip('\u200bx\u200b'), '\u200bx\u200b');
    assert.equal(pyStrip('\u0085\u001cx\u000b'), 'x');
    assert.equal(codePointLength('I love 🍕'), 8);
    assert.equal(codePointLength(''), 0);
  });
});

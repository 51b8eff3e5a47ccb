import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './src/backends/index.js';
import { disableWasmKernels } from './src/kernels/index.js';
import { SentenceTransformer } from './src/api/sentence_transformer.js';
import { computeGradients, modelParameters } from './src/training/loop.js';
import { readDataset } from './src/training/datasets.js';
import { createLoss } from './src/losses/registry.js';
import { Rng } from './src/training/rng.js';
import { RUNS, runRows, trainingReference, torchLayout, refName, diffs } from './test/helpers/training_reference.js';
import { modelDir } from './test/helpers/reference.js';
const dev = process.argv[2] ?? 'cpu';
await initBackend(dev as any, { fallbackToCpu: false });
if (process.argv[3] === 'off') disableWasmKernels();
const ref = trainingReference();
const rows: number[] = ref.json.bi_encoder.word_embedding_rows;
const losses: Record<string, any> = {
  cosine_similarity_loss: createLoss('CosineSimilarityLoss'),
  multiple_negatives_ranking_loss: createLoss('MultipleNegativesRankingLoss'),
  cosent_loss: createLoss('CoSENTLoss'),
  matryoshka_mnrl_loss: createLoss('MatryoshkaLoss', { matryoshkaDims: [32, 16, 8] }),
};
for (const run of RUNS) {
  const model = await SentenceTransformer.load(modelDir('tiny-bert'));
  const loss = losses[run];
  const ex = readDataset(runRows(run), { what: loss.name, textColumns: loss.textColumns, needsLabels: loss.needsLabels });
  const params = modelParameters(model as any);
  const { loss: l, grads } = computeGradients(model as any, loss, ex.slice(0, 4), params.map((p) => p.variable), { hidden: 0, attention: 0 }, new Rng(1));
  const lv = l.dataSync()[0];
  let worst = 0, worstName = '';
  for (const p of params) {
    const g = grads[p.variable.name];
    const hf = p.key.replace(/^0\.auto_model\./, '');
    const name = refName(`bi.${run}.grad_step0`, hf);
    if (!ref.has(name)) { if (g) console.log('extra grad', hf); continue; }
    if (!g) { console.log('missing grad', hf); continue; }
    const d = diffs(torchLayout(p, g, rows), ref.f32(name)).abs;
    if (d > worst) { worst = d; worstName = hf; }
  }
  console.log(dev, process.argv[3] ?? 'on', run, 'loss', lv, 'ref', ref.json.bi_encoder.runs[run].loss_per_step[0], 'max grad diff', worst, worstName);
  tf.dispose([l, ...Object.values(grads)]);
  model.dispose();
}

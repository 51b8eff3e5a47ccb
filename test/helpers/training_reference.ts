/**
 * Reading `fixtures/reference/training` (fixtures README, "Fine-tuning references (multi-step)") for the training
 * tests: the bi-encoder runs' datasets, step records and tensors, and comparisons of a trained model's parameters
 * and gradients with the recorded ones (word embeddings only at the recorded rows; linear weights transposed back).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { CrossEncoder } from '../../src/api/cross_encoder.js';
import type { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { createLoss } from '../../src/losses/registry.js';
import type { Loss } from '../../src/losses/types.js';
import { modelParameters, type StepLog } from '../../src/training/loop.js';
import type { NamedParameter } from '../../src/weights/index.js';
import { loadReference, type Reference } from './reference.js';

export const RUNS = ['cosine_similarity_loss', 'multiple_negatives_ranking_loss', 'cosent_loss', 'matryoshka_mnrl_loss'] as const;
export type RunName = (typeof RUNS)[number];

/** The loss of a reference run, configured as the reference's script configures it. */
export function lossOf(run: RunName): Loss {
  switch (run) {
    case 'cosine_similarity_loss':
      return createLoss('CosineSimilarityLoss');
    case 'multiple_negatives_ranking_loss':
      return createLoss('MultipleNegativesRankingLoss', { scale: 20, similarityFct: 'cos_sim' });
    case 'cosent_loss':
      return createLoss('CoSENTLoss');
    case 'matryoshka_mnrl_loss':
      return createLoss('MatryoshkaLoss', { matryoshkaDims: [32, 16, 8] });
  }
}

export function trainingReference(): Reference {
  return loadReference('training');
}

/** The 12 rows of a run in dataset order, as the run's columns (sentence1/sentence2/score or anchor/positive). */
export function runRows(run: RunName): Record<string, unknown>[] {
  const ref = trainingReference().json.bi_encoder;
  const cols: string[] = ref.runs[run].columns;
  return ref.dataset.rows.map((r: Record<string, unknown>) =>
    cols.length === 3 ? { [cols[0]]: r.sentence1, [cols[1]]: r.sentence2, [cols[2]]: r.score } : { [cols[0]]: r.sentence1, [cols[1]]: r.sentence2 },
  );
}

/** Values of a parameter or gradient in PyTorch's layout and, for the word embeddings, only the recorded rows. */
export function torchLayout(p: NamedParameter, value: tf.Tensor, rows: number[] | undefined): Float32Array {
  return tf.tidy(() => {
    let t = p.transposed ? tf.transpose(value) : value;
    if (p.key.endsWith('word_embeddings.weight') && rows) t = tf.gather(t, tf.tensor1d(rows, 'int32'));
    return t.dataSync() as Float32Array;
  });
}

/** {@link torchLayout} read asynchronously (webgpu and webgl have no cheap synchronous read; Dawn in Node none). */
export async function torchLayoutAsync(p: NamedParameter, value: tf.Tensor, rows: number[] | undefined): Promise<Float32Array> {
  const t = tf.tidy(() => {
    let v = p.transposed ? tf.transpose(value) : tf.clone(value);
    if (p.key.endsWith('word_embeddings.weight') && rows) v = tf.gather(v, tf.tensor1d(rows, 'int32'));
    return v;
  });
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** The largest differences of a bi-encoder fit() run from the reference (see {@link checkBiEncoderFit}). */
export interface FitDiffs {
  lossRel: number;
  normRel: number;
  /** every parameter element except the key biases and the float32-sensitive word-embedding elements */
  params: number;
  /** the float32-sensitive elements (as many as the float64 twin shows, each within 1e-4) */
  sensitive: number;
  keyBiases: number;
  encode: number;
}

/**
 * Assert a 9-step bi-encoder `fit()` run (`logs` and the trained `model`) against the reference run `run`: per-step
 * lr (1e-15), loss and grad norm (1e-5 relative), every final parameter (1e-5 abs; the attention key biases within
 * sum(lr); as many word-embedding elements as the float64 twin shows float32-sensitive within 1e-4) and encode of
 * the evaluation texts after training (1e-5). All reads are asynchronous, so it runs on every backend.
 */
export async function checkBiEncoderFit(model: SentenceTransformer, run: RunName, logs: StepLog[]): Promise<FitDiffs> {
  const ref = trainingReference();
  const rec = ref.json.bi_encoder.runs[run];
  const rows: number[] = ref.json.bi_encoder.word_embedding_rows;
  assert.equal(logs.length, 9);
  const out: FitDiffs = { lossRel: 0, normRel: 0, params: 0, sensitive: 0, keyBiases: 0, encode: 0 };
  logs.forEach((l, k) => {
    assert.equal(l.step, k + 1);
    assert.ok(Math.abs(l.learningRate - rec.lr_per_step[k]) <= 1e-15, `lr at step ${k}: ${l.learningRate} vs ${rec.lr_per_step[k]}`);
    const lr = Math.abs(l.loss - rec.loss_per_step[k]) / Math.abs(rec.loss_per_step[k]);
    const nr = Math.abs(l.gradNorm - rec.grad_norm_before_clipping_per_step[k]) / rec.grad_norm_before_clipping_per_step[k];
    assert.ok(lr <= 1e-5, `loss at step ${k}: ${l.loss} vs ${rec.loss_per_step[k]} (rel ${lr})`);
    assert.ok(nr <= 1e-5, `grad norm at step ${k}: ${l.gradNorm} vs ${rec.grad_norm_before_clipping_per_step[k]} (rel ${nr})`);
    out.lossRel = Math.max(out.lossRel, lr);
    out.normRel = Math.max(out.normRel, nr);
  });
  const sumLr = rec.lr_per_step.reduce((a: number, b: number) => a + b, 0);
  const twin = ref.json.float64_twins.runs[run];
  for (const p of modelParameters(model)) {
    const hf = p.key.replace(/^0\.auto_model\./, '');
    const ours = await torchLayoutAsync(p, p.variable, rows);
    const theirs = ref.f32(refName(`bi.${run}.param_after`, hf));
    const d = diffs(ours, theirs).abs;
    if (/attention\.self\.key\.bias$/.test(hf)) {
      assert.ok(d <= sumLr, `${hf}: ${d} > sum(lr) ${sumLr}`);
      out.keyBiases = Math.max(out.keyBiases, d);
      continue;
    }
    // A few word-embedding elements are as sensitive as the key biases: torch float32 and float64 already differ
    // there by up to 5.9e-5 (float64_twins: elements_with_abs_diff_gt_1e-6_excluding_key_biases). That many
    // elements may exceed 1e-5, within 1e-4; every other element must be within 1e-5.
    const sensitive: number = twin['elements_with_abs_diff_gt_1e-6_excluding_key_biases']?.[hf] ?? 0;
    let over = 0;
    for (let i = 0; i < ours.length; i++) {
      const di = Math.abs(ours[i] - theirs[i]);
      if (di > 1e-5) {
        over++;
        assert.ok(di <= 1e-4, `${hf}[${i}]: ${di} > 1e-4`);
        out.sensitive = Math.max(out.sensitive, di);
      } else out.params = Math.max(out.params, di);
    }
    assert.ok(over <= sensitive, `${hf}: ${over} elements differ by more than 1e-5 (max ${d}); the float64 twin shows ${sensitive} float32-sensitive elements`);
  }
  const enc = (await model.encode(ref.json.bi_encoder.eval_texts as string[])) as unknown as Float32Array[];
  const flat = new Float32Array(enc.length * enc[0].length);
  enc.forEach((r, i) => flat.set(r, i * r.length));
  out.encode = diffs(flat, ref.f32(`bi.${run}.encode_after`)).abs;
  assert.ok(out.encode <= 1e-5, `encode after: max abs diff ${out.encode}`);
  return out;
}

/** The largest differences of the CrossEncoder.fit run from the reference (see {@link checkCrossEncoderFit}). */
export interface CrossEncoderFitDiffs {
  lossRel: number;
  normRel: number;
  params: number;
  keyBiases: number;
  /** predict after training: Sigmoid scores and Identity logits */
  predict: number;
}

/**
 * Assert the reference's 8-step CrossEncoder.fit run (`logs` and the trained `ce`): per-step lr (1e-15), loss and
 * grad norm (1e-5 relative), every parameter (1e-5; the key biases within sum(lr)), the recorded parameter set, and
 * predict after training (1e-5). All reads are asynchronous.
 */
export async function checkCrossEncoderFit(ce: CrossEncoder, logs: StepLog[]): Promise<CrossEncoderFitDiffs> {
  const ref = trainingReference();
  const rec = ref.json.cross_encoder;
  assert.equal(logs.length, 8);
  const out: CrossEncoderFitDiffs = { lossRel: 0, normRel: 0, params: 0, keyBiases: 0, predict: 0 };
  logs.forEach((l, k) => {
    assert.ok(Math.abs(l.learningRate - rec.lr_per_step[k]) <= 1e-15, `lr at step ${k}`);
    const a = Math.abs(l.loss - rec.loss_per_step[k]) / rec.loss_per_step[k];
    const b = Math.abs(l.gradNorm - rec.grad_norm_before_clipping_per_step[k]) / rec.grad_norm_before_clipping_per_step[k];
    assert.ok(a <= 1e-5, `loss at step ${k}: ${l.loss} vs ${rec.loss_per_step[k]}`);
    assert.ok(b <= 1e-5, `grad norm at step ${k}: ${l.gradNorm} vs ${rec.grad_norm_before_clipping_per_step[k]}`);
    out.lossRel = Math.max(out.lossRel, a);
    out.normRel = Math.max(out.normRel, b);
  });
  const sumLr = rec.lr_per_step.reduce((x: number, y: number) => x + y, 0);
  const rows: number[] = rec.word_embedding_rows;
  const recorded = new Set(Object.keys(rec.param_after_tensors));
  for (const p of ce.model.parameters!()) {
    assert.ok(recorded.has(p.key), `unexpected parameter ${p.key}`);
    recorded.delete(p.key);
    const d = diffs(await torchLayoutAsync(p, p.variable, rows), ref.f32(refName('ce.param_after', p.key))).abs;
    if (/attention\.self\.key\.bias$/.test(p.key)) {
      assert.ok(d <= sumLr, `${p.key}: ${d}`);
      out.keyBiases = Math.max(out.keyBiases, d);
    } else {
      assert.ok(d <= 1e-5, `${p.key}: final parameter max abs diff ${d}`);
      out.params = Math.max(out.params, d);
    }
  }
  assert.deepEqual([...recorded], [], 'recorded parameters the model does not train');
  const scores = (await ce.predict(rec.eval_pairs)) as number[];
  const logits = (await ce.predict(rec.eval_pairs, { activationFn: 'torch.nn.Identity' })) as number[];
  const ds = diffs(scores, rec.predict.after.scores).abs;
  const dl = diffs(logits, rec.predict.after.logits).abs;
  assert.ok(ds <= 1e-5 && dl <= 1e-5, `predict after: scores ${ds}, logits ${dl}`);
  out.predict = Math.max(ds, dl);
  return out;
}

/** The reference tensor name of a parameter for `<prefix>.<name>` (word embeddings: `.rows`). */
export function refName(prefix: string, hfName: string): string {
  return `${prefix}.${hfName}${hfName.endsWith('word_embeddings.weight') ? '.rows' : ''}`;
}

/** Max |a - b| / max(|b|, floor) over arrays; and max abs. */
export function diffs(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; index: number } {
  let abs = 0;
  let index = -1;
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= abs)) {
      abs = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
  }
  return { abs, index };
}

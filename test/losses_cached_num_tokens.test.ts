/**
 * CachedMultipleNegativesRankingLoss' `miniBatchNumTokens` (6.0.1's `mini_batch_num_tokens`): mini-batches packed
 * by token count, each cut after its rows' last token. References: 6.0.1's `_minibatch_ranges` and
 * `_create_minibatch` on token counts, and a PyTorch backward of the loss on models/tiny-bert
 * (test/data/gradcache/gen_num_tokens.py); GradCache being exact, also plain MNRL's gradients on the same batch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { CachedMultipleNegativesRankingLoss, miniBatchRanges } from '../src/losses/cached_multiple_negatives_ranking.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import { computeGradients, modelLossContext, modelParameters, sliceTokenized } from '../src/training/loop.js';
import { ensureGradients } from '../src/training/gradients.js';
import { Rng } from '../src/training/rng.js';
import { requireFixtures } from './helpers/fixtures.js';
import { modelDir } from './helpers/reference.js';

interface Ref {
  ranges: { counts: number[]; mini_batch_size: number; mini_batch_num_tokens: number | null; ranges: [number, number][]; widths: number[] }[];
  model: {
    rows: string[][];
    mini_batch_size: number;
    mini_batch_num_tokens: number;
    token_counts: number[][];
    column_ranges: [number, number][][];
    loss: number;
    grads: Record<string, { shape: number[]; data: number[] }>;
    word_embeddings_grad_abs_sum: number;
  };
}
const REF = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'data', 'gradcache', 'num_tokens.json'), 'utf8')) as Ref;
const NO_DROPOUT = { configKwargs: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 } };
const NO_DROPOUT_PROBS = { hidden: 0, attention: 0 };

describe('CachedMultipleNegativesRankingLoss miniBatchNumTokens (6.0.1 mini_batch_num_tokens)', function () {
  this.timeout(120000);

  it("the mini-batch ranges are 6.0.1's _minibatch_ranges (greedy token packs, a row over the budget alone; by rows without a budget)", () => {
    for (const c of REF.ranges) assert.deepEqual(miniBatchRanges(c.counts, c.mini_batch_size, c.mini_batch_num_tokens), c.ranges, JSON.stringify(c));
  });

  it("each mini-batch is cut after its rows' last token, as 6.0.1's _create_minibatch (the whole batch is not cut)", () => {
    for (const c of REF.ranges) {
      const T = Math.max(...c.counts); // spread-ok: a few fixed counts
      const mask = new Int32Array(c.counts.length * T);
      c.counts.forEach((n, i) => mask.fill(1, i * T, i * T + n));
      const b = { batchSize: c.counts.length, seqLength: T, inputIds: mask.map((m, i) => (m ? 100 + i : 0)), attentionMask: mask };
      const widths = c.ranges.map(([s, e]) => sliceTokenized(b, s, e).seqLength);
      assert.deepEqual(widths, c.widths, JSON.stringify(c));
      const [s, e] = c.ranges[c.ranges.length - 1];
      const cut = sliceTokenized(b, s, e);
      for (let i = s; i < e; i++) for (let t = 0; t < cut.seqLength; t++) assert.equal(cut.inputIds[(i - s) * cut.seqLength + t], b.inputIds[i * T + t]);
      assert.equal(sliceTokenized(b, 0, c.counts.length).seqLength, T);
    }
  });

  it('the config dict carries it and the options are checked', () => {
    const l = new CachedMultipleNegativesRankingLoss({ miniBatchNumTokens: 24 });
    assert.equal(l.getConfigDict().mini_batch_num_tokens, 24);
    assert.equal(new CachedMultipleNegativesRankingLoss().getConfigDict().mini_batch_num_tokens, null);
    assert.throws(() => new CachedMultipleNegativesRankingLoss({ miniBatchNumTokens: 0 }), /miniBatchNumTokens \(mini_batch_num_tokens\) must be a positive integer or null, got 0/);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`${backend}: on tiny-bert, the token counts, each column's ranges, the loss and the parameter gradients match PyTorch's backward of 6.0.1 with mini_batch_num_tokens 24, and plain MNRL's gradients`, async function () {
      requireFixtures(this, ['models', 'tiny-bert']);
      await initBackend(backend);
      await ensureGradients();
      const m = REF.model;
      const model = await SentenceTransformer.load(modelDir('tiny-bert'), NO_DROPOUT);
      try {
        const params = modelParameters(model);
        const vars = params.map((p) => p.variable);
        const loss = new CachedMultipleNegativesRankingLoss({ miniBatchSize: m.mini_batch_size, miniBatchNumTokens: m.mini_batch_num_tokens });
        const tokenized = [0, 1, 2].map((c) => model.tokenize(m.rows.map((r) => r[c])));
        const ctx = modelLossContext(model, tokenized, m.rows.length, null, vars, NO_DROPOUT_PROBS, new Rng(0));
        assert.deepEqual([0, 1, 2].map((c) => ctx.tokenCounts(c)), m.token_counts);
        assert.deepEqual([0, 1, 2].map((c) => loss.miniBatches(ctx.tokenCounts(c))), m.column_ranges);
        const examples = m.rows.map((texts) => ({ texts, label: null }));
        const before = tf.memory().numTensors;
        const got = computeGradients(model, loss, examples, vars, NO_DROPOUT_PROBS, new Rng(0));
        const plain = computeGradients(model, new MultipleNegativesRankingLoss(), examples, vars, NO_DROPOUT_PROBS, new Rng(0));
        const value = got.loss.dataSync()[0];
        const worst = { loss: Math.abs(value - m.loss) / m.loss, grad: 0, plain: 0, wordAbsSum: 0 };
        const byKey = new Map(params.map((p) => [p.key.replace(/^0\.auto_model\./, ''), p]));
        for (const [key, want] of Object.entries(m.grads)) {
          const p = byKey.get(key)!;
          const g = tf.tidy(() => (p.transposed ? tf.transpose(got.grads[p.variable.name]) : got.grads[p.variable.name]).dataSync());
          want.data.forEach((v, i) => (worst.grad = Math.max(worst.grad, Math.abs(g[i] - v))));
        }
        const word = byKey.get('embeddings.word_embeddings.weight')!;
        worst.wordAbsSum = Math.abs(tf.tidy(() => tf.sum(tf.abs(got.grads[word.variable.name])).dataSync()[0]) - m.word_embeddings_grad_abs_sum) / m.word_embeddings_grad_abs_sum;
        for (const [name, t] of Object.entries(plain.grads)) {
          const a = t.dataSync();
          const b = got.grads[name].dataSync();
          a.forEach((v, i) => (worst.plain = Math.max(worst.plain, Math.abs(v - b[i]))));
        }
        tf.dispose([got.loss, plain.loss, ...Object.values(got.grads), ...Object.values(plain.grads)]); // spread-ok: one per parameter
        assert.equal(tf.memory().numTensors, before);
        console.log(`      ${backend}: ${JSON.stringify(worst)}`);
        assert.ok(worst.loss <= 1e-6 && worst.grad <= 1e-5 && worst.plain <= 1e-5 && worst.wordAbsSum <= 1e-5, JSON.stringify(worst));
      } finally {
        model.dispose();
      }
    });
  }
});

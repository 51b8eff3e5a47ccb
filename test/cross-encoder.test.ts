import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { batchRows } from '../src/modules/tokenized_batch.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { readFileSync } from 'node:fs';
import { loadSt6Reference, maxAbsDiff, st6Parts } from './helpers/st_reference.js';
import { loadUtilReference, UTIL_REFERENCE_PARTS, UTIL_TENSORS_PARTS } from './helpers/util_reference.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';
type Pair = [string, string];

describe('CrossEncoder', () => {
  describe('tiny-bert-cross-encoder (1 label) matches sentence-transformers 6.0.1', function () {
    let ce: CrossEncoder;
    before(async function () {
      if (!requireFixtures(this as unknown as Mocha.Context, ...st6Parts('tiny-bert-cross-encoder'), ['models', 'tiny-bert-cross-encoder'])) return;
      ce = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'), { device: DEVICE });
    });
    after(() => ce?.dispose());

    it('reads num_labels, id2label, max_seq_length (tokenizer 512) and the default Sigmoid activation', () => {
      const ref = loadSt6Reference('tiny-bert-cross-encoder');
      assert.equal(ce.numLabels, ref.json.num_labels);
      assert.deepEqual(ce.labels, ['LABEL_0']);
      assert.equal(ce.maxSeqLength, ref.json.max_seq_length);
      assert.equal(ce.maxLength, ce.maxSeqLength, 'max_length is the deprecated alias');
      assert.equal(ce.defaultActivationName, ref.json.activation_fn);
    });

    it('tokenizes the raw pairs (longest_first) to the 6.0.1 ids exactly', () => {
      const ref = loadSt6Reference('tiny-bert-cross-encoder');
      const b = ce.tokenize(ref.json.pairs);
      assert.deepEqual(batchRows(b, 'inputIds'), ref.json.batch.input_ids);
      assert.deepEqual(batchRows(b, 'tokenTypeIds'), ref.json.batch.token_type_ids);
      assert.deepEqual(batchRows(b, 'attentionMask'), ref.json.batch.attention_mask);
    });

    it('predict gives sigmoid scores and, with Identity, raw logits within 1e-5, in input order whatever the batch size', async () => {
      const ref = loadSt6Reference('tiny-bert-cross-encoder');
      const scores = await ce.predict(ref.json.pairs as Pair[]);
      assert.equal(scores.length, ref.json.pairs.length);
      assert.equal(typeof scores[0], 'number');
      const ds = maxAbsDiff([scores as number[]], [ref.json.predict.scores]);
      assert.ok(ds <= 1e-5, `scores: max abs diff ${ds}`);
      for (const batchSize of [1, 3, 32]) {
        // predict sorts by length (6.0.1); batches of 3 mix lengths differently than the default of 32
        const logits = await ce.predict(ref.json.pairs as Pair[], { activationFn: 'torch.nn.modules.linear.Identity', batchSize });
        const dl = maxAbsDiff([logits as number[]], [ref.json.predict.logits]);
        assert.ok(dl <= 1e-5, `logits (batch ${batchSize}): max abs diff ${dl}`);
      }
      const one = await ce.predict(ref.json.pairs[0] as Pair);
      assert.equal(typeof one, 'number');
      assert.ok(Math.abs((one as number) - ref.json.predict.scores[0]) <= 1e-5);
    });

    it('maxSeqLength is settable (max_length the deprecated load option), truncates, and rejects lengths beyond the positions', async () => {
      const ref = loadSt6Reference('tiny-bert-cross-encoder');
      const short = await CrossEncoder.load(fixture('models', 'tiny-bert-cross-encoder'), { device: DEVICE, maxLength: 8 });
      try {
        assert.equal(short.maxSeqLength, 8);
        assert.equal(short.tokenize(ref.json.pairs).seqLength, 8);
        short.maxSeqLength = 12;
        assert.equal(short.tokenize(ref.json.pairs).seqLength, 12);
        assert.throws(() => (short.maxSeqLength = 513), /maxSeqLength \(max_seq_length\) 513 exceeds .* \(512 positions\)/);
        assert.throws(() => (short.maxSeqLength = 0), RangeError);
      } finally {
        short.dispose();
      }
    });

    it('rank sorts by score descending, with topK, returnDocuments and Identity activation', async () => {
      const r = loadSt6Reference('tiny-bert-cross-encoder').json.rank;
      type Ranked = { corpus_id: number; score: number; text?: string };
      const check = (got: { corpusId: number; score: number; text?: string }[], want: Ranked[]) => {
        assert.deepEqual(got.map((x) => x.corpusId), want.map((x) => x.corpus_id));
        assert.ok(maxAbsDiff([got.map((x) => x.score)], [want.map((x) => x.score)]) <= 1e-5);
        assert.deepEqual(got.map((x) => x.text), want.map((x) => x.text));
      };
      check(await ce.rank(r.query, r.documents, { returnDocuments: true }), r.rank_default);
      check(await ce.rank(r.query, r.documents, { topK: 3 }), r.rank_top_k_3);
      check(await ce.rank(r.query, r.documents, { activationFn: 'torch.nn.Identity' }), r.rank_identity_activation);
    });

    it('rank with topK 3 and documents equals the util cross_encoder reference', async function () {
      if (!requireFixtures(this, UTIL_REFERENCE_PARTS, UTIL_TENSORS_PARTS)) return;
      const c = loadUtilReference().json.cross_encoder.rank_top_k_3_return_documents;
      const got = await ce.rank(c.query, c.documents, { topK: c.args.top_k, returnDocuments: c.args.return_documents });
      const want = c.result as { corpus_id: number; score: number; text: string }[];
      assert.deepEqual(got.map((x) => [x.corpusId, x.text]), want.map((x) => [x.corpus_id, x.text]));
      assert.ok(maxAbsDiff([got.map((x) => x.score)], [want.map((x) => x.score)]) <= 1e-5);
    });

    it('bad input: non-pairs name their index, batchSize <= 0 is a RangeError, leaks no tensors', async () => {
      await assert.rejects(ce.predict([['a', 'b'], ['c']] as unknown as Pair[]), /sentences\[1\] must be a \[string, string\] pair/);
      await assert.rejects(ce.predict([['a', 'b']], { batchSize: 0 }), RangeError);
      await assert.rejects(ce.rank('q', ['a', 7 as unknown as string]), /documents\[1\] must be a string/);
      const before = tf.memory().numTensors;
      await ce.predict([['a', 'b'], ['c', 'd']]);
      await ce.rank('q', ['a', 'b']);
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(await ce.rank('q', []), []);
    });
  });

  describe('tiny-roberta-nli-cross-encoder (3 labels) matches sentence-transformers 6.0.1', function () {
    let ce: CrossEncoder;
    before(async function () {
      if (!requireFixtures(this as unknown as Mocha.Context, ...st6Parts('tiny-roberta-nli-cross-encoder'), ['models', 'tiny-roberta-nli-cross-encoder'])) return;
      ce = await CrossEncoder.load(fixture('models', 'tiny-roberta-nli-cross-encoder'), { device: DEVICE });
    });
    after(() => ce?.dispose());

    it('reads 3 labels with id2label and the default Identity activation', () => {
      assert.equal(ce.numLabels, 3);
      assert.deepEqual(ce.labels, ['contradiction', 'entailment', 'neutral']);
      const ref = loadSt6Reference('tiny-roberta-nli-cross-encoder');
      assert.equal(ce.defaultActivationName, ref.json.activation_fn);
      assert.equal(ce.maxSeqLength, ref.json.max_seq_length, 'model_max_length capped at max_position_embeddings (514 -> 512)');
    });

    it('tokenizes pairs to the 6.0.1 ids exactly (no token_type_ids)', () => {
      const ref = loadSt6Reference('tiny-roberta-nli-cross-encoder');
      const b = ce.tokenize(ref.json.pairs);
      assert.deepEqual(batchRows(b, 'inputIds'), ref.json.batch.input_ids);
      assert.deepEqual(batchRows(b, 'attentionMask'), ref.json.batch.attention_mask);
      assert.equal(b.tokenTypeIds, undefined);
    });

    it("keeps a pair's edge whitespace as tokens (6.0.1); compat 3.4 strips both texts (deltas diagnostic_whitespace_pair)", async () => {
      const diag = JSON.parse(readFileSync(fixture('reference', 'st6', 'deltas.json'), 'utf8')).cross_encoders['tiny-roberta-nli-cross-encoder'].diagnostic_whitespace_pair;
      // pair_ascii holds the texts with Python's escapes (\\t, \\n), which JSON string syntax reads back
      const pair = (diag.pair_ascii as string[]).map((s) => JSON.parse(`"${s}"`) as string) as Pair;
      const tokens = (c: CrossEncoder) => batchRows(c.tokenize([pair]), 'inputIds')[0].map((id) => (c.tokenizer as { idToToken(id: number): string }).idToToken(id));
      assert.deepEqual(tokens(ce), diag.tokens_st6_raw);
      const legacy = await CrossEncoder.load(fixture('models', 'tiny-roberta-nli-cross-encoder'), { device: DEVICE, compat: '3.4' });
      try {
        assert.deepEqual(tokens(legacy), diag.tokens_stripped_as_341);
      } finally {
        legacy.dispose();
      }
    });

    it('predict gives logits rows, softmax rows and argmax labels within 1e-5', async () => {
      const ref = loadSt6Reference('tiny-roberta-nli-cross-encoder');
      const logits = (await ce.predict(ref.json.pairs as Pair[])) as number[][];
      const dl = maxAbsDiff(logits, ref.rows('predict.logits'));
      assert.ok(dl <= 1e-5, `logits: max abs diff ${dl}`);
      assert.ok(maxAbsDiff(logits, ref.rows('predict.scores')) <= 1e-5);
      const probs = (await ce.predict(ref.json.pairs as Pair[], { applySoftmax: true })) as number[][];
      const dp = maxAbsDiff(probs, ref.rows('predict.softmax'));
      assert.ok(dp <= 1e-5, `softmax: max abs diff ${dp}`);
      const labels = probs.map((p) => ce.labels[p.indexOf(Math.max(...p))]);
      assert.deepEqual(labels, ref.json.predict.argmax_labels);
      const t = await ce.predict(ref.json.pairs as Pair[], { convertToTensor: true });
      assert.deepEqual(t.shape, [ref.json.pairs.length, 3]);
      t.dispose();
    });

    it('rank refuses a multi-label model', async () => {
      await assert.rejects(ce.rank('q', ['a']), /one label/);
    });
  });
});

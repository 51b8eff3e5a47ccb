/**
 * ModernBERT (tiny-modernbert, tiny-modernbert-cross-encoder) against sentence-transformers 6.0.1 / transformers
 * 5.18 (eager attention): every hidden state and probe attention map, the pipeline's module outputs, encode,
 * similarity, the query / document prompts, the sequence-classification head (logits, predict, rank), taps by HF
 * module names, memory. On wasm with the kernels, wasm without them, and cpu. The sliding-window layers are
 * exercised by every text longer than 5 tokens (local_attention 8: |i - j| <= 4).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import { createModel, createSequenceClassifier } from '../src/models/index.js';
import { rotaryCosSin, rotaryCosSinRange } from '../src/layers/rotary.js';
import { maskedMean } from '../src/models/heads.js';
import { parseModernBertConfig } from '../src/models/modernbert.js';
import { batchRows } from '../src/modules/tokenized_batch.js';
import { loadCheckpointDir, WeightMap } from '../src/weights/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { assertBatchedEqualsSingle, assertEncoderParity, disposeInputs, loadFixtureModel, readConfig, referenceInputs } from './helpers/models.js';
import { assertClose, loadReference, modelDir } from './helpers/reference.js';
import { loadReference as loadStReference, maxAbsDiff } from './helpers/st_reference.js';

const EMB = 'tiny-modernbert';
const CE = 'tiny-modernbert-cross-encoder';
type Pair = [string, string];

/** The three numeric paths: wasm with the custom kernels, wasm on stock ops, cpu. */
const PATHS = [
  { name: 'wasm, kernels on', device: 'wasm', kernels: true },
  { name: 'wasm, kernels off', device: 'wasm', kernels: false },
  { name: 'cpu', device: 'cpu', kernels: true },
] as const;

for (const path of PATHS) {
  describe(`ModernBERT parity with PyTorch (${path.name})`, function () {
    this.timeout(600_000);
    before(async function () {
      requireFixtures(this, ['models', EMB], ['reference', EMB], ['models', CE], ['reference', CE]);
      assert.equal(await initBackend(path.device, { fallbackToCpu: false }), path.device);
      if (!path.kernels) disableWasmKernels();
    });
    after(async () => {
      enableWasmKernels();
      await initBackend('wasm'); // leave the default backend for the suites that follow
    });

    it('tiny-modernbert: every hidden state (padded positions included; the last = final_norm) within 1e-5', async () => {
      const model = await loadFixtureModel(EMB);
      try {
        const worst = assertEncoderParity(model, loadReference(EMB), 'batch', 1e-5);
        console.log(`      max |diff| hidden states: ${worst.toExponential(2)}`);
      } finally {
        model.dispose();
      }
    });

    it('tiny-modernbert: every attention map of the probe batch (global and sliding layers) within 1e-5', async () => {
      const model = await loadFixtureModel(EMB);
      try {
        const worst = assertEncoderParity(model, loadReference(EMB), 'probe', 1e-5);
        console.log(`      max |diff| probe hidden states + attentions: ${worst.toExponential(2)}`);
      } finally {
        model.dispose();
      }
    });

    it('tiny-modernbert: row i of the padded batch equals that text encoded alone within 1e-6', async () => {
      const model = await loadFixtureModel(EMB);
      try {
        assertBatchedEqualsSingle(model, loadReference(EMB), 1e-6);
      } finally {
        model.dispose();
      }
    });

    it('tiny-modernbert: module outputs, encode (raw, normalized, one at a time) and similarity within 1e-5', async () => {
      const ref = loadStReference(EMB);
      const m = await SentenceTransformer.load(modelDir(EMB), { device: path.device });
      try {
        const texts = ref.json.texts as string[];
        const b = m.tokenize(texts);
        assert.deepEqual(batchRows(b, 'inputIds'), ref.json.batch.input_ids);
        assert.deepEqual(batchRows(b, 'attentionMask'), ref.json.batch.attention_mask);
        assert.equal(b.tokenTypeIds, undefined, 'ModernBERT takes no token_type_ids');
        const ins = await m.inspect(texts);
        const rowsOf = (x: { data: ArrayLike<number>; shape: number[] }) => Array.from({ length: x.shape[0] }, (_, i) => Array.from(x.data).slice(i * x.shape[1], (i + 1) * x.shape[1]));
        const dPool = maxAbsDiff(rowsOf(ins['modules.1.sentence_embedding']), ref.rows('modules.1.sentence_embedding'));
        const dModules = maxAbsDiff(rowsOf(ins['modules.2.sentence_embedding']), ref.rows('modules.2.sentence_embedding'));
        const e = (await m.encode(texts)) as Float32Array[];
        const dEnc = maxAbsDiff(e, ref.rows('encode.embeddings'));
        const en = (await m.encode(texts, { normalizeEmbeddings: true })) as Float32Array[];
        const dNorm = maxAbsDiff(en, ref.rows('encode.embeddings_normalized'));
        const dSim = maxAbsDiff(m.similarity(e, e), ref.rows('similarity'));
        const ones: Float32Array[] = [];
        for (const t of texts) ones.push(((await m.encode([t])) as Float32Array[])[0]);
        const dOne = maxAbsDiff(ones, ref.rows('encode.batch_size_1'));
        console.log(`      max |diff| modules.1 ${dPool.toExponential(2)}, modules.2 ${dModules.toExponential(2)}, encode ${dEnc.toExponential(2)}, normalized ${dNorm.toExponential(2)}, similarity ${dSim.toExponential(2)}, one at a time ${dOne.toExponential(2)}`);
        for (const [what, d] of Object.entries({ dPool, dModules, dEnc, dNorm, dSim, dOne })) assert.ok(d <= 1e-5, `${what}: ${d}`);
      } finally {
        m.dispose();
      }
    });

    it('tiny-modernbert: encodeQuery / encodeDocument use "search_query: " / "search_document: " (ids exact, embeddings within 1e-5)', async () => {
      const ref = loadStReference(EMB);
      const m = await SentenceTransformer.load(modelDir(EMB), { device: path.device });
      try {
        const texts = ref.json.texts as string[];
        for (const [kind, encodeFn, prompt] of [
          ['encode_query', (t: string[]) => m.encodeQuery(t), 'search_query: '],
          ['encode_document', (t: string[]) => m.encodeDocument(t), 'search_document: '],
        ] as const) {
          assert.equal(ref.json.encode_prompts[kind].prompt, prompt);
          const b = m.tokenize(texts.map((t) => prompt + t));
          assert.deepEqual(batchRows(b, 'inputIds'), ref.intRows(`${kind}.input_ids`), `${kind} ids`);
          const d = maxAbsDiff((await encodeFn(texts)) as Float32Array[], ref.rows(`${kind}.embeddings`));
          console.log(`      max |diff| ${kind}: ${d.toExponential(2)}`);
          assert.ok(d <= 1e-5, `${kind}: ${d}`);
        }
      } finally {
        m.dispose();
      }
    });

    it('tiny-modernbert-cross-encoder: hidden states and logits of the reference batch within 1e-5', async () => {
      const ref = loadReference(CE);
      const clf = createSequenceClassifier(readConfig(CE), WeightMap.from(await loadCheckpointDir(modelDir(CE))));
      const inputs = referenceInputs(ref, 'batch');
      try {
        assert.deepEqual(clf.loadReport.unused, []);
        const worst = assertEncoderParity(clf.encoder, ref, 'batch', 1e-5);
        const logits = clf.forward(inputs);
        const d = assertClose(logits, ref.tensorValues('batch.logits', logits.shape), 1e-5, 'batch.logits');
        logits.dispose();
        console.log(`      max |diff| hidden states ${worst.toExponential(2)}, logits ${d.toExponential(2)}`);
      } finally {
        disposeInputs(inputs);
        clf.dispose();
      }
    });

    it('tiny-modernbert-cross-encoder: CrossEncoder (Sigmoid from config_sentence_transformers.json, max length 128) predict and rank within 1e-5', async () => {
      const ref = loadStReference(CE);
      const ce = await CrossEncoder.load(modelDir(CE), { device: path.device });
      try {
        assert.equal(ce.numLabels, 1);
        assert.equal(ce.effectiveMaxLength, 128);
        assert.equal(ce.defaultActivationName, 'torch.nn.modules.activation.Sigmoid');
        const b = ce.tokenize(ref.json.pairs);
        assert.deepEqual(batchRows(b, 'inputIds'), ref.json.batch.input_ids);
        assert.deepEqual(batchRows(b, 'attentionMask'), ref.json.batch.attention_mask);
        assert.equal(b.tokenTypeIds, undefined);
        const scores = (await ce.predict(ref.json.pairs as Pair[])) as number[];
        const logits = (await ce.predict(ref.json.pairs as Pair[], { activationFn: 'torch.nn.modules.linear.Identity', batchSize: 3 })) as number[];
        const dS = maxAbsDiff([scores], [Array.from(ref.flat('predict.scores'))]);
        const dL = maxAbsDiff([logits], [Array.from(ref.flat('predict.logits'))]);
        const r = ref.json.rank;
        type Ranked = { corpus_id: number; score: number; text?: string };
        let dR = 0;
        const check = (got: { corpusId: number; score: number; text?: string }[], want: Ranked[]) => {
          assert.deepEqual(got.map((x) => x.corpusId), want.map((x) => x.corpus_id));
          assert.deepEqual(got.map((x) => x.text), want.map((x) => x.text));
          dR = Math.max(dR, maxAbsDiff([got.map((x) => x.score)], [want.map((x) => x.score)]));
        };
        check(await ce.rank(r.query, r.documents, { returnDocuments: true }), r.rank_default);
        check(await ce.rank(r.query, r.documents, { topK: 3 }), r.rank_top_k_3);
        check(await ce.rank(r.query, r.documents, { activationFn: 'torch.nn.modules.linear.Identity' }), r.rank_identity_activation);
        console.log(`      max |diff| predict scores ${dS.toExponential(2)}, logits ${dL.toExponential(2)}, rank ${dR.toExponential(2)}`);
        for (const [what, d] of Object.entries({ dS, dL, dR })) assert.ok(d <= 1e-5, `${what}: ${d}`);
      } finally {
        ce.dispose();
      }
    });
  });
}

describe('ModernBERT structure, taps, config errors and memory (wasm)', function () {
  this.timeout(600_000);
  before(async function () {
    requireFixtures(this, ['models', EMB], ['reference', EMB], ['models', CE], ['reference', CE]);
    await initBackend('wasm');
  });

  it('taps are HF module names (layer 0 attn_norm is the Identity) and equal the hidden states they name', async () => {
    const model = await loadFixtureModel(EMB);
    const inputs = referenceInputs(loadReference(EMB), 'probe');
    try {
      const names = model.tapNames();
      for (const n of ['embeddings', 'layers.0', 'layers.0.attn_norm', 'layers.1.attn', 'layers.1.attn.Wqkv', 'layers.2.mlp_norm', 'layers.3.mlp', 'final_norm']) {
        assert.ok(names.includes(n), `tap ${n} in ${names.join(', ')}`);
      }
      const taps = ['embeddings', 'layers.0.attn_norm', 'layers.0', 'layers.2', 'layers.3', 'final_norm', 'layers.1.attn.Wqkv', 'layers.3.mlp'];
      const out = model.forward(inputs, { outputHiddenStates: true, taps });
      const t = out.intermediates!;
      assertClose(t.embeddings, out.hiddenStates![0], 0, 'embeddings');
      assertClose(t['layers.0.attn_norm'], out.hiddenStates![0], 0, 'layers.0.attn_norm (Identity)');
      assertClose(t['layers.0'], out.hiddenStates![1], 0, 'layers.0');
      assertClose(t['layers.2'], out.hiddenStates![3], 0, 'layers.2');
      assertClose(t.final_norm, out.lastHiddenState, 0, 'final_norm');
      assertClose(out.hiddenStates![4], out.lastHiddenState, 0, 'hidden_states[4] is the final norm');
      assert.deepEqual(t['layers.1.attn.Wqkv'].shape, [8, 9, 48]);
      assert.deepEqual(t['layers.3.mlp'].shape, [8, 9, 16]);
      tf.dispose(out as unknown as tf.TensorContainer);
      assert.throws(() => model.forward(inputs, { taps: ['encoder.layer.0'] }), /unknown tap name\(s\) "encoder.layer.0"; valid taps: embeddings, layers.0/);
    } finally {
      disposeInputs(inputs);
      model.dispose();
    }
  });

  it('reads the 4.48-style keys (global_attn_every_n_layers, global / local rope theta) as the 5.x ones', async () => {
    const raw = readConfig(EMB);
    const old: Record<string, unknown> = { ...raw, global_rope_theta: 160000, local_rope_theta: 10000 };
    delete old.layer_types;
    delete old.rope_parameters;
    const a = parseModernBertConfig(raw);
    const b = parseModernBertConfig(old);
    assert.deepEqual(b.layer_types, a.layer_types);
    assert.deepEqual(b.rope_theta, a.rope_theta);
    assert.deepEqual(a.layer_types, ['full_attention', 'sliding_attention', 'full_attention', 'sliding_attention']);
    assert.deepEqual(a.rope_theta, { full_attention: 160000, sliding_attention: 10000 });
    assert.equal(a.classifier_pooling, 'mean');
  });

  it('config features not implemented are errors naming the key and the value', () => {
    const raw = readConfig(EMB);
    const rp = raw.rope_parameters as Record<string, Record<string, unknown>>;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...raw, rope_parameters: { ...rp, sliding_attention: { rope_type: 'yarn', rope_theta: 10000, factor: 4 } } }, /rope_parameters.sliding_attention: config.json "rope_type": "yarn" is not supported/],
      [{ ...raw, rope_scaling: { type: 'linear', factor: 2 } }, /"rope_scaling": \{"type":"linear","factor":2\} is not supported/],
      [{ ...raw, classifier_pooling: 'max' }, /"classifier_pooling": "max" is not supported \(supported: "cls", "mean"\)/],
      [{ ...raw, layer_types: ['full_attention', 'chunked_attention', 'full_attention', 'full_attention'] }, /key "layer_types" must list 4 entries/],
      [{ ...raw, hidden_activation: 'swiglu' }, /unsupported hidden_activation "swiglu"/],
      [{ ...raw, classifier_activation: 'mish' }, /unsupported classifier_activation "mish"/],
      [{ ...raw, head_dim: 4 }, /"head_dim": 4 is not supported \(supported: 8\)/],
      [{ ...raw, global_attn_every_n_layers: 3 }, /keys "layer_types" .* and "global_attn_every_n_layers" 3 disagree/],
    ];
    for (const [cfg, re] of cases) assert.throws(() => parseModernBertConfig(cfg), re);
  });

  it('the window diagnostic: widening local_attention to 4096 changes each text as it changed PyTorch (within 1e-5)', async () => {
    const ref = loadReference(EMB);
    const diag = ref.json.checks.diagnostic_window_4096 as { per_text_max_abs_diff: number[]; per_text_length: number[] };
    const source = await loadCheckpointDir(modelDir(EMB));
    const real = createModel(readConfig(EMB), WeightMap.from(source));
    const wide = createModel({ ...readConfig(EMB), local_attention: 4096 }, WeightMap.from(source));
    const inputs = referenceInputs(ref, 'batch');
    try {
      // encode(): mean pooling, then Normalize
      const embed = (m: typeof real) => tf.tidy(() => {
        const pooled = maskedMean(m.forward(inputs).lastHiddenState, inputs.attentionMask);
        return tf.div(pooled, tf.norm(pooled, 2, 1, true));
      });
      const a = embed(real);
      const b = embed(wide);
      const per = (tf.max(tf.abs(tf.sub(a, b)), 1).arraySync() as number[]);
      tf.dispose([a, b]);
      let worst = 0;
      per.forEach((d, i) => {
        worst = Math.max(worst, Math.abs(d - diag.per_text_max_abs_diff[i]));
        if (diag.per_text_length[i] <= 5) assert.equal(d, 0, `text ${i} (${diag.per_text_length[i]} tokens) fits the window: unchanged`);
        else assert.ok(d > 1e-3, `text ${i} (${diag.per_text_length[i]} tokens) must change, changed by ${d}`);
      });
      console.log(`      max |our change - PyTorch's change| over ${per.length} texts: ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-5);
    } finally {
      disposeInputs(inputs);
      real.dispose();
      wide.dispose();
    }
  });

  it('classifier_pooling "cls" feeds the first token to the head instead of the masked mean', async () => {
    const ref = loadReference(CE);
    const source = await loadCheckpointDir(modelDir(CE));
    const cls = createSequenceClassifier({ ...readConfig(CE), classifier_pooling: 'cls' }, WeightMap.from(source));
    const inputs = referenceInputs(ref, 'batch');
    try {
      const got = cls.forward(inputs);
      const want = tf.tidy(() => {
        const h = cls.encoder.forward(inputs).lastHiddenState; // [B, T, H]
        const first = tf.reshape(tf.slice(h, [0, 0, 0], [h.shape[0], 1, h.shape[2]]), [h.shape[0], h.shape[2]]);
        const head = (cls as unknown as { head: { dense: { apply: (x: tf.Tensor) => tf.Tensor }; norm: { apply: (x: tf.Tensor) => tf.Tensor }; out: { apply: (x: tf.Tensor) => tf.Tensor } } }).head;
        return head.out.apply(head.norm.apply(tf.mul(tf.mul(head.dense.apply(first), 0.5), tf.add(1, tf.erf(tf.mul(head.dense.apply(first), Math.SQRT1_2))))));
      });
      assertClose(got, want, 1e-6, 'cls-pooled logits');
      assert.ok(maxAbsDiff([Array.from(got.dataSync())], [Array.from(ref.f32('batch.logits'))]) > 1e-3, 'cls pooling differs from the mean-pooled reference');
      tf.dispose([got, want]);
    } finally {
      disposeInputs(inputs);
      cls.dispose();
    }
  });

  it('checkpoints with the model. prefix load as the base model; a failed load frees its weights', async () => {
    const before = tf.memory().numTensors;
    const source = await loadCheckpointDir(modelDir(CE));
    const m = createModel(readConfig(CE), WeightMap.from(source));
    assert.deepEqual(m.loadReport.unused, ['classifier.bias', 'classifier.weight', 'head.dense.weight', 'head.norm.weight']);
    m.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => createModel({ ...readConfig(EMB), hidden_size: 32 }, WeightMap.from(source)), /shape/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('forward, encode, predict and rank leak no tensors; dispose() frees every weight', async () => {
    const before = tf.memory().numTensors;
    const model = await loadFixtureModel(EMB);
    const inputs = referenceInputs(loadReference(EMB), 'probe');
    const loaded = tf.memory().numTensors;
    tf.dispose(model.forward(inputs, { outputHiddenStates: true, outputAttentions: true, taps: ['layers.1.mlp'] }) as unknown as tf.TensorContainer);
    tf.dispose(model.forward(inputs).lastHiddenState);
    assert.equal(tf.memory().numTensors, loaded);
    disposeInputs(inputs);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);

    const st = await SentenceTransformer.load(modelDir(EMB), { device: 'wasm' });
    const stLoaded = tf.memory().numTensors;
    await st.encode(loadStReference(EMB).json.texts as string[]);
    await st.encodeQuery(['a query']);
    assert.equal(tf.memory().numTensors, stLoaded);
    st.dispose();
    const ce = await CrossEncoder.load(fixture('models', CE), { device: 'wasm' });
    const ceLoaded = tf.memory().numTensors;
    const r = loadStReference(CE).json.rank;
    await ce.predict(loadStReference(CE).json.pairs as Pair[]);
    await ce.rank(r.query, r.documents);
    assert.equal(tf.memory().numTensors, ceLoaded);
    ce.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('rotary tables on the host (rotaryCosSinRange)', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('equal the tensor-built tables (rotaryCosSin over arange(T)) within float32 rounding of cos / sin', () => {
    for (const base of [10000, 160000]) {
      const host = rotaryCosSinRange(128, 8, base);
      const pos = tf.range(0, 128, 1, 'int32') as tf.Tensor1D;
      const dev = rotaryCosSin(pos, 8, base);
      assertClose(host.cos, dev.cos, 1e-6, `cos (base ${base})`);
      assertClose(host.sin, dev.sin, 1e-6, `sin (base ${base})`);
      const c = host.cos.arraySync() as number[][];
      assert.equal(c[5][1], c[5][5], 'cat(freqs, freqs)');
      assert.equal(c[0][0], 1);
      tf.dispose([host.cos, host.sin, dev.cos, dev.sin, pos]);
    }
  });
});

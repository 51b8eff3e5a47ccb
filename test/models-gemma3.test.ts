/**
 * Gemma 3 as EmbeddingGemma (`tiny-embeddinggemma`; references by transformers 5.18 / sentence-transformers 6.0.1):
 * hidden states and attention maps, each module's output, encode / encodeQuery / encodeDocument / named prompts and
 * the similarity matrix; on wasm with and without the kernels and on cpu; batched equals single; taps under HF
 * module names; config errors naming key and value; no leaked tensors.
 *
 * Hidden states after layer 1: this 6-wide twin normalizes sublayer outputs of magnitude ~1e-2 (four RMSNorms per
 * layer), which amplifies float32 rounding. PyTorch's float32 result in the reference is 3.5e-6 (layer 0) and
 * 1.0e-5 (after layer 1) away from a float64 evaluation of the same math, and ours is as close or closer. The same
 * PyTorch 2.13 / transformers 5.18 rerun on another CPU differs from the reference by up to 1.45e-5 at
 * hidden_states.3 (AVX512 or AVX2 kernels) and 1.53e-5 (ATEN_CPU_CAPABILITY=default): the reference's own float32
 * spread. Ours: 1.0e-5 / 9.2e-6 (wasm), 1.1e-5 / 1.5e-5 (cpu) at hidden_states.2 / .3, hence HIDDEN_TOL_DEEP for
 * those two; hidden states 0-1, every attention map and every embedding meet 1e-5.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { initBackend } from '../src/backends/index.js';
import { disableWasmKernels, enableWasmKernels } from '../src/kernels/index.js';
import { createModel, createSequenceClassifier } from '../src/models/index.js';
import { gemma3Window, parseGemma3Config } from '../src/models/gemma3.js';
import { padBatch } from '../src/modules/tokenized_batch.js';
import { Tokenizer } from '../src/tokenizers/index.js';
import { WeightMap, loadCheckpointDir } from '../src/weights/index.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { assertBatchedEqualsSingle, disposeInputs, loadFixtureModel, readConfig, referenceInputs } from './helpers/models.js';
import { assertClose, loadReference, modelDir } from './helpers/reference.js';
import { loadReference as loadStReference } from './helpers/st_reference.js';

const NAME = 'tiny-embeddinggemma';
const TOL = 1e-5;
/** hidden_states.2 / .3 and last_hidden_state (see the header): measured 1.0e-5 to 1.6e-5 against PyTorch. */
const HIDDEN_TOL_DEEP = 2e-5;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Every hidden state and attention map of `set` against the reference; returns the worst per kind. */
function encoderParity(model: ReturnType<typeof createModel>, set: 'batch' | 'probe'): Record<string, number> {
  const ref = loadReference(NAME);
  const inputs = referenceInputs(ref, set);
  const out = model.forward(inputs, { outputHiddenStates: true, outputAttentions: true });
  const worst: Record<string, number> = {};
  try {
    assert.equal(out.hiddenStates!.length, 4);
    assert.equal(out.hiddenStates![3], out.lastHiddenState, 'the last hidden state is the final norm output');
    for (const name of ref.names(`${set}.hidden_states.`)) {
      const i = Number(name.split('.').pop());
      const tol = i <= 1 ? TOL : HIDDEN_TOL_DEEP;
      worst[name] = assertClose(out.hiddenStates![i], ref.tensorValues(name, out.hiddenStates![i].shape), tol, `${NAME} ${name}`);
    }
    if (ref.has(`${set}.last_hidden_state`)) {
      worst[`${set}.last_hidden_state`] = assertClose(out.lastHiddenState, ref.tensorValues(`${set}.last_hidden_state`, out.lastHiddenState.shape), HIDDEN_TOL_DEEP, `${NAME} ${set}.last_hidden_state`);
    }
    for (const name of ref.names(`${set}.attentions.`)) {
      const i = Number(name.split('.').pop());
      worst[name] = assertClose(out.attentions![i], ref.tensorValues(name, out.attentions![i].shape), TOL, `${NAME} ${name}`);
    }
  } finally {
    tf.dispose(out as unknown as tf.TensorContainer);
    disposeInputs(inputs);
  }
  return worst;
}

const show = (w: Record<string, number>) => Object.entries(w).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ');

for (const [backend, kernels] of [['wasm', true], ['wasm', false], ['cpu', false]] as const) {
  const label = `${backend}${backend === 'wasm' ? (kernels ? ', kernels on' : ', kernels off') : ''}`;

  describe(`Gemma3TextModel (${label})`, function () {
    this.timeout(300_000);
    before(async function () {
      if (!requireFixtures(this, ['models', NAME], ['reference', NAME])) return;
      await initBackend(backend);
      if (kernels) enableWasmKernels();
      else disableWasmKernels();
    });
    after(() => enableWasmKernels());

    it('matches hidden states 0-1 within 1e-5 and 2-3 within 2e-5 (float32 noise, see header)', async () => {
      const model = await loadFixtureModel(NAME);
      try {
        console.log(`      ${show(encoderParity(model, 'batch'))}`);
      } finally {
        model.dispose();
      }
    });

    it('matches every attention map of the probe batch (sliding |i - j| <= 4 and full layers) within 1e-5', async () => {
      const model = await loadFixtureModel(NAME);
      try {
        console.log(`      ${show(encoderParity(model, 'probe'))}`);
      } finally {
        model.dispose();
      }
    });

    it('row i of the padded batch equals that text encoded alone within 1e-5', async () => {
      const model = await loadFixtureModel(NAME);
      try {
        assertBatchedEqualsSingle(model, loadReference(NAME), TOL);
      } finally {
        model.dispose();
      }
    });

    it('SentenceTransformer: each module, encode, similarity, query / document / STS / Clustering prompts within 1e-5', async () => {
      const ref = loadStReference(NAME);
      const texts = ref.json.texts as string[];
      const m = await SentenceTransformer.load(fixture('models', NAME), { device: backend });
      try {
        assert.equal(m.maxSeqLength, 64);
        const loaded = tf.memory().numTensors;
        // Inputs are not stripped (6.0.1), so every row is compared ('   ', the odd-whitespace text and '' included).
        const all = texts.map((_, i) => i);
        const cmp = (got: ArrayLike<number>[], name: string, _prompt = '', cols?: number[]): number => {
          const want = ref.rows(name);
          const rows = all;
          let w = 0;
          for (const i of rows) {
            const a = cols ? cols.map((j) => got[i][j]) : Array.from(got[i]);
            const b = cols ? cols.map((j) => want[i][j]) : Array.from(want[i]);
            w = Math.max(w, maxDiff(a, b));
          }
          assert.ok(w <= TOL, `${name}: max |diff| ${w} > ${TOL}`);
          return w;
        };
        const worst: Record<string, number> = {};
        const batch = m.tokenize(texts);
        const ids = ref.intRows('batch.input_ids');
        for (const i of all) assert.deepEqual(Array.from(batch.inputIds.slice(i * batch.seqLength, (i + 1) * batch.seqLength)), ids[i], `input ids of text ${i}`);
        const ins = await m.inspect(texts);
        for (const k of [1, 2, 3, 4]) {
          const t = ins[`modules.${k}.sentence_embedding`];
          const d = t.shape[1];
          const rows = Array.from({ length: t.shape[0] }, (_, i) => t.data.slice(i * d, (i + 1) * d));
          worst[`modules.${k}`] = cmp(rows, `modules.${k}.sentence_embedding`);
        }
        const e = (await m.encode(texts)) as Float32Array[];
        worst.encode = cmp(e, 'encode.embeddings');
        worst.normalized = cmp((await m.encode(texts, { normalizeEmbeddings: true })) as Float32Array[], 'encode.embeddings_normalized');
        worst.similarity = cmp(m.similarity(e, e), 'similarity', '', all);
        worst.encodeQuery = cmp((await m.encodeQuery(texts)) as Float32Array[], 'encode_query.embeddings', ref.json.encode_prompts.encode_query.prompt);
        worst.encodeDocument = cmp((await m.encodeDocument(texts)) as Float32Array[], 'encode_document.embeddings', ref.json.encode_prompts.encode_document.prompt);
        for (const p of ['STS', 'Clustering']) {
          worst[`prompt_${p}`] = cmp((await m.encode(texts, { promptName: p })) as Float32Array[], `encode.prompt_${p}.embeddings`, ref.json.prompts[p]);
        }
        const one: Float32Array[] = [];
        for (const t of texts) one.push(((await m.encode([t])) as Float32Array[])[0]);
        worst.batch_size_1 = cmp(one, 'encode.batch_size_1');
        console.log(`      ${show(worst)}`);
        assert.equal(tf.memory().numTensors, loaded, 'encode leaves no tensors behind');
      } finally {
        m.dispose();
      }
    });
  });
}

describe('Gemma3TextModel: the whole pipeline on unstripped inputs (sentence-transformers 6.0.1)', function () {
  this.timeout(300_000);
  before(async function () {
    if (!requireFixtures(this, ['models', NAME], ['reference', NAME])) return;
    await initBackend('wasm');
  });

  it('every row, whitespace-only and empty texts included: ids equal, modules.4 and encode_query within 1e-5', async () => {
    const ref = loadStReference(NAME);
    const texts = ref.json.texts as string[];
    const tok = await Tokenizer.fromFile(fixture('models', NAME, 'tokenizer.json'));
    const m = await SentenceTransformer.load(fixture('models', NAME), { device: 'wasm' });
    try {
      const run = (inputs: string[], ids: number[][], name: string): number => {
        const encs = tok.encodeBatch(inputs, { truncation: { maxLength: 64, strategy: 'longest_first' }, padding: null });
        const batch = padBatch(encs.map((e) => ({ ids: e.ids })), 0, false);
        for (let i = 0; i < inputs.length; i++) assert.deepEqual(Array.from(batch.inputIds.slice(i * batch.seqLength, (i + 1) * batch.seqLength)), ids[i], `ids of text ${i}`);
        const f = m.forward(batch);
        try {
          const got = f.sentenceEmbedding!.dataSync();
          const want = ref.flat(name);
          const w = maxDiff(got, want);
          assert.ok(w <= TOL, `${name}: max |diff| ${w}`);
          return w;
        } finally {
          tf.dispose(f as unknown as tf.TensorContainer);
        }
      };
      const w1 = run(texts, ref.intRows('batch.input_ids'), 'modules.4.sentence_embedding');
      const q = ref.json.encode_prompts.encode_query.prompt as string;
      const w2 = run(texts.map((t) => q + t), ref.intRows('encode_query.input_ids'), 'encode_query.embeddings');
      console.log(`      modules.4 ${w1.toExponential(2)}, encode_query ${w2.toExponential(2)} (all ${texts.length} rows)`);
    } finally {
      m.dispose();
    }
  });
});

describe('Gemma3TextModel: taps, memory, config', function () {
  this.timeout(300_000);
  before(async function () {
    if (!requireFixtures(this, ['models', NAME], ['reference', NAME])) return;
    await initBackend('wasm');
  });

  it('taps are HF module names and equal the matching outputs', async () => {
    const model = await loadFixtureModel(NAME);
    const inputs = referenceInputs(loadReference(NAME), 'probe');
    try {
      const names = model.tapNames();
      for (const n of ['embed_tokens', 'layers.0', 'layers.0.input_layernorm', 'layers.0.self_attn', 'layers.0.post_attention_layernorm', 'layers.0.pre_feedforward_layernorm', 'layers.0.mlp', 'layers.0.post_feedforward_layernorm', 'layers.2.mlp', 'norm']) {
        assert.ok(names.includes(n), `tap ${n} in ${names.join(', ')}`);
      }
      const out = model.forward(inputs, { outputHiddenStates: true, taps: ['embed_tokens', 'layers.0', 'layers.1.self_attn', 'layers.1.mlp', 'norm'] });
      const t = out.intermediates!;
      assert.equal(maxDiff(t.embed_tokens.dataSync(), out.hiddenStates![0].dataSync()), 0);
      assert.equal(maxDiff(t['layers.0'].dataSync(), out.hiddenStates![1].dataSync()), 0);
      assert.equal(maxDiff(t.norm.dataSync(), out.lastHiddenState.dataSync()), 0);
      assert.deepEqual(t['layers.1.self_attn'].shape, out.lastHiddenState.shape);
      assert.deepEqual(t['layers.1.mlp'].shape, out.lastHiddenState.shape);
      tf.dispose(out as unknown as tf.TensorContainer);
      assert.throws(() => model.forward(inputs, { taps: ['model.layers.0'] }), /unknown tap name.*valid taps: embed_tokens/);
    } finally {
      disposeInputs(inputs);
      model.dispose();
    }
  });

  it('forward leaks no tensors (with and without outputs) and dispose() frees every weight', async () => {
    const before = tf.memory().numTensors;
    const model = await loadFixtureModel(NAME);
    const inputs = referenceInputs(loadReference(NAME), 'probe');
    const loaded = tf.memory().numTensors;
    tf.dispose(model.forward(inputs, { outputHiddenStates: true, outputAttentions: true, taps: ['layers.0.mlp'] }) as unknown as tf.TensorContainer);
    assert.equal(tf.memory().numTensors, loaded);
    tf.dispose(model.forward(inputs) as unknown as tf.TensorContainer);
    assert.equal(tf.memory().numTensors, loaded);
    assert.throws(() => model.forward(inputs, { taps: ['nope'] }));
    assert.equal(tf.memory().numTensors, loaded);
    disposeInputs(inputs);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('reads the config: window, layer types, RoPE bases, head_dim, scale', () => {
    const c = parseGemma3Config(readConfig(NAME));
    assert.equal(c.model_type, 'gemma3_text');
    assert.deepEqual(c.layer_types, ['sliding_attention', 'sliding_attention', 'full_attention']);
    assert.deepEqual(c.rope_theta, { full_attention: 1e6, sliding_attention: 1e4 });
    assert.equal(c.head_dim, 8);
    assert.equal(c.num_key_value_heads, 1);
    assert.equal(gemma3Window(c), 4, 'bidirectional: sliding_window 8 -> 8 // 2 + 1 = 5 exclusive -> |i - j| <= 4');
    assert.equal(gemma3Window({ ...c, use_bidirectional_attention: false }), 8, 'causal: the 8 most recent keys');
    // transformers 4.x keys: rope_theta / rope_local_base_freq, layer types from sliding_window_pattern
    const legacy = { ...readConfig(NAME), rope_parameters: undefined, layer_types: undefined, _sliding_window_pattern: undefined, rope_theta: 5e5, rope_local_base_freq: 2e4, sliding_window_pattern: 2, num_hidden_layers: 4 };
    const l = parseGemma3Config(legacy);
    assert.deepEqual(l.rope_theta, { full_attention: 5e5, sliding_attention: 2e4 });
    assert.deepEqual(l.layer_types, ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention']);
  });

  it('config features it does not implement are errors naming key and value', async () => {
    const raw = readConfig(NAME);
    assert.throws(() => parseGemma3Config({ ...raw, attn_logit_softcapping: 50 }), /"attn_logit_softcapping": 50 is not supported/);
    const rp = raw.rope_parameters as Record<string, Record<string, unknown>>;
    assert.throws(() => parseGemma3Config({ ...raw, rope_parameters: { ...rp, full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 } } }), /"rope_parameters.full_attention.rope_type": "linear" is not supported/);
    assert.throws(() => parseGemma3Config({ ...raw, rope_parameters: undefined, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /"rope_scaling.rope_type": "yarn" is not supported/);
    assert.throws(() => parseGemma3Config({ ...raw, layer_types: ['sliding_attention', 'chunked_attention', 'full_attention'] }), /"layer_types"\[1\]: "chunked_attention" is not supported/);
    assert.throws(() => parseGemma3Config({ ...raw, hidden_activation: 'swiglu' }), /hidden_activation "swiglu"/);
    await assert.rejects(async () => createSequenceClassifier(raw, WeightMap.from(await loadCheckpointDir(modelDir(NAME)))), /"gemma3_text" has no sequence-classification head/);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { batchRows } from '../src/modules/tokenized_batch.js';
import { parsePoolingConfig, Pooling } from '../src/modules/pooling.js';
import { supportedModelTypes } from '../src/models/index.js';
import { readJSONFile } from '../src/platform/fs.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, loadSt6Reference, maxAbsDiff, referenceParts, st6Parts } from './helpers/st_reference.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

const models = new Map<string, SentenceTransformer>();
async function model(name: string): Promise<SentenceTransformer> {
  let m = models.get(name);
  if (!m) {
    m = await SentenceTransformer.load(fixture('models', name), { device: DEVICE });
    models.set(name, m);
  }
  return m;
}

const encoded = new Map<string, Float32Array[]>();
/** encode(texts) of a model's reference texts, computed once per (model, normalize). */
async function encodedTexts(name: string, normalizeEmbeddings: boolean): Promise<Float32Array[]> {
  const key = `${name}:${normalizeEmbeddings}`;
  let e = encoded.get(key);
  if (!e) {
    e = await (await model(name)).encode(loadSt6Reference(name).json.texts as string[], { normalizeEmbeddings });
    encoded.set(key, e);
  }
  return e;
}

/**
 * Bi-encoder parity against sentence-transformers 6.0.1 (`reference/st6/<name>`): tokenization of the raw
 * (unstripped) texts, encode (raw + normalized), similarity. For a half-precision checkpoint (`half`), 6.0.1 computes
 * in float16 / bfloat16 while this library computes in float32 (docs/loading dtypes): the embeddings are compared
 * with `encode_float32.*` (6.0.1 loaded with dtype=float32) at the bar, and with 6.0.1's default half-precision output
 * within the gap that 6.0.1 itself shows between its half and float32 runs (plus the bar).
 */
function parityCases(name: string, modelType: string, bar: { abs: number; cosine?: number; half?: boolean }) {
  describe(`${name} matches sentence-transformers 6.0.1`, function () {
    this.timeout(600_000);
    before(function () {
      if (!requireFixtures(this as unknown as Mocha.Context, ...st6Parts(name), ['models', name])) return;
      if (!supportedModelTypes().includes(modelType)) {
        console.warn(`  [skip] model_type ${modelType} is not implemented in src/models yet`);
        this.skip();
      }
    });

    it('tokenization of the unstripped texts equals the 6.0.1 batch exactly (input_ids, attention_mask, token_type_ids)', async () => {
      const ref = loadSt6Reference(name);
      const m = await model(name);
      const batch = m.tokenize(ref.json.texts);
      // the reference batch is padded to the longest text of all texts, as ours
      assert.deepEqual(batchRows(batch, 'inputIds'), ref.json.batch.input_ids);
      assert.deepEqual(batchRows(batch, 'attentionMask'), ref.json.batch.attention_mask);
      if (ref.json.batch.token_type_ids) assert.deepEqual(batchRows(batch, 'tokenTypeIds'), ref.json.batch.token_type_ids);
      else assert.equal(batch.tokenTypeIds, undefined);
    });

    const prefix = bar.half ? 'encode_float32.' : 'encode.';
    it(`encode() embeddings within ${bar.abs} of 6.0.1${bar.half ? ' loaded in float32' : ''} (unnormalized and normalized)`, async () => {
      const ref = loadSt6Reference(name);
      for (const [key, normalizeEmbeddings] of [[`${prefix}embeddings`, false], [`${prefix}embeddings_normalized`, true]] as const) {
        const got = await encodedTexts(name, normalizeEmbeddings);
        const want = ref.rows(key);
        if (bar.cosine !== undefined) {
          const worst = Math.min(...got.map((g, i) => cosine(g, want[i])));
          assert.ok(worst >= bar.cosine, `${key}: min cosine ${worst}`);
        }
        const d = maxAbsDiff(got, want);
        assert.ok(d <= bar.abs, `${key}: max abs diff ${d}`);
      }
    });

    if (bar.half) {
      it("encode() stays within 6.0.1's own half-precision rounding of its default (half-precision) output", async () => {
        const ref = loadSt6Reference(name);
        for (const key of ['embeddings', 'embeddings_normalized']) {
          const got = await encodedTexts(name, key === 'embeddings_normalized');
          const half = ref.rows(`encode.${key}`);
          const gap = maxAbsDiff(half, ref.rows(`encode_float32.${key}`)); // 6.0.1 half vs 6.0.1 float32
          const d = maxAbsDiff(got, half);
          assert.ok(gap > 0 && d <= gap + bar.abs, `encode.${key}: max abs diff ${d} to the half-precision output (6.0.1's own half vs float32 gap ${gap})`);
        }
      });
    }

    it('similarity() of the embeddings equals the 6.0.1 matrix within 1e-5', async () => {
      const ref = loadSt6Reference(name);
      const m = await model(name);
      assert.equal(m.similarityFnName, ref.json.similarity_fn_name);
      const e = await encodedTexts(name, false);
      const d = maxAbsDiff(m.similarity(e, e), ref.rows(bar.half ? 'encode_float32.similarity' : 'similarity'));
      assert.ok(d <= 1e-5, `max abs diff ${d}`);
    });

    it('reports the embedding dimension, max_seq_length and prompts of 6.0.1', async () => {
      const ref = loadSt6Reference(name);
      const m = await model(name);
      assert.equal(m.maxSeqLength, ref.json.max_seq_length);
      assert.equal(m.getSentenceEmbeddingDimension(), ref.json.embedding_dim);
      assert.deepEqual(m.prompts, ref.json.prompts);
      assert.equal(m.defaultPromptName, ref.json.default_prompt_name);
    });
  });
}

describe('SentenceTransformer', function () {
  after(() => {
    for (const m of models.values()) m.dispose();
    models.clear();
  });

  parityCases('tiny-bert', 'bert', { abs: 1e-5 });
  parityCases('tiny-bert-f16', 'bert', { abs: 1e-5, half: true });
  parityCases('tiny-bert-bf16', 'bert', { abs: 1e-5, half: true });
  parityCases('tiny-bert-sharded', 'bert', { abs: 1e-5 });
  parityCases('tiny-roberta', 'roberta', { abs: 1e-5 });
  parityCases('tiny-mpnet', 'mpnet', { abs: 1e-5 });
  parityCases('tiny-distilbert', 'distilbert', { abs: 1e-5 });
  parityCases('minilm-l6-full', 'bert', { abs: 1e-5, cosine: 0.99999, half: true });

  describe('prompts (tiny-bert, sentence-transformers 6.0.1)', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ...st6Parts('tiny-bert'), ...referenceParts('tiny-bert'));
    });

    for (const [p, method] of [['query', 'encode_query'], ['document', 'encode_document']] as const) {
      it(`promptName '${p}' prepends the prompt: ids and embeddings equal 6.0.1's ${method}`, async () => {
        const ref = loadSt6Reference('tiny-bert');
        const m = await model('tiny-bert');
        const prompt = ref.json.prompts[p] as string;
        const texts = ref.json.texts as string[];
        const ids = batchRows(m.tokenize(texts.map((t) => prompt + t)), 'inputIds');
        assert.deepEqual(ids, ref.intRows(`${method}.input_ids`));
        const got = await m.encode(texts, { promptName: p });
        const d = maxAbsDiff(got, ref.rows(`${method}.embeddings`));
        assert.ok(d <= 1e-5, `max abs diff ${d}`);
        const viaPrompt = await m.encode(texts, { prompt });
        assert.ok(maxAbsDiff(viaPrompt, got) === 0, 'prompt and promptName give the same result');
      });
    }

    it('encodeQuery and encodeDocument equal 6.0.1 encode_query / encode_document', async () => {
      const ref = loadSt6Reference('tiny-bert');
      const m = await model('tiny-bert');
      const texts = ref.json.texts as string[];
      const q = (await m.encodeQuery(texts)) as Float32Array[];
      const d = (await m.encodeDocument(texts)) as Float32Array[];
      const dq = maxAbsDiff(q, ref.rows('encode_query.embeddings'));
      const dd = maxAbsDiff(d, ref.rows('encode_document.embeddings'));
      assert.ok(dq <= 1e-5 && dd <= 1e-5, `max abs diff query ${dq}, document ${dd}`);
    });

    it('an unknown promptName is an error listing the prompts', async () => {
      const m = await model('tiny-bert');
      await assert.rejects(m.encode(['x'], { promptName: 'nope' }), /'nope' not found .*\["query","document"\]/);
    });

    it('defaultPromptName given at load applies when no prompt is passed', async () => {
      const ref = loadSt6Reference('tiny-bert');
      const m = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE, defaultPromptName: 'query' });
      try {
        const got = await m.encode(ref.json.texts as string[]);
        assert.ok(maxAbsDiff(got, ref.rows('encode_query.embeddings')) <= 1e-5);
      } finally {
        m.dispose();
      }
      await assert.rejects(SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE, defaultPromptName: 'zzz' }), /'zzz' not found/);
    });
  });

  describe('prompt selection (6.0.1 save_layout.json prompt_selection, tiny-mpnet)', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ['reference', 'st6', 'save_layout.json'], ...st6Parts('tiny-mpnet'), ['models', 'tiny-mpnet']);
    });

    it("prompts {query, passage} (e5 style): 'document' exists, so encodeDocument uses no prompt, as 6.0.1", async () => {
      const sel = JSON.parse(readFileSync(fixture('reference', 'st6', 'save_layout.json'), 'utf8')).prompt_selection;
      assert.equal(sel.encode_document_equals_encode_without_prompt, true);
      const texts = (loadSt6Reference('tiny-mpnet').json.texts as string[]).slice(0, 6);
      const m = await SentenceTransformer.load(fixture('models', 'tiny-mpnet'), { device: DEVICE, prompts: { query: 'query: ', passage: 'passage: ' } });
      const legacy = await SentenceTransformer.load(fixture('models', 'tiny-mpnet'), { device: DEVICE, prompts: { query: 'query: ', passage: 'passage: ' }, compat: '3.4' });
      try {
        assert.deepEqual(m.prompts, sel.prompts_after_load);
        const plain = await m.encode(texts);
        assert.equal(maxAbsDiff(await m.encodeDocument(texts), plain), 0);
        assert.equal(maxAbsDiff(await m.encodeQuery(texts), await m.encode(texts, { promptName: 'query' })), 0);
        assert.ok(maxAbsDiff(await m.encodeDocument(texts), await m.encode(texts, { promptName: 'passage' })) > 0);
        // compat 3.4: no always-present 'document', so encodeDocument picks 'passage' as 3.4.1-era code did
        assert.deepEqual(legacy.prompts, { query: 'query: ', passage: 'passage: ' });
        assert.equal(maxAbsDiff(await legacy.encodeDocument(texts), await legacy.encode(texts, { promptName: 'passage' })), 0);
      } finally {
        m.dispose();
        legacy.dispose();
      }
    });
  });

  describe('stripping: 6.0.1 keeps edge whitespace, compat 3.4 strips (tiny-roberta)', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ...st6Parts('tiny-roberta'), ...referenceParts('tiny-roberta'), ['models', 'tiny-roberta']);
    });

    it("compat: '3.4' reproduces 3.4.1's stripped ids and embeddings; the default reproduces 6.0.1's", async () => {
      const old = loadReference('tiny-roberta');
      const st6 = loadSt6Reference('tiny-roberta');
      const texts = st6.json.texts as string[];
      assert.deepEqual(texts, old.json.texts);
      const legacy = await SentenceTransformer.load(fixture('models', 'tiny-roberta'), { device: DEVICE, compat: '3.4' });
      try {
        assert.deepEqual(batchRows(legacy.tokenize(texts), 'inputIds'), old.json.batch.input_ids);
        const d34 = maxAbsDiff(await legacy.encode(texts), old.rows('encode.embeddings'));
        assert.ok(d34 <= 1e-5, `compat 3.4 vs 3.4.1: max abs diff ${d34}`);
        // the two references differ a lot on the whitespace texts (fixtures README: up to 1.03), so this tells them apart
        const d6 = maxAbsDiff(await encodedTexts('tiny-roberta', false), st6.rows('encode.embeddings'));
        assert.ok(d6 <= 1e-5 && maxAbsDiff(st6.rows('encode.embeddings'), old.rows('encode.embeddings')) > 0.5, `default vs 6.0.1: ${d6}`);
        await assert.rejects(SentenceTransformer.load(fixture('models', 'tiny-roberta'), { device: DEVICE, compat: '5' as '3.4' }), /compat must be '6\.0' \(the default\) or '3\.4', got "5"/);
      } finally {
        legacy.dispose();
      }
    });
  });

  describe('pooling configs on tiny-bert-pooling', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ...st6Parts('tiny-bert-pooling'), ['models', 'tiny-bert-pooling', 'pooling_configs']);
    });
    for (const mode of ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken', 'cls+mean+max']) {
      it(`encode with the ${mode} Pooling equals 6.0.1 within 1e-5`, async () => {
        const ref = loadSt6Reference('tiny-bert-pooling');
        const base = await model('tiny-bert-pooling');
        const cfgPath = fixture('models', 'tiny-bert-pooling', 'pooling_configs', mode, 'config.json');
        // the directory's own pipeline is cls+mean+max; the other configs swap its Pooling module
        const st =
          mode === 'cls+mean+max'
            ? base
            : SentenceTransformer.fromModules([base.transformer, new Pooling(parsePoolingConfig(await readJSONFile(cfgPath), cfgPath))]);
        if (mode === 'cls+mean+max') {
          assert.deepEqual(batchRows(base.tokenize(ref.json.texts), 'inputIds'), ref.json.batch.input_ids);
          assert.equal(base.getSentenceEmbeddingDimension(), 96);
        }
        const got = await st.encode(ref.json.texts as string[]);
        const d = maxAbsDiff(got, ref.rows(`pooling.${mode}.embeddings`));
        assert.ok(d <= 1e-5, `max abs diff ${d}`);
      });
    }
  });

  describe('loading errors', () => {
    let tmp: string;
    beforeEach(() => {
      tmp = mkdtempSync(join(tmpdir(), 'st-load-'));
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    it('a directory with missing files lists what is missing and what was expected', async function () {
      if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
      for (const f of ['modules.json', 'config.json', 'tokenizer.json']) copyFileSync(fixture('models', 'tiny-bert', f), join(tmp, f));
      mkdirSync(join(tmp, '1_Pooling'));
      await assert.rejects(SentenceTransformer.load(tmp, { device: DEVICE }), (e: Error) => {
        assert.match(e.message, /missing model\.safetensors \(or model\.safetensors\.index\.json\), 1_Pooling\/config\.json/);
        assert.match(e.message, /expected modules\.json and config\.json/);
        return true;
      });
    });

    it('an unknown module type names it and lists the supported ones', async () => {
      writeFileSync(join(tmp, 'modules.json'), JSON.stringify([{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.CNN' }]));
      await assert.rejects(SentenceTransformer.load(tmp, { device: DEVICE }), /unsupported module type 'sentence_transformers\.models\.CNN'; supported: .*Transformer.*Pooling.*Dense.*Normalize/);
    });

    it('a model id that is not a directory goes to the resolver (pluggable)', async () => {
      const saved = SentenceTransformer.resolveModel;
      const seen: string[] = [];
      SentenceTransformer.resolveModel = async (id) => {
        seen.push(id);
        throw new Error(`no network for ${id}`);
      };
      try {
        await assert.rejects(SentenceTransformer.load('someone/some-model', { device: DEVICE }), /no network for someone\/some-model/);
        assert.deepEqual(seen, ['someone/some-model']);
      } finally {
        SentenceTransformer.resolveModel = saved;
      }
    });
  });

  it('maxSeqLength is settable, truncates, and rejects lengths beyond the position embeddings', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    const m = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE });
    try {
      m.maxSeqLength = 6;
      const b = m.tokenize(['The weather is lovely today, and the sun is out.']);
      assert.equal(b.seqLength, 6);
      assert.equal(batchRows(b, 'inputIds')[0][5], 102, 'truncation keeps the final [SEP]');
      assert.throws(() => (m.maxSeqLength = 513), RangeError);
      assert.throws(() => (m.maxSeqLength = 0), RangeError);
      assert.equal(m.maxSeqLength, 6);
    } finally {
      m.dispose();
    }
  });

  it('inspect returns hidden states and attentions equal to the reference probe within 1e-5', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-bert'))) return;
    const ref = loadReference('tiny-bert');
    const m = await model('tiny-bert');
    const texts = (ref.json.probe.indices as number[]).map((i) => ref.json.texts[i] as string);
    const out = await m.inspect(texts, { outputHiddenStates: true, outputAttentions: true });
    assert.deepEqual(out.input_ids.shape, ref.shape('probe.input_ids'));
    assert.deepEqual(Array.from(out.input_ids.data), Array.from(ref.flat('probe.input_ids')));
    const close = (name: string, key: string) => {
      const a = out[name].data;
      const b = ref.flat(key);
      assert.deepEqual(out[name].shape, ref.shape(key), name);
      let d = 0;
      for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
      assert.ok(d <= 1e-5, `${name}: max abs diff ${d}`);
    };
    close('token_embeddings', 'probe.last_hidden_state');
    close('attentions.0', 'probe.attentions.0');
    close('attentions.1', 'probe.attentions.1');
    assert.ok(out['hidden_states.2'] && out['modules.1.sentence_embedding'] && out.sentence_embedding);
  });

  it('forward() on tokenizer output gives token and sentence embeddings as tensors', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-bert'))) return;
    const ref = loadReference('tiny-bert');
    const m = await model('tiny-bert');
    const before = tf.memory().numTensors;
    const f = m.forward(m.tokenize(ref.json.texts));
    const se = (await f.sentenceEmbedding!.array()) as number[][];
    tf.dispose(Object.values(f).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(maxAbsDiff(se, ref.rows('modules.2.sentence_embedding')) <= 1e-5);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { batchRows } from '../src/modules/tokenized_batch.js';
import { parsePoolingConfig, Pooling } from '../src/modules/pooling.js';
import { supportedModelTypes } from '../src/models/index.js';
import { readJSONFile } from '../src/platform/fs.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, maxAbsDiff, referenceParts } from './helpers/st_reference.js';

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
    e = await (await model(name)).encode(loadReference(name).json.texts as string[], { normalizeEmbeddings });
    encoded.set(key, e);
  }
  return e;
}

/** Bi-encoder parity against `reference/<name>`: tokenization, encode (raw + normalized), similarity. */
function parityCases(name: string, modelType: string, bar: { abs: number; cosine?: number }) {
  describe(`${name} matches sentence-transformers 3.4.1`, function () {
    this.timeout(600_000);
    before(function () {
      if (!requireFixtures(this as unknown as Mocha.Context, ...referenceParts(name), ['models', name])) return;
      if (!supportedModelTypes().includes(modelType)) {
        console.warn(`  [skip] model_type ${modelType} is not implemented in src/models yet`);
        this.skip();
      }
    });

    it('tokenization equals the reference batch exactly (input_ids, attention_mask, token_type_ids)', async () => {
      const ref = loadReference(name);
      const m = await model(name);
      const batch = m.tokenize(ref.json.texts);
      const ids = batchRows(batch, 'inputIds');
      const want = ref.json.batch.input_ids as number[][];
      // the reference batch is padded to the longest text of all texts, as ours
      assert.deepEqual(ids, want);
      assert.deepEqual(batchRows(batch, 'attentionMask'), ref.json.batch.attention_mask);
      if (ref.json.batch.token_type_ids) assert.deepEqual(batchRows(batch, 'tokenTypeIds'), ref.json.batch.token_type_ids);
      else assert.equal(batch.tokenTypeIds, undefined);
    });

    it(`encode() embeddings within ${bar.abs} (unnormalized and normalized)`, async () => {
      const ref = loadReference(name);
      const m = await model(name);
      for (const [key, normalizeEmbeddings] of [['encode.embeddings', false], ['encode.embeddings_normalized', true]] as const) {
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

    it('similarity() of the embeddings equals the reference matrix within 1e-5', async () => {
      const ref = loadReference(name);
      const m = await model(name);
      assert.equal(m.similarityFnName, ref.json.similarity_fn_name);
      const e = await encodedTexts(name, false);
      const d = maxAbsDiff(m.similarity(e, e), ref.rows('similarity'));
      assert.ok(d <= 1e-5, `max abs diff ${d}`);
    });

    it('reports the embedding dimension and max_seq_length of the reference', async () => {
      const ref = loadReference(name);
      const m = await model(name);
      assert.equal(m.maxSeqLength, ref.json.max_seq_length);
      assert.equal(m.getSentenceEmbeddingDimension(), ref.shape('encode.embeddings')[1]);
    });
  });
}

describe('SentenceTransformer', function () {
  after(() => {
    for (const m of models.values()) m.dispose();
    models.clear();
  });

  parityCases('tiny-bert', 'bert', { abs: 1e-5 });
  parityCases('tiny-bert-f16', 'bert', { abs: 1e-5 });
  parityCases('tiny-bert-bf16', 'bert', { abs: 1e-5 });
  parityCases('tiny-bert-sharded', 'bert', { abs: 1e-5 });
  parityCases('tiny-roberta', 'roberta', { abs: 1e-5 });
  parityCases('tiny-mpnet', 'mpnet', { abs: 1e-5 });
  parityCases('tiny-distilbert', 'distilbert', { abs: 1e-5 });
  parityCases('minilm-l6-full', 'bert', { abs: 1e-5, cosine: 0.99999 });

  describe('prompts (tiny-bert)', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ...referenceParts('tiny-bert'));
    });

    for (const p of ['query', 'document'] as const) {
      it(`promptName '${p}' prepends the prompt: ids and embeddings equal the reference`, async () => {
        const ref = loadReference('tiny-bert');
        const m = await model('tiny-bert');
        const prompt = ref.json.prompts[p] as string;
        const texts = ref.json.texts as string[];
        const ids = batchRows(m.tokenize(texts.map((t) => prompt + t)), 'inputIds');
        assert.deepEqual(ids, ref.intRows(`encode.prompt_${p}.input_ids`));
        const got = await m.encode(texts, { promptName: p });
        const d = maxAbsDiff(got, ref.rows(`encode.prompt_${p}.embeddings`));
        assert.ok(d <= 1e-5, `max abs diff ${d}`);
        const viaPrompt = await m.encode(texts, { prompt });
        assert.ok(maxAbsDiff(viaPrompt, got) === 0, 'prompt and promptName give the same result');
      });
    }

    it('encodeQuery and encodeDocument use the query / document prompts', async () => {
      const ref = loadReference('tiny-bert');
      const m = await model('tiny-bert');
      const texts = ref.json.texts as string[];
      const q = (await m.encodeQuery(texts)) as Float32Array[];
      const d = (await m.encodeDocument(texts)) as Float32Array[];
      assert.ok(maxAbsDiff(q, ref.rows('encode.prompt_query.embeddings')) <= 1e-5);
      assert.ok(maxAbsDiff(d, ref.rows('encode.prompt_document.embeddings')) <= 1e-5);
    });

    it('an unknown promptName is an error listing the prompts', async () => {
      const m = await model('tiny-bert');
      await assert.rejects(m.encode(['x'], { promptName: 'nope' }), /'nope' not found .*\["query","document"\]/);
    });

    it('defaultPromptName given at load applies when no prompt is passed', async () => {
      const ref = loadReference('tiny-bert');
      const m = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE, defaultPromptName: 'query' });
      try {
        const got = await m.encode(ref.json.texts as string[]);
        assert.ok(maxAbsDiff(got, ref.rows('encode.prompt_query.embeddings')) <= 1e-5);
      } finally {
        m.dispose();
      }
      await assert.rejects(SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE, defaultPromptName: 'zzz' }), /'zzz' not found/);
    });
  });

  describe('pooling configs on tiny-bert-pooling', function () {
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ...referenceParts('tiny-bert-pooling'), ['models', 'tiny-bert-pooling', 'pooling_configs']);
    });
    for (const mode of ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken', 'cls+mean+max']) {
      it(`encode with the ${mode} Pooling equals the reference within 1e-5`, async () => {
        const ref = loadReference('tiny-bert-pooling');
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

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  Dense,
  MODULE_TYPES,
  Normalize,
  Pooling,
  SafetensorsFile,
  SentenceTransformer,
  SpladePooling,
  Transformer,
  initBackend,
  moduleClass,
  serializeSafetensors,
  WeightMap,
  type SentenceModule,
} from '../src/index.js';
import { readTokenizerConfig, returnsTokenTypeIds } from '../src/tokenizers/tokenizer_config.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, referenceParts } from './helpers/st_reference.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';

/** Every file under `dir`, relative, sorted; empty folders listed with a trailing '/'. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = readdirSync(d);
    if (entries.length === 0 && d !== dir) out.push(`${relative(dir, d)}/`);
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const readJSON = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** What sentence-transformers 6.0.1's save() wrote for a model (reference/st6/save_layout.json `saves`). */
const st6Save = (name: string): { files: Record<string, unknown>; json: Record<string, unknown> } =>
  (readJSON(fixture('reference', 'st6', 'save_layout.json')) as { saves: Record<string, { files: Record<string, unknown>; json: Record<string, unknown> }> }).saves[name];

function assertBitEqual(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, `${what}: row count`);
  a.forEach((row, i) => {
    const x = new Uint32Array(row.buffer, row.byteOffset, row.length);
    const y = new Uint32Array(b[i].buffer, b[i].byteOffset, b[i].length);
    assert.deepEqual(x, y, `${what}: row ${i} differs`);
  });
}

/** Tensors of a safetensors file as name -> {dtype, shape, bytes}. */
function tensorsOf(path: string): Map<string, { dtype: string; shape: readonly number[]; f32: Float32Array }> {
  const f = SafetensorsFile.parse(readFileSync(path), path);
  return new Map(f.names().map((n) => [n, { dtype: f.info(n).dtype, shape: f.info(n).shape, f32: f.float32(n) }]));
}

describe('modules save themselves and load back (SentenceTransformer.save)', function () {
  this.timeout(600_000);
  let tmp: string;
  before(async () => {
    await initBackend(DEVICE);
  });
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'st-save-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  /** The module files of a 3.x-layout model folder (the fixtures), beside the root files. */
  const layouts: Record<string, string[]> = {
    'tiny-bert': ['1_Pooling/config.json', '2_Normalize/config.json'],
    'tiny-roberta': ['1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors'],
    'tiny-bert-pooling': ['1_Pooling/config.json'],
  };
  const ROOT_FILES = ['config.json', 'config_sentence_transformers.json', 'model.safetensors', 'modules.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json'];

  /**
   * The saved folder against 6.0.1's save of the same model: the same files (but the model card README.md, which this
   * library does not write), modules.json, module configs, sentence_bert_config.json and
   * config_sentence_transformers.json equal (`__version__` aside), config.json with `dtype` (no `torch_dtype`) and
   * every model key equal to 6.0.1's, tokenizer_config.json `model_max_length` equal.
   */
  function assertSt6Layout(name: string, dir: string): void {
    const want = st6Save(name);
    assert.deepEqual(listFiles(dir), Object.keys(want.files).filter((f) => f !== 'README.md').sort(), `${name}: files`);
    for (const [f, content] of Object.entries(want.json)) {
      const got = readJSON(join(dir, f)) as Record<string, unknown>;
      if (f === 'config.json') {
        assert.equal(got.dtype, 'float32');
        assert.ok(!('torch_dtype' in got), 'config.json: torch_dtype is written as dtype (transformers 5)');
        for (const [k, v] of Object.entries(got)) {
          if (k in (content as object) && k !== 'transformers_version') assert.deepEqual(v, (content as Record<string, unknown>)[k], `config.json ${k}`);
        }
        for (const k of ['architectures', 'model_type', 'hidden_size', 'num_hidden_layers', 'vocab_size']) assert.ok(k in got, `config.json has ${k}`);
      } else if (f === 'tokenizer_config.json') {
        assert.equal(got.model_max_length, (content as Record<string, unknown>).model_max_length, 'tokenizer_config.json model_max_length (6.x keeps max_seq_length there)');
      } else if (f === 'config_sentence_transformers.json') {
        const { __version__: v, ...rest } = got;
        const { __version__: _w, ...wantRest } = content as Record<string, unknown>;
        assert.deepEqual(rest, wantRest, f);
        assert.deepEqual(Object.keys(v as object).sort(), ['pytorch', 'sentence_transformers', 'transformers']);
        assert.deepEqual(Object.keys(got), Object.keys(got).sort(), 'keys sorted (json sort_keys)');
      } else {
        assert.deepEqual(got, content, `${f} differs from 6.0.1's`);
      }
    }
  }

  for (const [name, moduleFiles] of Object.entries(layouts)) {
    it(`${name}: load (3.x layout) -> save (6.0.1 layout) -> load gives bit-identical embeddings and the same files as 6.0.1`, async function () {
      if (!requireFixtures(this, ...referenceParts(name), ['models', name], ['reference', 'st6', 'save_layout.json'])) return;
      const src = fixture('models', name);
      const texts = loadReference(name).json.texts as string[];
      const a = await SentenceTransformer.load(src, { device: DEVICE });
      let b: SentenceTransformer | undefined;
      try {
        const before = await a.encode(texts);
        await a.save(tmp);
        assert.deepEqual(listFiles(tmp), [...ROOT_FILES, ...moduleFiles].sort());
        if (st6Save(name)) assertSt6Layout(name, tmp);
        b = await SentenceTransformer.load(tmp, { device: DEVICE });
        assertBitEqual(await b.encode(texts), before, `${name} reloaded`);
        assertBitEqual(await a.encode(texts), before, `${name} after save`);
        assert.equal(b.maxSeqLength, a.maxSeqLength, 'max_seq_length travels in tokenizer_config.json');
        assert.deepEqual(b.prompts, a.prompts);
        assert.equal(b.similarityFnName, a.similarityFnName);
        // saving the reloaded model again writes the same files (the 6.0.1 layout reads back as written)
        const again = mkdtempSync(join(tmpdir(), 'st-save-again-'));
        try {
          await b.save(again);
          for (const f of listFiles(tmp).filter((p) => p.endsWith('.json'))) assert.deepEqual(readJSON(join(again, f)), readJSON(join(tmp, f)), `${f} after a second save`);
        } finally {
          rmSync(again, { recursive: true, force: true });
        }
        assert.ok(readFileSync(join(tmp, 'tokenizer.json')).equals(readFileSync(join(src, 'tokenizer.json'))), 'tokenizer.json is written as read');
        for (const f of ['model.safetensors', ...moduleFiles.filter((p) => p.endsWith('.safetensors'))]) {
          const want = tensorsOf(join(src, f));
          const got = tensorsOf(join(tmp, f));
          assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${f}: tensor names`);
          for (const [k, t] of want) {
            assert.deepEqual(got.get(k)!.shape, t.shape, `${f}: shape of ${k}`);
            assert.deepEqual(got.get(k)!.f32, t.f32, `${f}: values of ${k}`);
          }
        }
      } finally {
        a.dispose();
        b?.dispose();
      }
    });
  }

  it('the Transformer checkpoint keeps PyTorch names, [out, in] linear weights and {"format": "pt"}', async function () {
    if (!requireFixtures(this, ['models', 'tiny-roberta'])) return;
    const m = await SentenceTransformer.load(fixture('models', 'tiny-roberta'), { device: DEVICE });
    try {
      await m.save(tmp);
    } finally {
      m.dispose();
    }
    const f = SafetensorsFile.parse(readFileSync(join(tmp, 'model.safetensors')));
    assert.deepEqual(f.metadata, { format: 'pt' });
    assert.deepEqual(f.info('encoder.layer.0.intermediate.dense.weight').shape, [64, 32]);
    const dense = SafetensorsFile.parse(readFileSync(join(tmp, '2_Dense', 'model.safetensors')));
    assert.deepEqual(dense.names().sort(), ['linear.bias', 'linear.weight']);
    assert.deepEqual(dense.info('linear.weight').shape, [16, 32]);
  });

  it('a sharded checkpoint saves as one model.safetensors and embeds the same', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-bert'), ['models', 'tiny-bert-sharded'])) return;
    const texts = (loadReference('tiny-bert').json.texts as string[]).slice(0, 6);
    const a = await SentenceTransformer.load(fixture('models', 'tiny-bert-sharded'), { device: DEVICE });
    let b: SentenceTransformer | undefined;
    try {
      await a.save(tmp);
      assert.ok(existsSync(join(tmp, 'model.safetensors')) && !existsSync(join(tmp, 'model.safetensors.index.json')));
      b = await SentenceTransformer.load(tmp, { device: DEVICE });
      assertBitEqual(await b.encode(texts), await a.encode(texts), 'tiny-bert-sharded reloaded');
    } finally {
      a.dispose();
      b?.dispose();
    }
  });

  it('an F16 checkpoint is saved in float32 (as Python computes and saves it) and embeds the same', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-bert'), ['models', 'tiny-bert-f16'])) return;
    const texts = (loadReference('tiny-bert').json.texts as string[]).slice(0, 6);
    const a = await SentenceTransformer.load(fixture('models', 'tiny-bert-f16'), { device: DEVICE });
    let b: SentenceTransformer | undefined;
    try {
      await a.save(tmp);
      const f = SafetensorsFile.parse(readFileSync(join(tmp, 'model.safetensors')));
      assert.deepEqual([...new Set(f.names().map((n) => f.info(n).dtype))], ['F32']);
      assert.equal((readJSON(join(tmp, 'config.json')) as { dtype: string }).dtype, 'float32');
      b = await SentenceTransformer.load(tmp, { device: DEVICE });
      assertBitEqual(await b.encode(texts), await a.encode(texts), 'tiny-bert-f16 reloaded');
    } finally {
      a.dispose();
      b?.dispose();
    }
  });

  it('modules.json types of sentence-transformers 6.x load the same classes and the same embeddings', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-roberta'), ['models', 'tiny-roberta'])) return;
    const src = fixture('models', 'tiny-roberta');
    cpSync(src, tmp, { recursive: true });
    const modules = readJSON(join(src, 'modules.json')) as { type: string }[];
    const st6: Record<string, string> = {
      'sentence_transformers.models.Transformer': 'sentence_transformers.base.modules.transformer.Transformer',
      'sentence_transformers.models.Pooling': 'sentence_transformers.sentence_transformer.modules.pooling.Pooling',
      'sentence_transformers.models.Dense': 'sentence_transformers.base.modules.dense.Dense',
    };
    for (const m of modules) m.type = st6[m.type];
    rmSync(join(tmp, 'modules.json'), { force: true });
    writeFileSync(join(tmp, 'modules.json'), JSON.stringify(modules));
    const texts = (loadReference('tiny-roberta').json.texts as string[]).slice(0, 6);
    const a = await SentenceTransformer.load(src, { device: DEVICE });
    const b = await SentenceTransformer.load(tmp, { device: DEVICE });
    try {
      assert.deepEqual(b.modules.map((m) => m.constructor), [Transformer, Pooling, Dense]);
      assertBitEqual(await b.encode(texts), await a.encode(texts), '6.x names');
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('the module registry and exported module classes', function () {
  this.timeout(600_000);
  before(async () => {
    await initBackend(DEVICE);
  });

  it('maps 3.x and 6.x modules.json types to the module classes', () => {
    assert.equal(moduleClass('sentence_transformers.models.Transformer'), Transformer);
    assert.equal(moduleClass('sentence_transformers.base.modules.transformer.Transformer'), Transformer);
    assert.equal(moduleClass('sentence_transformers.sentence_transformer.modules.pooling.Pooling'), Pooling);
    assert.equal(moduleClass('sentence_transformers.base.modules.dense.Dense'), Dense);
    assert.equal(moduleClass('sentence_transformers.base.modules.normalize.Normalize'), Normalize);
    assert.equal(moduleClass('sentence_transformers.models.Normalize.Normalize'), Normalize);
    assert.equal(moduleClass('Pooling'), Pooling);
    for (const cls of Object.values(MODULE_TYPES)) assert.equal(typeof cls.load, 'function');
    assert.equal(moduleClass('sentence_transformers.sparse_encoder.modules.splade_pooling.SpladePooling'), SpladePooling);
    assert.throws(() => moduleClass('sentence_transformers.sparse_encoder.modules.sparse_auto_encoder.SparseAutoEncoder'), /unsupported module type .*SparseAutoEncoder.*supported: /);
  });

  it('SentenceTransformer.fromModules builds a model from exported pieces that embeds as the loaded one, and saves it', async function () {
    if (!requireFixtures(this, ...referenceParts('tiny-bert'), ['models', 'tiny-bert'])) return;
    const dir = fixture('models', 'tiny-bert');
    const texts = (loadReference('tiny-bert').json.texts as string[]).slice(0, 8);
    const loaded = await SentenceTransformer.load(dir, { device: DEVICE });
    const transformer = await Transformer.load(dir);
    const pieces: SentenceModule[] = [transformer, Pooling.fromMode(transformer.getWordEmbeddingDimension(), 'mean'), new Normalize()];
    const built = SentenceTransformer.fromModules(pieces, { similarityFnName: 'cosine' });
    const tmp = mkdtempSync(join(tmpdir(), 'st-from-modules-'));
    try {
      assert.equal(built.maxSeqLength, 128, 'Transformer.load reads sentence_bert_config.json');
      assert.equal(built.getSentenceEmbeddingDimension(), 32);
      assertBitEqual(await built.encode(texts), await loaded.encode(texts), 'fromModules');
      await built.save(tmp);
      const modules = readJSON(join(tmp, 'modules.json')) as { idx: number; name: string; path: string; type: string }[];
      assert.deepEqual(modules, (st6Save('tiny-bert').json as Record<string, unknown>)['modules.json']);
      const { __version__: _v, ...cfg } = readJSON(join(tmp, 'config_sentence_transformers.json')) as Record<string, unknown>;
      assert.deepEqual(cfg, { default_prompt_name: null, model_type: 'SentenceTransformer', prompts: { document: '', query: '' }, similarity_fn_name: 'cosine' });
    } finally {
      built.dispose();
      loaded.dispose();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a module without save makes SentenceTransformer.save fail naming it', async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    const transformer = await Transformer.load(fixture('models', 'tiny-bert'));
    const custom: SentenceModule = { typeName: 'my.CustomModule', forward: (f) => f, dispose: () => {} };
    const m = SentenceTransformer.fromModules([transformer, Pooling.fromMode(32, 'cls'), custom]);
    try {
      await assert.rejects(m.save(join(tmpdir(), 'never-written')), /my\.CustomModule cannot save/);
    } finally {
      m.dispose();
    }
  });
});

describe('WeightMap.stateDict (what save writes)', () => {
  before(async () => {
    await initBackend(DEVICE);
  });

  it('gives every checkpoint key back in PyTorch layout: linear weights [out, in], unread keys copied, ints kept', async () => {
    const src = SafetensorsFile.parse(
      serializeSafetensors({
        'fc.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        'fc.bias': { dtype: 'F32', shape: [2], data: new Float32Array([0.5, -1]) },
        'ln.weight': { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }, // 1, -2
        'position_ids': { dtype: 'I64', shape: [1, 3], data: new BigInt64Array([0n, 1n, 2n]) },
      }),
    );
    const wm = WeightMap.from(src);
    const before = tf.memory().numTensors;
    const { weight } = wm.linear('fc', 3, 2);
    assert.deepEqual(weight.shape, [3, 2]);
    const sd = await wm.stateDict();
    assert.equal(tf.memory().numTensors, before + 2, 'stateDict leaves no tensors behind');
    assert.deepEqual(Object.keys(sd).sort(), ['fc.bias', 'fc.weight', 'ln.weight', 'position_ids']);
    assert.deepEqual(sd['fc.weight'].shape, [2, 3]);
    assert.deepEqual(Array.from(sd['fc.weight'].data as Float32Array), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(sd['fc.bias'].data as Float32Array), [0.5, -1]);
    assert.equal(sd['ln.weight'].dtype, 'F32');
    assert.deepEqual(Array.from(sd['ln.weight'].data as Float32Array), [1, -2]);
    assert.equal(sd['position_ids'].dtype, 'I64');
    const round = SafetensorsFile.parse(serializeSafetensors(sd));
    assert.deepEqual(Array.from(round.float32('fc.weight')), [1, 2, 3, 4, 5, 6]);
    wm.dispose();
  });
});

describe('tokenizer_config.json is read in one place', () => {
  it('model_max_length: the 1e30 sentinel and non-positive values mean no limit', () => {
    assert.equal(readTokenizerConfig({ model_max_length: 128 }).modelMaxLength, 128);
    assert.equal(readTokenizerConfig({ model_max_length: 1e30 }).modelMaxLength, null);
    assert.equal(readTokenizerConfig({ model_max_length: 0 }).modelMaxLength, null);
    assert.equal(readTokenizerConfig({}).modelMaxLength, null);
  });

  it('token type ids: model_input_names, else the tokenizer class, else the model type', () => {
    const cases: [Record<string, unknown>, string | undefined, boolean][] = [
      [{ model_input_names: ['input_ids', 'attention_mask'], tokenizer_class: 'BertTokenizer' }, 'bert', false],
      [{ model_input_names: ['input_ids', 'token_type_ids', 'attention_mask'] }, 'roberta', true],
      [{ tokenizer_class: 'RobertaTokenizer' }, 'bert', false],
      [{ tokenizer_class: 'BertTokenizerFast' }, 'roberta', true],
      [{}, 'mpnet', false],
      [{}, 'bert', true],
      [{}, undefined, true],
    ];
    for (const [cfg, modelType, want] of cases) assert.equal(returnsTokenTypeIds(readTokenizerConfig(cfg), modelType), want, JSON.stringify([cfg, modelType]));
  });

  it('pad_token may be a string or an AddedToken object', () => {
    assert.equal(readTokenizerConfig({ pad_token: '<pad>' }).specialTokens.pad, '<pad>');
    assert.equal(readTokenizerConfig({ pad_token: { content: '[PAD]', special: true } }).specialTokens.pad, '[PAD]');
  });
});

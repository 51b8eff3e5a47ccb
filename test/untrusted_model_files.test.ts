/**
 * Model folders from anyone: rejected loads free every tensor they made, paths stay inside the folder, prompt names
 * are own keys validated at load, declared sizes are checked against the checkpoint, and the errors are
 * ModelConfigErrors naming the file and the key.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder, Dense, initBackend, loadSequenceClassifierFromDir, loadTransformerFromDir, ModelConfigError, Normalize, Pooling, SafetensorsError, SentenceTransformer, SpladePooling, Tokenizer, TokenizerAdapter, Transformer } from '../src/index.js';
import { MLMTransformer } from '../src/modules/mlm_transformer.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';

/** A writable copy of a fixture model folder. */
function copyModel(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'stfjs-untrusted-')), name);
  cpSync(fixture('models', name), dir, { recursive: true, filter: (src) => !src.includes('/onnx') });
  return dir;
}

/** Rewrite a safetensors file's header with `edit` (the data is kept). */
function editHeader(path: string, edit: (h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): void {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  edit(header);
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, json, bytes.subarray(8 + n)]));
}

const editJSON = (path: string, edit: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(readFileSync(path, 'utf8'));
  edit(j);
  writeFileSync(path, JSON.stringify(j));
};

describe('untrusted model folders', function () {
  const made: string[] = [];
  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'])) return;
    await initBackend('cpu');
  });
  after(() => {
    for (const d of made) rmSync(join(d, '..'), { recursive: true, force: true });
  });
  const model = (name: string) => {
    const d = copyModel(name);
    made.push(d);
    return d;
  };

  /** Load must reject with `cls` (and match `re`), and leave tf.memory().numTensors as it was. */
  async function rejectsFlat(load: () => Promise<unknown>, cls: new (...a: never[]) => Error, re: RegExp): Promise<void> {
    const before = tf.memory().numTensors;
    await assert.rejects(load, (e: Error) => {
      assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'a rejected load leaked tensors');
  }

  describe('a rejected load keeps no tensor', () => {
    it('a Dense bias of the wrong shape (tiny-roberta 2_Dense)', async () => {
      const dir = model('tiny-roberta');
      editHeader(join(dir, '2_Dense', 'model.safetensors'), (h) => {
        h['linear.bias'].shape = [1, h['linear.bias'].shape[0]];
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /shape mismatch for linear\.bias/);
    });

    for (const name of ['tiny-bert', 'tiny-modernbert', 'tiny-embeddinggemma', 'tiny-qwen3', 'tiny-mpnet', 'tiny-distilbert']) {
      it(`${name}: every 5th checkpoint tensor (and the last) missing in turn`, async function () {
        this.timeout(300_000);
        const dir = model(name);
        const path = join(dir, 'model.safetensors');
        const original = readFileSync(path);
        const n = Number(original.readBigUInt64LE(0));
        const names = Object.keys(JSON.parse(original.subarray(8, 8 + n).toString('utf8'))).filter((k) => k !== '__metadata__').sort();
        const picked = names.filter((_, i) => i % 5 === 0 || i === names.length - 1);
        let rejected = 0;
        for (const t of picked) {
          writeFileSync(path, original);
          editHeader(path, (h) => {
            h[`${t}.renamed`] = h[t];
            delete h[t];
          });
          const before = tf.memory().numTensors;
          try {
            // Some tensors are optional (an unused pooler, a position_ids buffer): then the load succeeds.
            (await SentenceTransformer.load(dir)).dispose();
          } catch (e) {
            assert.ok(e instanceof ModelConfigError, `${t}: ${(e as Error).name}: ${(e as Error).message}`);
            rejected++;
          }
          assert.equal(tf.memory().numTensors, before, `${name}: load without ${t} leaked tensors`);
        }
        assert.ok(rejected >= picked.length / 2, `${rejected} of ${picked.length} loads rejected`);
      });
    }

    it('a cross-encoder whose classifier is missing', async () => {
      const dir = model('tiny-bert-cross-encoder');
      editHeader(join(dir, 'model.safetensors'), (h) => {
        delete h['classifier.bias'];
      });
      await rejectsFlat(() => CrossEncoder.load(dir), ModelConfigError, /classifier\.bias/);
    });
  });

  describe('paths stay inside the model folder', () => {
    for (const p of ['../tiny-roberta/2_Dense', './../x', '~/../2_Dense', '/etc', '1_Pooling/../../x', 'C:/x', '1_Pooling\\..\\..']) {
      it(`modules.json path ${JSON.stringify(p)} is refused`, async () => {
        const dir = model('tiny-bert');
        editJSON(join(dir, 'modules.json'), (j) => {
          (j as unknown as { path: string }[])[1].path = p;
        });
        await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /modules\.json: entry 1 "path" .* could leave the model folder/);
      });
    }

    it('a module folder that is a symlink to another model is refused', async () => {
      const dir = model('tiny-bert');
      const other = model('tiny-mpnet');
      rmSync(join(dir, '1_Pooling'), { recursive: true });
      symlinkSync(join(other, '1_Pooling'), join(dir, '1_Pooling'));
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /symbolic link .* outside the model folder/);
    });

    it('a config.json symlinked to a file outside is refused (CrossEncoder too)', async () => {
      const dir = model('tiny-bert-cross-encoder');
      const other = model('tiny-bert');
      rmSync(join(dir, 'config.json'));
      symlinkSync(join(other, 'config.json'), join(dir, 'config.json'));
      await rejectsFlat(() => CrossEncoder.load(dir), ModelConfigError, /symbolic link/);
    });

    it("a hub cache snapshot whose files link into the repository's blobs/ loads (as huggingface_hub lays it out)", async () => {
      const src = model('tiny-bert');
      const repo = join(src, '..', 'models--org--tiny-bert');
      const snap = join(repo, 'snapshots', 'abc123');
      mkdirSync(join(repo, 'blobs'), { recursive: true });
      const files = ['config.json', 'config_sentence_transformers.json', 'model.safetensors', 'modules.json', 'sentence_bert_config.json',
        'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', '1_Pooling/config.json'];
      files.forEach((f, i) => {
        copyFileSync(join(src, f), join(repo, 'blobs', `blob${i}`));
        mkdirSync(join(snap, f, '..'), { recursive: true });
        symlinkSync(relative(join(snap, f, '..'), join(repo, 'blobs', `blob${i}`)), join(snap, f));
      });
      const a = await SentenceTransformer.load(snap);
      const b = await SentenceTransformer.load(src);
      try {
        assert.deepEqual(await a.encode(['hello']), await b.encode(['hello']));
      } finally {
        a.dispose();
        b.dispose();
      }
    });

    it('a symlink inside the folder is fine', async () => {
      const dir = model('tiny-bert');
      rmSync(join(dir, 'README.md'));
      symlinkSync('config.json', join(dir, 'README.md'));
      const m = await SentenceTransformer.load(dir);
      m.dispose();
    });

    describe('a module loaded directly refuses a symlink out of its folder, as the pipeline does', () => {
      /** `file` in `folder` (of a copy of `name`) replaced by a link to the same file of another copy: outside. */
      const linkedOut = (name: string, folder: string, file: string): string => {
        const dir = model(name);
        const other = model(name);
        rmSync(join(dir, folder, file));
        symlinkSync(join(other, folder, file), join(dir, folder, file));
        return join(dir, folder);
      };
      const cases: Array<[string, string, string, string, (d: string) => Promise<{ dispose(): void } | void>]> = [
        ['Transformer.load', 'tiny-bert', '', 'config.json', (d) => Transformer.load(d)],
        ['Transformer.load (its tokenizer.json)', 'tiny-bert', '', 'tokenizer.json', (d) => Transformer.load(d)],
        ['MLMTransformer.load', 'tiny-splade', '', 'model.safetensors', (d) => MLMTransformer.load(d)],
        ['Dense.load', 'tiny-roberta', '2_Dense', 'model.safetensors', (d) => Dense.load(d)],
        ['Dense.load (config.json)', 'tiny-roberta', '2_Dense', 'config.json', (d) => Dense.load(d)],
        ['Pooling.load', 'tiny-bert', '1_Pooling', 'config.json', (d) => Pooling.load(d)],
        ['SpladePooling.load', 'tiny-splade', '1_SpladePooling', 'config.json', (d) => SpladePooling.load(d)],
        ['TokenizerAdapter.load', 'tiny-bert', '', 'tokenizer.json', (d) => TokenizerAdapter.load(d, 'bert').then(() => undefined)],
        ['loadTransformerFromDir', 'tiny-bert', '', 'model.safetensors', (d) => loadTransformerFromDir(d)],
        ['loadSequenceClassifierFromDir', 'tiny-bert-cross-encoder', '', 'model.safetensors', (d) => loadSequenceClassifierFromDir(d)],
      ];
      for (const [what, name, folder, file, load] of cases) {
        it(`${what}: ${folder ? `${folder}/` : ''}${file} linked outside is refused`, async () => {
          await rejectsFlat(() => load(linkedOut(name, folder, file)), ModelConfigError, /is a symbolic link to .*, outside the model folder .*; refusing to read it/);
        });
      }

      it('Tokenizer.fromPretrainedDir: vocab.txt linked outside is refused', async () => {
        // Checked by name: fromPretrainedDir loads pretrained.js by a dynamic import, which under mocha + tsx can
        // bind a second copy of the error classes (instanceof across the two copies is false).
        await assert.rejects(() => Tokenizer.fromPretrainedDir(linkedOut('tiny-bert', '', 'vocab.txt')), (e: Error) => e.name === 'ModelConfigError' && /vocab\.txt is a symbolic link to .*, outside the model folder/.test(e.message));
      });

      it('Normalize.load: a config.json linked outside is refused', async () => {
        const dir = model('tiny-bert');
        const outside = join(dir, '..', 'normalize.json');
        writeFileSync(outside, JSON.stringify({ module_input_name: 'sentence_embedding', module_output_name: 'sentence_embedding' }));
        mkdirSync(join(dir, '2_Normalize'));
        symlinkSync(outside, join(dir, '2_Normalize', 'config.json'));
        await rejectsFlat(() => Normalize.load(join(dir, '2_Normalize')), ModelConfigError, /symbolic link/);
      });

      it('a link inside the module folder loads; so does a module folder linking elsewhere in its model through the pipeline', async () => {
        const dir = model('tiny-roberta');
        // 2_Dense/config.json -> 2_Dense/real.json: inside the module folder, fine for a direct load.
        cpSync(join(dir, '2_Dense', 'config.json'), join(dir, '2_Dense', 'real.json'));
        rmSync(join(dir, '2_Dense', 'config.json'));
        symlinkSync('real.json', join(dir, '2_Dense', 'config.json'));
        (await Dense.load(join(dir, '2_Dense'))).dispose();
        // 1_Pooling/config.json -> ../shared_pooling.json: outside 1_Pooling but inside the model: the pipeline's
        // modules are checked against the model folder (as its own walk allows), a direct load against the module's.
        cpSync(join(dir, '1_Pooling', 'config.json'), join(dir, 'shared_pooling.json'));
        rmSync(join(dir, '1_Pooling', 'config.json'));
        symlinkSync(join('..', 'shared_pooling.json'), join(dir, '1_Pooling', 'config.json'));
        const m = await SentenceTransformer.load(dir);
        assert.equal((await m.encode(['hello'])).length, 1);
        m.dispose();
        await rejectsFlat(() => Pooling.load(join(dir, '1_Pooling')), ModelConfigError, /symbolic link/);
      });

      it("a module folder inside a hub cache snapshot, its files linked into the repository's blobs/, loads directly", async () => {
        const src = model('tiny-roberta');
        const repo = join(src, '..', 'models--org--tiny-roberta');
        const snap = join(repo, 'snapshots', 'abc123');
        mkdirSync(join(repo, 'blobs'), { recursive: true });
        ['2_Dense/config.json', '2_Dense/model.safetensors', '1_Pooling/config.json'].forEach((f, i) => {
          copyFileSync(join(src, f), join(repo, 'blobs', `blob${i}`));
          mkdirSync(join(snap, f, '..'), { recursive: true });
          symlinkSync(relative(join(snap, f, '..'), join(repo, 'blobs', `blob${i}`)), join(snap, f));
        });
        const dense = await Dense.load(join(snap, '2_Dense'));
        assert.equal(dense.getSentenceEmbeddingDimension(), 16);
        dense.dispose();
        assert.equal((await Pooling.load(join(snap, '1_Pooling'))).getSentenceEmbeddingDimension(), 32);
      });
    });

    it('a sharded index naming a shard outside is refused', async () => {
      const dir = model('tiny-bert-sharded');
      editJSON(join(dir, 'model.safetensors.index.json'), (j) => {
        const wm = j.weight_map as Record<string, string>;
        wm[Object.keys(wm)[0]] = '../tiny-bert/model.safetensors';
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), SafetensorsError, /weight_map entry must be a plain shard file name/);
    });
  });

  describe('prompts are own keys, validated at load', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      it(`default_prompt_name ${JSON.stringify(name)} is a load error naming the key`, async () => {
        const dir = model('tiny-bert');
        editJSON(join(dir, 'config_sentence_transformers.json'), (j) => {
          j.default_prompt_name = name;
        });
        await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /"default_prompt_name" .* is not one of the prompts/);
      });
    }

    it('prompts: { query: null } is a load error naming prompts.query', async () => {
      const dir = model('tiny-bert');
      editJSON(join(dir, 'config_sentence_transformers.json'), (j) => {
        j.prompts = { query: null };
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /"prompts\.query" must be a string/);
    });

    it('an own prompt named "toString" works (looked up as an own key)', async () => {
      const dir = model('tiny-bert');
      editJSON(join(dir, 'config_sentence_transformers.json'), (j) => {
        j.prompts = { toString: 'query: ' };
        j.default_prompt_name = 'toString';
      });
      const m = await SentenceTransformer.load(dir);
      try {
        const a = (await m.encode(['hello'])) as Float32Array[];
        const b = (await m.encode(['hello'], { prompt: 'query: ' })) as Float32Array[];
        assert.deepEqual(a, b);
        await assert.rejects(() => m.encode(['x'], { promptName: 'constructor' }), /not found in the configured prompts/);
      } finally {
        m.dispose();
      }
    });

    it('similarity_fn_name "constructor" is a load error naming the key', async () => {
      const dir = model('tiny-bert');
      editJSON(join(dir, 'config_sentence_transformers.json'), (j) => {
        j.similarity_fn_name = 'constructor';
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /"similarity_fn_name" must be null or one of/);
    });
  });

  describe('declared sizes and JSON types', () => {
    for (const [key, value] of [['num_hidden_layers', 1e9], ['vocab_size', 1e9], ['max_position_embeddings', 2 ** 53], ['intermediate_size', 1e12]] as const) {
      it(`${key} = ${value} is refused before anything is allocated`, async () => {
        const dir = model('tiny-bert');
        editJSON(join(dir, 'config.json'), (j) => {
          j[key] = value;
        });
        const t0 = performance.now();
        await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, new RegExp(`"${key}" (declares|must be)`));
        assert.ok(performance.now() - t0 < 10_000);
      });
    }

    it('a deeply nested value in config.json is an error naming the key, not a stack overflow', async () => {
      const dir = model('tiny-bert');
      const text = readFileSync(join(dir, 'config.json'), 'utf8');
      writeFileSync(join(dir, 'config.json'), text.replace('"hidden_size": 32', `"hidden_size": ${'['.repeat(100_000)}1${']'.repeat(100_000)}`).replace(/"hidden_size":\s*\d+/, `"hidden_size": ${'['.repeat(100_000)}1${']'.repeat(100_000)}`));
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /"hidden_size" must be a positive integer/);
    });

    it('invalid JSON in a module config names the file', async () => {
      const dir = model('tiny-bert');
      writeFileSync(join(dir, '1_Pooling', 'config.json'), '{"word_embedding_dimension": 32,');
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /invalid JSON in .*1_Pooling.config\.json/);
    });

    it('a modules.json entry that is not an object names the entry', async () => {
      const dir = model('tiny-bert');
      writeFileSync(join(dir, 'modules.json'), JSON.stringify([{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' }, 5]));
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /entry 1 must be an object with a string "type"/);
    });

    it('a Dense with no Pooling before it is a load error (not an encode-time one)', async function () {
      if (!requireFixtures(this, ['models', 'tiny-roberta'])) return;
      const dir = model('tiny-roberta');
      editJSON(join(dir, 'modules.json'), (j) => {
        (j as unknown as unknown[]).splice(1, 1);
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /Dense\) works on sentence embeddings, but no Pooling module comes before it/);
    });

    it('a max_seq_length too small for the special tokens is a load error naming the key', async () => {
      const dir = model('tiny-bert');
      editJSON(join(dir, 'sentence_bert_config.json'), (j) => {
        j.max_seq_length = 1;
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /sentence_bert_config\.json: "max_seq_length" 1 cannot hold a text/);
    });

    it('a RoBERTa pad_token_id beyond max_position_embeddings is a load error', async function () {
      if (!requireFixtures(this, ['models', 'tiny-roberta'])) return;
      const dir = model('tiny-roberta');
      editJSON(join(dir, 'config.json'), (j) => {
        j.pad_token_id = 2 ** 32;
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /leaves no position .* \(pad_token_id\)/);
    });

    it('every key of the Pooling, Dense, SpladePooling and Normalize configs, set to each wrong JSON type: the module loads or throws a ModelConfigError naming the file', async () => {
      // The whole-folder sweep (every JSON file of five fixture models, 5,208 cases) is scripts/config-type-sweep.ts.
      const WRONG: unknown[] = [[true], true, 0, -1, 1.5, 'x', [], {}, null, [1], { a: 1 }, 'toString', 1e300];
      const roberta = model('tiny-roberta');
      const splade = model('tiny-splade');
      mkdirSync(join(roberta, '3_Normalize'));
      writeFileSync(join(roberta, '3_Normalize', 'config.json'), JSON.stringify({ module_input_name: 'sentence_embedding', module_output_name: 'sentence_embedding' }));
      const modules: Array<[string, (d: string) => Promise<{ dispose(): void }>, string[]]> = [
        [join(roberta, '1_Pooling'), (d) => Pooling.load(d), ['embedding_dimension', 'pooling_mode', 'include_prompt', 'word_embedding_dimension', 'pooling_mode_cls_token', 'pooling_mode_mean_tokens', 'pooling_mode_max_tokens', 'pooling_mode_mean_sqrt_len_tokens', 'pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken']],
        [join(roberta, '2_Dense'), (d) => Dense.load(d), ['in_features', 'out_features', 'bias', 'activation_function', 'module_input_name', 'module_output_name']],
        [join(splade, '1_SpladePooling'), (d) => SpladePooling.load(d), ['pooling_strategy', 'activation_function', 'embedding_dimension', 'word_embedding_dimension', 'chunk_size']],
        [join(roberta, '3_Normalize'), (d) => Normalize.load(d), ['module_input_name', 'module_output_name']],
      ];
      let cases = 0;
      for (const [dir, load, keys] of modules) {
        const path = join(dir, 'config.json');
        const orig = readFileSync(path, 'utf8');
        const variants: unknown[] = WRONG.slice();
        for (const k of keys) for (const v of WRONG) variants.push({ ...JSON.parse(orig), [k]: v });
        for (const v of variants) {
          writeFileSync(path, JSON.stringify(v));
          cases++;
          const before = tf.memory().numTensors;
          try {
            (await load(dir)).dispose();
          } catch (e) {
            assert.ok(e instanceof ModelConfigError, `${path} = ${JSON.stringify(v)}: ${(e as Error).name}: ${(e as Error).message}`);
            assert.ok((e as ModelConfigError).file.endsWith('config.json') || (e as Error).message.includes(path), `${JSON.stringify(v)}: ${(e as Error).message}`);
          }
          assert.equal(tf.memory().numTensors, before, `${path} = ${JSON.stringify(v)} leaked tensors`);
        }
        writeFileSync(path, orig);
      }
      assert.ok(cases > 300);
    });

    for (const [mode, re] of [
      [[true], /"pooling_mode" must be a string or a list of strings, got \[true\]/],
      [[1, 'mean'], /"pooling_mode" must be a string or a list of strings/],
      [[], /"pooling_mode": expected a mode or a non-empty list of modes/],
      [['mean', 'mean'], /"pooling_mode": mode 'mean' given twice/],
      ['nonsense', /"pooling_mode": expected one of cls, /],
      [{ a: 1 }, /"pooling_mode" must be a string/],
      [7, /"pooling_mode" must be a string/],
    ] as const) {
      it(`a Pooling pooling_mode of ${JSON.stringify(mode)} is a ModelConfigError naming the file and the key (fuzz seed 505 #5733)`, async () => {
        const dir = model('tiny-bert');
        editJSON(join(dir, '1_Pooling', 'config.json'), (j) => {
          j.pooling_mode = mode;
        });
        await assert.rejects(() => SentenceTransformer.load(dir), (e: Error) => {
          assert.ok(e instanceof ModelConfigError, `${e.name}: ${e.message}`);
          assert.equal(e.key, 'pooling_mode');
          assert.match(e.file, /1_Pooling\/config\.json$/);
          assert.match(e.message, re);
          return true;
        });
      });
    }

    it("a Pooling word_embedding_dimension that is not the Transformer's size is a load error", async () => {
      const dir = model('tiny-bert');
      editJSON(join(dir, '1_Pooling', 'config.json'), (j) => {
        j.word_embedding_dimension = 7;
      });
      await rejectsFlat(() => SentenceTransformer.load(dir), ModelConfigError, /"word_embedding_dimension" is 7, but the Transformer gives token embeddings of size/);
    });
  });
});

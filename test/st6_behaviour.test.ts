/**
 * sentence-transformers 6.0.1 behaviours that reference/st6 does not cover, against outputs of the real 6.0.1
 * recorded by test/data/st6/gen_st6_behaviour.py: Pooling under left padding and with the prompt excluded, a
 * pooling_mode list, and truncate_dim (config and encode, before normalize).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { rewriteJsonObject } from '../src/modules/json_text.js';
import { parsePoolingConfig, Pooling, poolingConfigToJSON } from '../src/modules/pooling.js';
import { pool } from '../src/pooling/pooling.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { maxAbsDiff } from './helpers/st_reference.js';

const DEVICE = (process.env.SENTENCE_TFJS_TEST_DEVICE as 'cpu' | 'wasm' | undefined) ?? 'wasm';
const data = JSON.parse(readFileSync(new URL('./data/st6/st6_behaviour.json', import.meta.url), 'utf8'));

describe('sentence-transformers 6.0.1 behaviour (recorded from 6.0.1)', function () {
  this.timeout(300_000);

  describe('Pooling', () => {
    before(async () => {
      await tf.setBackend('cpu');
    });
    const { token_embeddings: te, attention_mask: am, cases } = data.pooling as {
      token_embeddings: number[][][];
      attention_mask: number[][];
      cases: { pooling_mode: string | string[]; include_prompt: boolean; prompt_length: number | null; config: Record<string, unknown>; sentence_embedding: number[][] }[];
    };
    for (const c of cases) {
      const label = `${JSON.stringify(c.pooling_mode)}, include_prompt ${c.include_prompt}${c.prompt_length ? `, prompt_length ${c.prompt_length}` : ''}`;
      it(`${label} on a left-padded batch equals 6.0.1; its config.json reads and writes as 6.0.1's`, () => {
        const cfg = parsePoolingConfig(c.config, 'recorded config');
        assert.deepEqual(poolingConfigToJSON(cfg), c.config);
        const before = tf.memory().numTensors;
        const got = tf.tidy(() =>
          pool(tf.tensor3d(te), tf.tensor2d(am, undefined, 'int32'), cfg, { promptLength: c.prompt_length ?? undefined }).arraySync(),
        );
        assert.equal(tf.memory().numTensors, before);
        assert.deepEqual(got, c.sentence_embedding);
      });
    }

    it('reads the 3.x flags too: no true flag means mean (6.0.1), several flags keep the 3.x order', () => {
      assert.deepEqual(poolingConfigToJSON(parsePoolingConfig({ word_embedding_dimension: 4 })), { embedding_dimension: 4, pooling_mode: 'mean', include_prompt: true });
      const legacy = parsePoolingConfig({ word_embedding_dimension: 4, pooling_mode_mean_tokens: true, pooling_mode_cls_token: true, include_prompt: false });
      assert.deepEqual(poolingConfigToJSON(legacy), { embedding_dimension: 4, pooling_mode: ['cls', 'mean'], include_prompt: false });
      assert.equal(Pooling.fromMode(4, ['mean', 'cls']).poolingMode, 'mean+cls');
      assert.throws(() => parsePoolingConfig({ embedding_dimension: 4, pooling_mode: ['mean', 7] }), /key "pooling_mode" must be a string or a list of strings, got \["mean",7\]/);
      assert.throws(() => parsePoolingConfig({ embedding_dimension: 4, pooling_mode: ['mean', 'mean'] }), /'mean' given twice/);
      assert.throws(() => parsePoolingConfig({ embedding_dimension: 4, pooling_mode: [] }), /non-empty list/);
    });
  });

  describe('truncate_dim (tiny-bert, whose pipeline ends with Normalize)', () => {
    const t = data.truncate_dim as { texts: string[]; truncate_dim: number; embeddings: number[][]; embeddings_normalized: number[][]; saved_truncate_dim: number };
    let tmp: string;
    before(function () {
      requireFixtures(this as unknown as Mocha.Context, ['models', 'tiny-bert']);
      tmp = mkdtempSync(join(tmpdir(), 'st6-truncate-'));
    });
    after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

    it('slices after the modules and before normalizeEmbeddings, as 6.0.1; save writes truncate_dim and load reads it', async () => {
      const m = await SentenceTransformer.load(fixture('models', 'tiny-bert'), { device: DEVICE, truncateDim: t.truncate_dim });
      let again: SentenceTransformer | undefined;
      try {
        assert.equal(m.getSentenceEmbeddingDimension(), t.truncate_dim);
        const raw = await m.encode(t.texts);
        const d = maxAbsDiff(raw, t.embeddings);
        assert.ok(d <= 1e-5, `truncated: max abs diff ${d}`);
        const norm = Math.hypot(...raw[0]); // spread-ok: one 16-value row
        assert.ok(norm < 0.99, `the Normalize module ran before the slice, so a truncated row is not unit length (${norm})`);
        const dn = maxAbsDiff(await m.encode(t.texts, { normalizeEmbeddings: true }), t.embeddings_normalized);
        assert.ok(dn <= 1e-5, `truncated then normalized: max abs diff ${dn}`);
        await m.save(tmp);
        assert.equal(JSON.parse(readFileSync(join(tmp, 'config_sentence_transformers.json'), 'utf8')).truncate_dim, t.saved_truncate_dim);
        again = await SentenceTransformer.load(tmp, { device: DEVICE });
        assert.equal(again.truncateDim, t.truncate_dim);
        assert.equal(maxAbsDiff(await again.encode(t.texts), raw), 0);
      } finally {
        m.dispose();
        again?.dispose();
      }
    });
  });

  describe('prompt_length (Transformer._get_prompt_length)', () => {
    const lengths = data.prompt_length as Record<string, Record<string, number>>;
    for (const [name, prompts] of Object.entries(lengths)) {
      it(`${name}: the prompt's tokens less a trailing special token, as 6.0.1 counts them`, async function () {
        if (!requireFixtures(this, ['models', name])) return;
        const m = await SentenceTransformer.load(fixture('models', name), { device: DEVICE });
        try {
          for (const [prompt, want] of Object.entries(prompts)) assert.equal(m.transformer.promptLength(prompt), want, JSON.stringify(prompt));
        } finally {
          m.dispose();
        }
      });
    }
  });
});

describe('saved configs keep their floats (Python 6.0.1 strict config classes reject 2 for a float field)', () => {
  it('rewriteJsonObject sets and removes top-level keys, keeps every other value as written, sorts the keys', () => {
    const text = '{"b": 2.0, "a": {"x": [1.0, "}"], "y": "q\\"uote"}, "torch_dtype": "float16", "e": 1e-12}';
    const out = rewriteJsonObject(text, { torch_dtype: undefined, dtype: 'float32', c: { k: [1, 2] } });
    assert.deepEqual(JSON.parse(out), { a: { x: [1, '}'], y: 'q"uote' }, b: 2, c: { k: [1, 2] }, dtype: 'float32', e: 1e-12 });
    assert.match(out, /"b": 2\.0/);
    assert.match(out, /"x": \[1\.0, "\}"\]/);
    assert.deepEqual(Object.keys(JSON.parse(out)), ['a', 'b', 'c', 'dtype', 'e']);
    assert.throws(() => rewriteJsonObject('[1]', {}, 'x.json'), /x\.json: expected a JSON object/);
  });

  it('CrossEncoder.save of tiny-modernbert-cross-encoder writes initializer_cutoff_factor as 2.0, as in its config.json', async function () {
    const name = 'tiny-modernbert-cross-encoder';
    if (!requireFixtures(this, ['models', name])) return;
    const src = readFileSync(fixture('models', name, 'config.json'), 'utf8');
    assert.match(src, /"initializer_cutoff_factor": 2\.0/);
    const dir = mkdtempSync(join(tmpdir(), 'st6-floats-'));
    const ce = await CrossEncoder.load(fixture('models', name), { device: DEVICE });
    try {
      await ce.save(join(dir, 'out'));
      const saved = readFileSync(join(dir, 'out', 'config.json'), 'utf8');
      assert.match(saved, /"initializer_cutoff_factor": 2\.0/);
      const { dtype, ...rest } = JSON.parse(saved);
      const { torch_dtype: _t, dtype: _d, ...want } = JSON.parse(src);
      assert.equal(dtype, 'float32');
      assert.deepEqual(rest, want);
    } finally {
      ce.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

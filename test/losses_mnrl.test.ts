/**
 * MultipleNegativesRankingLoss / CachedMultipleNegativesRankingLoss / MultipleNegativesSymmetricRankingLoss against
 * sentence-transformers 6.0.1 over its options grid (directions, partition_mode, hardness_mode with strength > 0,
 * 0-2 hard-negative columns, cos_sim and dot_score), recorded by test/data/losses/gen_mnrl.py: value ≤ 1e-5 relative,
 * gradients w.r.t. every embedding matrix ≤ 1e-5 absolute, for the plain loss and for the cached one (whose recorded
 * Python chunked loss stage is checked too); numTensors flat; on cpu and wasm. Config dicts, citations, validation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '../src/backends/index.js';
import { MultipleNegativesRankingLoss } from '../src/losses/multiple_negatives_ranking.js';
import { CachedMultipleNegativesRankingLoss } from '../src/losses/cached_multiple_negatives_ranking.js';
import { MultipleNegativesSymmetricRankingLoss } from '../src/losses/multiple_negatives_symmetric_ranking.js';
import { createLoss } from '../src/losses/registry.js';
import type { Loss } from '../src/losses/types.js';
import { setLogger } from '../src/util/logger.js';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';

interface Case {
  name: string;
  config: Record<string, unknown>;
  embeddings: number[][][];
  value: number;
  grads: number[][][];
  cached_value: number;
  cached_grads: number[][][];
  float64_value: number;
  float64_grad_max: number;
}
interface ConfigCase {
  options?: Record<string, unknown>;
  config: Record<string, unknown>;
  citation: string;
}
const DATA = JSON.parse(readFileSync(new URL('./data/losses/mnrl.json', import.meta.url), 'utf8')) as { cases: Case[]; config_dicts: Record<string, ConfigCase> };

function camel(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

async function run(c: Case, loss: Loss): Promise<{ value: number; grads: Float32Array[] }> {
  const xs = c.embeddings.map((e) => tf.tensor2d(e));
  const { value, grads } = tf.valueAndGrads((...emb: tf.Tensor[]) => loss.compute({ embeddings: emb as tf.Tensor2D[], labels: null }))(xs);
  // async reads: webgpu in Node cannot read synchronously
  const out = { value: (await value.data())[0], grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
  tf.dispose([value, ...grads, ...xs]); // spread-ok: a few columns
  return out;
}

function compare(got: { value: number; grads: Float32Array[] }, value: number, grads: number[][][]): { rel: number; grad: number } {
  const rel = Math.abs(got.value - value) / Math.abs(value);
  let grad = 0;
  grads.forEach((want, i) => want.flat().forEach((w, j) => (grad = Math.max(grad, Math.abs(got.grads[i][j] - Math.fround(w))))));
  return { rel, grad };
}

const worst: Record<string, { value: number; grad: number }> = {};
// MNRL_TEST_BACKENDS=webgpu (in a Dawn environment: test/helpers/dawn_env.ts) runs the grid on WebGPU.
const BACKENDS = (process.env.MNRL_TEST_BACKENDS ?? 'cpu,wasm').split(',') as ('cpu' | 'wasm' | 'webgpu')[];
for (const backend of BACKENDS) {
  describe(`MultipleNegativesRankingLoss options grid on ${backend}: value and gradients as PyTorch (6.0.1)`, function () {
    this.timeout(120000);
    before(async () => {
      await initBackend(backend);
    });
    after(() => console.log(`    worst on ${backend} (relative value diff, abs grad diff): ${JSON.stringify(Object.fromEntries(Object.entries(worst).filter(([k]) => k.startsWith(backend))))}`));
    for (const c of DATA.cases) {
      it(`${c.name}: plain and cached equal torch's plain and cached`, async () => {
        const opts = camel(c.config);
        const plain = new MultipleNegativesRankingLoss(opts);
        const cached = new CachedMultipleNegativesRankingLoss({ ...opts, miniBatchSize: 3 });
        await run(c, plain); // warm-up
        const before = tf.memory().numTensors;
        const p = await run(c, plain);
        const q = await run(c, cached);
        assert.equal(tf.memory().numTensors, before, 'numTensors flat');
        for (const [tag, got, value, grads] of [['plain', p, c.value, c.grads], ['cached', q, c.cached_value, c.cached_grads]] as const) {
          const d = compare(got, value, grads);
          const key = `${backend} ${tag}`;
          worst[key] = { value: Math.max(worst[key]?.value ?? 0, d.rel), grad: Math.max(worst[key]?.grad ?? 0, d.grad) };
          assert.ok(d.rel <= 1e-5, `${tag}: value ${got.value} vs torch ${value} (rel ${d.rel})`);
          assert.ok(d.grad <= 1e-5, `${tag}: max |grad - torch| ${d.grad}`);
        }
        assert.deepEqual(plain.getConfigDict(), c.config);
      });
    }
  });
}

describe('MultipleNegativesRankingLoss options: config dicts, citations, validation, symmetric equivalence', () => {
  before(async function () {
    if (!BACKENDS.includes('cpu')) this.skip();
    await initBackend('cpu');
  });
  const CITATION_KEY = (s: string | undefined): string => (s ?? '').split('{', 2)[1].split(',', 1)[0];
  it("getConfigDict() prints 6.0.1's keys in its order and value forms (directions as a list), citation as 6.0.1 picks it", () => {
    for (const [name, want] of Object.entries(DATA.config_dicts)) {
      const opts = camel(want.options ?? {});
      const loss = createLoss(name.split(' ')[0], opts);
      const got = loss.getConfigDict();
      assert.deepEqual(got, want.config, name);
      assert.deepEqual(Object.keys(got), Object.keys(want.config), `${name}: key order`);
      assert.equal(CITATION_KEY(loss.citation), want.citation, `${name}: citation`);
      // the dataParallel rebuild path: createLoss(name, camelCased config) gives the same loss
      assert.deepEqual(createLoss(name.split(' ')[0], camel(got)).getConfigDict(), got, `${name}: rebuilt from its config`);
    }
  });
  it('MultipleNegativesSymmetricRankingLoss is MNRL with query_to_doc + doc_to_query per_direction (same value and gradients)', async () => {
    const c = DATA.cases.find((k) => k.config.partition_mode === 'per_direction' && (k.config.directions as string[]).length === 2 && k.config.hardness_mode === null && k.embeddings.length === 3);
    assert.ok(c);
    const sym = await run(c, new MultipleNegativesSymmetricRankingLoss());
    const d = compare(sym, c.value, c.grads);
    assert.ok(d.rel <= 1e-5 && d.grad <= 1e-5, JSON.stringify(d));
    assert.throws(() => new MultipleNegativesSymmetricRankingLoss({ partitionMode: 'joint' } as object), /partitionMode is fixed to "per_direction", got "joint"/);
  });
  it('bad options throw errors naming the argument, what was expected and what was got', () => {
    const M = (o: Record<string, unknown>) => new MultipleNegativesRankingLoss(o);
    assert.throws(() => M({ scale: 0 }), /scale must be a positive number, got 0/);
    assert.throws(() => M({ directions: [] }), /directions: at least one direction must be specified/);
    assert.throws(() => M({ directions: ['query_to_doc', 'doc_to_docs'] }), /invalid directions \["doc_to_docs"\]; valid: query_to_doc, query_to_query, doc_to_query, doc_to_doc/);
    assert.throws(() => M({ directions: 'query_to_doc' }), /directions must be an array/);
    assert.throws(() => M({ directions: ['doc_to_query'] }), /directions must include 'query_to_doc'/);
    assert.throws(() => M({ partitionMode: 'separate' }), /partitionMode \(partition_mode\) must be 'joint' or 'per_direction', got "separate"/);
    assert.throws(() => M({ directions: ['query_to_doc', 'query_to_query'], partitionMode: 'per_direction' }), /'per_direction' requires every direction's candidates to include the positive pair/);
    assert.throws(() => M({ hardnessMode: 'hard' }), /hardnessMode \(hardness_mode\) must be one of null, in_batch_negatives, hard_negatives, all_negatives; got "hard"/);
    assert.throws(() => M({ hardnessStrength: -1 }), /hardnessStrength \(hardness_strength\) must be a non-negative number, got -1/);
    assert.throws(() => M({ gatherAcrossDevices: 'yes' }), /gatherAcrossDevices \(gather_across_devices\) must be a boolean/);
    assert.throws(() => M({ partition_mode: 'per_direction' }), /unknown option "partition_mode" \(options are camelCased: partitionMode\); known: scale, similarityFct/);
    for (const bad of [0, -3, 2.5, '512']) {
      assert.throws(() => new CachedMultipleNegativesRankingLoss({ miniBatchNumTokens: bad as number }), /CachedMultipleNegativesRankingLoss: miniBatchNumTokens \(mini_batch_num_tokens\) must be a positive integer or null, got /);
    }
    assert.throws(() => new CachedMultipleNegativesRankingLoss({ directions: ['doc_to_doc'] }), /CachedMultipleNegativesRankingLoss: directions must include 'query_to_doc'/);
    const warnings: string[] = [];
    setLogger((_l, m) => warnings.push(m));
    try {
      M({ hardnessMode: 'in_batch_negatives' });
    } finally {
      setLogger(null);
    }
    assert.match(warnings.join('\n'), /hardnessMode "in_batch_negatives" is set but hardnessStrength is 0/);
  });
  it('gatherAcrossDevices is a no-op in one process (as Python without torch.distributed)', async () => {
    const c = DATA.cases[5];
    const a = await run(c, new MultipleNegativesRankingLoss(camel(c.config)));
    const b = await run(c, new MultipleNegativesRankingLoss({ ...camel(c.config), gatherAcrossDevices: true }));
    assert.equal(a.value, b.value);
    assert.deepEqual(a.grads, b.grads);
  });
});

describe('MultipleNegativesRankingLoss gatherAcrossDevices: what dataParallel gathers with (training_ddp_gather.test.ts runs it)', () => {
  before(async function () {
    if (!BACKENDS.includes('cpu')) this.skip();
    await initBackend('cpu');
  });
  it('gatherAcrossReplicas() is undefined unless gatherAcrossDevices; MNRL, MNSRL and CachedMNRL (in miniBatchSize chunks) score the rank-local anchors with their own settings', () => {
    assert.equal(new MultipleNegativesRankingLoss().gatherAcrossReplicas(), undefined);
    assert.equal(new MultipleNegativesSymmetricRankingLoss().gatherAcrossReplicas(), undefined);
    assert.equal(new CachedMultipleNegativesRankingLoss().gatherAcrossReplicas(), undefined);
    const e = [tf.randomNormal([4, 8], 0, 1, 'float32', 3), tf.randomNormal([4, 8], 0, 1, 'float32', 4)] as tf.Tensor2D[];
    const sym = new MultipleNegativesSymmetricRankingLoss({ gatherAcrossDevices: true, scale: 7 }).gatherAcrossReplicas()!;
    const same = new MultipleNegativesRankingLoss({ gatherAcrossDevices: true, scale: 7, directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction' }).gatherAcrossReplicas()!;
    const cached = new CachedMultipleNegativesRankingLoss({ gatherAcrossDevices: true, miniBatchSize: 3 }).gatherAcrossReplicas()!;
    const plain = new MultipleNegativesRankingLoss({ gatherAcrossDevices: true }).gatherAcrossReplicas()!;
    assert.deepEqual(cached.miniBatches!([5, 5, 5, 5, 5, 5, 5]), [[0, 3], [3, 6], [6, 7]]);
    assert.equal(plain.miniBatches, undefined);
    const v = (spec: typeof plain, offset: number) => tf.tidy(() => spec.compute(e, offset, 2).dataSync()[0]);
    assert.equal(v(sym, 2), v(same, 2));
    assert.equal(v(cached, 2), v(plain, 2));
    assert.notEqual(v(plain, 0), v(plain, 2));
    tf.dispose(e);
  });
});

/**
 * The programs in examples/node run as the README says (`node --import tsx examples/node/<name>.ts <model> ...`,
 * from the repository root, importing the package by its name) on the tiny fixtures, and what they print is what
 * the library computes for the same inputs in this process: shapes, scores, top hits, clusters, stored files.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CrossEncoder,
  SentenceTransformer,
  communityDetection,
  kMeans,
  loadEmbeddings,
  loadNpy,
  paraphraseMining,
  semanticSearch,
} from '../src/index.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { fixture, PROJECT_ROOT, requireFixtures } from './helpers/fixtures.js';

const EXAMPLES_DIR = join(PROJECT_ROOT, 'examples', 'node');
/** Every example this suite runs (the directory must hold exactly these). */
const EXAMPLES = [
  'batch_encode',
  'clustering',
  'multi_process',
  'paraphrase_mining',
  'prompts',
  'quickstart',
  'retrieve_rerank',
  'semantic_search',
  'store_load_embeddings',
];

/** Scores are printed with `digits` decimals: a printed value is the computed one rounded. */
function assertPrinted(printed: string, computed: number, digits: number, what: string): void {
  assert.ok(Math.abs(Number(printed) - computed) <= 0.5 * 10 ** -digits + 1e-6, `${what}: printed ${printed}, computed ${computed}`);
}

function runExample(name: string, args: string[]): Promise<CliResult> {
  return runCli(args, { entry: ['--import', 'tsx', join('examples', 'node', `${name}.ts`)], cwd: PROJECT_ROOT });
}

function ok(r: CliResult, name: string): string {
  assert.equal(r.code, 0, `${name} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('examples/node: each program runs on the fixtures and prints what the library computes', function () {
  this.timeout(120000);
  const biDir = fixture('models', 'tiny-bert');
  const ceDir = fixture('models', 'tiny-bert-cross-encoder');
  let model: SentenceTransformer;
  let out: string;

  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'], ['models', 'tiny-bert-cross-encoder'])) return;
    model = await SentenceTransformer.load(biDir);
    out = mkdtempSync(join(tmpdir(), 'sentence-tfjs-examples-'));
  });
  after(() => {
    model?.dispose();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('examples/node holds exactly the programs this suite runs, each with a header naming the Python it ports and how to run it', () => {
    const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
    assert.deepEqual(files, EXAMPLES);
    for (const name of EXAMPLES) {
      const src = readFileSync(join(EXAMPLES_DIR, `${name}.ts`), 'utf8');
      assert.match(src, /^\/\*\*\n \* .*port of /, `${name}: header comment says which Python program it ports`);
      assert.match(src, new RegExp(`npx tsx examples/node/${name}\\.ts`), `${name}: header says how to run it`);
      assert.match(src, /from 'sentence-tfjs';/, `${name}: imports the package by name, as an app does`);
    }
  });

  it('quickstart prints the [3, D] shape and the model.similarity matrix of the three sentences', async () => {
    const stdout = ok(await runExample('quickstart', [biDir]), 'quickstart');
    const sentences = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];
    const emb = await model.encode(sentences);
    assert.match(stdout, new RegExp(`^embeddings shape: \\[3, ${emb[0].length}\\]$`, 'm'));
    const sim = model.similarity(emb, emb);
    const rows = [...stdout.matchAll(/^ {2}\[([-\d., ]+)\]$/gm)].map((m) => m[1].split(', '));
    assert.equal(rows.length, 3, stdout);
    rows.forEach((row, i) => row.forEach((v, j) => assertPrinted(v, sim[i][j], 4, `similarity[${i}][${j}]`)));
    rows.forEach((row, i) => assert.equal(row[i], '1.0000', 'a sentence is its own best match'));
  });

  it('semantic_search prints, per query, the top-5 corpus ids and scores of semanticSearch', async () => {
    const stdout = ok(await runExample('semantic_search', [biDir]), 'semantic_search');
    const corpus = [
      'A man is eating food.',
      'A man is eating a piece of bread.',
      'The girl is carrying a baby.',
      'A man is riding a horse.',
      'A woman is playing violin.',
      'Two men pushed carts through the woods.',
      'A man is riding a white horse on an enclosed ground.',
      'A monkey is playing drums.',
      'A cheetah is running behind its prey.',
    ];
    const queries = ['A man is eating pasta.', 'Someone in a gorilla costume is playing a set of drums.', 'A cheetah chases prey on across a field.'];
    const hits = semanticSearch(await model.encode(queries), await model.encode(corpus), { topK: 5 });
    const blocks = stdout.split(/^Query: /m).slice(1);
    assert.equal(blocks.length, queries.length, stdout);
    blocks.forEach((block, q) => {
      assert.ok(block.startsWith(`${queries[q]}\n`), block);
      const printed = [...block.matchAll(/^(.*) \(Score: ([\d.-]+)\) \[corpus_id (\d+)\]$/gm)];
      assert.deepEqual(printed.map((m) => Number(m[3])), hits[q].map((h) => h.corpusId), `query ${q} hits`);
      printed.forEach((m, k) => {
        assert.equal(m[1], corpus[hits[q][k].corpusId]);
        assertPrinted(m[2], hits[q][k].score, 4, `query ${q} hit ${k}`);
      });
    });
  });

  it('retrieve_rerank prints the bi-encoder top-4, then the same passages re-ordered by CrossEncoder.predict', async () => {
    const stdout = ok(await runExample('retrieve_rerank', [biDir, ceDir]), 'retrieve_rerank');
    const [retrieval, rerank] = stdout.split(/^Top-4 cross-encoder re-ranker hits$/m);
    assert.ok(rerank, stdout);
    const parse = (s: string) => [...s.matchAll(/^\t([\d.-]+)\t\[(\d+)\] (.*)$/gm)].map((m) => ({ score: m[1], id: Number(m[2]), text: m[3] }));
    const retrieved = parse(retrieval);
    const reranked = parse(rerank);
    assert.equal(retrieved.length, 4, stdout);
    const query = 'What is the capital of France?';
    // the retrieval scores are the bi-encoder's cosine of query and passage, best first
    const qEmb = await model.encode(query);
    const pEmb = await model.encode(retrieved.map((r) => r.text));
    const cos = model.similarity([qEmb], pEmb)[0];
    retrieved.forEach((r, i) => assertPrinted(r.score, cos[i], 3, `retrieval score of [${r.id}]`));
    for (let i = 1; i < cos.length; i++) assert.ok(cos[i - 1] >= cos[i], 'retrieval hits best first');
    // the rerank is the same passages, scored by the cross-encoder, best first
    assert.deepEqual(reranked.map((r) => r.id).sort(), retrieved.map((r) => r.id).sort());
    const ce = await CrossEncoder.load(ceDir);
    try {
      const scores = (await ce.predict(reranked.map((r) => [query, r.text] as [string, string]))) as number[];
      reranked.forEach((r, i) => assertPrinted(r.score, scores[i], 3, `cross-encoder score of [${r.id}]`));
      for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1] >= scores[i], 'reranked hits best first');
    } finally {
      ce.dispose();
    }
  });

  it('clustering prints the communities of communityDetection and the labels of kMeans', async () => {
    const stdout = ok(await runExample('clustering', [biDir, '0.97']), 'clustering');
    const corpus = [
      'A man is eating food.',
      'A man is eating a piece of bread.',
      'A man is eating pasta.',
      'The girl is carrying a baby.',
      'The baby is carried by the woman',
      'A man is riding a horse.',
      'A man is riding a white horse on an enclosed ground.',
      'A monkey is playing drums.',
      'Someone in a gorilla costume is playing a set of drums.',
      'A cheetah is running behind its prey.',
      'A cheetah chases prey on across a field.',
    ];
    const emb = await model.encode(corpus, { normalizeEmbeddings: true });
    const clusters = communityDetection(emb, { threshold: 0.97, minCommunitySize: 2 });
    assert.ok(clusters.length >= 1, 'the fixture gives at least one community at 0.97');
    assert.match(stdout, new RegExp(`^community detection \\(threshold 0.97\\): ${clusters.length} clusters$`, 'm'));
    const printed = [...stdout.matchAll(/^Cluster \d+, #(\d+) Elements: \[([\d, ]+)\]$/gm)].map((m) => m[2].split(', ').map(Number));
    assert.deepEqual(printed, clusters);
    const labels = /^k-means labels \(k=5\): \[([\d, ]+)\]$/m.exec(stdout);
    assert.ok(labels, stdout);
    assert.deepEqual(labels[1].split(', ').map(Number), Array.from(kMeans(emb, { k: 5, seed: 0 }).labels));
  });

  it('paraphrase_mining prints the best 10 pairs of paraphraseMining with their scores', async () => {
    const stdout = ok(await runExample('paraphrase_mining', [biDir]), 'paraphrase_mining');
    const sentences = [
      'The cat sits outside',
      'A man is playing guitar',
      'I love pasta',
      'The new movie is awesome',
      'The cat plays in the garden',
      'A woman watches TV',
      'The new movie is so great',
      'Do you like pizza?',
    ];
    const pairs = (await paraphraseMining(model, sentences)).slice(0, 10);
    const printed = [...stdout.matchAll(/^(.*)\t\t(.*)\t\tScore: ([\d.-]+)\t\[(\d+), (\d+)\]$/gm)];
    assert.equal(printed.length, 10, stdout);
    printed.forEach((m, k) => {
      const [score, i, j] = pairs[k];
      assert.deepEqual([Number(m[4]), Number(m[5])], [i, j], `pair ${k}`);
      assert.deepEqual([m[1], m[2]], [sentences[i], sentences[j]]);
      assertPrinted(m[3], score, 4, `pair ${k} score`);
    });
  });

  it('batch_encode writes N "Document i" embeddings in chunk-sized safetensors shards that loadEmbeddings reads back', async () => {
    const dir = join(out, 'shards');
    const r = await runExample('batch_encode', [biDir, dir, '250', '100']);
    const stdout = ok(r, 'batch_encode');
    assert.match(stdout, /^wrote 250 embeddings of dimension 32 in 3 shards to /m);
    assert.match(r.stderr, /250\/250 texts, \d+ texts\/s, ETA \d+ s/);
    const shards = readdirSync(dir).sort();
    assert.deepEqual(shards, ['embeddings-00000.safetensors', 'embeddings-00001.safetensors', 'embeddings-00002.safetensors']);
    const loaded = await Promise.all(shards.map((f) => loadEmbeddings(join(dir, f))));
    assert.deepEqual(loaded.map((l) => l.shape), [[100, 32], [100, 32], [50, 32]]);
    const texts = loaded.flatMap((l) => l.sentences ?? []);
    assert.deepEqual(texts, Array.from({ length: 250 }, (_, i) => `Document ${i}`));
    const rows = loaded.flatMap((l) => l.rows as Float32Array[]);
    const probe = [0, 99, 100, 249];
    const expected = await model.encode(probe.map((i) => `Document ${i}`));
    probe.forEach((i, k) => assert.ok(maxAbsDiff(rows[i], expected[k]) < 1e-5, `row ${i} is the embedding of "Document ${i}"`));
  });

  it('store_load_embeddings round-trips the embeddings and texts through safetensors and .npy (float32 and int8)', async () => {
    const dir = join(out, 'stored');
    const stdout = ok(await runExample('store_load_embeddings', [biDir, dir]), 'store_load_embeddings');
    assert.match(stdout, /: F32 \[3, 32\], 3 sentences, model /);
    assert.match(stdout, /^round trip: max \|difference\| 0$/m);
    const sentences = ['This framework generates embeddings for each input sentence', 'Sentences are passed as a list of string.', 'The quick brown fox jumps over the lazy dog.'];
    const expected = await model.encode(sentences);
    const st = await loadEmbeddings(join(dir, 'embeddings.safetensors'));
    assert.deepEqual(st.sentences, sentences);
    st.rows.forEach((row, i) => assert.ok(maxAbsDiff(row, expected[i]) < 1e-6, `safetensors row ${i}`));
    const npy = await loadNpy(join(dir, 'embeddings.npy'));
    npy.rows.forEach((row, i) => assert.ok(maxAbsDiff(row, expected[i]) < 1e-6, `npy row ${i}`));
    const int8 = await loadNpy(join(dir, 'embeddings-int8.npy'));
    assert.equal(int8.dtype, 'I8');
    assert.deepEqual(int8.shape, [3, 32]);
    assert.ok(existsSync(join(dir, 'embeddings-int8.npy')));
  });

  it('prompts applies the model\'s query/document prompts: its best documents are those of encodeQuery x encodeDocument', async () => {
    const stdout = ok(await runExample('prompts', [biDir]), 'prompts');
    assert.match(stdout, /^prompts: \{"query":"query: ","document":"passage: "\}$/m);
    const queries = ['What is the capital of France?', 'How do plants make food?'];
    const documents = ['Paris is the capital and most populous city of France.', 'Photosynthesis converts light energy into chemical energy in plants.', 'The Great Wall of China is a series of fortifications.'];
    // the prompts spelled out, independently of encodeQuery / encodeDocument
    const q = await model.encode(queries.map((s) => `query: ${s}`));
    const d = await model.encode(documents.map((s) => `passage: ${s}`));
    const sim = model.similarity(q, d);
    const printed = [...stdout.matchAll(/^ {2}best document: \[(\d)\] .* \(score ([\d.-]+)\)$/gm)];
    assert.equal(printed.length, 2, stdout);
    printed.forEach((m, i) => {
      const best = sim[i].indexOf(Math.max(sim[i][0], sim[i][1], sim[i][2]));
      assert.equal(Number(m[1]), best, `query ${i}`);
      assertPrinted(m[2], sim[i][best], 4, `query ${i} best score`);
    });
    assert.match(stdout, /^cosine\(encodeQuery, promptName 'query'\): \[1\.0000, 1\.0000\]$/m);
    const noPrompt = /^cosine\(encodeQuery, no prompt\): \[([\d.]+), ([\d.]+)\]$/m.exec(stdout);
    assert.ok(noPrompt && Number(noPrompt[1]) < 0.9999 && Number(noPrompt[2]) < 0.9999, 'the prompt changes the embedding');
  });

  it('multi_process encodes on a 2-worker pool and prints the [N, D] shape and the first embedding of encode', async () => {
    const stdout = ok(await runExample('multi_process', [biDir, '200', '2']), 'multi_process');
    assert.match(stdout, /^Embeddings computed\. Shape: \[200, 32\] on 2 workers in [\d.]+ s$/m);
    const first = /^first embedding: \[([-\d.]+), ([-\d.]+), ([-\d.]+), ([-\d.]+), \.\.\.\]$/m.exec(stdout);
    assert.ok(first, stdout);
    const expected = await model.encode('This is sentence 0');
    first.slice(1).forEach((v, j) => assertPrinted(v, expected[j], 6, `first embedding[${j}]`));
  });
});

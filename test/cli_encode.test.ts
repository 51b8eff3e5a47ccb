/**
 * `sentence-tfjs encode / similarity / search / demo` on the tiny-bert fixture, run as child processes: the files
 * and lines they write hold the same numbers as `SentenceTransformer` in this process (<= 1e-6) and as
 * sentence-transformers 3.4.1 (reference encode.embeddings / similarity, 1e-5 as the other parity tests).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../src/api/sentence_transformer.js';
import { semanticSearch } from '../src/util/retrieval.js';
import { SafetensorsFile } from '../src/formats/safetensors.js';
import { CLI_MAIN, lines, maxAbsDiffRows, parseNpy, rowsOf, runCli } from './helpers/cli.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, loadSt6Reference, referenceParts, st6Parts, type ModelReference } from './helpers/st_reference.js';

describe('cli: encode, similarity, search and demo on tiny-bert', function () {
  this.timeout(120000);
  let modelDir: string;
  let model: SentenceTransformer;
  let ref: ModelReference;
  let tmp: string;
  /** Reference texts that fit on one line, and their indices in the reference. */
  let texts: string[];
  let idx: number[];
  let inputFile: string;

  before(async function () {
    if (!requireFixtures(this, ['models', 'tiny-bert'], ...referenceParts('tiny-bert'))) return;
    modelDir = fixture('models', 'tiny-bert');
    ref = loadReference('tiny-bert');
    const all: string[] = ref.json.texts;
    idx = all.map((_, i) => i).filter((i) => !/[\r\n]/.test(all[i]));
    texts = idx.map((i) => all[i]);
    assert.ok(texts.includes('') && texts.includes('   '), 'empty and blank lines are among the inputs');
    model = await SentenceTransformer.load(modelDir);
    tmp = mkdtempSync(join(tmpdir(), 'stfjs-cli-'));
    inputFile = join(tmp, 'texts.txt');
    writeFileSync(inputFile, texts.join('\n') + '\n');
  });
  after(() => {
    model?.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const refRows = (name: string) => {
    const rows = ref.rows(name);
    return idx.map((i) => rows[i]);
  };

  it('encode to .npy writes float32 [n, dim] equal to encode() in process and to the reference', async () => {
    const out = join(tmp, 'emb.npy');
    const r = await runCli(['encode', '--model', modelDir, inputFile, '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const npy = parseNpy(readFileSync(out));
    assert.equal(npy.descr, '<f4');
    assert.deepEqual(npy.shape, [texts.length, 32]);
    assert.equal(npy.dataOffset % 64, 0, 'data aligned to 64 bytes as numpy writes it');
    const got = rowsOf(npy.data as Float32Array, texts.length, 32);
    const want = await model.encode(texts);
    assert.ok(maxAbsDiffRows(got, want) <= 1e-6, `vs in-process: ${maxAbsDiffRows(got, want)}`);
    const d = maxAbsDiffRows(got, refRows('encode.embeddings'));
    assert.ok(d <= 1e-5, `vs reference: ${d}`);
    assert.match(r.stderr, new RegExp(`wrote ${texts.length} embeddings \\[${texts.length}, 32\\] float32 to .*emb\\.npy`));
  });

  it('encode --normalize to .safetensors writes tensor "embeddings" (F32) equal to the normalized reference', async () => {
    const out = join(tmp, 'emb.safetensors');
    const r = await runCli(['encode', '-m', modelDir, inputFile, '--normalize', '-o', out, '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', '--quiet prints nothing on success');
    const st = SafetensorsFile.parse(readFileSync(out), out);
    assert.equal(st.info('embeddings').dtype, 'F32');
    assert.deepEqual([...st.info('embeddings').shape], [texts.length, 32]);
    const got = rowsOf(st.float32('embeddings'), texts.length, 32);
    const want = await model.encode(texts, { normalizeEmbeddings: true });
    assert.ok(maxAbsDiffRows(got, want) <= 1e-6);
    assert.ok(maxAbsDiffRows(got, refRows('encode.embeddings_normalized')) <= 1e-5);
    const header = JSON.parse(readFileSync(out).subarray(8, 8 + Number(readFileSync(out).readBigUInt64LE(0))).toString('utf8'));
    assert.equal(header.__metadata__.precision, 'float32');
    assert.equal(header.__metadata__.normalized, 'true');
  });

  it('encode reads stdin lines and prints JSON Lines {index, text, embedding} in input order', async () => {
    const some = texts.slice(0, 6);
    const r = await runCli(['encode', '--model', modelDir, '--batch-size', '2'], { input: some.join('\r\n') });
    assert.equal(r.code, 0, r.stderr);
    const recs = lines(r.stdout).map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((x) => x.index), some.map((_, i) => i));
    assert.deepEqual(recs.map((x) => x.text), some);
    const want = await model.encode(some, { batchSize: 2 });
    assert.ok(maxAbsDiffRows(recs.map((x) => x.embedding), want) <= 1e-6);
    assert.ok(maxAbsDiffRows(recs.map((x) => x.embedding), refRows('encode.embeddings').slice(0, 6)) <= 1e-5);
  });

  it('encode --text and a file together, with --prompt-name query, equal encode(..., {promptName})', async () => {
    const extra = ['What are the steps to change my password?'];
    const r = await runCli(['encode', '-m', modelDir, '-t', extra[0], inputFile, '--prompt-name', 'query', '-o', join(tmp, 'q.jsonl')]);
    assert.equal(r.code, 0, r.stderr);
    const recs = lines(readFileSync(join(tmp, 'q.jsonl'), 'utf8')).map((l) => JSON.parse(l));
    const all = [...extra, ...texts];
    assert.deepEqual(recs.map((x) => x.text), all);
    const want = await model.encode(all, { promptName: 'query' });
    assert.ok(maxAbsDiffRows(recs.map((x) => x.embedding), want) <= 1e-6);
    const refQ = ref.rows('encode.prompt_query.embeddings');
    assert.ok(maxAbsDiffRows(recs.slice(1).map((x) => x.embedding), idx.map((i) => refQ[i])) <= 1e-5);
  });

  it('encode --precision int8 --truncate-dim 16 writes int8 .npy equal to the in-process quantized rows', async () => {
    const out = join(tmp, 'q8.npy');
    const r = await runCli(['encode', '-m', modelDir, inputFile, '--precision', 'int8', '--truncate-dim', '16', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const npy = parseNpy(readFileSync(out));
    assert.equal(npy.descr, '|i1');
    assert.deepEqual(npy.shape, [texts.length, 16]);
    const want = await model.encode(texts, { precision: 'int8', truncateDim: 16 });
    assert.deepEqual(rowsOf(npy.data as Int8Array, texts.length, 16).map((x) => Array.from(x)), want.map((x) => Array.from(x)));
  });

  it('encode --precision ubinary writes packed uint8 rows (dim / 8 bytes)', async () => {
    const out = join(tmp, 'ub.npy');
    const r = await runCli(['encode', '-m', modelDir, inputFile, '--precision', 'ubinary', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const npy = parseNpy(readFileSync(out));
    assert.equal(npy.descr, '|u1');
    assert.deepEqual(npy.shape, [texts.length, 4]);
    const want = await model.encode(texts, { precision: 'ubinary' });
    assert.deepEqual(rowsOf(npy.data as Uint8Array, texts.length, 4).map((x) => Array.from(x)), want.map((x) => Array.from(x)));
  });

  it('a .jsonl input (JSON strings or {text}) carries texts with line breaks; the JSONL output reads back as input', async () => {
    const all: string[] = ref.json.texts;
    const withBreaks = all.findIndex((t) => /\n/.test(t));
    assert.ok(withBreaks >= 0);
    const src = join(tmp, 'in.jsonl');
    writeFileSync(src, [JSON.stringify(all[withBreaks]), JSON.stringify({ text: all[0], id: 7 }), ''].join('\n'));
    const first = await runCli(['encode', '-m', modelDir, src, '-o', join(tmp, 'out1.jsonl')]);
    assert.equal(first.code, 0, first.stderr);
    const again = await runCli(['encode', '-m', modelDir, join(tmp, 'out1.jsonl')]);
    assert.equal(again.code, 0, again.stderr);
    const recs = lines(again.stdout).map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((x) => x.text), [all[withBreaks], all[0]]);
    const refRowsAll = ref.rows('encode.embeddings');
    assert.ok(maxAbsDiffRows(recs.map((x) => x.embedding), [refRowsAll[withBreaks], refRowsAll[0]]) <= 1e-5);
    writeFileSync(src, '{"txt": "x"}\n');
    const bad = await runCli(['encode', '-m', modelDir, src]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^sentence-tfjs: error: .*in\.jsonl:1: expected a JSON string or an object with a string "text"/);
  });

  it('a reader that closes stdout early (| head) ends the CLI quietly with exit 0', async () => {
    const many = join(tmp, 'many.txt');
    writeFileSync(many, Array.from({ length: 3000 }, (_, i) => `text number ${i}`).join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'encode', '-m', modelDir, many], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
  });

  it('encode of an empty input writes an empty [0, dim] array', async () => {
    const out = join(tmp, 'empty.npy');
    const r = await runCli(['encode', '-m', modelDir, '-', '-o', out], { input: '' });
    assert.equal(r.code, 0, r.stderr);
    const npy = parseNpy(readFileSync(out));
    assert.deepEqual(npy.shape, [0, 32]);
    assert.ok(statSync(out).size % 64 === 0);
  });

  it('similarity --json prints model.similarity(E, E), equal to the reference similarity', async () => {
    const sel = [0, 1, 2, 3, 15];
    const all: string[] = ref.json.texts;
    const sentences = sel.map((i) => all[i]);
    const r = await runCli(['similarity', '-m', modelDir, ...sentences, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.similarity_fn_name, 'cosine');
    assert.deepEqual(out.sentences, sentences);
    const emb = await model.encode(sentences);
    assert.ok(maxAbsDiffRows(out.matrix, model.similarity(emb, emb)) <= 1e-6);
    const refSim: number[][] = ref.json.similarity.matrix;
    assert.ok(maxAbsDiffRows(out.matrix, sel.map((i) => sel.map((j) => refSim[i][j]))) <= 1e-5);
  });

  it('--device cpu runs on the tfjs CPU backend with the same numbers (reference similarity within 1e-5)', async () => {
    const all: string[] = ref.json.texts;
    const sel = [0, 1, 2, 16];
    const r = await runCli(['similarity', '-m', modelDir, '--device', 'cpu', '--json', ...sel.map((i) => all[i])]);
    assert.equal(r.code, 0, r.stderr);
    const refSim: number[][] = ref.json.similarity.matrix;
    assert.ok(maxAbsDiffRows(JSON.parse(r.stdout).matrix, sel.map((i) => sel.map((j) => refSim[i][j]))) <= 1e-5);
    const demo = await runCli(['demo', '-m', modelDir, '--device', 'cpu']);
    assert.match(demo.stdout, /device cpu$/m);
  });

  it('similarity from --file prints an aligned text matrix with 4 decimals', async () => {
    const f = join(tmp, 'three.txt');
    writeFileSync(f, texts.slice(0, 3).join('\n'));
    const r = await runCli(['similarity', '-m', modelDir, '--file', f, '--similarity-fn', 'dot']);
    assert.equal(r.code, 0, r.stderr);
    const emb = await model.encode(texts.slice(0, 3));
    model.similarityFnName = 'dot';
    const want = model.similarity(emb, emb);
    model.similarityFnName = 'cosine';
    const rows = lines(r.stdout).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows, want.map((row) => Array.from(row, (v) => v.toFixed(4))));
  });

  it('search --json returns the hits of util.semanticSearch on encodeQuery / encodeDocument, in order', async () => {
    const all: string[] = ref.json.texts;
    const corpus = idx.map((i) => all[i]);
    const queries = ['How can I change my password?', 'A man eats something.'];
    const r = await runCli(['search', '-m', modelDir, '--corpus', inputFile, '--query', queries[0], '--query', queries[1], '--top-k', '5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const q = (await model.encodeQuery(queries)) as Float32Array[];
    const c = (await model.encodeDocument(corpus)) as Float32Array[];
    const want = semanticSearch(q, c, { topK: 5 });
    assert.deepEqual(out.map((o: { query: string }) => o.query), queries);
    out.forEach((o: { hits: { corpus_id: number; score: number; text: string }[] }, qi: number) => {
      assert.deepEqual(o.hits.map((h) => h.corpus_id), want[qi].map((h) => h.corpusId));
      o.hits.forEach((h, k) => {
        assert.ok(Math.abs(h.score - want[qi][k].score) <= 1e-6);
        assert.equal(h.text, corpus[h.corpus_id]);
      });
    });
  });

  it('search prints one block per query with rank, score, corpus id and text', async () => {
    const r = await runCli(['search', '-m', modelDir, '-c', inputFile, '--query', 'password', '-k', '3']);
    assert.equal(r.code, 0, r.stderr);
    const ls = lines(r.stdout);
    assert.equal(ls[0], 'query: password');
    assert.equal(ls.length, 4);
    ls.slice(1).forEach((l, i) => assert.match(l, new RegExp(`^\\s+${i + 1}\\. -?\\d\\.\\d{4}  \\[\\d+\\] `)));
  });

  it('demo prints the quickstart shape and a 3 x 3 similarity matrix with a unit diagonal', async () => {
    const r = await runCli(['demo', '--model', modelDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /embeddings shape: \[3, 32\]/);
    const sentences = ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];
    const emb = await model.encode(sentences);
    const want = model.similarity(emb, emb).map((row) => Array.from(row, (v) => v.toFixed(4)).join('  '));
    assert.deepEqual(lines(r.stdout).slice(-3), want);
  });
});

describe('cli: encode --compat on tiny-roberta (texts as given, or stripped as 3.4.1)', function () {
  this.timeout(120000);
  let tmp: string;
  before(function () {
    if (!requireFixtures(this, ['models', 'tiny-roberta'], ...referenceParts('tiny-roberta'), ...st6Parts('tiny-roberta'))) return;
    tmp = mkdtempSync(join(tmpdir(), 'stfjs-cli-compat-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the default keeps edge whitespace (6.0.1 numbers); --compat 3.4 strips (3.4.1 numbers); a bad value is a usage error', async () => {
    const all = loadSt6Reference('tiny-roberta').json.texts as string[];
    const idx = all.map((_, i) => i).filter((i) => !/[\r\n]/.test(all[i]) && all[i] !== all[i].trim() && all[i].trim() !== '');
    assert.ok(idx.length >= 1, 'a text with edge whitespace and words');
    const input = join(tmp, 'texts.txt');
    writeFileSync(input, idx.map((i) => all[i]).join('\n') + '\n');
    for (const [args, ref] of [[[], loadSt6Reference('tiny-roberta')], [['--compat', '3.4'], loadReference('tiny-roberta')]] as const) {
      const out = join(tmp, `emb${args.length}.npy`);
      const r = await runCli(['encode', '--model', fixture('models', 'tiny-roberta'), input, '--output', out, ...args]);
      assert.equal(r.code, 0, r.stderr);
      const npy = parseNpy(readFileSync(out));
      const got = rowsOf(npy.data as Float32Array, idx.length, 16);
      const want = ref.rows('encode.embeddings');
      const d = maxAbsDiffRows(got, idx.map((i) => want[i]));
      assert.ok(d <= 1e-5, `${args.join(' ') || 'default'}: max abs diff ${d}`);
    }
    const bad = await runCli(['encode', '--model', fixture('models', 'tiny-roberta'), input, '--compat', '5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--compat: expected one of 6\.0, 3\.4, got '5'/);
  });
});

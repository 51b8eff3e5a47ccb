/**
 * `sentence-tfjs rank` and `search --reranker` with the tiny-bert cross-encoder, run as child processes, against
 * sentence-transformers 3.4.1 `CrossEncoder.rank` (reference/tiny-bert-cross-encoder `rank`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossEncoder } from '../src/api/cross_encoder.js';
import { lines, runCli } from './helpers/cli.js';
import { fixture, requireFixtures } from './helpers/fixtures.js';
import { loadReference, referenceParts } from './helpers/st_reference.js';

interface RankRow {
  corpus_id: number;
  score: number;
  text?: string;
}

describe('cli: rank and search --reranker with a cross-encoder', function () {
  this.timeout(120000);
  let ce: string;
  let bi: string;
  let tmp: string;
  let docsFile: string;
  let query: string;
  let documents: string[];
  let rankDefault: RankRow[];
  let rankTop3: RankRow[];

  before(function () {
    if (!requireFixtures(this, ['models', 'tiny-bert-cross-encoder'], ['models', 'tiny-bert'], ...referenceParts('tiny-bert-cross-encoder'))) return;
    ce = fixture('models', 'tiny-bert-cross-encoder');
    bi = fixture('models', 'tiny-bert');
    const ref = loadReference('tiny-bert-cross-encoder').json.rank;
    query = ref.query;
    documents = ref.documents;
    rankDefault = ref.rank_default;
    rankTop3 = ref.rank_top_k_3;
    tmp = mkdtempSync(join(tmpdir(), 'stfjs-cli-rank-'));
    docsFile = join(tmp, 'docs.txt');
    writeFileSync(docsFile, documents.join('\n') + '\n');
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function assertSameRanking(got: RankRow[], want: RankRow[]): void {
    assert.deepEqual(got.map((r) => r.corpus_id), want.map((r) => r.corpus_id));
    got.forEach((r, i) => assert.ok(Math.abs(r.score - want[i].score) <= 1e-5, `rank ${i}: ${r.score} vs ${want[i].score}`));
  }

  it('rank --json on a documents file equals CrossEncoder.rank (order, sigmoid scores, texts)', async () => {
    const r = await runCli(['rank', '--model', ce, '--query', query, '--documents', docsFile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.query, query);
    assertSameRanking(out.results, rankDefault);
    out.results.forEach((x: RankRow) => assert.equal(x.text, documents[x.corpus_id]));
    const model = await CrossEncoder.load(ce);
    try {
      const want = await model.rank(query, documents);
      assert.deepEqual(out.results.map((x: RankRow) => x.corpus_id), want.map((x) => x.corpusId));
      out.results.forEach((x: RankRow, i: number) => assert.ok(Math.abs(x.score - want[i].score) <= 1e-6));
    } finally {
      model.dispose();
    }
  });

  it('rank with a 3-label (NLI) cross-encoder is a one-line error naming the labels', async function () {
    if (!requireFixtures(this, ['models', 'tiny-roberta-nli-cross-encoder'])) return;
    const r = await runCli(['rank', '-m', fixture('models', 'tiny-roberta-nli-cross-encoder'), '-Q', 'q', 'a', 'b']);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /one score per pair, this one has 3 labels \(contradiction, entailment, neutral\)/);
  });

  it('rank -k 3 with documents as arguments prints the 3 best, one per line', async () => {
    const r = await runCli(['rank', '-m', ce, '-Q', query, '-k', '3', ...documents]);
    assert.equal(r.code, 0, r.stderr);
    const ls = lines(r.stdout);
    assert.equal(ls[0], `query: ${query}`);
    assert.equal(ls.length, 4);
    const parsed = ls.slice(1).map((l) => {
      const m = /^\s+(\d+)\. (\d\.\d{4})  \[(\d+)\] (.*)$/.exec(l);
      assert.ok(m, l);
      return { corpus_id: Number(m[3]), score: Number(m[2]), text: m[4] };
    });
    assert.deepEqual(parsed.map((p) => p.corpus_id), rankTop3.map((x) => x.corpus_id));
    parsed.forEach((p, i) => {
      assert.equal(p.score.toFixed(4), rankTop3[i].score.toFixed(4));
      assert.equal(p.text, documents[p.corpus_id]);
    });
  });

  it('rank reads the documents from stdin', async () => {
    const r = await runCli(['rank', '-m', ce, '-Q', query, '--json'], { input: documents.join('\n') });
    assert.equal(r.code, 0, r.stderr);
    assertSameRanking(JSON.parse(r.stdout).results, rankDefault);
  });

  it('search --reranker scores the bi-encoder candidates with the cross-encoder and sorts by that score', async () => {
    const r = await runCli(['search', '-m', bi, '--corpus', docsFile, '--query', query, '--reranker', ce, '--candidates', '8', '-k', '5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [res] = JSON.parse(r.stdout);
    const hits: (RankRow & { cross_score: number })[] = res.hits;
    // all 8 documents are candidates, so the cross-encoder order is CrossEncoder.rank's
    assert.deepEqual(hits.map((h) => h.corpus_id), rankDefault.slice(0, 5).map((x) => x.corpus_id));
    hits.forEach((h, i) => {
      assert.ok(Math.abs(h.cross_score - rankDefault[i].score) <= 1e-5);
      assert.equal(typeof h.score, 'number', 'the bi-encoder score is kept');
    });
  });

  it('search --reranker re-ranks only the --candidates best bi-encoder hits', async () => {
    const plain = await runCli(['search', '-m', bi, '--corpus', docsFile, '--query', query, '-k', '3', '--json']);
    const reranked = await runCli(['search', '-m', bi, '--corpus', docsFile, '--query', query, '-r', ce, '--candidates', '3', '-k', '3', '--json']);
    assert.equal(reranked.code, 0, reranked.stderr);
    const candidates = new Set(JSON.parse(plain.stdout)[0].hits.map((h: RankRow) => h.corpus_id));
    const hits: (RankRow & { cross_score: number })[] = JSON.parse(reranked.stdout)[0].hits;
    assert.deepEqual(new Set(hits.map((h) => h.corpus_id)), candidates);
    const want = rankDefault.filter((x) => candidates.has(x.corpus_id));
    assert.deepEqual(hits.map((h) => h.corpus_id), want.map((x) => x.corpus_id));
  });

  it('a missing reranker directory is a one-line error naming --reranker', async () => {
    const r = await runCli(['search', '-m', bi, '--corpus', docsFile, '--query', query, '--reranker', join(tmp, 'no-such-ce')]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /^sentence-tfjs: error: --reranker .*no-such-ce: no such model directory/);
  });

  it('a bi-encoder given as rank --model or search --reranker is a one-line error naming that option (not the library argument)', async () => {
    const [rank, search] = await Promise.all([
      runCli(['rank', '-m', bi, '-Q', query, 'a document']),
      runCli(['search', '-m', bi, '--corpus', docsFile, '--query', query, '--reranker', bi]),
    ]);
    for (const [r, option] of [[rank, '--model'], [search, '--reranker']] as const) {
      assert.equal(r.code, 1);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.ok(r.stderr.startsWith(`sentence-tfjs: error: ${option} ${bi}: `), r.stderr);
      assert.match(r.stderr, /holds no classification head .* not a cross-encoder/);
      assert.doesNotMatch(r.stderr, /modelIdOrDir/);
    }
  });
});

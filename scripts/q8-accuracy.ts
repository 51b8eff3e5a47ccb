/**
 * Accuracy of the int8 path (`dtype: 'q8'`) against fp32, on the wasm backend (issue 17):
 *   - bi-encoders (minilm-l6-full and the tiny fixtures): min / mean cosine between the q8 and fp32 embeddings of
 *     the fixture texts, max abs diff of the embeddings, max / mean abs change of the texts' cosine matrix;
 *   - minilm-l6-full on a seeded random corpus (1000 sentences, 50 queries): semanticSearch top-10 with fp32 vs
 *     q8 embeddings: mean overlap of the top-10 sets, queries with the same top-10 in the same order, top-1 agreement;
 *   - cross-encoders: max abs diff of the predicted scores on the fixture pairs.
 *
 *   npx tsx scripts/q8-accuracy.ts [--fixtures DIR] [--json out.json] [--models a,b (bi-encoders only, no search / cross)]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrossEncoder, initBackend, semanticSearch, SentenceTransformer } from '../src/index.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const FIX = opt('--fixtures') ?? process.env.SENTENCE_TFJS_FIXTURES ?? join(import.meta.dirname, '../../shared/fixtures');

const BI = ['minilm-l6-full', 'tiny-bert', 'tiny-distilbert', 'tiny-mpnet', 'tiny-roberta', 'tiny-modernbert', 'tiny-qwen3', 'tiny-embeddinggemma'];
const CROSS = ['tiny-bert-cross-encoder', 'tiny-roberta-nli-cross-encoder', 'tiny-modernbert-cross-encoder'];

function cos(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : d / Math.sqrt(na * nb);
}

function simMatrix(e: Float32Array[]): number[][] {
  return e.map((a) => e.map((b) => cos(a, b)));
}

/** mulberry32. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a man woman child dog cat bird car train city river mountain house garden music film book game team market ' +
  'plays runs eats reads drives sings watches builds paints cooks sells opens closes finds loses wins buys ' +
  'quickly slowly happily quietly loudly today yesterday tomorrow near far under over inside outside with without ' +
  'red green blue old new big small bright dark cold warm fast slow cheap expensive famous quiet busy empty'
).split(' ');

function randomSentences(n: number, seed: number): string[] {
  const r = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 5 + Math.floor(r() * 20);
    const w: string[] = [];
    for (let j = 0; j < len; j++) w.push(WORDS[Math.floor(r() * WORDS.length)]);
    out.push(`${w.join(' ')}.`);
  }
  return out;
}

async function encodeBoth(dir: string, texts: string[]): Promise<[Float32Array[], Float32Array[]]> {
  const f = await SentenceTransformer.load(dir);
  const q = await SentenceTransformer.load(dir, { dtype: 'q8' });
  try {
    return [(await f.encode(texts)) as Float32Array[], (await q.encode(texts)) as Float32Array[]];
  } finally {
    f.dispose();
    q.dispose();
  }
}

async function main(): Promise<void> {
  await initBackend('wasm', { fallbackToCpu: false });
  const report: Record<string, unknown> = {};
  const lines: string[] = ['| model | texts | min cos | mean cos | max abs diff | sim matrix max / mean abs change |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  const only = opt('--models')?.split(',');
  for (const name of only ?? BI) {
    const ref = JSON.parse(readFileSync(join(FIX, 'reference', name, 'reference.json'), 'utf8')) as { texts: string[] };
    const [f, q] = await encodeBoth(join(FIX, 'models', name), ref.texts);
    const cs = f.map((a, i) => cos(a, q[i]));
    let maxAbs = 0;
    f.forEach((a, i) => a.forEach((v, j) => (maxAbs = Math.max(maxAbs, Math.abs(v - q[i][j])))));
    const sf = simMatrix(f);
    const sq = simMatrix(q);
    let smax = 0;
    let ssum = 0;
    sf.forEach((row, i) => row.forEach((v, j) => {
      const d = Math.abs(v - sq[i][j]);
      smax = Math.max(smax, d);
      ssum += d;
    }));
    const r = { texts: ref.texts.length, minCos: Math.min(...cs), meanCos: cs.reduce((a, b) => a + b, 0) / cs.length, maxAbsDiff: maxAbs, simMaxAbsChange: smax, simMeanAbsChange: ssum / (sf.length * sf.length) }; // spread-ok: 25 texts
    report[name] = r;
    lines.push(`| ${name} | ${r.texts} | ${r.minCos.toFixed(6)} | ${r.meanCos.toFixed(6)} | ${r.maxAbsDiff.toExponential(2)} | ${r.simMaxAbsChange.toExponential(2)} / ${r.simMeanAbsChange.toExponential(2)} |`);
    console.error(lines[lines.length - 1]);
  }

  if (only) {
    console.log(lines.join('\n'));
    return;
  }
  // Retrieval on a random corpus (minilm-l6-full).
  const corpus = randomSentences(1000, 17);
  const queries = randomSentences(50, 1017);
  const dir = join(FIX, 'models', 'minilm-l6-full');
  const [cf, cq] = await encodeBoth(dir, corpus);
  const [qf, qq] = await encodeBoth(dir, queries);
  const hf = semanticSearch(qf, cf, { topK: 10 });
  const hq = semanticSearch(qq, cq, { topK: 10 });
  let overlap = 0;
  let sameOrder = 0;
  let top1 = 0;
  let footrule = 0;
  for (let i = 0; i < queries.length; i++) {
    const a = hf[i].map((h) => h.corpusId);
    const b = hq[i].map((h) => h.corpusId);
    overlap += a.filter((id) => b.includes(id)).length / 10;
    if (a.every((id, j) => id === b[j])) sameOrder++;
    if (a[0] === b[0]) top1++;
    footrule += a.reduce((s, id, j) => s + (b.includes(id) ? Math.abs(b.indexOf(id) - j) : 10 - j), 0);
  }
  const search = { corpus: corpus.length, queries: queries.length, meanOverlapAt10: overlap / queries.length, sameTop10Order: sameOrder / queries.length, top1Agreement: top1 / queries.length, meanFootruleDisplacement: footrule / queries.length };
  report.semanticSearch = search;
  lines.push('', `semanticSearch top-10, minilm-l6-full, random corpus ${corpus.length} / ${queries.length} queries: mean overlap@10 ${search.meanOverlapAt10.toFixed(3)}, same top-10 order ${(100 * search.sameTop10Order).toFixed(0)}%, top-1 agreement ${(100 * search.top1Agreement).toFixed(0)}%, mean rank displacement (footrule) ${search.meanFootruleDisplacement.toFixed(2)}`);

  lines.push('', '| cross-encoder | pairs | max abs diff of scores | max |fp32 score| |', '| --- | ---: | ---: | ---: |');
  for (const name of CROSS) {
    const ref = JSON.parse(readFileSync(join(FIX, 'reference', name, 'reference.json'), 'utf8')) as { pairs: [string, string][] };
    const d = join(FIX, 'models', name);
    const f = await CrossEncoder.load(d);
    const q = await CrossEncoder.load(d, { dtype: 'q8' });
    const sf = (await f.predict(ref.pairs)) as unknown as ArrayLike<number> | ArrayLike<number>[];
    const sq = (await q.predict(ref.pairs)) as unknown as ArrayLike<number> | ArrayLike<number>[];
    f.dispose();
    q.dispose();
    const flat = (s: ArrayLike<number> | ArrayLike<number>[]) => Array.from(s as ArrayLike<number | ArrayLike<number>>).flatMap((v) => (typeof v === 'number' ? [v] : Array.from(v)));
    const a = flat(sf);
    const b = flat(sq);
    const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]))); // spread-ok: a few fixture pairs
    const mag = Math.max(...a.map(Math.abs)); // spread-ok: a few fixture pairs
    report[name] = { pairs: ref.pairs.length, maxAbsDiff: diff, maxAbsScore: mag };
    lines.push(`| ${name} | ${ref.pairs.length} | ${diff.toExponential(2)} | ${mag.toFixed(3)} |`);
  }
  console.log(lines.join('\n'));
  const out = opt('--json');
  if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
}

await main();

/**
 * The added-token matcher (a trie, linear in the text) against a reference written from HF's
 * added_vocabulary.rs `find_matches` over an aho-corasick LeftmostLongest search, here a RegExp alternation
 * with the longest patterns first: the same splits on seeded random tokens (overlapping contents, lstrip,
 * rstrip, single_word) and texts over a small alphabet with spaces and word characters.
 */
import assert from 'node:assert/strict';
import { prng } from './helpers/corpus.js';
import { AddedVocabulary, addedToken, type AddedToken } from '../src/tokenizers/added_vocabulary.js';
import { WordPiece } from '../src/tokenizers/models/wordpiece.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** HF find_matches, with the leftmost-longest search as a RegExp alternation (longest first). */
function reference(tokens: Array<AddedToken & { id: number }>, sentence: string): Array<[number | null, number, number]> {
  if (sentence.length === 0) return [[null, 0, 0]];
  const ids = new Map<string, number>();
  for (const t of tokens) if (!ids.has(t.content)) ids.set(t.content, t.id);
  const byId = new Map(tokens.map((t) => [t.id, t]));
  const re = new RegExp([...ids.keys()].sort((a, b) => b.length - a.length).map(esc).join('|'), 'g');
  const out: Array<[number | null, number, number]> = [];
  let startOffset = 0;
  for (const m of sentence.matchAll(re)) {
    let start = m.index!;
    let stop = start + m[0].length;
    const id = ids.get(m[0])!;
    const tok = byId.get(id)!;
    if (tok.singleWord) {
      const startSpace = start === 0 || !/[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u.test(sentence.slice(0, start));
      const stopSpace = stop === sentence.length || !/^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u.test(sentence.slice(stop));
      if (!startSpace || !stopSpace) continue;
    }
    if (tok.lstrip) {
      const before = sentence.slice(0, start);
      const ws = /\p{White_Space}*$/u.exec(before)!;
      start = Math.max(ws.index, startOffset);
    }
    if (tok.rstrip) stop += /^\p{White_Space}*/u.exec(sentence.slice(stop))![0].length;
    if (start > stop) continue; // HF panics here ("bad split"); ours drops the match
    if (startOffset < start) out.push([null, startOffset, start]);
    out.push([id, start, stop]);
    startOffset = stop;
  }
  if (startOffset !== sentence.length) out.push([null, startOffset, sentence.length]);
  return out;
}

describe('added-token matcher', function () {
  it('finds the same splits as HF find_matches (leftmost-longest, lstrip, rstrip, single_word) on 3,000 seeded cases', function () {
    const r = prng(42);
    const alphabet = ['a', 'b', 'c', ' ', ' ', '\u00a0', '\t', 'é', '-', '1'];
    const model = new WordPiece(new Map([['[UNK]', 0]]));
    for (let k = 0; k < 3000; k++) {
      const n = 1 + Math.floor(r() * 5);
      const tokens: Array<AddedToken & { id: number }> = [];
      for (let i = 0; i < n; i++) {
        let c = '';
        const len = 1 + Math.floor(r() * 3);
        for (let j = 0; j < len; j++) c += alphabet[Math.floor(r() * alphabet.length)];
        tokens.push({ ...addedToken(c, r() < 0.5, { lstrip: r() < 0.4, rstrip: r() < 0.4, singleWord: r() < 0.3, normalized: false }), id: 0 });
      }
      const vocab = new AddedVocabulary();
      vocab.addTokens(tokens, model, null);
      // The ids the vocabulary gave (an identical token added twice keeps the first).
      const withIds = tokens.map((t) => ({ ...t, id: vocab.tokenToId(t.content, model)! }));
      const firstByContent = new Map<string, AddedToken & { id: number }>();
      for (const t of withIds) if (!firstByContent.has(t.content)) firstByContent.set(t.content, t);
      // HF keeps the latest AddedToken per id for the flags.
      const flags = new Map<number, AddedToken>([...vocab.getAddedTokensDecoder()]);
      const ref = [...firstByContent.values()].map((t) => ({ ...flags.get(t.id)!, id: t.id }));
      let text = '';
      const tl = Math.floor(r() * 40);
      for (let j = 0; j < tl; j++) text += r() < 0.2 ? tokens[Math.floor(r() * n)].content : alphabet[Math.floor(r() * alphabet.length)];
      const got = vocab.extractAndNormalize(null, text).splits.map((s) => {
        const [a, b] = s.normalized.offsetsOriginal();
        return [s.tokens === null ? null : s.tokens[0].id, a, b];
      });
      const want = reference(ref, text).filter(([, a, b]) => b > a);
      assert.deepEqual(got, want, `tokens ${JSON.stringify(ref.map((t) => [t.content, t.lstrip, t.rstrip, t.singleWord]))} text ${JSON.stringify(text)}`);
    }
  });

  it('takes linear time on near misses of a long added token (Aho–Corasick; the trie it replaced took 4.8 s on 64 KiB), and keeps leftmost-longest', function () {
    const model = new WordPiece(new Map([['[UNK]', 0]]));
    const vocab = new AddedVocabulary();
    const long = 'a'.repeat(2000) + 'b';
    vocab.addTokens([addedToken(long, true)], model, null);
    const time = (s: string) => {
      const t0 = performance.now();
      const out = vocab.extractAndNormalize(null, s);
      return { ms: performance.now() - t0, out };
    };
    time('a'.repeat(4096));
    let a = Infinity;
    let b = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      a = Math.min(a, time('a'.repeat(32 * 1024)).ms);
      b = Math.min(b, time('a'.repeat(256 * 1024)).ms);
    }
    // 8x the text: linear ~8; the trie's O(text x 2,000) read ~x2.4 per 4x but seconds for each size.
    assert.ok(b < 2000 && b / Math.max(a, 20) < 32, `${a.toFixed(1)} -> ${b.toFixed(1)} ms`);
    // Still O(text x longest) when each short match is followed by a near miss of the long token ("aa" + "aaaa…"):
    // leftmost-longest must read ahead for the longer token before it can emit "aa", as aho-corasick's
    // LeftmostLongest does. The matches stay right: "aa" pairs, then the long token where it occurs.
    vocab.addTokens([addedToken('aa', false, { normalized: false })], model, null);
    const text = `${'a'.repeat(6)}${long}aa`;
    const idLong = vocab.tokenToId(long, model)!;
    const idAa = vocab.tokenToId('aa', model)!;
    const splits = time(text).out.splits.map((sp) => [sp.normalized.normalized, sp.tokens === null ? null : sp.tokens[0].id]);
    // Leftmost-longest: "aa" at 0, 2 and 4 (the long token starts at 6, not before), then the long token, then "aa".
    assert.deepEqual(splits, [['aa', idAa], ['aa', idAa], ['aa', idAa], [long, idLong], ['aa', idAa]]);
  });

  it('takes linear time on text made of one added token with lstrip and rstrip, and on whitespace tokens', function () {
    const model = new WordPiece(new Map([['[UNK]', 0]]));
    const vocab = new AddedVocabulary();
    vocab.addTokens([addedToken('<mask>', true, { lstrip: true, rstrip: true }), addedToken(' ', false, { rstrip: true, normalized: false })], model, null);
    const time = (s: string) => {
      const t0 = performance.now();
      vocab.extractAndNormalize(null, s);
      return performance.now() - t0;
    };
    const unit = '<mask>   ';
    time(unit.repeat(1000));
    // Fastest of 3 alternating runs (allocation-heavy: one GC pause can triple a single run).
    let a = Infinity;
    let b = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      a = Math.min(a, time(unit.repeat(10_000)));
      b = Math.min(b, time(unit.repeat(40_000)));
    }
    assert.ok(b / Math.max(a, 20) < 10, `${a.toFixed(1)} -> ${b.toFixed(1)} ms`);
  });

  it('holds a large added vocabulary compactly (100,000 tokens of up to 40 units): leftmost-longest still', function () {
    const model = new WordPiece(new Map([['[UNK]', 0]]));
    const vocab = new AddedVocabulary();
    const toks = [];
    for (let i = 0; i < 100_000; i++) toks.push(addedToken(`<t${i}${'x'.repeat(i % 30)}>`, i % 2 === 0));
    vocab.addTokens(toks, model, null);
    const text = 'a<t7xxxxxxx> <t70xxxxxxxxxx>b<t7<t123xxx>';
    const got = vocab.extractAndNormalize(null, text).splits.map((sp) => [sp.tokens?.[0].id ?? null, ...sp.normalized.offsetsOriginal()]);
    const id = (c: string) => vocab.tokenToId(c, model)!;
    assert.deepEqual(got, [
      [null, 0, 1], [id('<t7xxxxxxx>'), 1, 12], [null, 12, 13], [id('<t70xxxxxxxxxx>'), 13, 28], [null, 28, 32],
      [id('<t123xxx>'), 32, 41],
    ]);
  });
});

/**
 * Long inputs take linear time in every fixture tokenizer: the time of a 64 Ki-unit encode is under 10 times
 * that of a 16 Ki-unit one (the fastest of 3 alternating runs each; small times floored at 20 ms) (4 times the text: linear is ~4, quadratic ~16; the margin is for a busy machine), for one character repeated, a
 * space-separated run of one-letter words, seeded random Unicode and text full of added tokens. The full
 * curve, 1 KiB … 1 MiB, is `npm run bench:tokenizer-scaling`.
 */
import assert from 'node:assert/strict';
import { requireFixtures } from './helpers/fixtures.js';
import { loadUntruncated, longInput, scalingTokenizers, timeEncode, type InputKind } from './helpers/tokenizer_scaling.js';

const KINDS: InputKind[] = ['repeat', 'space', 'random', 'added'];
const SMALL = 16 * 1024;
const LARGE = 64 * 1024;

describe('tokenizer time is linear in the input length', function () {
  this.timeout(180_000);
  before(function () {
    requireFixtures(this, ['tokenizers']);
  });

  for (const t of scalingTokenizers()) {
    it(`${t.name}: 64 KiB takes under 10x the time of 16 KiB (repeat, spaced, random Unicode, added tokens)`, function () {
      const tok = loadUntruncated(t.path);
      const rows: string[] = [];
      for (const kind of KINDS) {
        const small = longInput(kind, SMALL, tok);
        const large = longInput(kind, LARGE, tok);
        timeEncode(tok, small); // warm-up (JIT, caches of short words)
        // Alternating runs, fastest of each: a busy machine or a GC pause slows one run, not the minimum.
        const a = { ms: Infinity };
        const b = { ms: Infinity };
        for (let rep = 0; rep < 3; rep++) {
          a.ms = Math.min(a.ms, timeEncode(tok, small).ms);
          b.ms = Math.min(b.ms, timeEncode(tok, large).ms);
        }
        // Below 20 ms timer, cache and GC noise dominate: such a size is fast whatever the curve.
        const ratio = b.ms / Math.max(a.ms, 20);
        rows.push(`${kind}: ${a.ms.toFixed(1)} -> ${b.ms.toFixed(1)} ms (x${ratio.toFixed(2)})`);
        assert.ok(ratio < 10, `${t.name} ${kind}: ${rows[rows.length - 1]}`);
        // And the encodings cover the text: offsets in range.
        const e = tok.encode(large.slice(0, 4096));
        for (const [s, end] of e.offsets) assert.ok(s >= 0 && s <= end && end <= 4096);
      }
    });
  }
});

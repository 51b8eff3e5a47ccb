/**
 * Long inputs take linear time in every fixture tokenizer: the time of a 256 Ki-unit encode is under 32 times
 * that of a 32 Ki-unit one (8 times the text: linear is ~8, quadratic ~64; the quadratic paths this guards
 * against measured x60 for 4 times the text), for one character repeated, seeded random Unicode and text full
 * of added tokens. Both sizes are past the jump that garbage collection makes between 8 and 16 Ki units (small
 * inputs die young in the nursery, large ones pay old-space collections: up to x20 here on a busy machine for
 * paths that are linear in a clean process); the times are the fastest of alternating runs after a full GC,
 * measured again once before a failure. The full
 * curve, 1 KiB … 1 MiB, is `npm run bench:tokenizer-scaling`.
 */
import assert from 'node:assert/strict';
import { requireFixtures } from './helpers/fixtures.js';
import { collectGarbage, loadUntruncated, longInput, scalingTokenizers, timeEncode, type InputKind } from './helpers/tokenizer_scaling.js';

const KINDS: InputKind[] = ['repeat', 'random', 'added'];
const SMALL = 32 * 1024;
const LARGE = 256 * 1024;

describe('tokenizer time is linear in the input length', function () {
  this.timeout(180_000);
  before(function () {
    requireFixtures(this, ['tokenizers']);
  });

  for (const t of scalingTokenizers()) {
    it(`${t.name}: 256 KiB takes under 32x the time of 32 KiB (repeat, random Unicode, added tokens)`, function () {
      const tok = loadUntruncated(t.path);
      const rows: string[] = [];
      for (const kind of KINDS) {
        const small = longInput(kind, SMALL, tok);
        const large = longInput(kind, LARGE, tok);
        timeEncode(tok, small); // warm-up (JIT, caches of short words)
        collectGarbage(); // the garbage of the previous kind (or tokenizer) is not this kind's
        const a = { ms: Infinity };
        const b = { ms: Infinity };
        let ratio = Infinity;
        for (let attempt = 0; attempt < 2 && ratio >= 32; attempt++) {
          a.ms = Math.min(a.ms, timeEncode(tok, small).ms, timeEncode(tok, small).ms);
          b.ms = Math.min(b.ms, timeEncode(tok, large).ms);
          // Below 20 ms timer, cache and GC noise dominate: such a size is fast whatever the curve.
          ratio = b.ms / Math.max(a.ms, 20);
        }
        rows.push(`${kind}: ${a.ms.toFixed(1)} -> ${b.ms.toFixed(1)} ms (x${ratio.toFixed(2)})`);
        assert.ok(ratio < 32, `${t.name} ${kind}: ${rows[rows.length - 1]}`);
        // And the encodings cover the text: offsets in range.
        const e = tok.encode(large.slice(0, 4096));
        for (const [s, end] of e.offsets) assert.ok(s >= 0 && s <= end && end <= 4096);
      }
    });
  }
});

import assert from 'node:assert/strict';
import { padBatch, rowLengths, splitByPadding } from '../src/modules/tokenized_batch.js';

/** A right-padded batch whose row i has lengths[i] tokens, ids 100*i + j, type ids j % 2. */
function batchOf(lengths: number[]) {
  return padBatch(
    lengths.map((n, i) => ({ ids: Array.from({ length: n }, (_, j) => 100 * i + j), typeIds: Array.from({ length: n }, (_, j) => j % 2) })),
    0,
    true,
  );
}

describe('length-aware sub-batches (splitByPadding)', () => {
  it('a batch with little padding stays one batch (the same object)', () => {
    const b = batchOf([20, 19, 20, 18]);
    const parts = splitByPadding(b);
    assert.equal(parts.length, 1);
    assert.equal(parts[0].batch, b);
    assert.deepEqual(parts[0].rows, [0, 1, 2, 3]);
  });

  it('rows are grouped longest first, each group re-padded to its own longest row, every row exactly once', () => {
    const lengths = [5, 200, 7, 190, 60, 6, 58, 195, 5, 61];
    const b = batchOf(lengths);
    const parts = splitByPadding(b, { maxWaste: 0.1, minTokens: 4 });
    assert.deepEqual(parts.map((p) => p.rows), [[1, 7, 3], [9, 4, 6], [2, 5], [0, 8]]);
    const seen = parts.flatMap((p) => p.rows).sort((x, y) => x - y);
    assert.deepEqual(seen, lengths.map((_, i) => i));
    for (const p of parts) {
      const own = rowLengths(p.batch);
      assert.equal(p.batch.seqLength, Math.max(...p.rows.map((r) => lengths[r])));
      p.rows.forEach((r, i) => {
        assert.equal(own[i], lengths[r]);
        const ids = Array.from(p.batch.inputIds.subarray(i * p.batch.seqLength, i * p.batch.seqLength + lengths[r]));
        assert.deepEqual(ids, Array.from({ length: lengths[r] }, (_, j) => 100 * r + j));
        const types = Array.from(p.batch.tokenTypeIds!.subarray(i * p.batch.seqLength, i * p.batch.seqLength + lengths[r]));
        assert.deepEqual(types, Array.from({ length: lengths[r] }, (_, j) => j % 2));
      });
      const real = p.rows.reduce((a, r) => a + lengths[r], 0);
      assert.ok(p.batch.batchSize * p.batch.seqLength <= 1.1 * real, `group ${p.rows} wastes more than 10%`);
    }
  });

  it('a group keeps taking rows until it holds minTokens real tokens', () => {
    const b = batchOf([40, 10, 10, 10, 10]);
    assert.deepEqual(splitByPadding(b, { minTokens: 60 }).map((p) => p.rows), [[0, 1, 2], [3, 4]]);
    assert.equal(splitByPadding(b, { minTokens: 1000 }).length, 1);
  });

  it('a mask that is not right padding leaves the batch whole', () => {
    const b = batchOf([3, 30]);
    b.attentionMask[0] = 0; // row 0 now starts with padding
    b.attentionMask[2] = 1;
    b.attentionMask[3] = 1;
    assert.equal(splitByPadding(b, { minTokens: 1 }).length, 1);
  });
});

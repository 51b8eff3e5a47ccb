/**
 * The output of the tokenizer for one input (single sequence or pair): ids, tokens, type ids, offsets,
 * masks, word ids, and the overflowing parts produced by truncation (HF `Encoding`).
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/encoding.rs
 */
import type { Offsets } from './types.js';

/** The output of `Tokenizer.encode`: ids, type ids, tokens, offsets and masks (Rust `tokenizers.Encoding`). */
export class Encoding {
  /** Token ids. */
  ids: number[];
  /** Token type (segment) ids. */
  typeIds: number[];
  /** Token strings. */
  tokens: string[];
  /** Index of the word (pre-token) each token comes from; null for special and padding tokens. */
  wordIds: (number | null)[];
  /** UTF-16 offsets in the original input of the sequence the token comes from; [0, 0] for special tokens. */
  offsets: Offsets[];
  /** 1 for tokens added by the post-processor or padding, else 0. */
  specialTokensMask: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** Further windows produced by truncation (with stride), each a full Encoding. */
  overflowing: Encoding[];
  /** Sequence id -> [start, end) token range (lost on truncation, as in HF). */
  sequenceRanges: Map<number, [number, number]>;

  constructor(
    ids: number[] = [],
    typeIds: number[] = [],
    tokens: string[] = [],
    wordIds: (number | null)[] = [],
    offsets: Offsets[] = [],
    specialTokensMask: number[] = [],
    attentionMask: number[] = [],
    overflowing: Encoding[] = [],
    sequenceRanges: Map<number, [number, number]> = new Map(),
  ) {
    this.ids = ids;
    this.typeIds = typeIds;
    this.tokens = tokens;
    this.wordIds = wordIds;
    this.offsets = offsets;
    this.specialTokensMask = specialTokensMask;
    this.attentionMask = attentionMask;
    this.overflowing = overflowing;
    this.sequenceRanges = sequenceRanges;
  }

  /** Number of tokens. */
  get length(): number {
    return this.ids.length;
  }

  /** A deep copy (overflowing encodings included). */
  clone(): Encoding {
    return new Encoding(
      this.ids.slice(), this.typeIds.slice(), this.tokens.slice(), this.wordIds.slice(),
      this.offsets.map((o) => [o[0], o[1]] as Offsets), this.specialTokensMask.slice(), this.attentionMask.slice(),
      this.overflowing.map((o) => o.clone()), new Map(this.sequenceRanges),
    );
  }

  /** Number of sequences (1, or 2 for a pair) when known. */
  nSequences(): number {
    return this.sequenceRanges.size === 0 ? 1 : this.sequenceRanges.size;
  }

  /** Marks the whole encoding as sequence `id`. */
  setSequenceId(id: number): void {
    this.sequenceRanges.set(id, [0, this.length]);
  }

  /** Sequence id of every token (null for tokens outside any sequence range). */
  sequenceIds(): (number | null)[] {
    const out: (number | null)[] = new Array(this.length).fill(null);
    for (const [id, [s, e]] of this.sequenceRanges) for (let i = s; i < e; i++) out[i] = id;
    return out;
  }

  /** Replaces the token type (segment) ids. */
  setTypeIds(typeIds: number[]): void {
    this.typeIds = typeIds;
  }

  private part(start: number, stop: number): Encoding {
    return new Encoding(
      this.ids.slice(start, stop), this.typeIds.slice(start, stop), this.tokens.slice(start, stop),
      this.wordIds.slice(start, stop), this.offsets.slice(start, stop).map((o) => [o[0], o[1]] as Offsets), this.specialTokensMask.slice(start, stop),
      this.attentionMask.slice(start, stop),
    );
  }

  /**
   * Keeps at most `maxLen` tokens; the rest goes to `overflowing`, in windows overlapping by `stride`
   * tokens (HF `Encoding::truncate`).
   */
  truncate(maxLen: number, stride: number, direction: 'Right' | 'Left'): void {
    const len = this.ids.length;
    if (maxLen >= len) return;
    if (maxLen === 0) {
      const o = new Encoding(
        this.ids, this.typeIds, this.tokens, this.wordIds, this.offsets, this.specialTokensMask,
        this.attentionMask, this.overflowing, this.sequenceRanges,
      );
      Object.assign(this, new Encoding());
      this.overflowing.push(o);
      return;
    }
    if (!(stride < maxLen)) {
      throw new RangeError(`truncate: stride must be strictly less than max length (${maxLen}, after removing the special tokens' room), got ${stride}`);
    }
    this.sequenceRanges = new Map();
    const step = maxLen - stride;
    const parts: [number, number][] = [];
    if (direction === 'Right') {
      for (let start = 0; start < len; start += step) {
        const stop = Math.min(start + maxLen, len);
        parts.push([start, stop]);
        if (stop === len) break;
      }
    } else {
      for (let s = len - 1; s >= 0; s -= step) {
        const stop = s + 1;
        const start = stop < maxLen ? 0 : stop - maxLen;
        if (start < stop) parts.push([start, stop]);
        if (start === 0) break;
      }
    }
    const main = this.part(parts[0][0], parts[0][1]);
    for (let i = 1; i < parts.length; i++) main.overflowing.push(this.part(parts[i][0], parts[i][1]));
    Object.assign(this, main);
  }

  /**
   * Appends `pair` (and combines the overflowing parts of both, as HF `merge_with`). `pair` is only read
   * (its values are copied).
   */
  mergeWith(pair: Encoding, growingOffsets: boolean): void {
    const overflowings: Encoding[] = [];
    for (const selfO of this.overflowing) {
      const n = selfO.clone();
      n.mergeWith(pair, growingOffsets);
      overflowings.push(n);
      for (const otherO of pair.overflowing) {
        const m = selfO.clone();
        m.mergeWith(otherO, growingOffsets);
        overflowings.push(m);
      }
    }
    for (const otherO of pair.overflowing) {
      const n = this.clone();
      n.mergeWith(otherO, growingOffsets);
      overflowings.push(n);
    }
    const originalLen = this.length;
    for (const [id, [s, e]] of pair.sequenceRanges) this.sequenceRanges.set(id, [originalLen + s, originalLen + e]);
    const shift = growingOffsets && this.offsets.length > 0 ? this.offsets[this.offsets.length - 1][1] : 0;
    const n = pair.ids.length;
    for (let i = 0; i < n; i++) {
      this.ids.push(pair.ids[i]);
      this.typeIds.push(pair.typeIds[i]);
      this.tokens.push(pair.tokens[i]);
      this.wordIds.push(pair.wordIds[i]);
      const o = pair.offsets[i];
      this.offsets.push([o[0] + shift, o[1] + shift]);
      this.specialTokensMask.push(pair.specialTokensMask[i]);
      this.attentionMask.push(pair.attentionMask[i]);
    }
    this.overflowing = overflowings;
  }

  /** Merges encodings in order (HF `Encoding::merge`). */
  static merge(encodings: Encoding[], growingOffsets: boolean): Encoding {
    // Merging a single encoding into an empty one gives the same values: hand it back as is.
    if (encodings.length === 1 && !growingOffsets) return encodings[0];
    const out = new Encoding();
    for (const e of encodings) out.mergeWith(e, growingOffsets);
    return out;
  }

  /** Pads to `targetLength` (overflowing parts too), as HF `Encoding::pad`. */
  pad(targetLength: number, padId: number, padTypeId: number, padToken: string, direction: 'Right' | 'Left'): void {
    for (const o of this.overflowing) o.pad(targetLength, padId, padTypeId, padToken, direction);
    const n = targetLength - this.ids.length;
    if (n <= 0) return;
    if (direction === 'Left') {
      const fill = <T>(v: T): T[] => new Array<T>(n).fill(v);
      const offs = (): Offsets[] => Array.from({ length: n }, () => [0, 0] as Offsets);
      this.ids = fill(padId).concat(this.ids);
      this.typeIds = fill(padTypeId).concat(this.typeIds);
      this.tokens = fill(padToken).concat(this.tokens);
      this.wordIds = fill<number | null>(null).concat(this.wordIds);
      this.attentionMask = fill(0).concat(this.attentionMask);
      this.specialTokensMask = fill(1).concat(this.specialTokensMask);
      this.offsets = offs().concat(this.offsets);
      for (const [id, [s, e]] of this.sequenceRanges) this.sequenceRanges.set(id, [s + n, e + n]);
    } else {
      for (let i = 0; i < n; i++) {
        this.ids.push(padId);
        this.typeIds.push(padTypeId);
        this.tokens.push(padToken);
        this.wordIds.push(null);
        this.attentionMask.push(0);
        this.specialTokensMask.push(1);
        this.offsets.push([0, 0]);
      }
    }
  }
}

/**
 * A string split into pieces (HF `PreTokenizedString`): each split is a NormalizedString, and once the model
 * (or the added vocabulary) has run, its tokens. Pre-tokenizers only touch splits without tokens.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/pre_tokenizer.rs
 */
import { Encoding } from './encoding.js';
import { NormalizedString } from './normalized_string.js';
import type { Offsets, Token } from './types.js';

/** One piece of a {@link PreTokenizedString}: its normalized text and, once the model has run, its tokens. */
export interface Split {
  normalized: NormalizedString;
  tokens: Token[] | null;
}

/** A string split by pre-tokenizers into aligned pieces, each later tokenized by the model (Rust `PreTokenizedString`). */
export class PreTokenizedString {
  readonly original: string;
  splits: Split[];

  constructor(original: string) {
    this.original = original;
    this.splits = [{ normalized: new NormalizedString(original), tokens: null }];
  }

  /**
   * Replaces every split without tokens by what `fn` returns (NormalizedStrings, or Splits that may carry
   * tokens); empty pieces are dropped.
   */
  split(fn: (index: number, normalized: NormalizedString) => Array<NormalizedString | Split>): void {
    const out: Split[] = [];
    for (let i = 0; i < this.splits.length; i++) {
      const sp = this.splits[i];
      if (sp.tokens !== null) {
        out.push(sp);
        continue;
      }
      for (const r of fn(i, sp.normalized)) {
        const s: Split = r instanceof NormalizedString ? { normalized: r, tokens: null } : r;
        if (s.normalized.normalized.length > 0) out.push(s);
      }
    }
    this.splits = out;
  }

  /** Applies `fn` to every split without tokens. */
  normalize(fn: (normalized: NormalizedString) => void): void {
    for (const sp of this.splits) if (sp.tokens === null) fn(sp.normalized);
  }

  /** Runs the model on every split without tokens. */
  tokenize(fn: (normalized: NormalizedString) => Token[]): void {
    for (const sp of this.splits) if (sp.tokens === null) sp.tokens = fn(sp.normalized);
  }

  /** Runs `model.tokenize` on the normalized text of every split without tokens. */
  tokenizeWith(model: { tokenize(sequence: string): Token[] }): void {
    const splits = this.splits;
    for (let i = 0; i < splits.length; i++) {
      const sp = splits[i];
      if (sp.tokens === null) sp.tokens = model.tokenize(sp.normalized.normalized);
    }
  }

  /** The splits as (normalized text, original offsets) pairs, for inspection. */
  getSplits(): Array<[string, Offsets]> {
    return this.splits.map((s) => [s.normalized.normalized, s.normalized.offsetsOriginal()]);
  }

  /**
   * Builds the Encoding: token offsets are mapped back to the original input (HF `into_encoding`).
   * `wordIdx` non-null gives every token that word id, else each split is a word.
   */
  intoEncoding(wordIdx: number | null, typeId: number): Encoding {
    const ids: number[] = [];
    const tokens: string[] = [];
    const offsets: Offsets[] = [];
    const words: (number | null)[] = [];
    for (let i = 0; i < this.splits.length; i++) {
      const { normalized, tokens: toks } = this.splits[i];
      if (toks === null) throw new Error('PreTokenizedString.intoEncoding: a split has not been tokenized');
      const shift = normalized.originalShift;
      for (const t of toks) {
        const r = normalized.normalizedToOriginal(t.offsets[0], t.offsets[1]);
        ids.push(t.id);
        tokens.push(t.value);
        offsets.push(r === null ? [t.offsets[0], t.offsets[1]] : [shift + r[0], shift + r[1]]);
        words.push(wordIdx ?? i);
      }
    }
    const n = ids.length;
    return new Encoding(ids, new Array<number>(n).fill(typeId), tokens, words, offsets,
      new Array<number>(n).fill(0), new Array<number>(n).fill(1));
  }
}

/**
 * Added tokens (special or not) and how they are found in the input before anything else: tokens with
 * `normalized: false` are matched on the raw text first, then each remaining piece is normalized and the
 * `normalized: true` tokens (themselves normalized) are matched on it. Matching is leftmost-longest; `single_word`,
 * `lstrip` and `rstrip` behave as in HF.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/added_vocabulary.rs
 */
import { NormalizedString } from './normalized_string.js';
import { PreTokenizedString, type Split } from './pre_tokenized_string.js';
import type { Model, Normalizer, Offsets } from './types.js';

/** An added token and its matching options (HF `AddedToken`). */
export interface AddedToken {
  content: string;
  /** Only match when not surrounded by word characters. */
  singleWord: boolean;
  /** Also swallow the whitespace on the left. */
  lstrip: boolean;
  /** Also swallow the whitespace on the right. */
  rstrip: boolean;
  /** Match on the normalized text (else on the raw text). */
  normalized: boolean;
  /** A special token: skipped by `decode(..., { skipSpecialTokens: true })`. */
  special: boolean;
}

/** Defaults as HF `AddedToken::from(content, special)`: normalized is the opposite of special. */
export function addedToken(content: string, special: boolean, opts: Partial<AddedToken> = {}): AddedToken {
  return { content, singleWord: false, lstrip: false, rstrip: false, normalized: !special, special, ...opts };
}

const WORD_CHAR = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const WHITE_SPACE = /^\p{White_Space}$/u;

/** Whether the code point of `s` ending at `end` (exclusive) is a word character (HF `ends_with_word`). */
function wordCharBefore(s: string, end: number): boolean {
  let i = end - 1;
  const c = s.charCodeAt(i);
  if ((c & 0xfc00) === 0xdc00 && i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800) i--;
  return WORD_CHAR.test(String.fromCodePoint(s.codePointAt(i)!));
}

/** Whether the code point of `s` at `start` is a word character (HF `starts_with_word`). */
function wordCharAt(s: string, start: number): boolean {
  return WORD_CHAR.test(String.fromCodePoint(s.codePointAt(start)!));
}

/** Whether the UTF-16 unit is White_Space (every White_Space character is in the BMP). */
function isSpaceUnit(c: number): boolean {
  return c < 0x80 ? c === 0x20 || (c >= 0x09 && c <= 0x0d) : WHITE_SPACE.test(String.fromCharCode(c));
}

interface Pattern {
  content: string;
  id: number;
}

/** UTF-16 unit of `s` at `i`, or -1 past its end (so shorter strings sort first, as in JS string order). */
function unitAt(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : -1;
}

/**
 * Leftmost-longest multi-pattern matcher (same results as aho-corasick's LeftmostLongest): the distinct
 * patterns sorted by UTF-16 units, so that those sharing a prefix form a contiguous range, narrowed one unit
 * at a time by binary search from each text position (a compact trie: no object per node, whatever the size
 * of the added vocabulary). The first position with a match takes its longest pattern, and the scan goes on
 * after it. Positions whose unit starts no pattern are skipped by a bitmap. Time: the text's length times at
 * most the longest pattern's length times log(patterns), bounded by the tokenizer, not by the input.
 */
class Matcher {
  private readonly sorted: string[];
  private readonly ids = new Map<string, number>();
  private readonly first = new Uint8Array(65536);
  readonly size: number;

  constructor(patterns: Pattern[]) {
    // Among equal contents the first added wins.
    for (const p of patterns) if (p.content.length > 0 && !this.ids.has(p.content)) this.ids.set(p.content, p.id);
    this.sorted = [...this.ids.keys()].sort();
    for (const c of this.sorted) this.first[c.charCodeAt(0)] = 1;
    this.size = this.sorted.length;
  }

  /** First index in [lo, hi) whose unit at `depth` is >= `unit` (or > `unit` when `after`). */
  private bound(lo: number, hi: number, depth: number, unit: number, after: boolean): number {
    const a = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const u = unitAt(a[mid], depth);
      if (u < unit || (after && u === unit)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Non-overlapping matches as flat [start, end, id] triples. */
  find(s: string): number[] {
    const out: number[] = [];
    if (this.size === 0) return out;
    const sorted = this.sorted;
    const first = this.first;
    const n = s.length;
    let i = 0;
    while (i < n) {
      if (first[s.charCodeAt(i)] === 0) {
        i++;
        continue;
      }
      let lo = 0;
      let hi = sorted.length;
      let best: string | undefined;
      for (let j = i; j < n && lo < hi; j++) {
        const depth = j - i;
        const unit = s.charCodeAt(j);
        lo = this.bound(lo, hi, depth, unit, false);
        hi = this.bound(lo, hi, depth, unit, true);
        // The shortest string of the range comes first: it is the pattern s[i..j] itself when there is one.
        if (lo < hi && sorted[lo].length === depth + 1) best = sorted[lo];
      }
      if (best === undefined) {
        i++;
        continue;
      }
      out.push(i, i + best.length, this.ids.get(best)!);
      i += best.length;
    }
    return out;
  }
}

export class AddedVocabulary {
  private readonly map = new Map<string, number>();
  private readonly mapR = new Map<number, AddedToken>();
  private readonly added: AddedToken[] = [];
  private readonly special: AddedToken[] = [];
  private readonly specialSet = new Set<string>();
  private rawMatcher = new Matcher([]);
  private normalizedMatcher = new Matcher([]);
  /** When true, special tokens written in the text are not matched (HF `encode_special_tokens`). */
  encodeSpecialTokens = false;

  /** Number of added tokens. */
  get size(): number {
    return this.map.size;
  }

  /** The added tokens by id. */
  getAddedTokensDecoder(): Map<number, AddedToken> {
    return new Map(this.mapR);
  }

  /** content -> id of the added tokens. */
  getVocab(): Map<string, number> {
    return new Map(this.map);
  }

  tokenToId(token: string, model: Model): number | undefined {
    return this.map.get(token) ?? model.tokenToId(token);
  }

  /** The content of an added token id (no model lookup). */
  idToToken(id: number): string | undefined {
    return this.mapR.get(id)?.content;
  }

  isSpecialToken(content: string): boolean {
    return this.specialSet.has(content);
  }

  /**
   * Adds tokens (HF `add_tokens`): a token already in the model vocabulary keeps its id; else it takes
   * `ids[i]` when given (the id recorded in tokenizer.json) or the next free id.
   */
  addTokens(tokens: AddedToken[], model: Model, normalizer: Normalizer | null, ids?: (number | undefined)[]): number {
    for (const t of tokens) {
      if (t.special && t.content.length > 0 && !this.specialSet.has(t.content)) {
        this.special.push(t);
        this.specialSet.add(t.content);
      }
    }
    let ignored = 0;
    // An identical token (content and every flag) already added is ignored. Looked up by signature: a scan of
    // every added token per token is quadratic (Gemma 3 adds 6,415).
    const signature = (v: AddedToken): string => `${+v.singleWord}${+v.lstrip}${+v.rstrip}${+v.normalized}${+v.special}${v.content}`;
    const present = new Set<string>();
    for (const v of this.mapR.values()) present.add(signature(v));
    let max = -1;
    for (const v of this.map.values()) max = Math.max(max, v);
    tokens.forEach((t, i) => {
      if (t.content.length === 0) { ignored++; return; }
      if (present.has(signature(t))) {
        ignored++;
        return;
      }
      let id = this.tokenToId(t.content, model) ?? ids?.[i];
      if (id === undefined) {
        const vs = model.getVocabSize();
        id = max < 0 ? vs : max >= vs || vs === 0 ? max + 1 : vs;
      }
      max = Math.max(max, id);
      const replaced = this.mapR.get(id);
      if (replaced) present.delete(signature(replaced));
      this.map.set(t.content, id);
      this.mapR.set(id, t);
      present.add(signature(t));
      if (!this.specialSet.has(t.content)) this.added.push(t);
    });
    this.refresh(model, normalizer);
    return tokens.length - ignored;
  }

  private refresh(model: Model, normalizer: Normalizer | null): void {
    const raw: Pattern[] = [];
    const norm: Pattern[] = [];
    for (const t of [...this.special, ...this.added]) {
      const id = this.tokenToId(t.content, model);
      if (id === undefined) throw new Error(`added token ${JSON.stringify(t.content)} has no id`);
      if (t.normalized) {
        const n = new NormalizedString(t.content);
        normalizer?.normalize(n);
        norm.push({ content: n.normalized, id });
      } else raw.push({ content: t.content, id });
    }
    this.rawMatcher = new Matcher(raw);
    this.normalizedMatcher = new Matcher(norm);
  }

  private findMatches(sentence: string, matcher: Matcher): Array<[number | null, Offsets]> {
    if (sentence.length === 0) return [[null, [0, 0]]];
    const splits: Array<[number | null, Offsets]> = [];
    let startOffset = 0;
    // The last whitespace run scanned for rstrip: [runStart, runEnd) is whitespace and runEnd is not.
    let runStart = -1;
    let runEnd = -1;
    const found = matcher.find(sentence);
    for (let k = 0; k < found.length; k += 3) {
      let start = found[k];
      let stop = found[k + 1];
      const id = found[k + 2];
      const tok = this.mapR.get(id)!;
      if (this.encodeSpecialTokens && this.specialSet.has(tok.content)) continue;
      if (tok.singleWord) {
        const startSpace = start === 0 || !wordCharBefore(sentence, start);
        const stopSpace = stop === sentence.length || !wordCharAt(sentence, stop);
        if (!startSpace || !stopSpace) continue;
      }
      if (tok.lstrip) {
        // The whitespace before the match, back to the previous split at most (HF takes max(newstart,
        // start_offset)): each unit is scanned once over the whole sentence.
        let k = start;
        while (k > startOffset && isSpaceUnit(sentence.charCodeAt(k - 1))) k--;
        start = Math.max(k, startOffset);
      }
      if (tok.rstrip) {
        // A run already scanned is not scanned again (tokens that are themselves whitespace could overlap it).
        if (stop >= runStart && stop <= runEnd) stop = runEnd;
        else {
          runStart = stop;
          while (stop < sentence.length && isSpaceUnit(sentence.charCodeAt(stop))) stop++;
          runEnd = stop;
        }
      }
      // A previous rstrip reached past this whole match (an lstrip token met inside whitespace it swallowed):
      // HF panics ("AddedVocabulary bad split"); the match is dropped instead.
      if (start > stop) continue;
      if (startOffset < start) splits.push([null, [startOffset, start]]);
      splits.push([id, [start, stop]]);
      startOffset = stop;
    }
    if (startOffset !== sentence.length) splits.push([null, [startOffset, sentence.length]]);
    return splits;
  }

  /** Appends to `out` the pieces of `n` around the added tokens found by `matcher` (non-empty ones only). */
  private splitWithIndices(n: NormalizedString, matcher: Matcher, out: Split[]): void {
    if (matcher.size === 0) {
      if (n.normalized.length > 0) out.push({ normalized: n, tokens: null });
      return;
    }
    for (const [id, [s, e]] of this.findMatches(n.normalized, matcher)) {
      const slice = n.slice(s, e);
      if (slice === null) throw new Error('AddedVocabulary: bad split');
      if (slice.normalized.length === 0) continue;
      if (id === null) out.push({ normalized: slice, tokens: null });
      else out.push({ normalized: slice, tokens: [{ id, value: slice.normalized, offsets: [0, slice.normalized.length] }] });
    }
  }

  /** Splits out the added tokens, normalizing the other pieces (HF `extract_and_normalize`). */
  extractAndNormalize(normalizer: Normalizer | null, sequence: string): PreTokenizedString {
    const p = new PreTokenizedString(sequence);
    let splits: Split[] = p.splits;
    if (this.rawMatcher.size > 0) {
      const next: Split[] = [];
      for (const sp of splits) this.splitWithIndices(sp.normalized, this.rawMatcher, next);
      splits = next;
    }
    const out: Split[] = [];
    for (const sp of splits) {
      if (sp.tokens !== null) {
        out.push(sp);
        continue;
      }
      normalizer?.normalize(sp.normalized);
      this.splitWithIndices(sp.normalized, this.normalizedMatcher, out);
    }
    p.splits = out;
    return p;
  }
}

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

/**
 * Leftmost-longest multi-pattern matcher (same results as aho-corasick's LeftmostLongest): an Aho–Corasick
 * automaton over UTF-16 units. The trie is flat (typed arrays per node, one Map from node and unit to child), so
 * a large added vocabulary (Gemma 3's 6,415 tokens) costs no object per node. The scan keeps the match with the
 * leftmost start seen so far (the longest one among those ending at a position: the node itself when it ends a
 * pattern, else its nearest pattern-ending suffix). Once the automaton's current node starts after that
 * candidate (no pattern still being read can start at or before it), the candidate is final: it is emitted and
 * the scan restarts after it. Each unit is read once, plus the units read past a candidate while a longer pattern
 * from the same start was still possible (at most the longest pattern's length per match). Time: linear in the
 * text, whatever the tokenizer, except on texts where every short match is followed by a near miss of a long
 * token (`aa` then `aaaa…` with tokens `aa` and `a…ab`): O(text x longest pattern) there, as aho-corasick's
 * LeftmostLongest, which must read ahead for the longer token before it can report the short one. The trie this
 * replaced was O(text x longest pattern) on any near miss (4.8 s for 64 KiB of `a` against one 2,001-unit token).
 */
class Matcher {
  /** Child of (node, unit): key node * 65536 + unit. */
  private readonly next = new Map<number, number>();
  private readonly fail: Int32Array;
  private readonly depth: Int32Array;
  /** The pattern id ending at the node, or -1. */
  private readonly term: Int32Array;
  /** The nearest proper suffix node that ends a pattern, or -1. */
  private readonly dict: Int32Array;
  readonly size: number;

  constructor(patterns: Pattern[]) {
    // Among equal contents the first added wins.
    const ids = new Map<string, number>();
    for (const p of patterns) if (p.content.length > 0 && !ids.has(p.content)) ids.set(p.content, p.id);
    this.size = ids.size;
    let total = 1;
    for (const c of ids.keys()) total += c.length;
    const depth = new Int32Array(total);
    const term = new Int32Array(total).fill(-1);
    const firstChild = new Int32Array(total).fill(-1);
    const sibling = new Int32Array(total).fill(-1);
    const unitOf = new Int32Array(total);
    let nodes = 1;
    for (const [c, id] of ids) {
      let v = 0;
      for (let i = 0; i < c.length; i++) {
        const u = c.charCodeAt(i);
        const key = v * 65536 + u;
        let w = this.next.get(key);
        if (w === undefined) {
          w = nodes++;
          this.next.set(key, w);
          depth[w] = depth[v] + 1;
          unitOf[w] = u;
          sibling[w] = firstChild[v];
          firstChild[v] = w;
        }
        v = w;
      }
      term[v] = id;
    }
    const fail = new Int32Array(nodes);
    const dict = new Int32Array(nodes).fill(-1);
    // Breadth-first: a node's failure link is its parent's failure path followed by the node's unit.
    const queue = new Int32Array(nodes);
    let head = 0;
    let tail = 0;
    for (let w = firstChild[0]; w >= 0; w = sibling[w]) queue[tail++] = w;
    while (head < tail) {
      const v = queue[head++];
      for (let w = firstChild[v]; w >= 0; w = sibling[w]) {
        const u = unitOf[w];
        let f = fail[v];
        while (f > 0 && !this.next.has(f * 65536 + u)) f = fail[f];
        const g = this.next.get(f * 65536 + u);
        fail[w] = g !== undefined && g !== w ? g : 0;
        dict[w] = term[fail[w]] >= 0 ? fail[w] : dict[fail[w]];
        queue[tail++] = w;
      }
    }
    this.fail = fail;
    this.depth = depth.subarray(0, nodes);
    this.term = term.subarray(0, nodes);
    this.dict = dict;
  }

  /** Non-overlapping matches as flat [start, end, id] triples. */
  find(s: string): number[] {
    const out: number[] = [];
    if (this.size === 0) return out;
    const { next, fail, depth, term, dict } = this;
    const n = s.length;
    let v = 0;
    let j = 0;
    let candStart = -1;
    let candEnd = -1;
    let candId = -1;
    for (;;) {
      if (j < n) {
        const u = s.charCodeAt(j++);
        let w = next.get(v * 65536 + u);
        while (w === undefined && v > 0) {
          v = fail[v];
          w = next.get(v * 65536 + u);
        }
        v = w ?? 0;
        const t = term[v] >= 0 ? v : dict[v];
        if (t >= 0) {
          const start = j - depth[t];
          if (candStart < 0 || start < candStart || (start === candStart && j > candEnd)) {
            candStart = start;
            candEnd = j;
            candId = term[t];
          }
        }
        if (candStart < 0 || j - depth[v] <= candStart) continue;
      } else if (candStart < 0) break;
      // The candidate can no longer grow or be preceded: emit it and scan again from its end.
      out.push(candStart, candEnd, candId);
      j = candEnd;
      v = 0;
      candStart = -1;
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

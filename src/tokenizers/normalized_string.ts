/**
 * A string being normalized, that remembers for every UTF-16 unit of the normalized text which [start, end)
 * range of the ORIGINAL text it comes from (HF `NormalizedString` with its `alignments`, here in UTF-16 units
 * instead of bytes: every unit of a code point carries the range of the whole original code point(s)).
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/normalizer.rs
 */
import { findMatches, type Pattern } from './pattern.js';
import type { Offsets, SplitDelimiterBehavior } from './types.js';
import { isWhitespace as isWhitespaceCp } from './unicode.js';
import { compose, decompose } from './unicode_normalize.js';

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** Number of UTF-16 units of a code point. */
const width = (cp: number): number => (cp > 0xffff ? 2 : 1);

/** The code points of a string, as numbers. */
export function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i)!;
    out.push(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return out;
}

const lowerCache = new Map<number, string>();
const upperCache = new Map<number, string>();

/** Per-code-point lowercase (Rust `char::to_lowercase`: no context, so a final sigma stays σ). */
export function lowerOf(cp: number): string {
  let r = lowerCache.get(cp);
  if (r === undefined) {
    r = String.fromCodePoint(cp).toLowerCase();
    lowerCache.set(cp, r);
  }
  return r;
}

function upperOf(cp: number): string {
  let r = upperCache.get(cp);
  if (r === undefined) {
    r = String.fromCodePoint(cp).toUpperCase();
    upperCache.set(cp, r);
  }
  return r;
}

/**
 * A sequence of (code point, change) pairs for `transform`: change 0 replaces one original code point,
 * +n inserts (n is 1 for each inserted code point), -n replaces one code point and removes n more after it.
 */
interface Transformation {
  cps: number[];
  changes: number[];
}

/** A string under normalization that keeps the alignment of every character to the original (Rust `NormalizedString`). */
export class NormalizedString {
  /** The original text (of this slice). */
  readonly original: string;
  /** The current normalized text. */
  normalized: string;
  /**
   * Flat pairs: [2i], [2i+1] = original range of normalized unit i. null means "identity": unit i comes
   * from the code point of `original` that covers unit i (normalized has the same unit layout as original).
   */
  private align: number[] | null;
  /** Where `original` starts inside the full original input. */
  originalShift: number;

  constructor(original: string, normalized?: string, alignments?: number[] | null, originalShift = 0) {
    this.original = original;
    this.normalized = normalized ?? original;
    this.align = normalized === undefined ? null : (alignments ?? []);
    this.originalShift = originalShift;
  }

  /** Flat alignment pairs (materialized on demand). */
  get alignments(): number[] {
    if (this.align === null) this.align = identityAlignments(this.original);
    return this.align;
  }

  set alignments(a: number[]) {
    this.align = a;
  }

  /**
   * The normalized text as code points with, for each, its original range (all units of a code point share
   * one range), written into typed arrays large enough for one entry per unit; returns the count.
   */
  toCodePointBuffers(cps: Int32Array, starts: Int32Array, ends: Int32Array): number {
    const s = this.normalized;
    const a = this.align;
    const o = this.original;
    let m = 0;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      cps[m] = cp;
      if (a === null) {
        const oc = o.codePointAt(i)!;
        starts[m] = i;
        ends[m] = i + (oc > 0xffff ? 2 : 1);
      } else {
        starts[m] = a[2 * i];
        ends[m] = a[2 * i + 1];
      }
      m++;
      i += cp > 0xffff ? 2 : 1;
    }
    return m;
  }

  /** Replaces the normalized text by the first `len` code points of `cps`, with their original ranges. */
  setCodePointBuffers(cps: Int32Array, starts: Int32Array, ends: Int32Array, len: number): void {
    const al: number[] = [];
    let out = '';
    let units: number[] = [];
    for (let k = 0; k < len; k++) {
      const cp = cps[k];
      if (cp > 0xffff) {
        const v = cp - 0x10000;
        units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
        al.push(starts[k], ends[k], starts[k], ends[k]);
      } else {
        units.push(cp);
        al.push(starts[k], ends[k]);
      }
      if (units.length >= 4096) {
        out += String.fromCharCode.apply(null, units); // spread-ok: units is flushed at 4096 code units
        units = [];
      }
    }
    if (units.length) out += String.fromCharCode.apply(null, units); // spread-ok: fewer than 4096 code units (flushed above)
    this.normalized = out;
    this.align = al;
  }

  /** The normalized text. */
  get(): string {
    return this.normalized;
  }

  /** The original text of this slice. */
  getOriginal(): string {
    return this.original;
  }

  /** Length of the normalized text in UTF-16 units. */
  len(): number {
    return this.normalized.length;
  }

  /** Length of the original text in UTF-16 units. */
  lenOriginal(): number {
    return this.original.length;
  }

  /** Whether the normalized text is empty. */
  isEmpty(): boolean {
    return this.normalized.length === 0;
  }

  /** The range of this slice inside the full original input. */
  offsetsOriginal(): Offsets {
    return [this.originalShift, this.originalShift + this.original.length];
  }

  /**
   * Converts a normalized range into the original range of this NormalizedString (HF `convert_offsets`
   * with `Range::Normalized`): from the start of the first unit's alignment to the end of the last one's.
   * An empty range is returned as is; null when out of bounds.
   */
  normalizedToOriginal(start: number, end: number): Offsets | null {
    if (start === end) return [start, end];
    if (start > end) return null;
    if (start < 0 || end > this.normalized.length) return null;
    if (this.align === null) {
      const o = this.original;
      const s0 = isLow(o.charCodeAt(start)) && start > 0 && isHigh(o.charCodeAt(start - 1)) ? start - 1 : start;
      const e0 = isHigh(o.charCodeAt(end - 1)) && end < o.length && isLow(o.charCodeAt(end)) ? end + 1 : end;
      return [s0, e0];
    }
    return [this.align[2 * start], this.align[2 * end - 1]];
  }

  /** Converts an original range into a normalized one (HF `convert_offsets` with `Range::Original`). */
  originalToNormalized(start: number, end: number): Offsets | null {
    if (start === end) return [start, end];
    if (start > end) return null;
    if (this.original.length === 0 && start === 0 && end === 0) return [0, this.normalized.length];
    let s: number | null = null;
    let e: number | null = null;
    const a = this.alignments;
    for (let i = 0; i < this.normalized.length; i++) {
      const as = a[2 * i], ae = a[2 * i + 1];
      if (!(end >= ae)) break;
      if (s === null && start <= as && as !== ae) s = i;
      e = i + 1;
    }
    if (s !== null && e === null) return [s, s];
    if (s === null && e !== null) return [e, e];
    if (s !== null && e !== null) return [s, e];
    return null;
  }

  /**
   * Replaces the normalized range [start, end) by the given code points (HF `transform_range`).
   * `initialOffset` code points of the range are removed before the first new one.
   */
  transformRange(start: number, end: number, cps: ArrayLike<number>, changes: ArrayLike<number>, initialOffset = 0): void {
    const old = this.alignments;
    const src = this.normalized;
    let offset = start;
    for (let k = 0; k < initialOffset && offset < end; k++) offset += width(src.codePointAt(offset)!);
    const newAlign: number[] = [];
    let out = '';
    const n = cps.length;
    for (let j = 0; j < n; j++) {
      const cp = cps[j];
      const change = changes[j];
      const idx = offset;
      let as: number, ae: number;
      if (change > 0) {
        if (idx < 1) { as = 0; ae = 0; } else { as = old[2 * idx - 2]; ae = old[2 * idx - 1]; }
      } else {
        as = old[2 * idx]; ae = old[2 * idx + 1];
        if (offset < end) offset += width(src.codePointAt(offset)!);
        for (let k = 0; k < -change && offset < end; k++) offset += width(src.codePointAt(offset)!);
      }
      if (cp > 0xffff) {
        newAlign.push(as, ae, as, ae);
        out += String.fromCodePoint(cp);
      } else {
        newAlign.push(as, ae);
        out += String.fromCharCode(cp);
      }
    }
    if (start === 0 && end === src.length) {
      this.alignments = newAlign;
      this.normalized = out;
    } else {
      this.alignments = old.slice(0, 2 * start).concat(newAlign, old.slice(2 * end));
      this.normalized = src.slice(0, start) + out + src.slice(end);
    }
  }

  /** Replaces the whole normalized text by the given (code point, change) sequence (HF `transform`). */
  transform(cps: ArrayLike<number>, changes: ArrayLike<number>, initialOffset = 0): void {
    this.transformRange(0, this.normalized.length, cps, changes, initialOffset);
  }

  /** Keeps only the code points for which `keep` is true (removed ones are attributed to the previous kept one). */
  filter(keep: (cp: number) => boolean): this {
    const s = this.normalized;
    let anyRemoved = false;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      if (!keep(cp)) { anyRemoved = true; break; }
      i += cp > 0xffff ? 2 : 1;
    }
    if (!anyRemoved) return this;
    const cps: number[] = [];
    const changes: number[] = [];
    let removed = 0;
    let removedStart = 0;
    let last = -1;
    let any = false;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      i += width(cp);
      if (keep(cp)) {
        if (last >= 0) { cps.push(last); changes.push(-removed); } else { removedStart = removed; }
        last = cp;
        removed = 0;
      } else {
        removed++;
        any = true;
      }
    }
    if (!any) return this;
    if (last >= 0) { cps.push(last); changes.push(-removed); }
    this.transform(cps, changes, removedStart);
    return this;
  }

  /** Maps every code point to exactly one code point. */
  map(f: (cp: number) => number): this {
    const s = this.normalized;
    let i0 = 0;
    for (; i0 < s.length; ) {
      const cp = s.codePointAt(i0)!;
      if (f(cp) !== cp) break;
      i0 += cp > 0xffff ? 2 : 1;
    }
    if (i0 >= s.length) return this;
    let out = '';
    let changed = false;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = width(cp);
      const r = f(cp);
      if (r !== cp) {
        changed = true;
        if (width(r) !== w) {
          // Width changes: go through transform to rebuild alignments.
          const cps = codePoints(s).map(f);
          this.transform(cps, new Array<number>(cps.length).fill(0));
          return this;
        }
      }
      out += String.fromCodePoint(r);
      i += w;
    }
    if (changed) this.normalized = out;
    return this;
  }

  /** Calls `f` on each code point of the normalized text. */
  forEach(f: (cp: number) => void): this {
    const s = this.normalized;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      f(cp);
      i += width(cp);
    }
    return this;
  }

  private caseMap(f: (cp: number) => string): this {
    const s = this.normalized;
    const lower = f === lowerOf;
    if (lower) {
      const l = s.toLowerCase();
      if (l === s) return this;
      // Without U+0130 (lowercases to two code points) and U+03A3 (final-sigma context in String#toLowerCase),
      // the string's lowercase is the per-code-point one, with the same layout.
      if (!/[\u0130\u03a3]/.test(s) && l.length === s.length) {
        this.normalized = l;
        return this;
      }
    }
    // Fast path: every code point maps to one of the same UTF-16 width, so alignments do not change.
    let out = '';
    let sameLayout = true;
    for (let i = 0; i < s.length; ) {
      const u = s.charCodeAt(i);
      if (u < 0x80) {
        out += String.fromCharCode(lower ? (u >= 65 && u <= 90 ? u + 32 : u) : (u >= 97 && u <= 122 ? u - 32 : u));
        i++;
        continue;
      }
      const cp = s.codePointAt(i)!;
      const w = width(cp);
      const m = f(cp);
      if (m.length !== w || (w === 2) !== (m.codePointAt(0)! > 0xffff)) { sameLayout = false; break; }
      out += m;
      i += w;
    }
    if (sameLayout) {
      this.normalized = out;
      return this;
    }
    const cps: number[] = [];
    const changes: number[] = [];
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      i += width(cp);
      const m = f(cp);
      let first = true;
      for (let j = 0; j < m.length; ) {
        const c = m.codePointAt(j)!;
        j += width(c);
        cps.push(c); changes.push(first ? 0 : 1);
        first = false;
      }
    }
    this.transform(cps, changes, 0);
    return this;
  }

  /** Lowercases code point by code point (Rust `char::to_lowercase`). */
  lowercase(): this {
    return this.caseMap(lowerOf);
  }

  /** Uppercases code point by code point (Rust `char::to_uppercase`). */
  uppercase(): this {
    return this.caseMap(upperOf);
  }

  /** Unicode NFD with alignments (as the Rust crate: its Unicode version, its canonical reordering). */
  nfd(): this { decompose(this, 'NFD'); return this; }
  /** Unicode NFKD with alignments. */
  nfkd(): this { decompose(this, 'NFKD'); return this; }
  /** Unicode NFC with alignments (decomposition, then the Rust crate's recomposition). */
  nfc(): this { compose(this, 'NFC'); return this; }
  /** Unicode NFKC with alignments. */
  nfkc(): this { compose(this, 'NFKC'); return this; }

  private lrstrip(left: boolean, right: boolean): this {
    const cps = codePoints(this.normalized);
    let lead = 0;
    if (left) while (lead < cps.length && isWhitespaceCp(cps[lead])) lead++;
    let trail = 0;
    if (right) while (trail < cps.length - lead && isWhitespaceCp(cps[cps.length - 1 - trail])) trail++;
    if (lead > 0 || trail > 0) {
      const kept = cps.slice(lead, cps.length - trail);
      const changes = new Array<number>(kept.length).fill(0);
      if (kept.length > 0) changes[kept.length - 1] = -trail;
      this.transform(kept, changes, lead);
    }
    return this;
  }

  /** Removes leading whitespace (Unicode White_Space). */
  lstrip(): this { return this.lrstrip(true, false); }
  /** Removes trailing whitespace. */
  rstrip(): this { return this.lrstrip(false, true); }
  /** Removes leading and trailing whitespace. */
  strip(): this { return this.lrstrip(true, true); }

  /** Prepends `s`; the new text shares the alignment of the first code point (no-op on an empty string). */
  prepend(s: string): this {
    if (this.normalized.length === 0) return this;
    const first = this.normalized.codePointAt(0)!;
    const cps = codePoints(s);
    const changes = cps.map((_, i) => (i === 0 ? 0 : 1));
    cps.push(first); changes.push(1);
    this.transformRange(0, width(first), cps, changes, 0);
    return this;
  }

  /** Appends `s`; the new text shares the alignment of the last code point (no-op on an empty string). */
  append(s: string): this {
    const n = this.normalized;
    if (n.length === 0) return this;
    const lo = n.charCodeAt(n.length - 1);
    const hi = n.length >= 2 ? n.charCodeAt(n.length - 2) : 0;
    const start = lo >= 0xdc00 && lo <= 0xdfff && hi >= 0xd800 && hi <= 0xdbff ? n.length - 2 : n.length - 1;
    const prev = n.codePointAt(start)!;
    const cps = [prev, ...codePoints(s)];
    const changes = cps.map((_, i) => (i === 0 ? 0 : 1));
    this.transformRange(start, n.length, cps, changes, 0);
    return this;
  }

  /**
   * Replaces every match of `pattern` by `content`: each new code point is aligned with the match's last unit
   * (as HF's transform with every content code point inserted after removing the match). One pass.
   */
  replace(pattern: Pattern, content: string): this {
    const src = this.normalized;
    const segs = findMatches(pattern, src);
    if (!segs.some((x) => x[2])) return this;
    const old = this.alignments;
    const al: number[] = [];
    let out = '';
    for (const [s, e, m] of segs) {
      if (!m) {
        out += src.slice(s, e);
        for (let i = 2 * s; i < 2 * e; i++) al.push(old[i]);
        continue;
      }
      if (e === s) continue;
      const as = old[2 * e - 2], ae = old[2 * e - 1];
      out += content;
      for (let i = 0; i < content.length; i++) al.push(as, ae);
    }
    this.normalized = out;
    this.alignments = al;
    return this;
  }

  /**
   * A new NormalizedString for the normalized range [start, end): its original is the original text that
   * range comes from. Null when the range is invalid.
   */
  slice(start: number, end: number): NormalizedString | null {
    const r = this.normalizedToOriginal(start, end);
    if (r === null) return null;
    const [os, oe] = r;
    if (this.align === null && os === start && oe === end) {
      // Identity stays identity on a slice at code point boundaries.
      const n = new NormalizedString(this.original.slice(os, oe), undefined, undefined, this.originalShift + os);
      if (this.normalized !== this.original) n.normalized = this.normalized.slice(start, end);
      return n;
    }
    const a = this.alignments.slice(2 * start, 2 * end);
    for (let i = 0; i < a.length; i++) a[i] -= os;
    return new NormalizedString(this.original.slice(os, oe), this.normalized.slice(start, end), a, this.originalShift + os);
  }

  /** Splits by `pattern`, treating the delimiters as `behavior` says (HF `NormalizedString::split`). */
  split(pattern: Pattern, behavior: SplitDelimiterBehavior): NormalizedString[] {
    const matches = findMatches(pattern, this.normalized);
    let spans: [number, number][];
    switch (behavior) {
      case 'Isolated':
        spans = matches.map(([s, e]) => [s, e]);
        break;
      case 'Removed':
        spans = matches.filter((m) => !m[2]).map(([s, e]) => [s, e]);
        break;
      case 'Contiguous': {
        spans = [];
        let prev = false;
        for (const [s, e, m] of matches) {
          if (m === prev && spans.length > 0) spans[spans.length - 1][1] = e;
          else spans.push([s, e]);
          prev = m;
        }
        break;
      }
      case 'MergedWithPrevious': {
        spans = [];
        let prev = false;
        for (const [s, e, m] of matches) {
          if (m && !prev && spans.length > 0) spans[spans.length - 1][1] = e;
          else spans.push([s, e]);
          prev = m;
        }
        break;
      }
      case 'MergedWithNext': {
        spans = [];
        let prev = false;
        for (let i = matches.length - 1; i >= 0; i--) {
          const [s, e, m] = matches[i];
          if (m && !prev && spans.length > 0) spans[spans.length - 1][0] = s;
          else spans.push([s, e]);
          prev = m;
        }
        spans.reverse();
        break;
      }
      default:
        throw new TypeError(`split: unknown behavior ${JSON.stringify(behavior)}`);
    }
    const out: NormalizedString[] = [];
    for (const [s, e] of spans) {
      const sl = this.slice(s, e);
      if (sl === null) throw new Error(`NormalizedString.split: invalid range [${s}, ${e})`);
      out.push(sl);
    }
    return out;
  }
}


/** Alignments of an unmodified string: each unit maps to the range of its code point. */
function identityAlignments(original: string): number[] {
  const a = new Array<number>(original.length * 2);
  for (let i = 0; i < original.length; ) {
    const c = original.charCodeAt(i);
    const d = i + 1 < original.length ? original.charCodeAt(i + 1) : 0;
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
      a[2 * i] = i; a[2 * i + 1] = i + 2; a[2 * i + 2] = i; a[2 * i + 3] = i + 2;
      i += 2;
    } else {
      a[2 * i] = i; a[2 * i + 1] = i + 1;
      i += 1;
    }
  }
  return a;
}

/**
 * Precompiled normalizer: applies a SentencePiece `precompiled_charsmap` (e.g. nmt_nfkc) as Hugging Face
 * tokenizers does. Each extended grapheme cluster shorter than 6 UTF-8 bytes is first looked up whole; if no rule
 * matches, each of its characters is looked up on its own. A lookup takes the shortest rule matching a prefix of
 * the chunk (so a rule for a grapheme's first character replaces the whole grapheme, as in Rust).
 *
 * Reference: huggingface/tokenizers v0.19.1, tokenizers/src/normalizers/precompiled.rs
 * https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/normalizers/precompiled.rs
 */
import type { Normalizer } from '../types.js';
import type { NormalizedString } from '../normalized_string.js';
import { PrecompiledCharsmap, decodeBase64 } from './precompiled_charsmap.js';
import { NEWER_GRAPHEME_EXTEND_RANGES } from './grapheme_tables.js';

let segmenter: Intl.Segmenter | undefined;

function isNewerExtend(cp: number): boolean {
  const r = NEWER_GRAPHEME_EXTEND_RANGES;
  for (let i = 0; i < r.length; i += 2) if (cp >= r[i]! && cp <= r[i + 1]!) return true;
  return false;
}

/** Window of Intl.Segmenter calls: V8's segmenter is superlinear on long strings (6 s for 64 Ki CJK units). */
const WINDOW = 256;

/** Pushes `segment` split again before the code points Rust's older tables do not treat as extending. */
function pushSplit(segment: string, out: string[]): void {
  if (segment.length === 1) {
    out.push(segment);
    return;
  }
  let start = 0;
  let u = 0;
  for (const ch of segment) {
    if (u > start && isNewerExtend(ch.codePointAt(0)!)) {
      out.push(segment.slice(start, u));
      start = u;
    }
    u += ch.length;
  }
  out.push(segment.slice(start));
}

/**
 * Extended grapheme clusters of `text` (Unicode UAX #29, through Intl.Segmenter), split again before the code
 * points that Rust's older tables do not treat as extending (see grapheme_tables.ts).
 *
 * The text is segmented in windows of {@link WINDOW} units, so the time is linear in its length: a window's
 * clusters are kept but its last one (which the window's end may cut), and the next window starts where that
 * one starts. A grapheme break depends only on the text before it and the character after it, so a break
 * followed by a character inside the window is a break of the whole text: the clusters are those of one call.
 * A cluster longer than a window (a run of combining marks; only possible over 6 UTF-8 bytes, so looked up
 * character by character anyway) is passed on in window-sized pieces up to where the segmenter, continuing
 * inside it, ends it.
 */
export function graphemes(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const out: string[] = [];
  const n = text.length;
  let pos = 0;
  let inLong = false;
  while (pos < n) {
    let end = Math.min(n, pos + WINDOW);
    // Never cut a surrogate pair.
    if (end < n && (text.charCodeAt(end) & 0xfc00) === 0xdc00 && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
    const window = text.slice(pos, end);
    const segs: string[] = [];
    for (const { segment } of segmenter.segment(window)) segs.push(segment);
    if (end === n) {
      let k = 0;
      if (inLong) for (const ch of segs[k++]) out.push(ch);
      for (; k < segs.length; k++) pushSplit(segs[k], out);
      break;
    }
    if (segs.length === 1 || (inLong && segs.length === 2)) {
      // One cluster fills the window: emit it in pieces of at most one window (each over 6 UTF-8 bytes or
      // made of single characters looked up alone) and go on inside it.
      if (inLong && segs.length === 2) {
        for (const ch of segs[0]) out.push(ch);
        pos += segs[0].length;
        inLong = false;
        continue;
      }
      for (const ch of window) out.push(ch);
      pos = end;
      inLong = true;
      continue;
    }
    const keep = segs.length - 1;
    let k = 0;
    if (inLong) {
      for (const ch of segs[0]) out.push(ch);
      pos += segs[0].length;
      k = 1;
      inLong = false;
    }
    for (; k < keep; k++) {
      pushSplit(segs[k], out);
      pos += segs[k].length;
    }
  }
  return out;
}

function utf8Len(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/**
 * Appends the changes replacing `oldPart` by `newPart` (Rust `replace` in precompiled.rs): every new character
 * is a change 0, then the last `diff` characters are marked as insertions (+1) when the replacement is longer,
 * or the last one absorbs the removal (its change decreased by the difference) when it is shorter.
 */
function pushReplacement(changes: Array<[string, number]>, oldPart: string, newPart: string): void {
  const oldCount = Array.from(oldPart).length;
  const newChars = Array.from(newPart);
  const diff = newChars.length - oldCount;
  for (const c of newChars) changes.push([c, 0]);
  if (diff > 0) {
    for (let k = 0; k < diff && k < changes.length; k++) changes[changes.length - 1 - k]![1] = 1;
  } else if (diff < 0 && changes.length) {
    changes[changes.length - 1]![1] += diff;
  }
}

/** The Precompiled normalizer (tokenizer.json `{"type": "Precompiled", "precompiled_charsmap": base64}`). */
export class Precompiled implements Normalizer {
  /** The parsed rules; null for a `precompiled_charsmap` of null (no rules: the normalizer does nothing). */
  readonly charsmap: PrecompiledCharsmap | null;

  /** @param charsmap the decoded `precompiled_charsmap` bytes, or null for none */
  constructor(charsmap: Uint8Array | null) {
    this.charsmap = charsmap === null ? null : new PrecompiledCharsmap(charsmap);
  }

  /** Builds it from a tokenizer.json `normalizer` object; `path` names it in errors. */
  static fromConfig(config: Record<string, unknown>, path = 'normalizer'): Precompiled {
    const b64 = config.precompiled_charsmap;
    if (b64 === null) return new Precompiled(null);
    if (typeof b64 !== 'string') {
      throw new Error(`Precompiled: ${path}.precompiled_charsmap must be a base64 string, got ${b64 === null ? 'null' : typeof b64}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(b64);
    } catch {
      throw new Error(`Precompiled: ${path}.precompiled_charsmap is not valid base64`);
    }
    return new Precompiled(bytes);
  }

  /** Normalizes the whole text as a string (no alignments). */
  normalizeString(text: string): string {
    const changes = this.changes(text);
    return changes === null ? text : changes.map(([c]) => c).join('');
  }

  /** The per-character changes for `text`, or null when no rule applies. */
  changes(text: string): Array<[string, number]> | null {
    const charsmap = this.charsmap;
    if (charsmap === null) return null;
    const changes: Array<[string, number]> = [];
    let modified = false;
    for (const grapheme of graphemes(text)) {
      if (utf8Len(grapheme) < 6) {
        const norm = charsmap.transform(grapheme);
        if (norm !== null) {
          modified = true;
          pushReplacement(changes, grapheme, norm);
          continue;
        }
      }
      for (const ch of grapheme) {
        const norm = charsmap.transform(ch);
        if (norm !== null) {
          modified = true;
          pushReplacement(changes, ch, norm);
        } else {
          changes.push([ch, 0]);
        }
      }
    }
    return modified ? changes : null;
  }

  normalize(normalized: NormalizedString): void {
    const changes = this.changes(normalized.get());
    if (changes === null) return;
    normalized.transform(
      changes.map(([c]) => c.codePointAt(0)!),
      changes.map(([, n]) => n),
      0,
    );
  }
}

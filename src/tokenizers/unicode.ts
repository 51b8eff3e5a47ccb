/**
 * Character classes used by the BERT normalizer and pre-tokenizers, exactly as HF tokenizers (Rust) defines
 * them: Rust std for whitespace / numeric / alphanumeric, the `unicode_categories` crate tables for
 * "other" (control), punctuation and non-spacing marks (see unicode_tables.ts).
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/normalizers/bert.rs
 */
import { COMBINING_MARK_RANGES, MARK_NONSPACING_RANGES, OTHER_RANGES, PUNCTUATION_RANGES } from './unicode_tables.js';

const OTHER = 1;
const PUNCT = 2;
const MN = 4;
const WS = 8;
const COMBINING = 16;

let flags: Uint8Array | undefined;

function table(): Uint8Array {
  if (flags) return flags;
  const f = new Uint8Array(0x110000);
  const mark = (ranges: readonly number[], bit: number): void => {
    for (let i = 0; i < ranges.length; i += 2) for (let c = ranges[i]; c <= ranges[i + 1]; c++) f[c] |= bit;
  };
  mark(OTHER_RANGES, OTHER);
  mark(PUNCTUATION_RANGES, PUNCT);
  mark(MARK_NONSPACING_RANGES, MN);
  mark(COMBINING_MARK_RANGES, COMBINING);
  // ASCII punctuation (Rust `char::is_ascii_punctuation`).
  for (let c = 0x21; c < 0x7f; c++) if (!/[0-9A-Za-z]/.test(String.fromCharCode(c))) f[c] |= PUNCT;
  const ws = /\p{White_Space}/u;
  for (let c = 0; c <= 0x3000; c++) if (ws.test(String.fromCharCode(c))) f[c] |= WS;
  flags = f;
  return f;
}

/** Bit flags per code point: 1 other (control), 2 punctuation, 4 Mn (BERT), 8 White_Space, 16 combining mark. */
export function unicodeFlags(): Uint8Array {
  return table();
}

/** Rust `char::is_whitespace` (Unicode White_Space). */
export function isWhitespace(cp: number): boolean {
  if (cp < 0x80) return cp === 32 || (cp >= 9 && cp <= 13);
  return (table()[cp] & WS) !== 0;
}



/** BERT punctuation: ASCII punctuation or the crate's punctuation categories. */
export function isBertPunctuation(cp: number): boolean {
  return (table()[cp] & PUNCT) !== 0;
}


/** `is_combining_mark` of unicode-normalization-alignments (general category M): used by StripAccents. */
export function isCombiningMark(cp: number): boolean {
  return (table()[cp] & COMBINING) !== 0;
}

/** CJK ideograph blocks that BERT surrounds with spaces. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const numCache = new Map<number, boolean>();
/** Rust `char::is_numeric` (Nd, Nl, No). */
export function isNumeric(cp: number): boolean {
  if (cp < 0x80) return cp >= 48 && cp <= 57;
  let r = numCache.get(cp);
  if (r === undefined) {
    r = /\p{N}/u.test(String.fromCodePoint(cp));
    numCache.set(cp, r);
  }
  return r;
}


/**
 * ByteLevel pre-tokenizer (GPT-2 / RoBERTa): optionally prepends a space, splits with the GPT-2 pattern, then
 * rewrites every UTF-8 byte of each piece as one character of the byte-level alphabet. Every byte character
 * keeps the alignment of the original character it comes from, so a token covering part of a multi-byte
 * character maps to that whole character, as in Rust.
 *
 * Reference: huggingface/tokenizers v0.19.1, tokenizers/src/pre_tokenizers/byte_level.rs
 * https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/pre_tokenizers/byte_level.rs
 */
import type { PreTokenizer } from '../types.js';
import type { PreTokenizedString } from '../pre_tokenized_string.js';
import { BYTE_TO_CHAR, utf8Bytes } from './byte_level_alphabet.js';

/**
 * Oniguruma's `\s` in Unicode mode (the White_Space property): unlike JS `\s`, it includes U+0085 and excludes
 * U+FEFF.
 */
const ONIG_SPACE = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/**
 * Letters (L) and numbers (N) added in Unicode 17.0. The Rust binding's Oniguruma uses Unicode 16 tables, so these
 * are "other" there; the JS engine may know them as \p{L} / \p{N} (Node 20+ ships Unicode 17), so they are taken
 * out of those classes. On an engine with older tables, removing them changes nothing.
 */
export const UNICODE17_LETTERS =
  '\\u088f\\u0c5c\\u0cdc\\ua7ce\\ua7cf\\ua7d2\\ua7d4\\ua7f1\\u{10940}-\\u{10959}\\u{10ec5}-\\u{10ec7}\\u{11db0}-\\u{11ddb}' +
  '\\u{16ea0}-\\u{16eb8}\\u{16ebb}-\\u{16ed3}\\u{16ff2}\\u{16ff3}\\u{187f8}-\\u{187ff}\\u{18d09}-\\u{18d1e}\\u{18d80}-\\u{18df2}' +
  '\\u{1e6c0}-\\u{1e6de}\\u{1e6e0}-\\u{1e6e2}\\u{1e6e4}\\u{1e6e5}\\u{1e6e7}-\\u{1e6ed}\\u{1e6f0}-\\u{1e6f4}\\u{1e6fe}\\u{1e6ff}' +
  '\\u{2b73a}-\\u{2b73f}\\u{2cea2}-\\u{2cead}\\u{323b0}-\\u{33479}';
export const UNICODE17_NUMBERS = '\\u{11de0}-\\u{11de9}\\u{16ff4}-\\u{16ff6}';

const L = `[\\p{L}--[${UNICODE17_LETTERS}]]`;
const N = `[\\p{N}--[${UNICODE17_NUMBERS}]]`;
const S = `[${ONIG_SPACE}]`;
const OTHER = `[[^${ONIG_SPACE}\\p{L}\\p{N}][${UNICODE17_LETTERS}${UNICODE17_NUMBERS}]]`;

/**
 * The GPT-2 split pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` written
 * for the JS engine (`v` flag) with Oniguruma's whitespace class and Unicode 16 letter/number classes.
 */
export const GPT2_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?${L}+| ?${N}+| ?${OTHER}+|${S}+(?!${S.replace('[', '[^')})|${S}+`,
  'gv',
);

const byteCharCode: number[] = BYTE_TO_CHAR.map((c) => c.codePointAt(0)!);

/** Options of the ByteLevel component, named as in tokenizer.json. */
export interface ByteLevelOptions {
  add_prefix_space?: boolean;
  trim_offsets?: boolean;
  use_regex?: boolean;
}

function readBool(config: Record<string, unknown>, key: string, dflt: boolean, path: string): boolean {
  const v = config[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new Error(`ByteLevel: ${path}.${key} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** The ByteLevel pre-tokenizer. */
export class ByteLevel implements PreTokenizer {
  readonly addPrefixSpace: boolean;
  readonly trimOffsets: boolean;
  readonly useRegex: boolean;

  /** Defaults as in Rust: add_prefix_space true, trim_offsets true, use_regex true. */
  constructor(options: ByteLevelOptions = {}) {
    this.addPrefixSpace = options.add_prefix_space ?? true;
    this.trimOffsets = options.trim_offsets ?? true;
    this.useRegex = options.use_regex ?? true;
  }

  /** Builds it from a tokenizer.json `pre_tokenizer` object; `path` names it in errors. */
  static fromConfig(config: Record<string, unknown>, path = 'pre_tokenizer'): ByteLevel {
    return new ByteLevel({
      add_prefix_space: readBool(config, 'add_prefix_space', true, path),
      trim_offsets: readBool(config, 'trim_offsets', true, path),
      use_regex: readBool(config, 'use_regex', true, path),
    });
  }

  preTokenize(pretokenized: PreTokenizedString): void {
    pretokenized.split((_, normalized) => {
      if (this.addPrefixSpace && !normalized.get().startsWith(' ')) normalized.prepend(' ');
      return this.useRegex ? normalized.split(GPT2_PATTERN, 'Isolated') : [normalized];
    });
    pretokenized.normalize((normalized) => {
      const s = normalized.get();
      const cps: number[] = [];
      const changes: number[] = [];
      for (let u = 0; u < s.length; ) {
        const cp = s.codePointAt(u)!;
        const units = cp > 0xffff ? 2 : 1;
        if (cp < 0x80) {
          cps.push(byteCharCode[cp]!);
          changes.push(0);
        } else {
          const bytes = utf8Bytes(s.slice(u, u + units));
          for (let k = 0; k < bytes.length; k++) {
            cps.push(byteCharCode[bytes[k]!]!);
            changes.push(k > 0 ? 1 : 0);
          }
        }
        u += units;
      }
      normalized.transform(cps, changes, 0);
    });
  }
}

/**
 * ByteLevel decoder: maps every character of the tokens back to its byte through the GPT-2 byte alphabet and
 * decodes the bytes as UTF-8 (invalid sequences become U+FFFD, as Rust's `String::from_utf8_lossy`).
 * A token holding a character outside the alphabet (an added token) is kept as its own UTF-8 bytes.
 *
 * Reference: huggingface/tokenizers v0.19.1, tokenizers/src/pre_tokenizers/byte_level.rs (`impl Decoder`)
 * https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/pre_tokenizers/byte_level.rs
 */
import type { Decoder } from '../types.js';
import { CHAR_TO_BYTE } from '../pre_tokenizers/byte_level_alphabet.js';

const encoder = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** The ByteLevel decoder (tokenizer.json `{"type": "ByteLevel"}`; its other keys do not change decoding). */
export class ByteLevelDecoder implements Decoder {
  /** Builds it from a tokenizer.json `decoder` object (keys are ignored, as in Rust decoding). */
  static fromConfig(_config: Record<string, unknown>): ByteLevelDecoder {
    return new ByteLevelDecoder();
  }

  /** Joins all tokens into one string. */
  decodeChain(tokens: string[]): string[] {
    const bytes: number[] = [];
    for (const token of tokens) {
      const mapped: number[] = [];
      let ok = true;
      for (const ch of token) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b === undefined) {
          ok = false;
          break;
        }
        mapped.push(b);
      }
      if (ok) for (const b of mapped) bytes.push(b);
      else for (const b of encoder.encode(token)) bytes.push(b);
    }
    return [lossy.decode(new Uint8Array(bytes))];
  }
}

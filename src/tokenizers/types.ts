/**
 * Core interfaces of the tokenizer pipeline: normalizer -> pre-tokenizer -> model -> post-processor,
 * and the decoder. They mirror Hugging Face tokenizers (Rust) so that a tokenizer.json drives the same pipeline.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/mod.rs
 *
 * Offsets everywhere are UTF-16 code-unit offsets (JS string indices), half-open [start, end).
 */
import type { NormalizedString } from './normalized_string.js';
import type { PreTokenizedString } from './pre_tokenized_string.js';
import type { Encoding } from './encoding.js';

/** Half-open [start, end) range of UTF-16 code units. */
export type Offsets = [number, number];

/** A token produced by a Model: its id, its string value and its offsets in the sequence given to the model. */
export interface Token {
  id: number;
  value: string;
  offsets: Offsets;
}

/** How a delimiter found by a split pattern is treated (HF `SplitDelimiterBehavior`). */
export type SplitDelimiterBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Normalizes a NormalizedString in place (keeping alignments with the original text). */
export interface Normalizer {
  /** Normalizes the string in place, keeping its alignment to the original. */
  normalize(normalized: NormalizedString): void;
}

/** Splits a PreTokenizedString in place. */
export interface PreTokenizer {
  /** Splits the string in place into pieces for the model. */
  preTokenize(pretokenized: PreTokenizedString): void;
}

/** Turns one pre-token (a "word") into tokens; offsets are relative to `sequence`. */
export interface Model {
  /** Splits one pre-tokenized piece into tokens (ids, values, offsets within the piece). */
  tokenize(sequence: string): Token[];
  /** Id of a token in the vocabulary, or undefined. */
  tokenToId(token: string): number | undefined;
  /** Token of an id in the vocabulary, or undefined. */
  idToToken(id: number): string | undefined;
  /** The model vocabulary (token -> id), without added tokens. */
  getVocab(): Map<string, number>;
  /** Number of entries in the vocabulary. */
  getVocabSize(): number;
}

/** Adds special tokens / type ids after truncation (HF `PostProcessor`). */
export interface PostProcessor {
  /** How many tokens `processEncodings` adds for a single sequence (isPair false) or a pair. */
  addedTokens(isPair: boolean): number;
  /**
   * Process the encodings (one per sequence, their `sequenceId` already set) and return the encodings
   * to merge, in order (HF `process_encodings`).
   */
  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[];
}

/** Turns tokens back into text (HF `Decoder::decode_chain`). */
export interface Decoder {
  /** Decodes tokens into pieces that the next decoder in a chain (or a final join) consumes. */
  decodeChain(tokens: string[]): string[];
}

/** Truncation settings (HF `TruncationParams`). */
export interface TruncationParams {
  maxLength: number;
  strategy: 'LongestFirst' | 'OnlyFirst' | 'OnlySecond';
  stride: number;
  direction: 'Right' | 'Left';
}

/** Padding settings (HF `PaddingParams`). `strategy` 'BatchLongest' or a fixed length. */
export interface PaddingParams {
  strategy: 'BatchLongest' | { fixed: number };
  direction: 'Right' | 'Left';
  padToMultipleOf: number | null;
  padId: number;
  padTypeId: number;
  padToken: string;
}

/** A JSON object from tokenizer.json (loosely typed; components validate what they read). */
export type JSONObject = { [key: string]: unknown };

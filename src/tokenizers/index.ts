/**
 * Public entry of the tokenizers package: a pure TypeScript port of Hugging Face tokenizers (no tfjs), driven
 * by tokenizer.json and checked for exact parity with the Rust implementation.
 *
 * ```ts
 * const tok = await Tokenizer.fromPretrainedDir('models/all-MiniLM-L6-v2'); // tokenizer.json, else vocab.txt
 * const e = tok.encode('Héllo, wörld!');          // e.ids, e.tokens, e.typeIds, e.attentionMask, e.offsets
 * const batch = tok.encodeBatch(texts, { truncation: { maxLength: 256 }, padding: { strategy: 'longest' } });
 * tok.encode(text, null, { truncation: null, padding: null }); // ignore the file's truncation / padding
 * tok.decode(e.ids, { skipSpecialTokens: true });
 * ```
 * Offsets are UTF-16 code-unit offsets into the input string: `text.slice(start, end)` is a token's source.
 * Lone surrogates are read as U+FFFD (one unit for one unit, so offsets still index the input).
 */
export { Tokenizer, type BatchInput, type DecodeOptions, type EncodeOptions, type TokenizerParts } from './tokenizer.js';
export { Encoding } from './encoding.js';
export type { AddedToken } from './added_vocabulary.js';
export { NormalizedString } from './normalized_string.js';
export { PreTokenizedString, type Split } from './pre_tokenized_string.js';
export type { Pattern } from './pattern.js';
export type { TruncationOptions, PaddingOptions } from './truncation_padding.js';
export type {
  Decoder, Model, Normalizer, Offsets, PaddingParams, PostProcessor, PreTokenizer, SplitDelimiterBehavior, Token, TruncationParams,
} from './types.js';
export { createNormalizer } from './normalizers/index.js';
export { createPreTokenizer } from './pre_tokenizers/index.js';
export { createModel } from './models/index.js';
export { createPostProcessor } from './post_processors/index.js';
export { createDecoder } from './decoders/index.js';
export { TokenizerConfigError } from './config.js';
export type { FromPretrainedOptions, TokenizerConfigInfo } from './tokenizer_config.js';

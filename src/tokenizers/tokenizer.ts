/**
 * The Tokenizer: added tokens -> normalizer -> pre-tokenizer -> model -> truncation -> post-processor ->
 * padding, driven by a tokenizer.json, with the results of Hugging Face tokenizers (Rust).
 *
 * Offsets are UTF-16 code-unit offsets into the JS input string (`text.slice(start, end)` is the token's
 * source). Lone UTF-16 surrogates are replaced by U+FFFD before tokenizing (one unit for one unit, so offsets
 * are unchanged), as the Rust binding does when it converts the string to UTF-8.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/tokenizer/mod.rs
 */
import { AddedVocabulary, type AddedToken } from './added_vocabulary.js';
import { asObject, TokenizerConfigError } from './config.js';
import { checkDepth, loadComponent } from './config_error.js';
import { createDecoder } from './decoders/index.js';
import { Encoding } from './encoding.js';
import { createModel } from './models/index.js';
import { BPE } from './models/bpe.js';
import { createNormalizer } from './normalizers/index.js';
import { createPostProcessor } from './post_processors/index.js';
import { createPreTokenizer } from './pre_tokenizers/index.js';
import {
  padEncodings, parsePadding, parseTruncation, toPaddingParams, toTruncationParams, truncateEncodings,
  type PaddingOptions, type TruncationOptions,
  truncationProblem,
} from './truncation_padding.js';
import type { Decoder, Model, Normalizer, Offsets, PaddingParams, PostProcessor, PreTokenizer, TruncationParams } from './types.js';
import { BertPreTokenizer, bertWordRanges } from './pre_tokenizers/bert.js';
import { readJSONFile } from '../platform/fs.js';
import type { FromPretrainedOptions, TokenizerConfigInfo } from './tokenizer_config.js';

/** Options of `encode` / `encodeBatch`. */
export interface EncodeOptions {
  /** Add the post-processor's special tokens ([CLS], [SEP], ...). Default true. */
  addSpecialTokens?: boolean;
  /** Override truncation for this call: null disables it, an object replaces the configured one. */
  truncation?: TruncationOptions | null;
  /** Override padding for this call: null disables it, an object is merged over the configured one. */
  padding?: PaddingOptions | null;
}

/** Options of `decode`. */
export interface DecodeOptions {
  /** Leave out special tokens. Default false (as HF). */
  skipSpecialTokens?: boolean;
}

/** An input of `encodeBatch`: one text or a [text, pair] pair. */
export type BatchInput = string | [string, string];

/** The pipeline parts of a Tokenizer. */
export interface TokenizerParts {
  model: Model;
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  truncation?: TruncationParams | null;
  padding?: PaddingParams | null;
}

/** Keys of the model holding its (large, shallow) vocabulary: not walked by the nesting check. */
const MODEL_FLAT_KEYS = new Set(['vocab', 'merges']);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_G = new RegExp(LONE_SURROGATE.source, 'g');

function checkText(v: unknown, name: string, fn: string): string {
  if (typeof v !== 'string') {
    throw new TypeError(`${fn}: ${name} must be a string, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
  // Lone surrogates -> U+FFFD (same length, so offsets keep pointing into the caller's string).
  return LONE_SURROGATE.test(v) ? v.replace(LONE_SURROGATE_G, '\uFFFD') : v;
}

/**
 * A Hugging Face `tokenizers` pipeline (normalizer, pre-tokenizer, model, post-processor, decoder) read from
 * `tokenizer.json`, with the same ids, offsets, truncation and padding as the Rust library.
 *
 * @example
 * ```ts
 * const tok = Tokenizer.fromJSON(JSON.parse(tokenizerJsonText));
 * const enc = tok.encode('Hello world!');
 * console.log(enc.ids, enc.tokens);
 * ```
 */
export class Tokenizer {
  readonly model: Model;
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  readonly addedVocabulary = new AddedVocabulary();
  /** Truncation applied by default (from tokenizer.json or `setTruncation`); null = none. */
  truncation: TruncationParams | null;
  /** Padding applied by default (from tokenizer.json or `setPadding`); null = none. */
  padding: PaddingParams | null;
  /** What tokenizer_config.json says (set by `fromPretrainedDir`), else null. */
  config: TokenizerConfigInfo | null = null;

  constructor(parts: TokenizerParts) {
    this.model = parts.model;
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.truncation = null;
    if (parts.truncation) this.setTruncation(parts.truncation);
    this.padding = parts.padding ?? null;
  }

  /** Builds a Tokenizer from a parsed tokenizer.json. Unknown component types throw, naming the JSON path. */
  static fromJSON(json: unknown): Tokenizer {
    const o = asObject(json, 'tokenizer.json');
    for (const c of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens', 'padding', 'truncation']) checkDepth(o[c], c);
    checkDepth(o.model, 'model', MODEL_FLAT_KEYS);
    const t = new Tokenizer({
      model: loadComponent('model', () => createModel(o.model, 'model')),
      normalizer: loadComponent('normalizer', () => createNormalizer(o.normalizer, 'normalizer')),
      preTokenizer: loadComponent('pre_tokenizer', () => createPreTokenizer(o.pre_tokenizer, 'pre_tokenizer')),
      postProcessor: loadComponent('post_processor', () => createPostProcessor(o.post_processor, 'post_processor')),
      decoder: loadComponent('decoder', () => createDecoder(o.decoder, 'decoder')),
      padding: loadComponent('padding', () => parsePadding(o.padding)),
    });
    const truncation = loadComponent('truncation', () => parseTruncation(o.truncation));
    if (truncation) loadComponent('truncation', () => t.setTruncation(truncation, 'truncation'));
    const added = o.added_tokens ?? [];
    if (!Array.isArray(added)) throw new TokenizerConfigError('added_tokens', 'an array', added);
    const tokens: AddedToken[] = [];
    const flag = (e: Record<string, unknown>, k: string, i: number, dflt: boolean): boolean => {
      const v = e[k];
      if (v === undefined || v === null) return dflt;
      if (typeof v !== 'boolean') throw new TokenizerConfigError(`added_tokens[${i}].${k}`, 'a boolean', v);
      return v;
    };
    added.forEach((a, i) => {
      const e = asObject(a, `added_tokens[${i}]`);
      if (typeof e.content !== 'string') throw new TokenizerConfigError(`added_tokens[${i}].content`, 'a string', e.content);
      if (e.id !== undefined && !(typeof e.id === 'number' && Number.isInteger(e.id) && e.id >= 0 && e.id <= 0x7fffffff)) {
        throw new TokenizerConfigError(`added_tokens[${i}].id`, 'a non-negative 32-bit integer', e.id);
      }
      const special = flag(e, 'special', i, false);
      tokens.push({
        content: e.content,
        singleWord: flag(e, 'single_word', i, false),
        lstrip: flag(e, 'lstrip', i, false),
        rstrip: flag(e, 'rstrip', i, false),
        normalized: flag(e, 'normalized', i, !special),
        special,
      });
    });
    // As HF: the ids recorded in the file are not used; a token in the model vocabulary takes its id there,
    // the others the next free ids in order.
    if (tokens.length) loadComponent('added_tokens', () => t.addedVocabulary.addTokens(tokens, t.model, t.normalizer));
    t.checkReferencedIds();
    return t;
  }

  /** Whether the post-processor can process a pair (a template without a pair form refuses pairs at encode). */
  private pairSupported(): boolean {
    if (!this.postProcessor) return true;
    try {
      const encs = [new Encoding(), new Encoding()];
      encs.forEach((e, i) => e.setSequenceId(i));
      this.postProcessor.processEncodings(encs, true);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Load-time consistency: every id the pipeline can emit on its own names a token. The post-processor's
   * special tokens (run on empty sequences, single and pair), the padding's pad id and the model's unknown
   * token must be in the vocabulary (model or added tokens), so that no encode produces an id outside it.
   */
  private checkReferencedIds(): void {
    const known = (id: number): boolean => this.idToToken(id) !== undefined;
    if (this.postProcessor) {
      for (const pair of [false, true]) {
        let ids: number[];
        try {
          const encs = pair ? [new Encoding(), new Encoding()] : [new Encoding()];
          encs.forEach((e, i) => e.setSequenceId(i));
          ids = Encoding.merge(this.postProcessor.processEncodings(encs, true), false).ids;
        } catch (e) {
          if (!pair) throw new TokenizerConfigError('post_processor', '', undefined, { message: `tokenizer config: post_processor is invalid: ${(e as Error).message}`, cause: e });
          continue; // a template without a pair form refuses pairs at encode time, as HF
        }
        const bad = ids.find((id) => !known(id));
        if (bad !== undefined) throw new TokenizerConfigError('post_processor', 'special tokens whose ids are in the vocabulary', bad, { message: `tokenizer config: post_processor adds the id ${bad}, which is not in the vocabulary (${this.getVocabSize()} tokens)` });
      }
    }
    if (this.padding && !known(this.padding.padId)) {
      throw new TokenizerConfigError('padding.pad_id', 'an id in the vocabulary', this.padding.padId);
    }
    const unk = (this.model as { unkToken?: unknown }).unkToken;
    if (typeof unk === 'string' && this.model.tokenToId(unk) === undefined) {
      throw new TokenizerConfigError('model.unk_token', 'a token of the vocabulary', unk);
    }
  }

  /**
   * Loads the tokenizer of a model directory (Node): tokenizer.json when present, else vocab.txt with
   * tokenizer_config.json / special_tokens_map.json, converted as transformers does.
   */
  static async fromPretrainedDir(dir: string, options?: FromPretrainedOptions): Promise<Tokenizer> {
    const { fromPretrainedDir } = await import('./pretrained.js');
    return fromPretrainedDir(dir, options);
  }

  /** `model_max_length` from tokenizer_config.json (null when unknown). */
  get modelMaxLength(): number | null {
    return this.config?.modelMaxLength ?? null;
  }

  /** The pad token: tokenizer_config.json's, else the padding section's, else null. */
  get padToken(): string | null {
    return this.config?.specialTokens.pad ?? this.padding?.padToken ?? null;
  }

  /** Id of the pad token, or null. */
  get padTokenId(): number | null {
    const t = this.padToken;
    return t === null ? null : (this.tokenToId(t) ?? null);
  }

  /** Reads a tokenizer.json file (Node; browsers use `fromJSON`). */
  static async fromFile(path: string): Promise<Tokenizer> {
    if (typeof path !== 'string') throw new TypeError(`Tokenizer.fromFile: path must be a string, got ${typeof path}`);
    return Tokenizer.fromJSON(await readJSONFile(path));
  }

  /** Adds tokens (see AddedToken); returns how many were new. */
  addTokens(tokens: AddedToken[]): number {
    return this.addedVocabulary.addTokens(tokens, this.model, this.normalizer);
  }

  /** Sets (or with null, disables) the default truncation. */
  setTruncation(t: TruncationOptions | TruncationParams | null, path = 'setTruncation(options)'): void {
    if (t === null) {
      this.truncation = null;
      return;
    }
    const p = toTruncationParams(t as TruncationOptions, path === 'truncation' ? path : 'setTruncation(options)');
    const added = this.postProcessor?.addedTokens(false) ?? 0;
    const bad = truncationProblem(p, added, this.pairSupported() ? (this.postProcessor?.addedTokens(true) ?? 0) : null);
    if (bad) {
      const key = path === 'truncation' ? `truncation.${bad.key}` : `setTruncation(options).${bad.key === 'max_length' ? 'maxLength' : 'stride'}`;
      throw new TokenizerConfigError(key, bad.expected, bad.got, { message: `tokenizer config: ${key}: ${bad.key === 'stride' ? 'stride' : 'max length'} ${bad.got} must be ${bad.expected}` });
    }
    this.truncation = p;
  }

  /** Sets (or with null, disables) the default padding; missing fields keep their current (or default) values. */
  setPadding(p: PaddingOptions | null): void {
    this.padding = p === null ? null : toPaddingParams(p, this.padding ?? this.defaultPadding(), 'setPadding(options)');
  }

  /**
   * Padding defaults (used when the file has no padding section and a call asks for padding): batch longest,
   * right, with tokenizer_config.json's pad token, else "[PAD]" / "<pad>" when the vocabulary has one.
   */
  defaultPadding(): PaddingParams {
    let padToken = this.config?.specialTokens.pad ?? '[PAD]';
    if (this.config?.specialTokens.pad === undefined) {
      for (const cand of ['[PAD]', '<pad>']) {
        if (this.tokenToId(cand) !== undefined) { padToken = cand; break; }
      }
    }
    const side = this.config?.paddingSide === 'left' ? 'Left' : 'Right';
    return { strategy: 'BatchLongest', direction: side, padToMultipleOf: null, padId: this.tokenToId(padToken) ?? 0, padTypeId: 0, padToken };
  }

  private truncationFor(o: EncodeOptions | undefined, fn: string): TruncationParams | null {
    if (o?.truncation === undefined) return this.truncation;
    if (o.truncation === null) return null;
    return toTruncationParams(o.truncation, `${fn}: options.truncation`);
  }

  private paddingFor(o: EncodeOptions | undefined, fn: string): PaddingParams | null {
    if (o?.padding === undefined) return this.padding;
    if (o.padding === null) return null;
    return toPaddingParams(o.padding, this.padding ?? this.defaultPadding(), `${fn}: options.padding`);
  }

  /** Runs added tokens, normalizer, pre-tokenizer and model on one sequence. */
  private encodeSequence(sequence: string, typeId: number): Encoding {
    if (this.preTokenizer instanceof BertPreTokenizer) return this.encodeSequenceBert(sequence, typeId);
    const p = this.addedVocabulary.extractAndNormalize(this.normalizer, sequence);
    this.preTokenizer?.preTokenize(p);
    p.tokenizeWith(this.model);
    return p.intoEncoding(null, typeId);
  }

  /**
   * `encodeSequence` for BertPreTokenizer without building a NormalizedString per word: each word is
   * tokenized from the normalized text and its tokens mapped back through the split's alignments, which is
   * what slicing the split and mapping through the slice gives. Words are numbered as HF's splits.
   */
  private encodeSequenceBert(sequence: string, typeId: number): Encoding {
    const p = this.addedVocabulary.extractAndNormalize(this.normalizer, sequence);
    const model = this.model;
    const ids: number[] = [];
    const tokens: string[] = [];
    const offsets: Offsets[] = [];
    const words: (number | null)[] = [];
    const ranges: number[] = [];
    let word = 0;
    for (const sp of p.splits) {
      const n = sp.normalized;
      const shift = n.originalShift;
      if (sp.tokens !== null) {
        for (const t of sp.tokens) {
          const r = n.normalizedToOriginal(t.offsets[0], t.offsets[1]);
          ids.push(t.id);
          tokens.push(t.value);
          offsets.push(r === null ? [t.offsets[0], t.offsets[1]] : [shift + r[0], shift + r[1]]);
          words.push(word);
        }
        word++;
        continue;
      }
      const s = n.normalized;
      ranges.length = 0;
      bertWordRanges(s, ranges);
      for (let k = 0; k < ranges.length; k += 2) {
        const a = ranges[k];
        for (const t of model.tokenize(s.slice(a, ranges[k + 1]))) {
          const r = n.normalizedToOriginal(a + t.offsets[0], a + t.offsets[1]);
          ids.push(t.id);
          tokens.push(t.value);
          offsets.push(r === null ? [t.offsets[0], t.offsets[1]] : [shift + r[0], shift + r[1]]);
          words.push(word);
        }
        word++;
      }
    }
    const len = ids.length;
    return new Encoding(ids, new Array<number>(len).fill(typeId), tokens, words, offsets, new Array<number>(len).fill(0), new Array<number>(len).fill(1));
  }

  /** Truncation, post-processing and padding (HF `post_process`). */
  postProcess(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean, truncation: TruncationParams | null, padding: PaddingParams | null): Encoding {
    if (truncation) {
      const nAdded = addSpecialTokens ? (this.postProcessor?.addedTokens(pair !== null) ?? 0) : 0;
      if (nAdded > truncation.maxLength) {
        throw new RangeError(`truncation: max length ${truncation.maxLength} is smaller than the ${nAdded} special tokens to add`);
      }
      truncateEncodings(encoding, pair, nAdded > 0 ? { ...truncation, maxLength: truncation.maxLength - nAdded } : truncation);
    }
    let out: Encoding;
    const encs = pair ? [encoding, pair] : [encoding];
    if (this.postProcessor) {
      encs.forEach((e, i) => e.setSequenceId(i));
      out = Encoding.merge(this.postProcessor.processEncodings(encs, addSpecialTokens), false);
    } else if (encs.length === 1) {
      out = encoding;
    } else {
      encs.forEach((e, i) => e.setSequenceId(i));
      out = Encoding.merge(encs, false);
    }
    if (padding) padEncodings([out], padding);
    return out;
  }

  /**
   * Encodes a text (and optionally a pair text). Returns an Encoding with `ids`, `tokens`, `typeIds`,
   * `attentionMask`, `specialTokensMask`, `offsets` (UTF-16, into the text the token comes from), `wordIds`
   * and `overflowing`.
   */
  encode(text: string, pair?: string | null, options?: EncodeOptions): Encoding {
    const a = checkText(text, 'text', 'Tokenizer.encode');
    const b = pair === undefined || pair === null ? null : checkText(pair, 'pair', 'Tokenizer.encode');
    return this.postProcess(
      this.encodeSequence(a, 0),
      b === null ? null : this.encodeSequence(b, 1),
      options?.addSpecialTokens ?? true,
      this.truncationFor(options, 'Tokenizer.encode'),
      this.paddingFor(options, 'Tokenizer.encode'),
    );
  }

  /** Encodes several inputs (texts or [text, pair] pairs), then pads them together when padding is on. */
  encodeBatch(inputs: BatchInput[], options?: EncodeOptions): Encoding[] {
    if (!Array.isArray(inputs)) throw new TypeError(`Tokenizer.encodeBatch: inputs must be an array, got ${inputs === null ? 'null' : typeof inputs}`);
    const truncation = this.truncationFor(options, 'Tokenizer.encodeBatch');
    const padding = this.paddingFor(options, 'Tokenizer.encodeBatch');
    const add = options?.addSpecialTokens ?? true;
    const out = inputs.map((inp, i) => {
      if (Array.isArray(inp)) {
        if ((inp as unknown[]).length !== 2) throw new TypeError(`Tokenizer.encodeBatch: inputs[${i}] must be a string or a [text, pair] array, got an array of length ${(inp as unknown[]).length}`);
        const a = checkText(inp[0], `inputs[${i}][0]`, 'Tokenizer.encodeBatch');
        const b = checkText(inp[1], `inputs[${i}][1]`, 'Tokenizer.encodeBatch');
        return this.postProcess(this.encodeSequence(a, 0), this.encodeSequence(b, 1), add, truncation, padding);
      }
      const a = checkText(inp, `inputs[${i}]`, 'Tokenizer.encodeBatch');
      return this.postProcess(this.encodeSequence(a, 0), null, add, truncation, padding);
    });
    if (padding) padEncodings(out, padding);
    return out;
  }

  /** Turns ids back into text with the decoder (tokens joined by spaces when there is none). */
  decode(ids: number[], options?: DecodeOptions): string {
    if (!Array.isArray(ids)) throw new TypeError(`Tokenizer.decode: ids must be an array of numbers, got ${ids === null ? 'null' : typeof ids}`);
    const skip = options?.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (const id of ids) {
      const t = this.idToToken(id);
      if (t === undefined) continue;
      if (skip && this.addedVocabulary.isSpecialToken(t)) continue;
      tokens.push(t);
    }
    return this.decoder ? this.decoder.decodeChain(tokens).join('') : tokens.join(' ');
  }

  /** Decodes each id sequence (as {@link Tokenizer.decode}). */
  decodeBatch(batch: number[][], options?: DecodeOptions): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /** Id of a token (added tokens first, then the model vocabulary). */
  tokenToId(token: string): number | undefined {
    return this.addedVocabulary.tokenToId(token, this.model);
  }

  /** Token of an id (added tokens first, then the model vocabulary). */
  idToToken(id: number): string | undefined {
    return this.addedVocabulary.idToToken(id) ?? this.model.idToToken(id);
  }

  /** The vocabulary, with the added tokens unless `withAddedTokens` is false. */
  getVocab(withAddedTokens = true): Map<string, number> {
    const v = this.model.getVocab();
    if (withAddedTokens) for (const [k, id] of this.addedVocabulary.getVocab()) v.set(k, id);
    return v;
  }

  /** Vocabulary size (HF: model size, plus added tokens not in the model when `withAddedTokens`). */
  getVocabSize(withAddedTokens = true): number {
    return withAddedTokens ? this.getVocab(true).size : this.model.getVocabSize();
  }
}

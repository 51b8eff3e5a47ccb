/**
 * Truncation of one encoding or a pair, and padding of a batch (HF `truncate_encodings`, `pad_encodings`),
 * plus the parsing of their tokenizer.json sections and of the per-call options.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/utils/truncation.rs
 * and https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/utils/padding.rs
 */
import { asObject, TokenizerConfigError } from './config.js';
import type { Encoding } from './encoding.js';
import type { PaddingParams, TruncationParams } from './types.js';

/** Per-call / setter form of truncation settings (HF Python names accepted for `strategy` and `direction`). */
export interface TruncationOptions {
  maxLength: number;
  /** 'longest_first' (default), 'only_first', 'only_second' (or the Rust names LongestFirst, ...). */
  strategy?: string;
  stride?: number;
  /** 'right' (default) or 'left'. */
  direction?: string;
}

/** Per-call / setter form of padding settings. */
export interface PaddingOptions {
  /** 'longest' / 'BatchLongest' (default), or 'max_length' / 'fixed' with `maxLength`. */
  strategy?: string;
  /** Target length for the fixed strategy. */
  maxLength?: number;
  /** 'right' (default) or 'left'. */
  direction?: string;
  padToMultipleOf?: number | null;
  padId?: number;
  padTypeId?: number;
  padToken?: string;
}

const STRATEGIES: Record<string, TruncationParams['strategy']> = {
  longest_first: 'LongestFirst', LongestFirst: 'LongestFirst',
  only_first: 'OnlyFirst', OnlyFirst: 'OnlyFirst',
  only_second: 'OnlySecond', OnlySecond: 'OnlySecond',
};

function direction(v: unknown, path: string): 'Right' | 'Left' {
  if (v === undefined || v === null) return 'Right';
  if (v === 'right' || v === 'Right') return 'Right';
  if (v === 'left' || v === 'Left') return 'Left';
  throw new TokenizerConfigError(path, '"right" or "left"', v);
}

function nonNegInt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TokenizerConfigError(path, 'a non-negative integer', v);
  return v;
}

/**
 * The largest sequence length a truncation `max_length`, a fixed padding length or `pad_to_multiple_of` may
 * declare (1,000,000 tokens): padding allocates that many entries per encoding, so an absurd value (2^31)
 * is refused where it is read rather than exhausting memory at the first `encode`.
 */
export const MAX_SEQUENCE_LENGTH = 1_000_000;

function length(v: unknown, path: string): number {
  const n = nonNegInt(v, path);
  if (n > MAX_SEQUENCE_LENGTH) throw new TokenizerConfigError(path, `a length of at most ${MAX_SEQUENCE_LENGTH.toLocaleString('en-US')}`, v);
  return n;
}

/** An own key of a lookup table (never an inherited one such as "constructor"). */
function own<T>(table: Record<string, T>, key: unknown): T | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Normalizes truncation options into params; `path` names the argument in errors. */
export function toTruncationParams(o: TruncationOptions, path = 'truncation'): TruncationParams {
  const strategy = own(STRATEGIES, o.strategy ?? 'longest_first');
  if (!strategy) throw new TokenizerConfigError(`${path}.strategy`, `one of ${Object.keys(STRATEGIES).join(', ')}`, o.strategy);
  return {
    maxLength: length(o.maxLength, `${path}.maxLength`),
    strategy,
    stride: nonNegInt(o.stride ?? 0, `${path}.stride`),
    direction: direction(o.direction, `${path}.direction`),
  };
}

/** Normalizes padding options into params, filling what is missing from `base`. */
export function toPaddingParams(o: PaddingOptions, base: PaddingParams, path = 'padding'): PaddingParams {
  let strategy: PaddingParams['strategy'];
  const s = o.strategy ?? (o.maxLength !== undefined ? 'max_length' : undefined);
  if (s === undefined) strategy = base.strategy;
  else if (s === 'longest' || s === 'BatchLongest' || s === 'batch_longest') strategy = 'BatchLongest';
  else if (s === 'max_length' || s === 'fixed' || s === 'Fixed') strategy = { fixed: length(o.maxLength, `${path}.maxLength`) };
  else throw new TokenizerConfigError(`${path}.strategy`, '"longest" or "max_length"', s);
  const mult = o.padToMultipleOf === undefined ? base.padToMultipleOf : o.padToMultipleOf;
  return {
    strategy,
    direction: o.direction === undefined ? base.direction : direction(o.direction, `${path}.direction`),
    padToMultipleOf: mult === null ? null : length(mult, `${path}.padToMultipleOf`),
    padId: o.padId === undefined ? base.padId : nonNegInt(o.padId, `${path}.padId`),
    padTypeId: o.padTypeId === undefined ? base.padTypeId : nonNegInt(o.padTypeId, `${path}.padTypeId`),
    padToken: o.padToken ?? base.padToken,
  };
}

/** The `truncation` section of tokenizer.json (null: none). */
export function parseTruncation(v: unknown, path = 'truncation'): TruncationParams | null {
  if (v === null || v === undefined) return null;
  const o = asObject(v, path);
  const strategy = own(STRATEGIES, o.strategy ?? 'LongestFirst');
  if (!strategy) throw new TokenizerConfigError(`${path}.strategy`, 'LongestFirst, OnlyFirst or OnlySecond', o.strategy);
  return {
    maxLength: length(o.max_length, `${path}.max_length`),
    strategy,
    stride: nonNegInt(o.stride ?? 0, `${path}.stride`),
    direction: direction(o.direction, `${path}.direction`),
  };
}

/**
 * Why a default truncation cannot serve every encode, or null when it can. `added` is what the post-processor adds
 * to a single sequence, `addedPair` to a pair (null: pairs are refused anyway). HF's `with_truncation` refuses a
 * stride above the effective max length (`max_length` minus the single's special tokens) and panics at encode on
 * the rest (`max_length` below the special tokens: usize underflow; `stride >= max_len` in `Encoding::truncate`);
 * here all of them are refused when the truncation is set, so that a file's truncation fails at load, not at the
 * first long text. LongestFirst cuts both sequences of a long pair to half the pair's effective length, so the
 * stride must fit that half too.
 */
export function truncationProblem(p: TruncationParams, added: number, addedPair: number | null): { key: 'max_length' | 'stride'; expected: string; got: number } | null {
  const need = Math.max(added, addedPair ?? 0);
  if (p.maxLength < need) {
    return { key: 'max_length', expected: `at least ${need} (the special tokens the post-processor adds to a ${need === added ? 'single sequence' : 'pair'})`, got: p.maxLength };
  }
  const single = p.maxLength - added;
  if (single > 0 && p.stride >= single) {
    return { key: 'stride', expected: `smaller than the effective max length ${single} (= ${p.maxLength} - ${added} special tokens)`, got: p.stride };
  }
  if (addedPair !== null && p.strategy === 'LongestFirst') {
    const pair = p.maxLength - addedPair;
    const half = Math.floor(pair / 2) || pair; // the shorter cut of a long pair (0 or 1 token: no stride applies below 1)
    if (half > 0 && p.stride >= half) {
      return { key: 'stride', expected: `smaller than ${half}, the length LongestFirst cuts each sequence of a long pair to (${p.maxLength} - ${addedPair} special tokens, halved)`, got: p.stride };
    }
  }
  return null;
}

/** The `padding` section of tokenizer.json (null: none). */
export function parsePadding(v: unknown, path = 'padding'): PaddingParams | null {
  if (v === null || v === undefined) return null;
  const o = asObject(v, path);
  let strategy: PaddingParams['strategy'];
  if (o.strategy === undefined || o.strategy === 'BatchLongest') strategy = 'BatchLongest';
  else {
    const s = asObject(o.strategy, `${path}.strategy`);
    strategy = { fixed: length(s.Fixed, `${path}.strategy.Fixed`) };
  }
  return {
    strategy,
    direction: direction(o.direction, `${path}.direction`),
    padToMultipleOf: o.pad_to_multiple_of === null || o.pad_to_multiple_of === undefined ? null : length(o.pad_to_multiple_of, `${path}.pad_to_multiple_of`),
    padId: nonNegInt(o.pad_id ?? 0, `${path}.pad_id`),
    padTypeId: nonNegInt(o.pad_type_id ?? 0, `${path}.pad_type_id`),
    padToken: o.pad_token === undefined ? '[PAD]' : getStr(o.pad_token, `${path}.pad_token`),
  };
}

function getStr(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new TokenizerConfigError(path, 'a string', v);
  return v;
}

/** Truncates an encoding (and its pair) to `params.maxLength` tokens in total (HF `truncate_encodings`). */
export function truncateEncodings(encoding: Encoding, pair: Encoding | null, params: TruncationParams): void {
  const { maxLength, stride, direction: dir } = params;
  if (maxLength === 0) {
    encoding.truncate(0, stride, dir);
    pair?.truncate(0, stride, dir);
    return;
  }
  const total = encoding.length + (pair?.length ?? 0);
  if (total <= maxLength) return;
  const toRemove = total - maxLength;
  if (params.strategy === 'LongestFirst') {
    if (pair) {
      let n1 = encoding.length;
      let n2 = pair.length;
      let swap = false;
      if (n1 > n2) { swap = true; [n1, n2] = [n2, n1]; }
      if (n1 > maxLength) n2 = n1;
      else n2 = Math.max(n1, maxLength - n1);
      if (n1 + n2 > maxLength) {
        n1 = Math.floor(maxLength / 2);
        n2 = n1 + (maxLength % 2);
      }
      if (swap) [n1, n2] = [n2, n1];
      encoding.truncate(n1, stride, dir);
      pair.truncate(n2, stride, dir);
    } else {
      encoding.truncate(total - toRemove, stride, dir);
    }
  } else {
    const target = params.strategy === 'OnlyFirst' ? encoding : pair;
    if (!target) throw new Error('truncation strategy only_second needs a second sequence (pair)');
    if (target.length > toRemove) target.truncate(target.length - toRemove, stride, dir);
    else throw new Error(`truncation: the ${params.strategy === 'OnlyFirst' ? 'first' : 'second'} sequence (${target.length} tokens) is too short to remove ${toRemove} tokens`);
  }
}

/** Pads every encoding to the batch's longest (or the fixed length), rounded up to `padToMultipleOf`. */
export function padEncodings(encodings: Encoding[], params: PaddingParams): void {
  if (encodings.length === 0) return;
  let len = params.strategy === 'BatchLongest' ? encodings.reduce((m, e) => Math.max(m, e.length), 0) : params.strategy.fixed;
  const m = params.padToMultipleOf;
  if (m !== null && m > 0 && len % m > 0) len += m - (len % m);
  for (const e of encodings) e.pad(len, params.padId, params.padTypeId, params.padToken, params.direction);
}

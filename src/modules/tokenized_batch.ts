/**
 * A tokenized, padded batch as plain typed arrays (no tensors), and the small tokenizer contract the pipeline
 * needs. Padding follows `tokenizer(..., padding=True)` in Python: padding to the longest row of the batch on the
 * tokenizer's `padding_side` (right unless tokenizer_config.json says left, as Qwen3's does), with the tokenizer's
 * pad id, attention mask 0 and token type 0 on padded positions.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One encoded text (or text pair) with special tokens, already truncated. */
export interface EncodedInput {
  ids: ArrayLike<number>;
  /** Segment ids (same length as ids). */
  typeIds?: ArrayLike<number>;
  /** 1 where the id is a special token the post-processor added ([CLS], [SEP], EOS...), when the tokenizer says. */
  specialTokensMask?: ArrayLike<number>;
}

/**
 * What the pipeline needs from a tokenizer. An adapter over `src/tokenizers`' Tokenizer implements it
 * (see `tokenizer_adapter.ts`); tests may implement it directly.
 */
export interface PipelineTokenizer {
  /**
   * Encode texts, or text pairs, with special tokens, truncated `longest_first` so that each row has at most
   * `maxLength` ids including special tokens (`null`: no truncation). Unpadded.
   */
  encodeInputs(inputs: readonly string[] | readonly (readonly [string, string])[], maxLength: number | null): EncodedInput[];
  /** The pad token id used for padding. */
  readonly padTokenId: number;
  /**
   * Whether Python's tokenizer returns `token_type_ids` (its `model_input_names`): true for BERT-style tokenizers,
   * false for RoBERTa, XLM-R, MPNet, DistilBERT (the model then uses zeros). Default true.
   */
  readonly returnsTokenTypeIds?: boolean;
  /** `model_max_length` from tokenizer_config.json, when known. */
  readonly modelMaxLength?: number;
  /** tokenizer_config.json `padding_side`: where `padBatch` pads (default right). */
  readonly paddingSide?: 'left' | 'right';
  /** The underlying tokenizer object (for users), when there is one. */
  readonly tokenizer?: unknown;
}

/** A padded batch [B, T] as row-major int32 arrays. */
export interface TokenizedBatch {
  batchSize: number;
  seqLength: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  /** Present when the model takes token type ids. */
  tokenTypeIds?: Int32Array;
}

/**
 * Pad encodings to the longest row, on the right (default) or, with `side` 'left', on the left (HF
 * `padding_side="left"`: a row's ids end at the last position). `withTypeIds` false drops token type ids
 * (DistilBERT, MPNet).
 */
export function padBatch(encodings: readonly EncodedInput[], padTokenId: number, withTypeIds: boolean, side: 'left' | 'right' = 'right'): TokenizedBatch {
  const B = encodings.length;
  let T = 0;
  for (const e of encodings) T = Math.max(T, e.ids.length);
  const inputIds = new Int32Array(B * T).fill(padTokenId);
  const attentionMask = new Int32Array(B * T);
  const tokenTypeIds = withTypeIds ? new Int32Array(B * T) : undefined;
  encodings.forEach((e, b) => {
    const o = b * T + (side === 'left' ? T - e.ids.length : 0);
    for (let j = 0; j < e.ids.length; j++) {
      inputIds[o + j] = e.ids[j];
      attentionMask[o + j] = 1;
      if (tokenTypeIds && e.typeIds) tokenTypeIds[o + j] = e.typeIds[j];
    }
  });
  return { batchSize: B, seqLength: T, inputIds, attentionMask, tokenTypeIds };
}

/** Rows of a batch field as number arrays (for inspection and tests). */
export function batchRows(batch: TokenizedBatch, field: 'inputIds' | 'attentionMask' | 'tokenTypeIds'): number[][] {
  const data = batch[field];
  if (!data) return [];
  return Array.from({ length: batch.batchSize }, (_, b) => Array.from(data.subarray(b * batch.seqLength, (b + 1) * batch.seqLength)));
}

/** Real (unpadded) length of each row: its count of attention-mask ones. */
export function rowLengths(batch: TokenizedBatch): Int32Array {
  const out = new Int32Array(batch.batchSize);
  for (let b = 0; b < batch.batchSize; b++) {
    let n = 0;
    for (let j = 0; j < batch.seqLength; j++) n += batch.attentionMask[b * batch.seqLength + j] !== 0 ? 1 : 0;
    out[b] = n;
  }
  return out;
}

/** Rows `rows` of a right-padded batch, re-padded to their own longest row. */
export function selectRows(batch: TokenizedBatch, rows: readonly number[], lengths: Int32Array): TokenizedBatch {
  let T = 0;
  for (const r of rows) T = Math.max(T, lengths[r]);
  const B = rows.length;
  const pick = (src: Int32Array): Int32Array => {
    const dst = new Int32Array(B * T);
    rows.forEach((r, i) => dst.set(src.subarray(r * batch.seqLength, r * batch.seqLength + T), i * T));
    return dst;
  };
  return {
    batchSize: B,
    seqLength: T,
    inputIds: pick(batch.inputIds),
    attentionMask: pick(batch.attentionMask),
    tokenTypeIds: batch.tokenTypeIds ? pick(batch.tokenTypeIds) : undefined,
  };
}

/** Limits for {@link splitByPadding}. */
export interface PaddingSplitOptions {
  /** Largest share of padding tokens a sub-batch may add over its real tokens (default 0.1). */
  maxWaste?: number;
  /** A sub-batch keeps taking rows until it holds this many real tokens, whatever the padding (default 128). */
  minTokens?: number;
}

/**
 * The grouping behind {@link splitByPadding}, on row lengths alone (a batch padded to `seqLength`): one group
 * of every row when the padding is within `maxWaste` already, else rows longest first, a new group whenever
 * the next row would push the group's padding past `maxWaste` (once it holds `minTokens` real tokens).
 */
export function groupByLength(lengths: ArrayLike<number>, seqLength: number, opts: PaddingSplitOptions = {}): number[][] {
  const maxWaste = opts.maxWaste ?? 0.1;
  const minTokens = opts.minTokens ?? 128;
  const all = Array.from({ length: lengths.length }, (_, i) => i);
  let real = 0;
  for (let i = 0; i < lengths.length; i++) real += lengths[i];
  if (lengths.length * seqLength <= (1 + maxWaste) * real) return [all];
  const order = all.slice().sort((a, b) => lengths[b] - lengths[a] || a - b);
  const groups: number[][] = [];
  let cur: number[] = [];
  let curTokens = 0;
  for (const r of order) {
    if (cur.length > 0) {
      const padded = (cur.length + 1) * lengths[cur[0]];
      if (curTokens >= minTokens && padded > (1 + maxWaste) * (curTokens + lengths[r])) {
        groups.push(cur);
        cur = [];
        curTokens = 0;
      }
    }
    cur.push(r);
    curTokens += lengths[r];
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/**
 * Split a right-padded batch into sub-batches of similar lengths so that little compute goes to padding: rows
 * in decreasing length, each sub-batch padded to its own longest row. The encoders give every row the same
 * result whatever its padding (batched equals single), so this changes no output, only the work done. Returns
 * the batch itself as one group when splitting would not help. `rows` index the original batch.
 */
export function splitByPadding(batch: TokenizedBatch, opts: PaddingSplitOptions = {}): { rows: number[]; batch: TokenizedBatch }[] {
  const lengths = rowLengths(batch);
  const all = Array.from({ length: batch.batchSize }, (_, i) => i);
  // Right padding only: a row's ones must be a prefix (else keep the batch as it is).
  for (let b = 0; b < batch.batchSize; b++) {
    if (lengths[b] < batch.seqLength && batch.attentionMask[b * batch.seqLength + lengths[b]] !== 0) return [{ rows: all, batch }];
    if (lengths[b] > 0 && batch.attentionMask[b * batch.seqLength + lengths[b] - 1] === 0) return [{ rows: all, batch }];
  }
  const groups = groupByLength(lengths, batch.seqLength, opts);
  if (groups.length === 1) return [{ rows: all, batch }];
  return groups.map((rows) => ({ rows, batch: selectRows(batch, rows, lengths) }));
}

/** int32 tensors of a batch; the caller owns them. */
export function batchToTensors(batch: TokenizedBatch): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D } {
  const shape: [number, number] = [batch.batchSize, batch.seqLength];
  return {
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
    tokenTypeIds: batch.tokenTypeIds ? tf.tensor2d(batch.tokenTypeIds, shape, 'int32') : undefined,
  };
}

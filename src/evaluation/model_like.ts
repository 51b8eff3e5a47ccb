/**
 * The structural model types the evaluators take, so evaluation/ never imports api/: the slice of
 * `SentenceTransformer` (encode, encodeQuery / encodeDocument, similarityFnName) and of `CrossEncoder` (predict,
 * numLabels) they call. A `SentenceTransformer` / `CrossEncoder` satisfies them, and so does a stand-in that returns
 * fixed embeddings or scores.
 *
 * Reference: the `model.encode(...)` / `model.predict(...)` calls of sentence-transformers v6.0.1's evaluators.
 * https://github.com/huggingface/sentence-transformers/tree/v6.0.1/sentence_transformers/sentence_transformer/evaluation
 */
import { toMatrix, toRows, type EmbeddingsInput, type Matrix } from '../util/matrix.js';

/** The encode options an evaluator passes (a subset of `SentenceTransformer.encode`'s). */
export interface EvaluatorEncodeOptions {
  batchSize?: number;
  showProgressBar?: boolean;
  truncateDim?: number | null;
  normalizeEmbeddings?: boolean;
  /** `precision` (EmbeddingSimilarityEvaluator's option): the rows come back quantized. */
  precision?: 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';
  prompt?: string;
  promptName?: string;
}

/** Anything that encodes texts as a `SentenceTransformer` does (what the bi-encoder evaluators call). */
export interface EncoderLike {
  /** Embeddings of `sentences` in input order: rows, a matrix or a 2-D tensor (disposed after reading). */
  encode(sentences: string[], options?: EvaluatorEncodeOptions): Promise<unknown>;
  /** `encode_query` (used by TripletEvaluator / InformationRetrievalEvaluator when present; else `encode`). */
  encodeQuery?(sentences: string[], options?: EvaluatorEncodeOptions): Promise<unknown>;
  /** `encode_document` (as `encodeQuery`). */
  encodeDocument?(sentences: string[], options?: EvaluatorEncodeOptions): Promise<unknown>;
  /** `similarity_fn_name`, the default similarity of the evaluators (cosine when absent). */
  readonly similarityFnName?: string;
}

/** A (query, passage) pair. */
export type TextPair = readonly [string, string];

/** Anything that scores text pairs as a `CrossEncoder` does (what the CrossEncoder evaluators call). */
export interface PredictorLike {
  /** Scores of the pairs in input order: one number per pair (one label) or one row per pair (several labels). */
  predict(pairs: readonly TextPair[], options?: { batchSize?: number; showProgressBar?: boolean }): Promise<unknown>;
  /** `num_labels` of the classifier head. */
  readonly numLabels: number;
}

/** Embeddings from whatever `encode` returned, as a float32 matrix (tensors are read and disposed). */
export function toEmbeddingMatrix(value: unknown, what: string): Matrix {
  const m = toMatrix(value as EmbeddingsInput, what);
  const t = value as { dispose?: () => void; dataSync?: unknown };
  if (typeof t?.dataSync === 'function' && typeof t.dispose === 'function') t.dispose();
  return m;
}

/** Encode with `encode`, `encodeQuery` or `encodeDocument` (falling back to `encode`) and return the rows. */
export async function encodeRows(
  model: EncoderLike,
  sentences: string[],
  options: EvaluatorEncodeOptions,
  kind: 'query' | 'document' | null,
  what: string,
): Promise<Float32Array[]> {
  if (model === null || typeof model !== 'object' || typeof model.encode !== 'function') {
    throw new TypeError(`${what}: model must have an encode(sentences, options) method, got ${model === null ? 'null' : typeof model}`);
  }
  if (sentences.length === 0) return [];
  const fn = kind === 'query' ? model.encodeQuery : kind === 'document' ? model.encodeDocument : undefined;
  const out = await (fn ? fn.call(model, sentences, options) : model.encode(sentences, options));
  const m = toEmbeddingMatrix(out, `${what}: embeddings`);
  if (m.rows !== sentences.length) throw new RangeError(`${what}: encode returned ${m.rows} rows for ${sentences.length} texts`);
  return toRows(m);
}

/** Scores from `predict`: a number per pair (numLabels 1) or a row per pair. */
export async function predictScores(model: PredictorLike, pairs: readonly TextPair[], batchSize: number, showProgressBar: boolean, what: string): Promise<number[][] | number[]> {
  if (model === null || typeof model !== 'object' || typeof model.predict !== 'function') {
    throw new TypeError(`${what}: model must have a predict(pairs, options) method, got ${model === null ? 'null' : typeof model}`);
  }
  if (pairs.length === 0) return [];
  const out = await model.predict(pairs, { batchSize, showProgressBar });
  const arr = (ArrayBuffer.isView(out) ? Array.from(out as unknown as ArrayLike<number>) : out) as unknown[];
  if (!Array.isArray(arr) || arr.length !== pairs.length) {
    throw new RangeError(`${what}: predict must return one score (or row of scores) per pair; got ${Array.isArray(arr) ? arr.length : typeof arr} for ${pairs.length} pairs`);
  }
  if (typeof arr[0] === 'number') return (arr as number[]).map((x) => Math.fround(x));
  return (arr as ArrayLike<number>[]).map((r) => Array.from(r, (x) => Math.fround(x)));
}

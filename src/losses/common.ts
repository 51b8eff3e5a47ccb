/**
 * Checks shared by the losses in this folder: the batch has the columns and labels a loss needs, with the shapes
 * it needs; errors name the loss, what was expected and what was got.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { EmbeddingBatch } from './types.js';

/** The embedding columns of a batch, checked: between min and max columns, all [batch, dim] with one batch size. */
export function checkColumns(loss: string, batch: EmbeddingBatch, min: number, max: number): tf.Tensor2D[] {
  const cols = batch?.embeddings;
  if (!Array.isArray(cols)) throw new TypeError(`${loss}: batch.embeddings must be an array of [batch, dim] tensors, got ${typeof cols}`);
  if (cols.length < min || cols.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new RangeError(`${loss}: expected ${want} text column(s), got ${cols.length}`);
  }
  cols.forEach((c, i) => {
    if (c.rank !== 2) throw new RangeError(`${loss}: embeddings[${i}] must be [batch, dim], got shape [${c.shape.join(', ')}]`);
    if (c.shape[0] !== cols[0].shape[0]) throw new RangeError(`${loss}: embeddings[${i}] has ${c.shape[0]} rows, embeddings[0] has ${cols[0].shape[0]}`);
  });
  return cols;
}

/** The `[batch]` labels of a batch, checked (required by this loss). */
export function requireLabels(loss: string, batch: EmbeddingBatch, rows: number): tf.Tensor1D {
  const labels = batch.labels;
  if (!labels) throw new TypeError(`${loss}: needs a label column ('label' or 'score'), the batch has none`);
  if (labels.rank !== 1 || labels.shape[0] !== rows) throw new RangeError(`${loss}: labels must be [${rows}], got shape [${labels.shape.join(', ')}]`);
  return labels;
}

/** A positive finite number option. */
export function positiveNumber(value: unknown, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  return v;
}

/** A finite number option. */
export function finiteNumber(value: unknown, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${what} must be a finite number, got ${JSON.stringify(value)}`);
  return v;
}

/**
 * Reading `fixtures/reference/training` (fixtures README, "Fine-tuning references (multi-step)") for the training
 * tests: the bi-encoder runs' datasets, step records and tensors, and comparisons of a trained model's parameters
 * and gradients with the recorded ones (word embeddings only at the recorded rows; linear weights transposed back).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedParameter } from '../../src/weights/index.js';
import { loadReference, type Reference } from './reference.js';

export const RUNS = ['cosine_similarity_loss', 'multiple_negatives_ranking_loss', 'cosent_loss', 'matryoshka_mnrl_loss'] as const;
export type RunName = (typeof RUNS)[number];

export function trainingReference(): Reference {
  return loadReference('training');
}

/** The 12 rows of a run in dataset order, as the run's columns (sentence1/sentence2/score or anchor/positive). */
export function runRows(run: RunName): Record<string, unknown>[] {
  const ref = trainingReference().json.bi_encoder;
  const cols: string[] = ref.runs[run].columns;
  return ref.dataset.rows.map((r: Record<string, unknown>) =>
    cols.length === 3 ? { [cols[0]]: r.sentence1, [cols[1]]: r.sentence2, [cols[2]]: r.score } : { [cols[0]]: r.sentence1, [cols[1]]: r.sentence2 },
  );
}

/** Values of a parameter or gradient in PyTorch's layout and, for the word embeddings, only the recorded rows. */
export function torchLayout(p: NamedParameter, value: tf.Tensor, rows: number[] | undefined): Float32Array {
  return tf.tidy(() => {
    let t = p.transposed ? tf.transpose(value) : value;
    if (p.key.endsWith('word_embeddings.weight') && rows) t = tf.gather(t, tf.tensor1d(rows, 'int32'));
    return t.dataSync() as Float32Array;
  });
}

/** The reference tensor name of a parameter for `<prefix>.<name>` (word embeddings: `.rows`). */
export function refName(prefix: string, hfName: string): string {
  return `${prefix}.${hfName}${hfName.endsWith('word_embeddings.weight') ? '.rows' : ''}`;
}

/** Max |a - b| / max(|b|, floor) over arrays; and max abs. */
export function diffs(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; index: number } {
  let abs = 0;
  let index = -1;
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= abs)) {
      abs = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
  }
  return { abs, index };
}

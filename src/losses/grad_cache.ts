/**
 * GradCache's third stage, shared by CachedMultipleNegativesRankingLoss (one process) and the gathered loss under
 * dataParallel (training/gather.ts): each (column, mini-batch) is embedded again ON the tape with the dropout seed
 * of its first, tape-free pass, and the cached gradient of its rows is backpropagated through it; the parameter
 * gradients of all mini-batches add up.
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/losses/CachedMultipleNegativesRankingLoss.py
 * (`_backward_hook`: `torch.dot(reps_mb.flatten(), grad_mb.flatten()) * grad_output` per mini-batch, under its
 * RandContext)
 */

import * as tf from '@tensorflow/tfjs-core';
import type { ModelLossContext } from './types.js';

/**
 * Replay every mini-batch `ranges[c][k]` = [start, end) of every column `c` with its seed `seeds[c][k]` and add the
 * parameter gradients of `sum(embed * gradOf(c, start, end))` into `grads` (by variable name; the caller owns them,
 * also when this throws). `gradOf` returns the cached gradient of those rows, [end - start, dim]; it is disposed here.
 */
export function replayMiniBatches(
  ctx: ModelLossContext,
  ranges: readonly (readonly [number, number])[][],
  seeds: readonly (readonly number[])[],
  gradOf: (column: number, start: number, end: number) => tf.Tensor2D,
  grads: Record<string, tf.Tensor>,
): void {
  ranges.forEach((colRanges, c) => {
    colRanges.forEach(([s, e], k) => {
      const g = gradOf(c, s, e); // [e - s, dim]
      const r = tf.variableGrads(() => tf.sum(tf.mul(ctx.embed(c, s, e, seeds[c][k]), g)) as tf.Scalar, ctx.variables);
      g.dispose();
      r.value.dispose();
      for (const [name, t] of Object.entries(r.grads)) {
        if (grads[name]) {
          const sum = tf.add(grads[name], t);
          grads[name].dispose();
          t.dispose();
          grads[name] = sum;
        } else grads[name] = t;
      }
    });
  });
}

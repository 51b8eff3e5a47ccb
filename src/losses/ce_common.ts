/** Checks shared by the CrossEncoder losses: logits [batch, numLabels] and labels [batch]. */
import type * as tf from '@tensorflow/tfjs-core';

/** Check logits / labels shapes; `oneLabel` requires numLabels 1. */
export function checkLogits(loss: string, logits: tf.Tensor2D, labels: tf.Tensor1D, oneLabel: boolean): void {
  if (!logits || logits.rank !== 2) throw new RangeError(`${loss}: logits must be [batch, numLabels], got ${logits ? `shape [${logits.shape.join(', ')}]` : String(logits)}`);
  if (oneLabel && logits.shape[1] !== 1) throw new RangeError(`${loss}: expects a model with 1 output label, got logits with ${logits.shape[1]} labels`);
  if (!labels || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new RangeError(`${loss}: labels must be [${logits.shape[0]}], got ${labels ? `shape [${labels.shape.join(', ')}]` : String(labels)}`);
  }
}

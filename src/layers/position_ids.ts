/**
 * Position ids for the embedding block: absolute (`arange(T)`, BERT, DistilBERT) or counted from `padding_idx` over
 * the non-pad tokens (RoBERTa, XLM-R, MPNet).
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/roberta/modeling_roberta.py
 */
import * as tf from '@tensorflow/tfjs-core';

export { absolutePositionIds } from './embeddings.js';

/**
 * HF `create_position_ids_from_input_ids`: `(cumsum(ids != pad) * (ids != pad)) + pad`, so real tokens get
 * positions pad+1, pad+2, ... and padding gets `pad`. ids int32 [B, T] -> int32 [B, T].
 *
 * @example
 * positionIdsFromInputIds(tf.tensor2d([[0, 5, 6, 1, 1]], [1, 5], 'int32'), 1); // [[2, 3, 4, 1, 1]]
 */
export function positionIdsFromInputIds(inputIds: tf.Tensor2D, paddingIdx: number): tf.Tensor2D {
  return tf.tidy(() => {
    const mask = tf.cast(tf.notEqual(inputIds, paddingIdx), 'float32'); // [B, T]
    const incremental = tf.mul(tf.cumsum(mask, 1), mask); // [B, T], exact small integers in float32
    return tf.add(tf.cast(incremental, 'int32'), tf.scalar(paddingIdx, 'int32')) as tf.Tensor2D;
  });
}

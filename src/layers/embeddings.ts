/**
 * The embedding block of BERT-family encoders: word + token type (when the model has them) + position, then
 * LayerNorm, then dropout (training mode only; the identity at inference). The additions happen in HF's order,
 * `(word + token_type) + position`, so float32 results match bit for bit where the ops do.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * (BertEmbeddings; RobertaEmbeddings, DistilBERT's Embeddings and MPNetEmbeddings differ only in position ids and
 * in having no token types.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightMap } from '../weights/index.js';
import { hiddenDropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { LayerNorm } from './layer_norm.js';

/** Sizes of the embedding tables. `typeVocabSize` 0 means no token-type table. */
export interface EmbeddingsShape {
  vocabSize: number;
  hiddenSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
}

export class Embeddings {
  readonly word: Embedding;
  readonly position: Embedding;
  readonly tokenType?: Embedding;
  readonly norm: LayerNorm;

  /** Load `word_embeddings`, `position_embeddings`, `token_type_embeddings` (if any) and `LayerNorm` under `wm`. */
  constructor(wm: WeightMap, s: EmbeddingsShape) {
    this.word = Embedding.load(wm, 'word_embeddings', s.vocabSize, s.hiddenSize);
    this.position = Embedding.load(wm, 'position_embeddings', s.maxPositions, s.hiddenSize);
    if (s.typeVocabSize > 0) this.tokenType = Embedding.load(wm, 'token_type_embeddings', s.typeVocabSize, s.hiddenSize);
    this.norm = LayerNorm.load(wm, 'LayerNorm', s.hiddenSize, s.layerNormEps);
  }

  /**
   * ids int32 [B, T], position ids int32 [B, T] or [1, T], token types int32 [B, T] (ignored without a
   * token-type table) -> [B, T, H].
   */
  apply(inputIds: tf.Tensor2D, positionIds: tf.Tensor2D, tokenTypeIds?: tf.Tensor2D): tf.Tensor3D {
    let e = this.word.apply(inputIds); // [B, T, H]
    if (this.tokenType && tokenTypeIds) e = tf.add(e, this.tokenType.apply(tokenTypeIds));
    const pos = this.position.apply(positionIds); // [B, T, H] or [1, T, H]
    // LayerNorm(e + pos) as one add + LayerNorm kernel call where no broadcast is needed (a batch of one, or
    // positions per row): its add is tf.add's, the same bits; otherwise the broadcast add, then LayerNorm.
    if (tf.util.arraysEqual(pos.shape, e.shape)) return hiddenDropout(this.norm.apply(e, pos) as tf.Tensor3D);
    e = tf.add(e, pos); // [B, T, H] (+ [1, T, H] broadcast)
    return hiddenDropout(this.norm.apply(e) as tf.Tensor3D);
  }
}

/** `arange(T)` as int32 [1, T]: absolute positions shared by the batch. */
export function absolutePositionIds(seqLength: number): tf.Tensor2D {
  // Written from JS (an upload) rather than tf.range + expandDims: two kernel calls fewer per forward.
  const ids = new Int32Array(seqLength);
  for (let i = 0; i < seqLength; i++) ids[i] = i;
  return tf.tensor2d(ids, [1, seqLength], 'int32'); // [1, T]
}

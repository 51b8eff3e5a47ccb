/**
 * `MLMTransformer`, the 5.x SparseEncoder module name (deprecated in 6.x): a `Transformer` whose
 * `transformer_task` defaults to `fill-mask`, so it outputs MLM token logits.
 *
 * Reference (6.0.1): https://github.com/huggingface/sentence-transformers/blob/0cdd958c29967a7ee8687e9264a810b2228e36d9/sentence_transformers/sparse_encoder/modules/mlm_transformer.py
 */
import { Transformer } from './transformer.js';
import type { SentenceModuleClass } from './types.js';

/** Loads as a {@link Transformer} with `transformer_task: "fill-mask"` unless its sentence_bert_config.json says otherwise. */
export const MLMTransformer: SentenceModuleClass = {
  typeName: 'sentence_transformers.sparse_encoder.models.MLMTransformer',
  requiredFiles: Transformer.requiredFiles,
  load: (dir: string, opts = {}) => Transformer.load(dir, opts, 'fill-mask'),
};

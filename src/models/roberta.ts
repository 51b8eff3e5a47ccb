/**
 * RoBERTa and XLM-RoBERTa: BERT with position ids counted from `padding_idx` over the non-pad tokens
 * (`create_position_ids_from_input_ids`), `roberta.`-prefixed checkpoints, pad id 1 by default, and the
 * `classifier.dense` / `classifier.out_proj` head.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/roberta/modeling_roberta.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/xlm_roberta/modeling_xlm_roberta.py
 */
import type { WeightMap } from '../weights/index.js';
import { BertModel, parseBertConfig, type BertConfig } from './bert.js';
import type { HeadSpec } from './heads.js';

/** RoBERTa's config.json: BERT's keys; `pad_token_id` (= `padding_idx`) defaults to 1. */
export type RobertaConfig = BertConfig;

/** Parse a `roberta` / `xlm-roberta` config.json. */
export function parseRobertaConfig(raw: Record<string, unknown>, what = 'roberta'): RobertaConfig {
  return parseBertConfig(raw, what, { pad_token_id: 1 });
}

/** `RobertaClassificationHead`: `classifier.dense` + tanh on `<s>`, then `classifier.out_proj`. */
export const ROBERTA_HEAD: HeadSpec = { dense: 'classifier.dense', activation: 'tanh', out: 'classifier.out_proj' };

/** `RobertaModel` / `XLMRobertaModel` (without the pooler); positions start after `padding_idx` = `pad_token_id`. */
export class RobertaModel extends BertModel {
  constructor(config: RobertaConfig, root: WeightMap) {
    super(config, root, { prefixes: ['roberta'], paddingIdx: config.pad_token_id });
  }
}

/**
 * tokenizer_config.json (+ special_tokens_map.json), interpreted in one place: special tokens, `model_max_length`
 * (transformers' "unlimited" sentinel), `model_input_names`, padding / truncation sides, added-token entries.
 * Pure data: no tfjs, no file system, no Tokenizer (so the tokenizer and the slow-file converters both import it
 * without a cycle).
 *
 * Reference: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/tokenization_utils_base.py
 */
import { addedToken, type AddedToken } from './added_vocabulary.js';
import type { JSONObject } from './config.js';

/** What tokenizer_config.json (+ special_tokens_map.json) says, as the pipeline needs it. */
export interface TokenizerConfigInfo {
  /** `model_max_length`; null when absent, not positive, or "unlimited" (transformers' 1e30 sentinel). */
  modelMaxLength: number | null;
  tokenizerClass: string | null;
  /** `model_input_names` (e.g. `["input_ids", "attention_mask"]`), null when absent. */
  modelInputNames: string[] | null;
  /** Special token strings by role (cls, sep, pad, unk, mask, bos, eos), when defined. */
  specialTokens: Partial<Record<'cls' | 'sep' | 'pad' | 'unk' | 'mask' | 'bos' | 'eos', string>>;
  doLowerCase: boolean | null;
  paddingSide: 'right' | 'left';
  truncationSide: 'right' | 'left';
  /** The parsed tokenizer_config.json (empty object when absent). */
  raw: JSONObject;
}

/** Options of `Tokenizer.fromPretrained`. */
export interface FromPretrainedOptions {
  /** Build from vocab.txt etc. even when tokenizer.json exists (used by the parity tests). */
  ignoreTokenizerJson?: boolean;
}

const ROLES = ['cls', 'sep', 'pad', 'unk', 'mask', 'bos', 'eos'] as const;

/**
 * transformers writes `VERY_LARGE_INTEGER` (`int(1e30)`) as `model_max_length` when a tokenizer has no limit;
 * values from 1e29 up count as "no limit".
 */
const UNLIMITED_FROM = 1e29;

/** Tokenizer classes whose `model_input_names` leave out `token_type_ids` (their models get zeros). */
const NO_TOKEN_TYPE_CLASSES = /^(Roberta|XLMRoberta|Camembert|MPNet|DistilBert|Bart|Longformer)Tokenizer(Fast)?$/;
/** The same by config.json `model_type`, when tokenizer_config.json names no class. */
const NO_TOKEN_TYPE_MODELS = new Set(['roberta', 'xlm-roberta', 'camembert', 'mpnet', 'distilbert', 'longformer']);

/** The content of a token entry: a plain string, or an AddedToken object's `content`. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as JSONObject).content === 'string') return (v as JSONObject).content as string;
  return undefined;
}

/**
 * An added token from a tokenizer_config.json / special_tokens_map.json entry: either a plain string (given
 * `stringDefaults`) or an AddedToken object with its own flags.
 */
export function toAddedToken(v: unknown, special: boolean, stringDefaults: Partial<AddedToken> = { normalized: false }): AddedToken | undefined {
  if (typeof v === 'string') return addedToken(v, special, stringDefaults);
  if (v && typeof v === 'object' && typeof (v as JSONObject).content === 'string') {
    const o = v as JSONObject;
    return {
      content: o.content as string,
      singleWord: o.single_word === true,
      lstrip: o.lstrip === true,
      rstrip: o.rstrip === true,
      normalized: typeof o.normalized === 'boolean' ? o.normalized : !special,
      special: typeof o.special === 'boolean' ? o.special : special,
    };
  }
  return undefined;
}

/** Reads the config info from a parsed tokenizer_config.json and special_tokens_map.json. */
export function readTokenizerConfig(config: JSONObject, specialMap: JSONObject = {}): TokenizerConfigInfo {
  const specialTokens: TokenizerConfigInfo['specialTokens'] = {};
  for (const r of ROLES) {
    const v = tokenContent(config[`${r}_token`]) ?? tokenContent(specialMap[`${r}_token`]);
    if (v !== undefined) specialTokens[r] = v;
  }
  const mml = config.model_max_length;
  const names = config.model_input_names;
  return {
    modelMaxLength: typeof mml === 'number' && mml > 0 && mml < UNLIMITED_FROM ? mml : null,
    tokenizerClass: typeof config.tokenizer_class === 'string' ? config.tokenizer_class : null,
    modelInputNames: Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : null,
    specialTokens,
    doLowerCase: typeof config.do_lower_case === 'boolean' ? config.do_lower_case : null,
    paddingSide: config.padding_side === 'left' ? 'left' : 'right',
    truncationSide: config.truncation_side === 'left' ? 'left' : 'right',
    raw: config,
  };
}

/**
 * Whether Python's tokenizer returns `token_type_ids` (its `model_input_names`): as listed when
 * tokenizer_config.json lists them, else by tokenizer class (RoBERTa, XLM-R, MPNet, DistilBERT, ... do not), else by
 * config.json `model_type`.
 */
export function returnsTokenTypeIds(info: TokenizerConfigInfo, modelType?: string): boolean {
  if (info.modelInputNames !== null) return info.modelInputNames.includes('token_type_ids');
  if (info.tokenizerClass !== null) return !NO_TOKEN_TYPE_CLASSES.test(info.tokenizerClass);
  return !NO_TOKEN_TYPE_MODELS.has(modelType ?? '');
}

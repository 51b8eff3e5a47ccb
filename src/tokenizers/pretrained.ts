/**
 * Loading a tokenizer from a model directory: tokenizer.json when present, else the files of a "slow"
 * tokenizer, converted as transformers' `convert_slow_tokenizer` does (BertConverter / MPNetConverter for
 * vocab.txt). tokenizer_config.json (+ special_tokens_map.json) give the special tokens and model_max_length.
 *
 * Reference: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/convert_slow_tokenizer.py
 * and https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/tokenization_utils_fast.py
 */
import { joinPath, pathExists, readFileText, readJSONFile } from '../platform/fs.js';
import { addedToken, type AddedToken } from './added_vocabulary.js';
import { asObject, TokenizerConfigError, type JSONObject } from './config.js';
import { WordPieceDecoder } from './decoders/wordpiece.js';
import { WordPiece } from './models/wordpiece.js';
import { BertNormalizer } from './normalizers/bert.js';
import { TemplateProcessing, parseTemplateString } from './post_processors/template.js';
import { BertPreTokenizer } from './pre_tokenizers/bert.js';
import { Tokenizer } from './tokenizer.js';

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

const DEFAULT_SPECIALS: Record<string, TokenizerConfigInfo['specialTokens']> = {
  bert: { unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]' },
  mpnet: { bos: '<s>', eos: '</s>', sep: '</s>', cls: '<s>', unk: '[UNK]', pad: '<pad>', mask: '<mask>' },
};

/**
 * Builds the fast-tokenizer pipeline from a vocab.txt as transformers' BertConverter (BertTokenizer,
 * DistilBertTokenizer, ...) or MPNetConverter does, then adds the special tokens as PreTrainedTokenizerFast.
 */
export function fromWordPieceVocab(vocabText: string, config: JSONObject = {}, specialMap: JSONObject = {}): Tokenizer {
  const info = readTokenizerConfig(config, specialMap);
  const cls = info.tokenizerClass ?? 'BertTokenizer';
  const isMpnet = /^MPNetTokenizer/.test(cls);
  const specials = { ...DEFAULT_SPECIALS[isMpnet ? 'mpnet' : 'bert'], ...info.specialTokens };
  const bool = (k: string, d: boolean | null): boolean | null => (typeof config[k] === 'boolean' ? (config[k] as boolean) : config[k] === null ? null : d);
  const lower = bool('do_lower_case', true) ?? true;
  const model = WordPiece.fromVocabText(vocabText, { unkToken: specials.unk ?? '[UNK]' });
  const clsTok = specials.cls!, sepTok = specials.sep!;
  const clsId = model.tokenToId(clsTok), sepId = model.tokenToId(sepTok);
  if (clsId === undefined || sepId === undefined) throw new Error(`vocab.txt has no id for the cls/sep tokens ${JSON.stringify(clsTok)} / ${JSON.stringify(sepTok)}`);
  const special = new Map([[clsTok, { id: clsTok, ids: [clsId], tokens: [clsTok] }], [sepTok, { id: sepTok, ids: [sepId], tokens: [sepTok] }]]);
  const single = parseTemplateString(`${clsTok}:0 $A:0 ${sepTok}:0`);
  const pair = parseTemplateString(isMpnet ? `${clsTok}:0 $A:0 ${sepTok}:0 ${sepTok}:0 $B:1 ${sepTok}:1` : `${clsTok}:0 $A:0 ${sepTok}:0 $B:1 ${sepTok}:1`);
  const tokenizer = new Tokenizer({
    model,
    normalizer: new BertNormalizer({
      cleanText: true,
      handleChineseChars: bool('tokenize_chinese_chars', true) ?? true,
      stripAccents: bool('strip_accents', null),
      lowercase: lower,
    }),
    preTokenizer: new BertPreTokenizer(),
    postProcessor: new TemplateProcessing(single, pair, special),
    decoder: new WordPieceDecoder('##', true),
  });
  // PreTrainedTokenizerFast: added_tokens_decoder (by id) first, then the special tokens not added yet.
  const toAdd: AddedToken[] = [];
  const dec = config.added_tokens_decoder;
  if (dec && typeof dec === 'object') {
    const entries = Object.entries(asObject(dec, 'tokenizer_config.json added_tokens_decoder')).sort((a, b) => Number(a[0]) - Number(b[0]));
    for (const [, v] of entries) {
      const t = toAddedToken(v, false);
      if (t) toAdd.push(t);
    }
  }
  const seen = new Set(toAdd.map((t) => t.content));
  for (const r of ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'] as const) {
    const v = config[`${r}_token`] ?? specialMap[`${r}_token`] ?? specials[r];
    const t = toAddedToken(v, true);
    if (t && !seen.has(t.content)) { toAdd.push({ ...t, special: true }); seen.add(t.content); }
  }
  const extra = config.additional_special_tokens ?? specialMap.additional_special_tokens;
  if (Array.isArray(extra)) for (const v of extra) {
    const t = toAddedToken(v, true);
    if (t && !seen.has(t.content)) { toAdd.push({ ...t, special: true }); seen.add(t.content); }
  }
  // Tokens that are special by name are special even when added_tokens_decoder says otherwise.
  const specialNames = new Set<string>(Object.values(specials));
  for (const t of toAdd) if (specialNames.has(t.content)) t.special = true;
  // transformers adds them in runs of equal "special"-ness; ids come from the vocab, so one call is equivalent.
  tokenizer.addTokens(toAdd);
  tokenizer.config = info;
  return tokenizer;
}

/** Loads the tokenizer of a model directory: tokenizer.json when present, else vocab.txt (+ configs). */
export async function fromPretrainedDir(dir: string, options: FromPretrainedOptions = {}): Promise<Tokenizer> {
  if (typeof dir !== 'string') throw new TypeError(`Tokenizer.fromPretrainedDir: dir must be a string, got ${typeof dir}`);
  const p = (f: string): Promise<string> => joinPath(dir, f);
  const readOpt = async (f: string): Promise<JSONObject> => ((await pathExists(await p(f))) ? asObject(await readJSONFile(await p(f)), f) : {});
  const config = await readOpt('tokenizer_config.json');
  const specialMap = await readOpt('special_tokens_map.json');
  if (!options.ignoreTokenizerJson && (await pathExists(await p('tokenizer.json')))) {
    const t = Tokenizer.fromJSON(await readJSONFile(await p('tokenizer.json')));
    t.config = readTokenizerConfig(config, specialMap);
    return t;
  }
  if (await pathExists(await p('vocab.txt'))) {
    return fromWordPieceVocab(await readFileText(await p('vocab.txt')), config, specialMap);
  }
  if ((await pathExists(await p('vocab.json'))) && (await pathExists(await p('merges.txt')))) {
    // Byte-level BPE (RoBERTa): RobertaConverter, see legacy_bpe.ts.
    const { fromByteLevelBpeFiles } = await import('./legacy_bpe.js');
    return fromByteLevelBpeFiles(await readFileText(await p('vocab.json')), await readFileText(await p('merges.txt')), config, specialMap);
  }
  throw new TokenizerConfigError(dir, 'a directory with tokenizer.json, vocab.txt, or vocab.json + merges.txt', 'none of them');
}

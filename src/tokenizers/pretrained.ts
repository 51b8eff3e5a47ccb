/**
 * Loading a tokenizer from a model directory: tokenizer.json when present, else the files of a "slow"
 * tokenizer, converted as transformers' `convert_slow_tokenizer` does (BertConverter / MPNetConverter for
 * vocab.txt). tokenizer_config.json (+ special_tokens_map.json) give the special tokens and model_max_length.
 *
 * Reference: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/convert_slow_tokenizer.py
 * and https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/tokenization_utils_fast.py
 */
import { checkNoLinksOutside, joinPath, pathExists, readFileText, readJSONFile } from '../platform/fs.js';
import { asObject, TokenizerConfigError, type JSONObject } from './config.js';
import { WordPieceDecoder } from './decoders/wordpiece.js';
import { WordPiece } from './models/wordpiece.js';
import { BertNormalizer } from './normalizers/bert.js';
import { TemplateProcessing, parseTemplateString } from './post_processors/template.js';
import { BertPreTokenizer } from './pre_tokenizers/bert.js';
import type { AddedToken } from './added_vocabulary.js';
import { Tokenizer } from './tokenizer.js';
import { readTokenizerConfig, toAddedToken, type FromPretrainedOptions, type TokenizerConfigInfo } from './tokenizer_config.js';


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

/**
 * Loads the tokenizer of a model directory: tokenizer.json when present, else vocab.txt (+ configs). A symlink in
 * `dir` resolving outside it is refused (a ModelConfigError), as the model loaders do.
 */
export async function fromPretrainedDir(dir: string, options: FromPretrainedOptions = {}): Promise<Tokenizer> {
  if (typeof dir !== 'string') throw new TypeError(`Tokenizer.fromPretrainedDir: dir must be a string, got ${typeof dir}`);
  await checkNoLinksOutside(dir);
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

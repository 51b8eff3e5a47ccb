/**
 * Builds the RoBERTa fast-tokenizer pipeline from the files of a "slow" byte-level BPE tokenizer
 * (vocab.json + merges.txt, with tokenizer_config.json / special_tokens_map.json), as transformers does when a
 * model directory has no tokenizer.json: RobertaTokenizer reads the files, `RobertaConverter` builds
 * BPE + ByteLevel + RobertaProcessing + ByteLevel decoder, RobertaTokenizerFast applies add_prefix_space /
 * trim_offsets, and PreTrainedTokenizerFast adds the added/special tokens.
 *
 * Reference: transformers v4.41.2
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/convert_slow_tokenizer.py (RobertaConverter)
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/roberta/tokenization_roberta.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/roberta/tokenization_roberta_fast.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/tokenization_utils_fast.py
 */
import type { AddedToken } from './added_vocabulary.js';
import { asObject, TokenizerConfigError, type JSONObject } from './config.js';
import { ByteLevelDecoder } from './decoders/byte_level.js';
import { BPE } from './models/bpe.js';
import { RobertaProcessing } from './post_processors/roberta.js';
import { ByteLevel } from './pre_tokenizers/byte_level.js';
import { readTokenizerConfig, toAddedToken } from './tokenizer_config.js';
import { Tokenizer } from './tokenizer.js';

const ROBERTA_DEFAULTS = { bos: '<s>', eos: '</s>', sep: '</s>', cls: '<s>', unk: '<unk>', pad: '<pad>', mask: '<mask>' } as const;
type Role = keyof typeof ROBERTA_DEFAULTS;

/**
 * Reads merges.txt as the slow RobertaTokenizer does: the first line (the "#version" header) and the last
 * element after the final newline are dropped, each line is split on whitespace. A repeated merge keeps the
 * position of its first occurrence (a Python dict keeps the first insertion order).
 */
export function readSlowMerges(text: string): Array<[string, string]> {
  const lines = text.split('\n').slice(1, -1);
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  lines.forEach((line, i) => {
    const parts = line.trim().split(/\s+/u).filter((p) => p.length > 0);
    if (parts.length !== 2) {
      throw new Error(`merges.txt line ${i + 2} must hold two tokens separated by whitespace, got ${JSON.stringify(line)}`);
    }
    const key = `${parts[0]} ${parts[1]}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push([parts[0]!, parts[1]!]);
  });
  return out;
}

/**
 * The RoBERTa tokenizer from the texts of vocab.json and merges.txt and the parsed tokenizer_config.json /
 * special_tokens_map.json (either may be empty).
 */
export function fromByteLevelBpeFiles(vocabJson: string, mergesTxt: string, config: JSONObject = {}, specialMap: JSONObject = {}): Tokenizer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(vocabJson);
  } catch (e) {
    throw new Error(`vocab.json is not valid JSON: ${(e as Error).message}`);
  }
  const vocabObj = asObject(parsed, 'vocab.json');
  const vocab = new Map<string, number>();
  for (const [k, v] of Object.entries(vocabObj)) {
    if (typeof v !== 'number') throw new TokenizerConfigError(`vocab.json[${JSON.stringify(k)}]`, 'a number', v);
    vocab.set(k, v);
  }
  const info = readTokenizerConfig(config, specialMap);
  const specials: Record<Role, string> = { ...ROBERTA_DEFAULTS, ...info.specialTokens };
  const flag = (k: string, d: boolean): boolean => {
    const v = config[k];
    if (v === undefined || v === null) return d;
    if (typeof v !== 'boolean') throw new TokenizerConfigError(`tokenizer_config.json ${k}`, 'a boolean', v);
    return v;
  };
  const addPrefixSpace = flag('add_prefix_space', false);
  const trimOffsets = flag('trim_offsets', true);

  const model = new BPE(vocab, readSlowMerges(mergesTxt), { continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false });
  // RobertaTokenizer gets the token ids from its vocab (unk id when missing).
  const idOf = (t: string): number => vocab.get(t) ?? vocab.get(specials.unk) ?? 0;
  const tokenizer = new Tokenizer({
    model,
    preTokenizer: new ByteLevel({ add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true }),
    postProcessor: new RobertaProcessing([specials.sep, idOf(specials.sep)], [specials.cls, idOf(specials.cls)], trimOffsets, addPrefixSpace),
    decoder: new ByteLevelDecoder(),
  });

  // PreTrainedTokenizerFast.__init__: added_tokens_decoder (by id), then the special tokens not added yet.
  const toAdd: AddedToken[] = [];
  const dec = config.added_tokens_decoder;
  if (dec !== undefined && dec !== null) {
    const entries = Object.entries(asObject(dec, 'tokenizer_config.json added_tokens_decoder')).sort((a, b) => Number(a[0]) - Number(b[0]));
    for (const [, v] of entries) {
      const t = toAddedToken(v, false, {});
      if (t) toAdd.push(t);
    }
  }
  const seen = new Set(toAdd.map((t) => t.content));
  for (const r of ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'] as const) {
    // RobertaTokenizer(Fast) makes a plain-string mask token lstrip (AddedToken(mask, lstrip=True, normalized=False)).
    const v = config[`${r}_token`] ?? specialMap[`${r}_token`] ?? specials[r];
    const t = toAddedToken(v, true, r === 'mask' ? { lstrip: true, normalized: false } : {});
    if (t && !seen.has(t.content)) {
      toAdd.push({ ...t, special: true });
      seen.add(t.content);
    }
  }
  const extra = config.additional_special_tokens ?? specialMap.additional_special_tokens;
  if (Array.isArray(extra)) {
    for (const v of extra) {
      const t = toAddedToken(v, true, {});
      if (t && !seen.has(t.content)) {
        toAdd.push({ ...t, special: true });
        seen.add(t.content);
      }
    }
  }
  const specialNames = new Set<string>(Object.values(specials));
  for (const t of toAdd) if (specialNames.has(t.content)) t.special = true;
  tokenizer.addTokens(toAdd);
  tokenizer.config = info;
  return tokenizer;
}

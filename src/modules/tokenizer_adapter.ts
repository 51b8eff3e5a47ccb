/**
 * Adapts `src/tokenizers`' Tokenizer to the pipeline's {@link PipelineTokenizer}: per-call `longest_first`
 * truncation at the pipeline's max length, no padding (the pipeline pads), and the facts Python's
 * `PreTrainedTokenizer` reads from `tokenizer_config.json` (`pad_token`, `model_max_length`, `model_input_names`),
 * as `tokenizers/tokenizer_config.ts` {@link readTokenizerConfig} interprets them (the one place that does).
 *
 * Reference: transformers v4.41.2 tokenization_utils_base.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/tokenization_utils_base.py
 */
import { checkNoLinksOutside, joinPath, pathExists, readFileText } from '../platform/fs.js';
import { rewriteJsonObject } from './json_text.js';
import { readTokenizerConfig, returnsTokenTypeIds, type TokenizerConfigInfo } from '../tokenizers/tokenizer_config.js';
import { Tokenizer } from '../tokenizers/tokenizer.js';
import type { JSONObject } from '../tokenizers/config.js';
import type { EncodedInput, PipelineTokenizer } from './tokenized_batch.js';
import type { ModuleLoadOptions } from './types.js';

/** Options of {@link TokenizerAdapter}: what tokenizer_config.json and config.json say about the inputs. */
export interface TokenizerAdapterOptions {
  /** Parsed tokenizer_config.json (optional; read with `readTokenizerConfig` in tokenizers/tokenizer_config.ts). */
  tokenizerConfig?: Record<string, unknown>;
  /** config.json `model_type`, to decide whether token type ids are returned when tokenizer_config says nothing. */
  modelType?: string;
  /** The tokenizer.json text the tokenizer was built from, kept so that `save` writes it back unchanged. */
  tokenizerJson?: string;
  /** The tokenizer_config.json text, kept so that `save` rewrites only the keys it changes. */
  tokenizerConfigText?: string;
}

/**
 * The pipeline's view of a fast tokenizer (tokenizer.json) plus its tokenizer_config.json.
 *
 * @example
 * ```ts
 * const tk = await TokenizerAdapter.load('models/all-MiniLM-L6-v2', 'bert');
 * tk.encodeInputs(['hello world'], 128); // [{ ids: [101, 7592, 2088, 102], typeIds: [0, 0, 0, 0] }]
 * ```
 */
export class TokenizerAdapter implements PipelineTokenizer {
  readonly padTokenId: number;
  readonly modelMaxLength?: number;
  readonly returnsTokenTypeIds: boolean;
  /** tokenizer_config.json `padding_side` (default right). */
  readonly paddingSide: 'left' | 'right';
  /** What tokenizer_config.json says (`raw` is the parsed file, written back by `save`). */
  readonly config: TokenizerConfigInfo;
  private readonly tokenizerJson?: string;
  private readonly tokenizerConfigText?: string;

  constructor(
    readonly tokenizer: Tokenizer,
    opts: TokenizerAdapterOptions = {},
  ) {
    this.config = readTokenizerConfig((opts.tokenizerConfig ?? {}) as JSONObject);
    const padToken = this.config.specialTokens.pad;
    const padFromConfig = padToken !== undefined ? tokenizer.tokenToId(padToken) : undefined;
    this.padTokenId = padFromConfig ?? tokenizer.padding?.padId ?? tokenizer.defaultPadding().padId;
    this.modelMaxLength = this.config.modelMaxLength ?? undefined;
    this.returnsTokenTypeIds = returnsTokenTypeIds(this.config, opts.modelType);
    this.paddingSide = this.config.paddingSide;
    this.tokenizerJson = opts.tokenizerJson;
    this.tokenizerConfigText = opts.tokenizerConfigText;
  }

  /**
   * Read a model folder's tokenizer: `tokenizer.json` (required) with its `tokenizer_config.json` facts.
   * `modelType` (config.json `model_type`) decides token type ids when tokenizer_config.json says nothing.
   */
  static async load(dir: string, modelType?: string, opts: ModuleLoadOptions = {}): Promise<TokenizerAdapter> {
    await checkNoLinksOutside(dir, opts.within); // a symlink resolving outside the folder is refused
    const tkPath = await joinPath(dir, 'tokenizer.json');
    if (!(await pathExists(tkPath))) {
      throw new Error(`${dir}: no tokenizer.json (sentence-tfjs reads the fast-tokenizer file; write it in Python with tokenizer.save_pretrained)`);
    }
    const tokenizerJson = await readFileText(tkPath);
    let parsed: unknown;
    try {
      parsed = JSON.parse(tokenizerJson);
    } catch (e) {
      throw new SyntaxError(`invalid JSON in ${tkPath}: ${(e as Error).message}`);
    }
    const tokenizer = Tokenizer.fromJSON(parsed);
    const cfgPath = await joinPath(dir, 'tokenizer_config.json');
    const tokenizerConfigText = (await pathExists(cfgPath)) ? await readFileText(cfgPath) : undefined;
    let tokenizerConfig: Record<string, unknown> = {};
    if (tokenizerConfigText !== undefined) {
      try {
        tokenizerConfig = JSON.parse(tokenizerConfigText) as Record<string, unknown>;
      } catch (e) {
        throw new SyntaxError(`invalid JSON in ${cfgPath}: ${(e as Error).message}`);
      }
    }
    return new TokenizerAdapter(tokenizer, { tokenizerConfig, modelType, tokenizerJson, tokenizerConfigText });
  }

  /**
   * The files `save_pretrained` writes that this adapter can reproduce: `tokenizer.json` (as read) and
   * `tokenizer_config.json` (the parsed file, with `overrides` set, e.g. `model_max_length`), by file name.
   */
  savedFiles(overrides: Record<string, unknown> = {}): Record<string, string> {
    if (this.tokenizerJson === undefined) {
      throw new Error('TokenizerAdapter.save: this tokenizer was not loaded from a tokenizer.json file (use TokenizerAdapter.load), so it has none to write');
    }
    return {
      'tokenizer.json': this.tokenizerJson,
      'tokenizer_config.json':
        this.tokenizerConfigText !== undefined
          ? rewriteJsonObject(this.tokenizerConfigText, overrides, 'tokenizer_config.json')
          : `${JSON.stringify({ ...this.config.raw, ...overrides }, null, 2)}\n`,
    };
  }

  encodeInputs(inputs: readonly string[] | readonly (readonly [string, string])[], maxLength: number | null): EncodedInput[] {
    const encs = this.tokenizer.encodeBatch(inputs as (string | [string, string])[], {
      addSpecialTokens: true,
      truncation: maxLength === null ? null : { maxLength, strategy: 'longest_first' },
      padding: null,
    });
    return encs.map((e) => ({ ids: e.ids, typeIds: e.typeIds, specialTokensMask: e.specialTokensMask }));
  }
}

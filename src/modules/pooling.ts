/**
 * The Pooling module of a pipeline: wraps the pure pooling functions of `src/pooling/`, and reads and writes
 * its folder's `config.json` (Python's `config_keys`).
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Pooling.py
 * and v6.0.1 `sentence_transformer/modules/pooling.py` (`config_keys = ["embedding_dimension", "pooling_mode",
 * "include_prompt"]`; `load_config` still reads the 3.x `pooling_mode_*` flags, no true flag meaning "mean").
 */
import { configError, ModelConfigError, previewValue } from '../formats/errors.js';
import { ConfigReader } from '../models/config.js';
import { checkNoLinksOutside, joinPath, readJSONFile, writeJSONFile } from '../platform/fs.js';
import {
  enabledPoolingModes,
  pool,
  poolingConfigFromMode,
  poolingModeString,
  poolingOutputDimension,
  type PoolingConfig,
} from '../pooling/pooling.js';
import type { Features, ModuleLoadOptions, RequiredFile, SentenceModule } from './types.js';

/** The 3.x config.json keys (3.4.1's `config_keys`, in its order) and their config fields. */
const CONFIG_KEYS: ReadonlyArray<readonly [string, keyof PoolingConfig]> = [
  ['word_embedding_dimension', 'wordEmbeddingDimension'],
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_sqrt_len_tokens', 'meanSqrtLenTokens'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
  ['include_prompt', 'includePrompt'],
];

/**
 * Parse a `1_Pooling/config.json` object, in either layout: 6.x (`embedding_dimension`, `pooling_mode` a mode or a
 * list of modes, `include_prompt`) or 3.x (`word_embedding_dimension` and `pooling_mode_*` flags). Missing flags
 * default to false and `include_prompt` to true; no true flag means "mean" (6.0.1 `_convert_legacy_pooling_kwargs`);
 * a `pooling_mode` overrides the flags; unknown keys are an error naming them.
 */
export function parsePoolingConfig(json: unknown, source = 'pooling config'): PoolingConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError(`${source}: expected a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const r = new ConfigReader(json as Record<string, unknown>, source);
  // sentence-transformers 6.0.1 writes `embedding_dimension` where 3.x wrote `word_embedding_dimension`.
  const known = new Set(['pooling_mode', 'embedding_dimension', ...CONFIG_KEYS.map(([k]) => k)]);
  for (const k of Object.keys(r.raw)) {
    if (!known.has(k)) throw configError(`${source}: unknown key '${k}' (expected ${CONFIG_KEYS.map(([key]) => key).join(', ')}, pooling_mode, embedding_dimension)`);
  }
  const dim = r.raw.word_embedding_dimension === undefined && r.raw.embedding_dimension !== undefined ? r.positiveInt('embedding_dimension') : r.positiveInt('word_embedding_dimension');
  const cfg = poolingConfigFromMode(dim, 'mean', true);
  for (const [k, field] of CONFIG_KEYS.slice(1)) (cfg as unknown as Record<string, boolean>)[field] = r.bool(k, field === 'includePrompt');
  // Python: a pooling_mode argument overrides every pooling_mode_* flag
  const mode = r.raw.pooling_mode;
  if (Array.isArray(mode)) {
    if (!mode.every((m) => typeof m === 'string')) {
      throw new ModelConfigError(`${source}: config.json key "pooling_mode" must be a string or a list of strings, got ${previewValue(mode)}`, source, 'pooling_mode');
    }
    return modeOrError(dim, mode as string[], cfg.includePrompt, source);
  }
  if (mode !== null && mode !== undefined) return modeOrError(dim, r.string('pooling_mode', ''), cfg.includePrompt, source);
  if (enabledPoolingModes(cfg).length === 0) cfg.mean = true; // 6.0.1: no pooling_mode_* flag set -> "mean"
  return cfg;
}

/** {@link poolingConfigFromMode}, its errors (an unknown, repeated or empty mode) as a ModelConfigError naming the file. */
function modeOrError(dim: number, mode: string | string[], includePrompt: boolean, source: string): PoolingConfig {
  try {
    return poolingConfigFromMode(dim, mode, includePrompt);
  } catch (e) {
    throw new ModelConfigError(`${source}: config.json key "pooling_mode": ${(e as Error).message.replace(/^pooling_mode: /, '')}`, source, 'pooling_mode');
  }
}

/** The 6.x config.json (sentence-transformers 6.0.1 `get_config_dict`): one mode as a string, several as a list. */
export function poolingConfigToJSON(cfg: PoolingConfig): { embedding_dimension: number; pooling_mode: string | string[]; include_prompt: boolean } {
  const modes = enabledPoolingModes(cfg);
  return { embedding_dimension: cfg.wordEmbeddingDimension, pooling_mode: modes.length === 1 ? modes[0] : modes, include_prompt: cfg.includePrompt };
}

/**
 * Pools token embeddings into one sentence embedding (`sentence_embedding`), with one or several modes
 * concatenated (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken). Folder: `config.json`.
 *
 * @example
 * ```ts
 * const pooling = Pooling.fromMode(384, 'mean');           // Python: Pooling(384, pooling_mode="mean")
 * pooling.getSentenceEmbeddingDimension();                  // 384
 * const saved = await Pooling.load('my-model/1_Pooling');  // reads config.json
 * ```
 */
export class Pooling implements SentenceModule {
  /** The modules.json type sentence-transformers 6.0.1 writes (the 3.x `sentence_transformers.models.Pooling` loads too). */
  static readonly typeName = 'sentence_transformers.sentence_transformer.modules.pooling.Pooling';
  static readonly requiredFiles: readonly RequiredFile[] = [{ name: 'config.json' }];
  /** Python's `config_keys` (6.0.1). */
  static readonly configKeys: readonly string[] = ['embedding_dimension', 'pooling_mode', 'include_prompt'];

  readonly typeName = Pooling.typeName;

  constructor(readonly config: PoolingConfig) {}

  /**
   * Python `Pooling(embedding_dimension, pooling_mode)`: a mode, several joined by '+' (3.x order), or a list of
   * modes (6.x; concatenated in the list's order).
   */
  static fromMode(wordEmbeddingDimension: number, mode: string | readonly string[], includePrompt = true): Pooling {
    return new Pooling(poolingConfigFromMode(wordEmbeddingDimension, mode, includePrompt));
  }

  /** Load the module saved in `dir` (its `config.json`; a symlink resolving outside the folder is refused). */
  static async load(dir: string, opts: ModuleLoadOptions = {}): Promise<Pooling> {
    await checkNoLinksOutside(dir, opts.within);
    const p = await joinPath(dir, 'config.json');
    return new Pooling(parsePoolingConfig(await readJSONFile(p), p));
  }

  /** Python `get_config_dict()`. */
  getConfigDict(): ReturnType<typeof poolingConfigToJSON> {
    return poolingConfigToJSON(this.config);
  }

  /** Write `config.json` into `dir`. */
  async save(dir: string): Promise<void> {
    await writeJSONFile(await joinPath(dir, 'config.json'), this.getConfigDict());
  }

  /** Python `get_pooling_mode_str()`, e.g. `cls+max+mean`. */
  get poolingMode(): string {
    return poolingModeString(this.config);
  }

  forward(features: Features): Features {
    if (!features.tokenEmbeddings) throw new Error('Pooling: features has no token_embeddings (a Transformer module must come first)');
    const sentenceEmbedding = pool(features.tokenEmbeddings, features.attentionMask, this.config, { promptLength: features.promptLength });
    return { ...features, sentenceEmbedding };
  }

  getSentenceEmbeddingDimension(): number {
    return poolingOutputDimension(this.config);
  }

  dispose(): void {}
}

/**
 * Loading and saving a sentence-transformers model directory: `modules.json` lists the modules, each loaded by
 * its class (`Transformer`, `Pooling`, `Dense`, `Normalize`) from its folder, looked up by the modules.json
 * `type`; `config_sentence_transformers.json` holds the prompts and the similarity function. A directory without
 * `modules.json` is a plain transformers checkpoint: Transformer + mean Pooling, as Python's `_load_auto_model`
 * (which reads neither config_sentence_transformers.json nor sentence_bert_config.json), with Python's warning.
 *
 * Reference (v3.4.1): https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py
 * (`save`, `_load_sbert_model`, `_load_auto_model`, `_load_module_class_from_ref`); saving follows 6.0.1
 * (`base/model.py` `BaseModel.save`, `_get_model_config`; `sentence_transformer/model.py` `_load_default_modules`):
 * 6.x module class paths in modules.json, `config_sentence_transformers.json` with `model_type`, keys sorted.
 */
import { ModelConfigError, previewValue } from '../formats/errors.js';
import { checkNoLinksOutside, joinPath, listSubfolders, makeDir, pathEscapeProblem, pathExists, readJSONFile, writeDirAtomically, writeJSONFile } from '../platform/fs.js';
import { logger } from '../util/logger.js';
import { Dense } from './dense.js';
import { MLMTransformer } from './mlm_transformer.js';
import { Normalize } from './normalize.js';
import { Pooling } from './pooling.js';
import { SpladePooling } from './splade_pooling.js';
import { Transformer } from './transformer.js';
import { moduleClassName, type SentenceModule, type SentenceModuleClass } from './types.js';
import type { ModelDtype } from '../weights/index.js';

/** One entry of modules.json. */
export interface ModuleEntryJSON {
  idx?: number;
  name?: string;
  path: string;
  type: string;
}

/**
 * The registry: modules.json `type` -> module class. Both the 3.x names (`sentence_transformers.models.Pooling`)
 * and the 6.x ones (`sentence_transformers.sentence_transformer.modules.pooling.Pooling`, ...) are keys.
 * A new module is one class with a static `load` plus its lines here.
 */
export const MODULE_TYPES: Readonly<Record<string, SentenceModuleClass>> = {
  'sentence_transformers.models.Transformer': Transformer,
  'sentence_transformers.models.Pooling': Pooling,
  'sentence_transformers.models.Dense': Dense,
  'sentence_transformers.models.Normalize': Normalize,
  // sentence-transformers 6.x
  'sentence_transformers.base.modules.transformer.Transformer': Transformer,
  'sentence_transformers.sentence_transformer.modules.pooling.Pooling': Pooling,
  'sentence_transformers.base.modules.dense.Dense': Dense,
  'sentence_transformers.base.modules.normalize.Normalize': Normalize,
  // SparseEncoder (5.x and 6.x names)
  'sentence_transformers.sparse_encoder.models.SpladePooling': SpladePooling,
  'sentence_transformers.sparse_encoder.modules.splade_pooling.SpladePooling': SpladePooling,
  'sentence_transformers.sparse_encoder.models.MLMTransformer': MLMTransformer,
  'sentence_transformers.sparse_encoder.modules.mlm_transformer.MLMTransformer': MLMTransformer,
};

/** The module classes, once each, in registry order. */
const CLASSES: readonly SentenceModuleClass[] = [...new Set(Object.values(MODULE_TYPES))];

/** The module kinds this port implements, by their short class name. */
export const SUPPORTED_MODULE_TYPES = ['Transformer', 'Pooling', 'Dense', 'Normalize', 'SpladePooling', 'MLMTransformer'] as const;
/** One of {@link SUPPORTED_MODULE_TYPES}. */
export type ModuleKind = (typeof SUPPORTED_MODULE_TYPES)[number];

/**
 * The class of a modules.json `type`: a key of {@link MODULE_TYPES}, the same with the class repeated
 * (`sentence_transformers.models.Pooling.Pooling`), or a bare 3.x class name (`Pooling`). An unknown type is an
 * error that names it and lists those supported.
 */
export function moduleClass(type: string): SentenceModuleClass {
  let key = type;
  const parts = type.split('.');
  if (parts.length === 1) key = `sentence_transformers.models.${type}`;
  else if (parts.length >= 3 && parts[parts.length - 1] === parts[parts.length - 2]) key = parts.slice(0, -1).join('.');
  const cls = Object.prototype.hasOwnProperty.call(MODULE_TYPES, key) ? MODULE_TYPES[key] : undefined;
  if (!cls) throw new ModelConfigError(`modules.json: unsupported module type '${type.length > 300 ? `${type.slice(0, 300)}...` : type}'; supported: ${CLASSES.map((c) => c.typeName).join(', ')}`, 'modules.json', 'type');
  return cls;
}

/** The kind (short class name) of a modules.json `type`; see {@link moduleClass}. */
export function moduleKind(type: string): ModuleKind {
  return moduleClassName(moduleClass(type).typeName) as ModuleKind;
}

/** config_sentence_transformers.json (6.0.1 adds `model_type`; `truncate_dim` is written only when set). */
export interface SentenceTransformerConfig {
  __version__?: Record<string, string>;
  /** `SentenceTransformer`, `CrossEncoder` or `SparseEncoder` (6.x). */
  model_type?: string;
  prompts?: Record<string, string | null>;
  default_prompt_name?: string | null;
  similarity_fn_name?: string | null;
  /** Matryoshka truncation applied by encode (6.x reads it as the model's `truncate_dim`). */
  truncate_dim?: number | null;
  /** A cross-encoder's activation (6.x). */
  activation_fn?: string;
}

/** The `__version__` this port writes: sentence-transformers' own entry says which layout the files follow. */
const SAVED_VERSIONS: Readonly<Record<string, string>> = { sentence_transformers: '6.0.1', transformers: '5.18.0', pytorch: '2.13.0' };

/**
 * config_sentence_transformers.json as 6.0.1 writes it (`_get_model_config`, `json.dump(..., sort_keys=True)`):
 * `__version__`, `model_type`, `prompts`, `default_prompt_name`, the rest of `config`; `truncate_dim` only when set.
 */
export function sentenceTransformersConfigJSON(config: SentenceTransformerConfig, modelType: string): SentenceTransformerConfig {
  const out: Record<string, unknown> = { ...config, __version__: { ...SAVED_VERSIONS }, model_type: modelType };
  out.prompts ??= {};
  out.default_prompt_name ??= null;
  if (out.truncate_dim === null || out.truncate_dim === undefined) delete out.truncate_dim;
  return sortKeysDeep(out) as SentenceTransformerConfig;
}

/** A copy of a JSON value with every object's keys sorted (Python `json.dump(..., sort_keys=True)`). */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) out[k] = sortKeysDeep(obj[k]);
  return out;
}

/** Whether `name` is an own prompt of `prompts` holding a string (never an inherited name such as `toString`). */
export function ownPrompt(prompts: Readonly<Record<string, unknown>>, name: unknown): name is string {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(prompts, name) && typeof prompts[name] === 'string';
}

const SIMILARITY_NAMES = ['cosine', 'dot', 'euclidean', 'manhattan'];

/**
 * Validate config_sentence_transformers.json as read (`file` names it in errors): `prompts` an object of strings,
 * `default_prompt_name` null or one of its own keys (never an inherited name such as `toString`),
 * `similarity_fn_name` null or a known function. Errors are {@link ModelConfigError}s naming the key, at load time.
 */
export function validateSentenceTransformerConfig(config: unknown, file: string): SentenceTransformerConfig {
  const fail = (key: string, msg: string): never => {
    throw new ModelConfigError(`${file}: "${key}" ${msg}`, file, key);
  };
  if (config === null || typeof config !== 'object' || Array.isArray(config)) fail('(root)', `must be a JSON object, got ${previewValue(config)}`);
  const c = config as Record<string, unknown>;
  const own = (k: string) => Object.prototype.hasOwnProperty.call(c, k);
  if (own('prompts') && c.prompts !== null) {
    const p = c.prompts;
    if (typeof p !== 'object' || Array.isArray(p)) fail('prompts', `must be an object of prompt name -> prompt text, got ${previewValue(p)}`);
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`prompts.${k}`, `must be a string (the prompt text), got ${previewValue(v)}`);
    }
  }
  const prompts = (own('prompts') && c.prompts !== null ? c.prompts : {}) as Record<string, string>;
  if (own('default_prompt_name') && c.default_prompt_name !== null) {
    const d = c.default_prompt_name;
    if (typeof d !== 'string') fail('default_prompt_name', `must be null or a prompt name, got ${previewValue(d)}`);
    if (!Object.prototype.hasOwnProperty.call(prompts, d as string)) {
      fail('default_prompt_name', `${previewValue(d)} is not one of the prompts (${previewValue(Object.keys(prompts))})`);
    }
  }
  if (own('similarity_fn_name') && c.similarity_fn_name !== null && !SIMILARITY_NAMES.includes(c.similarity_fn_name as string)) {
    fail('similarity_fn_name', `must be null or one of ${SIMILARITY_NAMES.join(', ')}, got ${previewValue(c.similarity_fn_name)}`);
  }
  const out: SentenceTransformerConfig = { ...c };
  if (!own('prompts') || c.prompts === null) delete out.prompts;
  if (!own('default_prompt_name')) delete out.default_prompt_name;
  if (!own('similarity_fn_name')) delete out.similarity_fn_name;
  return out;
}

/** What loading a directory produced. */
export interface LoadedPipeline {
  modules: SentenceModule[];
  transformer: Transformer;
  config: SentenceTransformerConfig;
  /** Whether the directory had a modules.json (false: plain transformers checkpoint + mean pooling). */
  fromModulesJson: boolean;
}

async function optionalJSON<T>(path: string): Promise<T | undefined> {
  return (await pathExists(path)) ? readJSONFile<T>(path) : undefined;
}

/** Files the modules need, relative to `dir`, as each class lists them: what is missing and what was expected. */
async function missingFiles(dir: string, entries: readonly { folder: string; cls: SentenceModuleClass }[]): Promise<{ missing: string[]; expected: string[] }> {
  const missing: string[] = [];
  const expected: string[] = [];
  const exists = async (rel: string) => pathExists(await joinPath(dir, rel));
  for (const { folder, cls } of entries) {
    const rel = (f: string) => (folder ? `${folder}/${f}` : f);
    for (const file of cls.requiredFiles) {
      const alts = file.alternatives ?? [];
      const label = alts.length ? `${rel(file.name)} (or ${alts.map(rel).join(', or ')})` : rel(file.name);
      expected.push(label);
      let found = await exists(rel(file.name));
      for (const a of alts) found ||= await exists(rel(a));
      if (!found) missing.push(file.note ? `${label} (${file.note})` : label);
    }
  }
  return { missing, expected };
}

/** Load and validate modules.json (undefined when the directory has none). */
export async function readModulesJson(dir: string): Promise<ModuleEntryJSON[] | undefined> {
  const path = await joinPath(dir, 'modules.json');
  const json = await optionalJSON<unknown>(path);
  if (json === undefined) return undefined;
  if (!Array.isArray(json)) throw new ModelConfigError(`${path}: expected a JSON array of modules, got ${previewValue(json)}`, path);
  return json.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e) || typeof (e as ModuleEntryJSON).type !== 'string') {
      throw new ModelConfigError(`${path}: entry ${i} must be an object with a string "type", got ${previewValue(e)}`, path, `[${i}].type`);
    }
    const entry = e as ModuleEntryJSON;
    try {
      moduleClass(entry.type);
    } catch (err) {
      throw new ModelConfigError(`${path}: entry ${i}: ${(err as Error).message}`, path, `[${i}].type`);
    }
    const own = Object.prototype.hasOwnProperty.call(entry, 'path');
    if (own && typeof entry.path !== 'string') {
      throw new ModelConfigError(`${path}: entry ${i} "path" must be a string (a folder inside the model), got ${previewValue(entry.path)}`, path, `[${i}].path`);
    }
    const rel = own ? entry.path : '';
    const problem = pathEscapeProblem(rel);
    if (problem) {
      throw new ModelConfigError(`${path}: entry ${i} "path" ${previewValue(rel)} could leave the model folder (${problem}); module paths must be folders inside it`, path, `[${i}].path`);
    }
    return { ...entry, path: rel };
  });
}

/** Module folders as `save` names them (`1_Pooling`, `2_Normalize`, ...), which only a modules.json would load. */
const MODULE_FOLDER = /^\d+_[A-Za-z]/;

/**
 * Python's warning for a directory without modules.json (sentence-transformers 6.x `_load_default_modules`), plus
 * the module folders that are therefore not loaded.
 */
async function noModulesJsonWarning(dir: string, name: string): Promise<string> {
  const ignored = (await listSubfolders(dir)).filter((f) => MODULE_FOLDER.test(f));
  let msg = `No SentenceTransformer model found with name ${name}. Creating a new one with mean pooling.`;
  if (ignored.length > 0) {
    msg +=
      ` ${dir} has no modules.json, so its module folder${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')} ${ignored.length > 1 ? 'are' : 'is'} not loaded` +
      ' (a saved Pooling, Dense or Normalize is dropped and the embeddings differ); restore modules.json to load them.';
  }
  return msg;
}

/**
 * The Pooling of a plain checkpoint (6.0.1 `_load_default_modules`): `lasttoken` when config.json
 * `architectures[0]` ends with `ForCausalLM` and `is_causal` is not false, else `mean`.
 */
async function defaultPoolingMode(dir: string): Promise<'mean' | 'lasttoken'> {
  const cfg = await readJSONFile<{ architectures?: unknown; is_causal?: unknown }>(await joinPath(dir, 'config.json'));
  const first = Array.isArray(cfg.architectures) ? cfg.architectures[0] : undefined;
  return typeof first === 'string' && first.endsWith('ForCausalLM') && cfg.is_causal !== false ? 'lasttoken' : 'mean';
}

/**
 * Load every module of a sentence-transformers directory, each by its class's static `load`. Missing files are
 * reported all at once, naming what is missing and what was expected. A directory without modules.json logs
 * Python's warning (once per load, through the library's logger) naming `name` (default: `dir`).
 */
export async function loadPipeline(dir: string, name?: string, opts: { dtype?: ModelDtype; configKwargs?: Record<string, unknown> } = {}): Promise<LoadedPipeline> {
  if (!(await pathExists(dir))) throw new Error(`model directory not found: ${dir}`);
  await checkNoLinksOutside(dir);
  const entries = await readModulesJson(dir);
  const fromModulesJson = entries !== undefined;
  const list = (entries ?? [{ path: '', type: Transformer.typeName }]).map((e) => ({ folder: e.path.replace(/\/+$/, ''), cls: moduleClass(e.type) }));
  const { missing, expected } = await missingFiles(dir, list);
  if (missing.length > 0) {
    throw new ModelConfigError(
      `${dir} is not a complete sentence-transformers model: missing ${missing.join(', ')}` +
        ` (expected ${fromModulesJson ? 'modules.json and ' : ''}${expected.join(', ')})`,
      dir,
    );
  }
  // A plain checkpoint (no modules.json) is read as Python's `_load_auto_model` reads it: no
  // config_sentence_transformers.json and no sentence_bert_config.json (so a URL folder is not probed for them).
  const stPath = await joinPath(dir, 'config_sentence_transformers.json');
  const rawConfig = fromModulesJson ? await optionalJSON<unknown>(stPath) : undefined;
  const config = rawConfig === undefined ? {} : validateSentenceTransformerConfig(rawConfig, stPath);
  if (!fromModulesJson) logger.warn(await noModulesJsonWarning(dir, name ?? dir));

  const modules: SentenceModule[] = [];
  const dispose = () => {
    for (const m of modules) m.dispose();
  };
  try {
    for (const { folder, cls } of list) {
      if (cls === Transformer && modules.some((m) => m instanceof Transformer)) {
        throw new ModelConfigError(`${dir}/modules.json: more than one Transformer module is not supported`, 'modules.json');
      }
      const at = folder ? await joinPath(dir, folder) : dir;
      if (!fromModulesJson) modules.push(await Transformer.load(dir, { readSentenceBertConfig: false, dtype: opts.dtype, configKwargs: opts.configKwargs }));
      else if (cls === Transformer) modules.push(await Transformer.load(at, { dtype: opts.dtype, configKwargs: opts.configKwargs, within: dir }));
      else modules.push(await cls.load(at, { within: dir }));
    }
    if (!fromModulesJson) modules.push(Pooling.fromMode((modules[0] as Transformer).getWordEmbeddingDimension(), await defaultPoolingMode(dir)));
  } catch (e) {
    dispose();
    throw e;
  }
  const transformer = modules[0];
  try {
    if (!(transformer instanceof Transformer)) {
      throw new ModelConfigError(`${dir}/modules.json: the first module must be a ${Transformer.typeName}`, 'modules.json');
    }
    checkDimensions(modules, list.map((e) => e.folder));
  } catch (e) {
    dispose();
    throw e;
  }
  return { modules, transformer, config, fromModulesJson };
}

/**
 * Check at load time that each module takes the size the one before it gives: Pooling's
 * `word_embedding_dimension` is the Transformer's hidden size, a Dense's `in_features` the sentence embedding size
 * before it (a mismatch would otherwise load and fail at the first encode).
 */
function checkDimensions(modules: readonly SentenceModule[], folders: readonly string[]): void {
  const first = modules[0] as Transformer;
  if (first.lmHead) return; // fill-mask: token logits, not hidden states (SpladePooling reads them as they are)
  let token: number | undefined = first.getWordEmbeddingDimension();
  let sentence: number | undefined;
  for (let i = 1; i < modules.length; i++) {
    const m = modules[i];
    const file = `${folders[i] || '.'}/config.json`;
    if (m instanceof Pooling) {
      const want = m.config.wordEmbeddingDimension;
      if (token !== undefined && want !== token) {
        throw new ModelConfigError(`${file}: "word_embedding_dimension" is ${want}, but the Transformer gives token embeddings of size ${token}`, file, 'word_embedding_dimension');
      }
      sentence = m.getSentenceEmbeddingDimension();
    } else if ((m instanceof Dense || m instanceof Normalize) && token !== undefined && sentence === undefined) {
      throw new ModelConfigError(`modules.json: module ${i} (${m.typeName}) works on sentence embeddings, but no Pooling module comes before it`, 'modules.json', `[${i}]`);
    } else if (m instanceof Dense) {
      if (sentence !== undefined && m.inFeatures !== sentence) {
        throw new ModelConfigError(`${file}: "in_features" is ${m.inFeatures}, but the module before it gives sentence embeddings of size ${sentence}`, file, 'in_features');
      }
      sentence = m.outFeatures;
    } else if (!(m instanceof Normalize)) {
      token = undefined;
      sentence = undefined; // a module whose sizes are not known here: stop checking
    }
  }
}

/**
 * Save modules as sentence-transformers 6.0.1's `save`: the first module (a Transformer) in `dir` itself, every
 * other one in `<idx>_<ClassName>/`, then `modules.json` (6.x class paths) and `config_sentence_transformers.json`
 * (as `sentenceTransformersConfigJSON` builds it, with `modelType`). Everything is written into a temporary folder that then
 * replaces `dir` (see `writeDirAtomically`), so a failed save leaves no half-written model.
 */
export async function savePipeline(
  dir: string,
  modules: readonly SentenceModule[],
  config: SentenceTransformerConfig,
  modelType: string = 'SentenceTransformer',
): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`dir (path) must be a non-empty string, got ${JSON.stringify(dir)}`);
  const unsaveable = modules.filter((m) => typeof m.save !== 'function').map((m) => m.typeName);
  if (unsaveable.length) throw new Error(`save: module(s) ${unsaveable.join(', ')} cannot save themselves (no save method)`);
  await writeDirAtomically(dir, async (tmp) => {
    await makeDir(tmp);
    const entries: ModuleEntryJSON[] = [];
    for (let idx = 0; idx < modules.length; idx++) {
      const m = modules[idx];
      const path = idx === 0 && m.typeName === Transformer.typeName ? '' : `${idx}_${moduleClassName(m.typeName)}`;
      await m.save!(path ? await joinPath(tmp, path) : tmp);
      entries.push({ idx, name: String(idx), path, type: m.typeName });
    }
    await writeJSONFile(await joinPath(tmp, 'modules.json'), entries);
    await writeJSONFile(await joinPath(tmp, 'config_sentence_transformers.json'), sentenceTransformersConfigJSON(config, modelType));
  });
}

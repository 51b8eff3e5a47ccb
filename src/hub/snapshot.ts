/**
 * The files a sentence-transformers model needs, fetched into one cached snapshot folder (Node).
 *
 * What is fetched mirrors what sentence-transformers v3.4.1 reads when it loads a model
 * (https://github.com/huggingface/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py,
 * `_load_sbert_model` / `_load_auto_model`, and models/Transformer.py, models/Dense.py): `modules.json` (absent for a
 * plain transformers checkpoint, which gets Transformer + mean pooling), `config_sentence_transformers.json`, then
 * per module its folder's files: a Transformer's `sentence_bert_config.json`, `config.json`, tokenizer files and
 * safetensors weights (single file or index + shards); any other module's `config.json` and weights.
 * The revision is resolved to a commit by the first request and every later file is fetched at that commit, so the
 * snapshot is consistent.
 */
import { DEFAULT_REVISION, isOfflineEnv, processEnv } from './env.js';
import { EntryNotFoundError, HubError, LocalEntryNotFoundError, SafetensorsRequiredError } from './errors.js';
import { HubSession, type HubDownloadOptions } from './download.js';
import { hubFs } from '../platform/hub_cache_fs.js';
import { getFileMetadata } from './http.js';
import { hubFileUrl, looksLikePath, resolveModelId } from './repo_id.js';
import { isUrl } from '../platform/url.js';

/** Tokenizer files a Transformer module may have (each optional). */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'spiece.model',
  'sentencepiece.bpe.model',
] as const;

/** Module types without files of weights (no weight look-ups for them). */
const NO_WEIGHT_MODULES = /(^|\.)(Pooling|Normalize)$/;
const TRANSFORMER_MODULE = /(^|\.)Transformer$/;

/** One entry of modules.json. */
export interface ModuleEntry {
  idx?: number;
  name?: string;
  path: string;
  type: string;
}

/** The result of a snapshot: where it is and what it holds. */
export interface SnapshotResult {
  /** `<cache>/models--org--name/snapshots/<commit>`. */
  dir: string;
  commit: string;
  /** Repository-relative names of the files present in `dir`. */
  files: string[];
}

class SnapshotFetcher {
  private commit: string | undefined;
  readonly files: string[] = [];
  readonly missingRequired: string[] = [];
  /** Why the hub was not used: the first "not in the cache" error (its cause is the network error, if any). */
  noNetwork: LocalEntryNotFoundError | undefined;

  constructor(
    readonly session: HubSession,
    private revision: string,
  ) {}

  /** Fetch one file at the pinned commit. Offline, a missing required file is collected, not thrown at once. */
  async get(filename: string, optional: boolean): Promise<string | undefined> {
    let out: { path?: string; commit?: string };
    try {
      out = await this.session.file(filename, this.commit ?? this.revision, optional);
    } catch (e) {
      // Offline, or the hub could not be reached: collect what is missing (required files only) and stop asking
      // the hub, so that one message names everything.
      if (e instanceof LocalEntryNotFoundError) {
        this.noNetwork ??= e;
        this.session.offline = true;
        if (!optional) this.missingRequired.push(filename);
        return undefined;
      }
      throw e;
    }
    if (out.commit && !this.commit) this.commit = out.commit;
    if (out.path) this.files.push(filename);
    return out.path;
  }

  get pinnedCommit(): string | undefined {
    return this.commit;
  }

  async json<T>(filename: string, optional: boolean): Promise<T | undefined> {
    const p = await this.get(filename, optional);
    if (!p) return undefined;
    const text = await this.session.fs.readText(p);
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new HubError(`${filename} of ${this.session.repoId} is not valid JSON (${(e as Error).message}); cached at ${p}`);
    }
  }

  /** safetensors weights of a folder: model.safetensors, else the sharded index and its shards. */
  async weights(prefix: string, required: boolean): Promise<void> {
    if (await this.get(`${prefix}model.safetensors`, true)) return;
    const index = await this.json<{ weight_map?: Record<string, string> }>(`${prefix}model.safetensors.index.json`, true);
    if (index) {
      const shards = [...new Set(Object.values(index.weight_map ?? {}))];
      if (shards.length === 0) throw new HubError(`${prefix}model.safetensors.index.json of ${this.session.repoId} has an empty weight_map`);
      for (const shard of shards) await this.get(`${prefix}${shard}`, false);
      return;
    }
    if (this.session.offline) {
      if (required) this.missingRequired.push(`${prefix}model.safetensors (or ${prefix}model.safetensors.index.json + shards)`);
      return;
    }
    for (const bin of ['pytorch_model.bin', 'pytorch_model.bin.index.json']) {
      if (await this.exists(`${prefix}${bin}`)) {
        throw new SafetensorsRequiredError(
          `${this.session.repoId}${prefix ? ` (${prefix.slice(0, -1)})` : ''} has PyTorch weights only (${prefix}${bin}); sentence-tfjs reads safetensors. ` +
            'Convert once in Python (model.save_pretrained(dir, safe_serialization=True), or the hub\'s "Convert to safetensors" Space) and load that folder or repository.',
        );
      }
    }
    if (required) {
      throw new HubError(`${this.session.repoId}: no weights found (looked for ${prefix}model.safetensors and ${prefix}model.safetensors.index.json at revision "${this.revision}")`);
    }
  }

  /** Whether a file exists on the hub, without downloading it. */
  private async exists(filename: string): Promise<boolean> {
    const { session } = this;
    const rev = this.commit ?? this.revision;
    try {
      await getFileMetadata(hubFileUrl(session.endpoint, session.repoId, rev, filename), session.headers(), session.opts, session.ctx(filename, rev));
      return true;
    } catch (e) {
      if (e instanceof EntryNotFoundError) return false;
      throw e;
    }
  }

  async transformer(prefix: string): Promise<void> {
    await this.get(`${prefix}sentence_bert_config.json`, true);
    await this.get(`${prefix}config.json`, false);
    for (const f of TOKENIZER_FILES) await this.get(`${prefix}${f}`, true);
    await this.weights(prefix, true);
  }
}

/**
 * Download (or find in the cache) every file a sentence-transformers model needs and return the snapshot folder,
 * ready to load like a local model directory.
 * @param repoId "org/name" (bare sentence-transformers names: see {@link resolveModelPath}).
 * @throws SafetensorsRequiredError for a repository with `pytorch_model.bin` only; LocalEntryNotFoundError listing
 *   the missing files and the cache folder when offline and incomplete; the errors of {@link hfHubDownload}.
 */
export async function snapshotForSentenceTransformer(repoId: string, opts: HubDownloadOptions = {}): Promise<SnapshotResult> {
  const session = await HubSession.create(repoId, opts);
  const revision = opts.revision ?? DEFAULT_REVISION;
  const f = new SnapshotFetcher(session, revision);

  const modules = await f.json<ModuleEntry[]>('modules.json', true);
  if (modules !== undefined && !Array.isArray(modules)) {
    throw new HubError(`modules.json of ${repoId}: expected a list of {idx, name, path, type}, got ${JSON.stringify(modules).slice(0, 80)}`);
  }
  await f.get('config_sentence_transformers.json', true);
  if (!modules) {
    await f.transformer('');
  } else {
    for (const m of modules) {
      const prefix = m.path ? `${m.path.replace(/\/+$/, '')}/` : '';
      if (TRANSFORMER_MODULE.test(m.type)) {
        await f.transformer(prefix);
      } else if (prefix) {
        await f.get(`${prefix}config.json`, true);
        if (!NO_WEIGHT_MODULES.test(m.type)) await f.weights(prefix, false);
      }
    }
  }

  const commit = f.pinnedCommit;
  if (f.missingRequired.length > 0 || !commit) throw await notInCacheError(f, opts, revision, commit);
  return { dir: session.cache.snapshotDir(commit), commit, files: f.files };
}

/** Why the hub was not used, in words: the setting that forbids it, or the network error. */
function noNetworkReason(f: SnapshotFetcher, opts: HubDownloadOptions): string {
  if (opts.localFilesOnly) return 'localFilesOnly is set (offline mode)';
  if (isOfflineEnv(opts.env ?? processEnv())) return 'HF_HUB_OFFLINE is set (offline mode)';
  const cause = f.noNetwork?.cause as Error | undefined;
  return `the hub ${f.session.endpoint} could not be reached${cause?.message ? ` (${cause.message})` : ''}`;
}

/**
 * The error for a model the cache does not hold (completely) while the hub cannot be used: which model, why the
 * hub was not used, where the cache was searched, what is missing, and how to fix it.
 */
async function notInCacheError(f: SnapshotFetcher, opts: HubDownloadOptions, revision: string, commit: string | undefined): Promise<LocalEntryNotFoundError> {
  const { session } = f;
  const repoId = session.repoId;
  const why = noNetworkReason(f, opts);
  const fix =
    `Download it first where the network is available (\`sentence-tfjs download ${repoId}\`, or load it once online; ` +
    'point cacheFolder / HF_HUB_CACHE at that cache), or pass a local model directory instead of the hub id.';
  let head: string;
  if (!commit) {
    const refs = await session.cache.cachedRefs();
    head =
      `model "${repoId}" (revision "${revision}") is not in the cache and ${why}. ` +
      `Looked in ${session.cache.storage} (no refs/${revision}${refs.length ? `; cached refs: ${refs.join(', ')}` : ''}).`;
  } else {
    head =
      `model "${repoId}" (revision "${revision}") is only partly in the cache and ${why}. ` +
      `Looked in ${session.cache.snapshotDir(commit)}: missing ${f.missingRequired.join(', ')}; present: ${f.files.join(', ') || 'nothing'}.`;
  }
  return new LocalEntryNotFoundError(`${head} ${fix}`, { cause: f.noNetwork?.cause ?? f.noNetwork });
}

/**
 * Fetch a given list of files of one repository at one commit (the first file pins the revision).
 * @param files repository-relative names; `optional` ones that do not exist are skipped.
 */
export async function snapshotDownload(
  repoId: string,
  files: ReadonlyArray<string | { file: string; optional?: boolean }>,
  opts: HubDownloadOptions = {},
): Promise<SnapshotResult> {
  const session = await HubSession.create(repoId, opts);
  const revision = opts.revision ?? DEFAULT_REVISION;
  const f = new SnapshotFetcher(session, revision);
  for (const item of files) {
    const { file, optional } = typeof item === 'string' ? { file: item, optional: false } : item;
    await f.get(file, Boolean(optional));
  }
  const commit = f.pinnedCommit;
  if (f.missingRequired.length > 0 || !commit) throw await notInCacheError(f, opts, revision, commit);
  return { dir: session.cache.snapshotDir(commit), commit, files: f.files };
}

/**
 * What `SentenceTransformer.load(name)` needs: a local model directory or an http(s) folder URL (returned as is).
 * An existing directory is returned as is; a name written as a path ({@link looksLikePath}, or `dir/name` whose `dir`
 * exists here) that does not exist is an error that says so; anything else is a hub id (bare names get the `sentence-transformers/` prefix as in sentence-transformers v3.4.1)
 * whose snapshot is downloaded or read from the cache.
 */
export async function resolveModelPath(modelNameOrPath: string, opts: HubDownloadOptions = {}): Promise<string> {
  // An http(s) URL is a model folder served as is (read file by file through fetch, in Node and browsers).
  if (isUrl(modelNameOrPath)) return modelNameOrPath.replace(/\/+$/, '');
  const fs = await hubFs();
  const local = fs.resolve(fs.expandHome(modelNameOrPath));
  if (await fs.isDirectory(local)) return local;
  if ((await fs.stat(local))?.isFile) {
    throw new TypeError(`modelNameOrPath: expected a model directory or a hub id, got the file ${local}`);
  }
  if (looksLikePath(modelNameOrPath)) throw new Error(`modelNameOrPath: no such model directory ${local} (${JSON.stringify(modelNameOrPath)} is a path, not a hub id "org/name")`);
  // "models/nope" where ./models exists: a path whose last part is missing, not a hub repository.
  const parent = fs.dirname(local);
  if (modelNameOrPath.includes('/') && parent !== fs.resolve('.') && (await fs.isDirectory(parent))) {
    throw new Error(
      `modelNameOrPath: no such model directory ${local} (${parent} exists, so ${JSON.stringify(modelNameOrPath)} is read as a path; ` +
        'to load the hub repository of that name, run from another folder)',
    );
  }
  const repoId = resolveModelId(modelNameOrPath);
  return (await snapshotForSentenceTransformer(repoId, opts)).dir;
}

/**
 * The Hugging Face cache on disk, shared with Python (huggingface_hub v0.23.4 layout):
 *
 * ```
 * <cache>/models--org--name/blobs/<etag>                      file bytes (git sha1 or sha256 named)
 * <cache>/models--org--name/snapshots/<commit>/<file>         relative symlink to ../../blobs/<etag> (or a copy)
 * <cache>/models--org--name/refs/<revision>                   the commit hash a branch/tag resolved to
 * <cache>/models--org--name/.no_exist/<commit>/<file>         empty marker: the file does not exist at that commit
 * <cache>/.locks/models--org--name/<etag>.lock                Python's download lock (ours: <etag>.sentence-tfjs.lock)
 * ```
 *
 * Cache folder: the `cacheFolder` option, else `SENTENCE_TRANSFORMERS_HOME` (sentence-transformers v3.4.1 passes
 * either as `cache_dir`), else `HF_HUB_CACHE`, `HUGGINGFACE_HUB_CACHE`, `$HF_HOME/hub`,
 * `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`.
 * References: huggingface_hub constants.py, file_download.py (`try_to_load_from_cache`,
 * `_cache_commit_hash_for_specific_revision`) and utils/_token.py at
 * https://github.com/huggingface/huggingface_hub/blob/4c7aa33bac0b4fb59796e76fcc9cd7f5ff0fd426/src/huggingface_hub/ ;
 * sentence-transformers SentenceTransformer.py at
 * https://github.com/huggingface/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/SentenceTransformer.py
 */
import { hubFs, type HubFs } from '../platform/hub_cache_fs.js';
import { cleanToken, envToken, processEnv, type EnvLike } from './env.js';
import { isCommitHash, repoFolderName, validateRepoFilename } from './repo_id.js';

/** `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export async function getHfHome(env: EnvLike = processEnv()): Promise<string> {
  const fs = await hubFs();
  if (env.HF_HOME) return fs.resolve(fs.expandHome(env.HF_HOME));
  const xdg = env.XDG_CACHE_HOME ? fs.expandHome(env.XDG_CACHE_HOME) : fs.join(fs.homeDir(), '.cache');
  return fs.resolve(xdg, 'huggingface');
}

/**
 * The hub cache folder that models are read from and downloaded into.
 * @param cacheFolder the `cacheFolder` option (sentence-transformers' `cache_folder`); wins over every variable.
 */
export async function getCacheDir(cacheFolder?: string, env: EnvLike = processEnv()): Promise<string> {
  const fs = await hubFs();
  const chosen = cacheFolder || env.SENTENCE_TRANSFORMERS_HOME || env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (chosen) return fs.resolve(fs.expandHome(chosen));
  return fs.join(await getHfHome(env), 'hub');
}

/**
 * The token to send: `token` when a string, none when `false`, else `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, then the
 * token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`) that `huggingface-cli login` writes.
 */
export async function resolveToken(token: string | false | undefined, env: EnvLike = processEnv()): Promise<string | undefined> {
  if (token === false) return undefined;
  if (typeof token === 'string') return cleanToken(token);
  const fromEnv = envToken(env);
  if (fromEnv) return fromEnv;
  try {
    const fs = await hubFs();
    const p = env.HF_TOKEN_PATH ? fs.expandHome(env.HF_TOKEN_PATH) : fs.join(await getHfHome(env), 'token');
    if (await fs.isFile(p)) return cleanToken(await fs.readText(p));
  } catch {
    /* no file system (browser) or unreadable file: no token */
  }
  return undefined;
}

/** {@link RepoCache.lookup}'s answer for a file the cache records as absent (huggingface_hub `_CACHED_NO_EXIST`). */
export const CACHED_NO_EXIST: unique symbol = Symbol('CACHED_NO_EXIST');

/** Paths of one repository inside a cache folder. */
export class RepoCache {
  /** `<cache>/models--org--name`. */
  readonly storage: string;

  constructor(
    readonly fs: HubFs,
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    this.storage = fs.join(cacheDir, repoFolderName(repoId));
  }

  /** The cache of `repoId` under `cacheDir` (huggingface_hub layout `models--org--name`). */
  static async open(cacheDir: string, repoId: string): Promise<RepoCache> {
    return new RepoCache(await hubFs(), cacheDir, repoId);
  }

  /** Path of the blob with this etag (`blobs/<etag>`); throws on an etag that is not a plain digest. */
  blobPath(etag: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(etag)) throw new Error(`etag: expected a hex digest from the hub, got ${JSON.stringify(etag)}`);
    return this.fs.join(this.storage, 'blobs', etag);
  }

  /** Directory of a commit's snapshot (`snapshots/<commit>`). */
  snapshotDir(commit: string): string {
    return this.fs.join(this.storage, 'snapshots', commit);
  }

  /** Path of a file in a commit's snapshot (the link to its blob). */
  pointerPath(commit: string, filename: string): string {
    validateRepoFilename(filename);
    return this.fs.join(this.snapshotDir(commit), filename);
  }

  /** Path of the marker recording that a file does not exist at a commit (`.no_exist/<commit>/<file>`). */
  noExistPath(commit: string, filename: string): string {
    validateRepoFilename(filename);
    return this.fs.join(this.storage, '.no_exist', commit, filename);
  }

  /** Path of the file holding the commit a branch or tag points to (`refs/<revision>`). */
  refPath(revision: string): string {
    if (revision.split('/').some((p) => p === '' || p === '.' || p === '..')) {
      throw new TypeError(`revision: expected a branch, tag or commit such as "main" or "refs/pr/1", got ${JSON.stringify(revision)}`);
    }
    return this.fs.join(this.storage, 'refs', revision);
  }

  /**
   * Our download lock, beside huggingface_hub's `<etag>.lock`. Not that file itself: Python's filelock holds an
   * flock on it (which Node cannot take) and leaves the file behind after every download, so an O_EXCL lock on the
   * same name would wait on Python's leftovers. A concurrent Python download of the same blob is still caught by
   * the size and sha256 checks before anything is renamed into blobs/.
   */
  lockPath(etag: string): string {
    return this.fs.join(this.cacheDir, '.locks', repoFolderName(this.repoId), `${etag}.sentence-tfjs.lock`);
  }

  /** The commit a revision points to in this cache: the revision itself if it is a commit hash, else `refs/<revision>`. */
  async resolveRevision(revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    const ref = this.refPath(revision);
    if (!(await this.fs.isFile(ref))) return undefined;
    const commit = (await this.fs.readText(ref)).trim();
    return commit || undefined;
  }

  /** Record `refs/<revision>` = commit (nothing for a commit hash, nothing when already up to date). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const ref = this.refPath(revision);
    if ((await this.fs.isFile(ref)) && (await this.fs.readText(ref)).trim() === commit) return;
    await this.fs.writeTextAtomic(ref, commit);
  }

  /** Mark a file as absent at a commit (`.no_exist`), as huggingface_hub does on a 404, so offline loads skip it. */
  async markNoExist(commit: string, filename: string): Promise<void> {
    await this.fs.touch(this.noExistPath(commit, filename));
  }

  /**
   * Look a file up without the network (huggingface_hub `try_to_load_from_cache`): its snapshot path,
   * {@link CACHED_NO_EXIST} when the cache records that the file does not exist at that commit, or undefined.
   */
  async lookup(commit: string, filename: string): Promise<string | typeof CACHED_NO_EXIST | undefined> {
    const p = this.pointerPath(commit, filename);
    if (await this.fs.isFile(p)) return p; // stat follows the symlink: a dangling link is not a file
    if (await this.fs.isFile(this.noExistPath(commit, filename))) return CACHED_NO_EXIST;
    return undefined;
  }

  /** Commits that have a snapshot folder. */
  async cachedCommits(): Promise<string[]> {
    return this.fs.listDir(this.fs.join(this.storage, 'snapshots'));
  }

  /** Revisions recorded under refs/ (top level only). */
  async cachedRefs(): Promise<string[]> {
    return this.fs.listDir(this.fs.join(this.storage, 'refs'));
  }
}

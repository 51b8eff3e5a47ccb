/**
 * `hfHubDownload`: one file of a hub repository into the shared Hugging Face cache (Node), the way huggingface_hub
 * v0.23.4 `hf_hub_download` / `_hf_hub_download_to_cache_dir` does it
 * (https://github.com/huggingface/huggingface_hub/blob/4c7aa33bac0b4fb59796e76fcc9cd7f5ff0fd426/src/huggingface_hub/file_download.py):
 * HEAD the resolve URL for commit, etag and size; reuse the snapshot pointer or the blob when present; otherwise,
 * under a lock, GET into `blobs/<etag>.incomplete` (resuming with Range), check size and (LFS) sha256, rename into
 * `blobs/<etag>` and point `snapshots/<commit>/<file>` at it. When the hub cannot be reached, fall back to the
 * cached copy of the revision (refs/<revision>); offline (`HF_HUB_OFFLINE=1` or `localFilesOnly`) never asks.
 */
import type { HubFs } from '../platform/hub_cache_fs.js';
import { CACHED_NO_EXIST, getCacheDir, RepoCache, resolveToken } from './cache.js';
import { DEFAULT_REVISION, envTimeoutMs, hubEndpoint, isOfflineEnv, processEnv, type EnvLike } from './env.js';
import {
  EntryNotFoundError,
  GatedRepoError,
  HubError,
  HubIntegrityError,
  LocalEntryNotFoundError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from './errors.js';
import {
  backoffMs,
  getFileMetadata,
  isTransientError,
  openGet,
  readBody,
  sha256FromEtag,
  type FileMetadata,
  type HttpOptions,
  type RequestContext,
} from './http.js';
import { hubFileUrl, isCommitHash, validateRepoFilename, validateRepoId } from './repo_id.js';

/** Progress of one file: `loaded` of `total` bytes (total unknown for some servers). */
export interface DownloadProgress {
  repoId: string;
  file: string;
  loaded: number;
  total?: number;
  /** True when the file came from the cache without a transfer. */
  cached?: boolean;
}

/** Options of {@link hfHubDownload} and the snapshot functions. */
export interface HubDownloadOptions extends HttpOptions {
  /** Branch, tag or commit hash (default "main"). */
  revision?: string;
  /** Access token; `false` sends none. Default: HF_TOKEN, HUGGING_FACE_HUB_TOKEN, then the HF token file. */
  token?: string | false;
  /** Hub URL (default HF_ENDPOINT or https://huggingface.co). */
  endpoint?: string;
  /** Cache folder (sentence-transformers' `cache_folder`; default SENTENCE_TRANSFORMERS_HOME, HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). */
  cacheFolder?: string;
  /** Use the cache only (also when HF_HUB_OFFLINE=1). */
  localFilesOnly?: boolean;
  /** Download again even when cached. */
  forceDownload?: boolean;
  /** Called as bytes arrive (and once for a cached file). */
  onProgress?: (p: DownloadProgress) => void;
  /** Resumptions (with Range) after a connection broke mid-file (default 5). */
  maxResumes?: number;
  /** A download lock older than this (ms) belongs to a dead process and is broken (default 10 min). */
  lockStaleMs?: number;
  /** Environment to read instead of `process.env` (tests). */
  env?: EnvLike;
}

/** Options resolved once per repository. */
export class HubSession {
  private constructor(
    readonly repoId: string,
    readonly cache: RepoCache,
    readonly endpoint: string,
    readonly token: string | undefined,
    /** Offline: set by HF_HUB_OFFLINE/localFilesOnly, or after the hub could not be reached once. */
    public offline: boolean,
    readonly opts: HubDownloadOptions,
  ) {}

  /** A session for `repoId`: cache, endpoint, token and offline mode resolved from the options and the environment. */
  static async create(repoId: string, opts: HubDownloadOptions = {}): Promise<HubSession> {
    validateRepoId(repoId);
    const env = opts.env ?? processEnv();
    const cacheDir = await getCacheDir(opts.cacheFolder, env);
    const http: HubDownloadOptions = { ...opts, timeoutMs: opts.timeoutMs ?? envTimeoutMs('download', env) };
    return new HubSession(
      repoId,
      await RepoCache.open(cacheDir, repoId),
      (opts.endpoint ?? hubEndpoint(env)).replace(/\/+$/, ''),
      await resolveToken(opts.token, env),
      Boolean(opts.localFilesOnly) || isOfflineEnv(env),
      http,
    );
  }

  get fs(): HubFs {
    return this.cache.fs;
  }

  /** HTTP headers of every hub request (the bearer token when one is set). */
  headers(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.token) h.authorization = `Bearer ${this.token}`;
    return h;
  }

  /** What an error message says about a request for `filename` at `revision`. */
  ctx(filename: string, revision: string): RequestContext {
    return { repoId: this.repoId, revision, filename, endpoint: this.endpoint, withToken: Boolean(this.token) };
  }

  /** Where `filename` would be looked up in the cache, for error messages. */
  describeLookup(revision: string, commit: string | undefined, filename: string): string {
    return commit
      ? this.cache.pointerPath(commit, filename)
      : `${this.cache.refPath(revision)} (no cached commit for revision "${revision}")`;
  }

  /**
   * Fetch one file (or take it from the cache).
   * @returns the snapshot path and the commit it belongs to; `path` is undefined when the hub (or, offline, the
   *   cache) says the file does not exist and `optional` is set.
   */
  async file(filename: string, revision: string, optional = false): Promise<{ path?: string; commit?: string }> {
    validateRepoFilename(filename);
    const { cache, opts } = this;
    if (isCommitHash(revision) && !opts.forceDownload) {
      const hit = await cache.lookup(revision, filename);
      if (typeof hit === 'string') return this.cachedHit(filename, hit, revision);
      if (hit === CACHED_NO_EXIST && optional) return { commit: revision };
    }
    if (this.offline) return this.fromCache(filename, revision, optional, undefined);

    const url = hubFileUrl(this.endpoint, this.repoId, revision, filename);
    let meta: FileMetadata;
    let getHeaders: Record<string, string>;
    try {
      ({ meta, getHeaders } = await getFileMetadata(url, this.headers(), opts, this.ctx(filename, revision)));
    } catch (e) {
      if (e instanceof EntryNotFoundError) {
        if (e.commitHash && isCommitHash(e.commitHash)) {
          await cache.markNoExist(e.commitHash, filename);
          await cache.writeRef(revision, e.commitHash);
        }
        if (optional) return { commit: e.commitHash };
        throw e;
      }
      if (e instanceof RevisionNotFoundError) throw e;
      if (e instanceof HubError) {
        const out = await this.fromCache(filename, revision, optional, e);
        this.offline = true; // the cache had it: do not wait on the hub again for the other files
        return out;
      }
      throw e;
    }
    const { commitHash: commit, etag, size } = meta;
    if (!commit || !isCommitHash(commit) || !etag || size === undefined) {
      throw new HubError(
        `${url} answered without the Hugging Face hub's file headers (X-Repo-Commit: ${commit ?? 'missing'}, ETag: ${etag ?? 'missing'}, size: ${size ?? 'missing'}); check HF_ENDPOINT/endpoint and any proxy in between`,
      );
    }
    await cache.writeRef(revision, commit);
    if (!meta.isLfs && meta.location === url && revision !== commit) {
      // GET the bytes at the commit the HEAD named, so a branch moving in between cannot mix versions.
      meta = { ...meta, location: hubFileUrl(this.endpoint, this.repoId, commit, filename) };
    }
    const pointer = cache.pointerPath(commit, filename);
    const blob = cache.blobPath(etag);
    if (!opts.forceDownload && (await this.fs.isFile(pointer))) return this.cachedHit(filename, pointer, commit);

    const lock = await this.fs.acquireLock(cache.lockPath(etag), { staleMs: opts.lockStaleMs });
    try {
      if (!opts.forceDownload && (await this.fs.isFile(blob))) {
        await this.fs.linkPointer(blob, pointer, false);
        return this.cachedHit(filename, pointer, commit);
      }
      await this.downloadBlob(filename, meta, getHeaders, blob);
      await this.fs.linkPointer(blob, pointer, true);
    } finally {
      await lock.release();
    }
    return { path: pointer, commit };
  }

  private cachedHit(filename: string, path: string, commit: string): Promise<{ path: string; commit: string }> {
    return this.fs.stat(path).then((s) => {
      this.opts.onProgress?.({ repoId: this.repoId, file: filename, loaded: s?.size ?? 0, total: s?.size, cached: true });
      return { path, commit };
    });
  }

  /** No network (offline, or the hub could not be used): the cached copy of the revision, or a clear error. */
  async fromCache(filename: string, revision: string, optional: boolean, cause: HubError | undefined): Promise<{ path?: string; commit?: string }> {
    const commit = await this.cache.resolveRevision(revision);
    const hit = commit ? await this.cache.lookup(commit, filename) : undefined;
    if (typeof hit === 'string') return this.cachedHit(filename, hit, commit!);
    if (hit === CACHED_NO_EXIST && optional) return { commit };
    // An optional file of a cached snapshot that the cache knows nothing about: treat as absent.
    if (hit === undefined && optional && commit && (await this.fs.isDirectory(this.cache.snapshotDir(commit)))) return { commit };
    if (cause instanceof RepositoryNotFoundError || cause instanceof GatedRepoError) throw cause;
    const where = this.describeLookup(revision, commit, filename);
    if (!cause) {
      throw new LocalEntryNotFoundError(
        `"${filename}" of "${this.repoId}" (revision "${revision}") is not in the cache and offline mode is on (HF_HUB_OFFLINE=1 or localFilesOnly). Looked at: ${where}. Download it once online, or point cacheFolder at a cache that has it.`,
      );
    }
    throw new LocalEntryNotFoundError(
      `Could not get "${filename}" of "${this.repoId}" (revision "${revision}") from ${this.endpoint} and it is not in the cache (looked at: ${where}). Cause: ${cause.message}`,
      { cause },
    );
  }

  /** GET into `<blob>.incomplete` (resuming), verify, rename to `<blob>`. Call under the blob's lock. */
  private async downloadBlob(filename: string, meta: FileMetadata, headers: Record<string, string>, blob: string): Promise<void> {
    const { fs, opts } = this;
    const incomplete = `${blob}.incomplete`;
    const expected = meta.size!;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const maxResumes = opts.maxResumes ?? 5;
    if (opts.forceDownload) await fs.remove(incomplete);
    const report = (loaded: number) => opts.onProgress?.({ repoId: this.repoId, file: filename, loaded, total: expected });

    for (let attempt = 0; ; attempt++) {
      let file = await fs.openAppend(incomplete);
      try {
        if (file.size > expected) {
          await file.close();
          file = await fs.openAppend(incomplete, true);
        }
        if (file.size === expected) break;
        const start = file.size;
        const h = start > 0 ? { ...headers, range: `bytes=${start}-` } : headers;
        const { res, timer } = await openGet(meta.location, h, opts, this.ctx(filename, ''));
        if (start > 0 && !rangeHonoured(res, start)) {
          // The server sent the whole file: start over.
          await file.close();
          file = await fs.openAppend(incomplete, true);
        }
        report(file.size);
        const f = file;
        await readBody(res, timer, `downloading ${filename} of ${this.repoId}`, async (chunk) => {
          if (f.size + chunk.byteLength > expected) {
            throw new HubIntegrityError(`${filename} of ${this.repoId}: the server sent more than the announced ${expected} bytes`);
          }
          await f.write(chunk);
          report(f.size);
        }, timeoutMs);
        break;
      } catch (e) {
        if (attempt < maxResumes && isTransientError(e)) {
          await file.close().catch(() => undefined);
          await new Promise((r) => setTimeout(r, backoffMs(attempt, opts)));
          continue;
        }
        if (e instanceof HubIntegrityError) {
          await file.close().catch(() => undefined);
          await fs.remove(incomplete);
        }
        const code = (e as { code?: unknown }).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') {
          // As huggingface_hub: the partial bytes stay in `.incomplete` (never under snapshots/) for the next call to resume.
          throw new HubError(
            `${filename} of ${this.repoId}: the disk is full (${code}) while writing ${incomplete} (${file.size} of ${expected} bytes so far); free some space and call again, the download resumes from there`,
            { cause: e },
          );
        }
        throw e;
      } finally {
        await file.close().catch(() => undefined);
      }
    }

    const got = (await fs.stat(incomplete))?.size ?? 0;
    if (got !== expected) {
      await fs.remove(incomplete);
      throw new HubIntegrityError(`${filename} of ${this.repoId}: consistency check failed, the file should be ${expected} bytes but ${got} arrived; nothing was cached, please retry`);
    }
    const sha = sha256FromEtag(meta);
    if (sha) {
      const actual = await fs.sha256File(incomplete);
      if (actual !== sha) {
        await fs.remove(incomplete);
        throw new HubIntegrityError(`${filename} of ${this.repoId}: sha256 of the downloaded bytes is ${actual} but the hub announced ${sha} (X-Linked-Etag); the download was corrupted and nothing was cached, please retry`);
      }
    }
    await fs.rename(incomplete, blob);
  }
}

function rangeHonoured(res: Response, start: number): boolean {
  if (res.status !== 206) return false;
  const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return m !== null && Number(m[1]) === start;
}

/**
 * Download one file of a hub repository into the Hugging Face cache (or take it from there) and return its local
 * path (`<cache>/models--org--name/snapshots/<commit>/<filename>`).
 * @param repoId "org/name" (use {@link resolveModelId} first for bare sentence-transformers names).
 * @param filename path inside the repository, e.g. "1_Pooling/config.json".
 * @throws EntryNotFoundError, RepositoryNotFoundError, GatedRepoError, RevisionNotFoundError, LocalEntryNotFoundError,
 *   HubIntegrityError, HubTimeoutError, HubConnectionError.
 */
export async function hfHubDownload(repoId: string, filename: string, opts: HubDownloadOptions = {}): Promise<string> {
  const session = await HubSession.create(repoId, opts);
  const { path } = await session.file(filename, opts.revision ?? DEFAULT_REVISION, false);
  return path!;
}

/**
 * Model files in a browser (or any runtime with `fetch`): the hub's resolve URLs, or a self-hosted folder
 * (`modelBaseUrl`), cached with the Cache API (`caches.open(...)`) or any object with `match` and `put`.
 * No file system and no Node built-ins. The CDN redirect is followed by fetch itself, which drops Authorization
 * on a cross-origin redirect (Fetch standard), like huggingface_hub does for its CDN.
 */
import { DEFAULT_REVISION, hubEndpoint } from './env.js';
import { EntryNotFoundError, HubIntegrityError, LocalEntryNotFoundError } from './errors.js';
import { errorFromResponse, readBody, timedFetch, withRetries, type HttpOptions, type RequestContext } from './http.js';
import type { DownloadProgress } from './download.js';
import { hubFileUrl, pyQuote, validateRepoFilename, validateRepoId } from './repo_id.js';

/** The part of the Cache API used here (a `Cache` from `caches.open()` fits). */
export interface CacheLike {
  /** The cached response for a URL, if any (as `Cache.match`). */
  match(request: string): Promise<Response | undefined>;
  /** Stores a response for a URL (as `Cache.put`). */
  put(request: string, response: Response): Promise<void>;
}

/** Options of {@link createBrowserModelSource}. */
export interface BrowserHubOptions extends HttpOptions {
  /** Branch, tag or commit (default "main"); ignored with `modelBaseUrl`. */
  revision?: string;
  /** Access token for private or gated repositories (a browser has no environment to read one from). */
  token?: string;
  /** Hub URL (default https://huggingface.co). */
  endpoint?: string;
  /** A self-hosted model folder: files are fetched from `${modelBaseUrl}/${file}` instead of the hub. */
  modelBaseUrl?: string;
  /** Where to keep downloaded files: a CacheLike, `false` for none; default `caches.open(cacheName)` when available. */
  cache?: CacheLike | false;
  /** Cache API bucket name (default "sentence-tfjs-models"). */
  cacheName?: string;
  /** Use cached files only. */
  localFilesOnly?: boolean;
  /** Called as files download (bytes done and total per file). */
  onProgress?: (p: DownloadProgress) => void;
}

/** Reads model files by name; `get` resolves to undefined for an optional file that does not exist. */
export interface ModelFileSource {
  readonly id: string;
  /** The URL a file is fetched from. */
  url(filename: string): string;
  /** The bytes of a file; undefined when `optional` and the file does not exist. */
  get(filename: string, optional?: boolean): Promise<Uint8Array | undefined>;
  /** The text of a file; undefined when `optional` and the file does not exist. */
  text(filename: string, optional?: boolean): Promise<string | undefined>;
}

async function defaultCache(name: string): Promise<CacheLike | undefined> {
  const c = (globalThis as { caches?: { open(n: string): Promise<CacheLike> } }).caches;
  if (!c) return undefined;
  try {
    return await c.open(name);
  } catch {
    return undefined; // e.g. an opaque origin
  }
}

/**
 * A {@link ModelFileSource} over HTTP: the hub (`repoId`) or a self-hosted folder (`modelBaseUrl`).
 * @param repoId "org/name"; with `modelBaseUrl` it only names the model in messages and progress.
 */
export function createBrowserModelSource(repoId: string, opts: BrowserHubOptions = {}): ModelFileSource {
  if (!opts.modelBaseUrl) validateRepoId(repoId);
  const endpoint = (opts.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const revision = opts.revision ?? DEFAULT_REVISION;
  const base = opts.modelBaseUrl?.replace(/\/+$/, '');
  let cachePromise: Promise<CacheLike | undefined> | undefined;
  const cache = () => (cachePromise ??= opts.cache === false ? Promise.resolve(undefined) : opts.cache ? Promise.resolve(opts.cache) : defaultCache(opts.cacheName ?? 'sentence-tfjs-models'));

  const url = (filename: string) => {
    validateRepoFilename(filename);
    return base ? `${base}/${pyQuote(filename)}` : hubFileUrl(endpoint, repoId, revision, filename);
  };

  async function get(filename: string, optional = false): Promise<Uint8Array | undefined> {
    const u = url(filename);
    const c = await cache();
    const hit = await c?.match(u);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      opts.onProgress?.({ repoId, file: filename, loaded: bytes.byteLength, total: bytes.byteLength, cached: true });
      return bytes;
    }
    if (opts.localFilesOnly) {
      if (optional) return undefined;
      throw new LocalEntryNotFoundError(`"${filename}" of "${repoId}" is not in the browser cache (looked up ${u}) and localFilesOnly is set`);
    }
    const ctx: RequestContext = { repoId, revision, filename, endpoint: base ?? endpoint, withToken: Boolean(opts.token) };
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const { res, timer } = await withRetries(opts, () => timedFetch(u, { method: 'GET', headers, redirect: 'follow' }, opts, `GET ${filename}`));
    if (!res.ok) {
      timer.clear();
      await res.body?.cancel().catch(() => undefined);
      const err = errorFromResponse(res, u, ctx);
      if (optional && err instanceof EntryNotFoundError) return undefined;
      throw err;
    }
    const lenHeader = res.headers.get('content-length');
    const total = lenHeader !== null && /^\d+$/.test(lenHeader) ? Number(lenHeader) : undefined;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    opts.onProgress?.({ repoId, file: filename, loaded, total });
    await readBody(res, timer, `downloading ${filename} of ${repoId}`, (chunk) => {
      chunks.push(chunk);
      loaded += chunk.byteLength;
      opts.onProgress?.({ repoId, file: filename, loaded, total });
    }, opts.timeoutMs ?? 10_000);
    if (total !== undefined && loaded !== total) {
      throw new HubIntegrityError(`${filename} of ${repoId}: expected ${total} bytes (Content-Length) but ${loaded} arrived; nothing was cached`);
    }
    const bytes = new Uint8Array(loaded);
    let off = 0;
    for (const ch of chunks) {
      bytes.set(ch, off);
      off += ch.byteLength;
    }
    await c?.put(u, new Response(bytes, { headers: { 'content-type': res.headers.get('content-type') ?? 'application/octet-stream', 'content-length': String(loaded) } }));
    return bytes;
  }

  return {
    id: repoId,
    url,
    get,
    async text(filename, optional) {
      const b = await get(filename, optional);
      return b === undefined ? undefined : new TextDecoder().decode(b);
    },
  };
}

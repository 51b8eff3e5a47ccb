/**
 * Model files over HTTP(S): what `platform/fs.ts` does for paths that are URLs, so that every loader that reads
 * through it (weights, tokenizer.json, modules.json, configs) works in a browser on a model folder served by URL,
 * e.g. `SentenceTransformer.load('https://example.com/models/all-MiniLM-L6-v2')`.
 *
 * Downloads are kept in the Cache API (bucket "sentence-tfjs-files") when the runtime has one (browsers, workers),
 * keyed by URL, so a page reload reads the model from the cache without network. Configure or disable with
 * {@link configureUrlFiles}; `clearUrlCache()` empties it. Works in Node (>= 18, global fetch) too, without caching.
 */

/** The part of the Cache API used here (`caches.open(name)` returns one). */
export interface UrlCache {
  /** The cached response for a URL, if any (as `Cache.match`). */
  match(request: string): Promise<Response | undefined>;
  /** Stores a response for a URL (as `Cache.put`). */
  put(request: string, response: Response): Promise<void>;
}

/** Settings of URL file access. */
export interface UrlFileOptions {
  /** A cache to use, `false` for none; default: `caches.open(cacheName)` where the Cache API exists. */
  cache?: UrlCache | false;
  /** Cache API bucket (default "sentence-tfjs-files"). */
  cacheName?: string;
  /** The fetch to use (default: globalThis.fetch); e.g. to add headers. */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. Authorization for a private server). */
  headers?: Record<string, string>;
}

let options: UrlFileOptions = {};
let cachePromise: Promise<UrlCache | undefined> | undefined;
/** Bodies fetched by an existence check, handed to the read that usually follows (one download, not two). */
const pending = new Map<string, Promise<Uint8Array | undefined>>();

/** Replace the URL file settings (and forget the opened cache). */
export function configureUrlFiles(opts: UrlFileOptions): void {
  options = { ...opts };
  cachePromise = undefined;
  pending.clear();
}

/** Whether a path is an http(s) URL (handled here) rather than a file path. */
export function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/** Join a base URL and relative parts with single slashes (`a/` + `b` = `a/b`); the scheme's `//` is kept. */
export function joinUrl(base: string, ...parts: string[]): string {
  let out = base.replace(/\/+$/, '');
  for (const p of parts) {
    const seg = p.replace(/^\/+|\/+$/g, '');
    if (seg) out += `/${seg}`;
  }
  return out;
}

function cache(): Promise<UrlCache | undefined> {
  if (options.cache === false) return Promise.resolve(undefined);
  if (options.cache) return Promise.resolve(options.cache);
  cachePromise ??= (async () => {
    const c = (globalThis as { caches?: { open(n: string): Promise<UrlCache> } }).caches;
    if (!c) return undefined;
    try {
      return await c.open(options.cacheName ?? 'sentence-tfjs-files');
    } catch {
      return undefined; // opaque origins and some private modes refuse the Cache API
    }
  })();
  return cachePromise;
}

/** Delete the Cache API bucket used for URL files (no-op without the Cache API). */
export async function clearUrlCache(): Promise<boolean> {
  pending.clear();
  cachePromise = undefined;
  const c = (globalThis as { caches?: { delete(n: string): Promise<boolean> } }).caches;
  return c ? c.delete(options.cacheName ?? 'sentence-tfjs-files') : false;
}

async function download(url: string, optional: boolean): Promise<Uint8Array | undefined> {
  const c = await cache();
  const hit = await c?.match(url);
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const f = options.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') throw new Error(`reading ${url} needs fetch, which this runtime lacks`);
  let res: Response;
  try {
    res = await f(url, { headers: options.headers });
  } catch (e) {
    throw new Error(`GET ${url} failed: ${(e as Error).message ?? String(e)}`);
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => undefined);
    if (optional) return undefined;
    throw new Error(`GET ${url}: not found (HTTP ${res.status})`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`GET ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const len = res.headers.get('content-length');
  if (len !== null && /^\d+$/.test(len) && Number(len) !== bytes.byteLength && !res.headers.get('content-encoding')) {
    throw new Error(`GET ${url}: expected ${len} bytes (Content-Length), got ${bytes.byteLength}; nothing was cached`);
  }
  await c?.put(url, new Response(bytes, { headers: { 'content-type': res.headers.get('content-type') ?? 'application/octet-stream' } }))
    .catch(() => undefined); // a full or read-only cache only costs a re-download
  return bytes;
}

/** The bytes at `url` (from the cache when there), or an error naming the URL and the HTTP status. */
export async function readUrlBytes(url: string): Promise<Uint8Array> {
  const early = pending.get(url);
  if (early) {
    pending.delete(url);
    const b = await early;
    if (b) return b;
  }
  return (await download(url, false))!;
}

/** Whether a URL names a folder: a trailing '/' or a last segment without a dot (`models/tiny-bert`, `1_Pooling`). */
export function looksLikeFolder(url: string): boolean {
  const path = url.replace(/[?#].*$/, '');
  return path.endsWith('/') || !path.slice(path.lastIndexOf('/') + 1).includes('.');
}

/**
 * Whether `url` exists (HTTP 404/410 = no). The body is kept for the read that follows. HTTP has no folders, so a
 * URL that {@link looksLikeFolder} is taken to exist (its missing files are reported when they are read).
 */
export async function urlExists(url: string): Promise<boolean> {
  if (looksLikeFolder(url)) return true;
  let p = pending.get(url);
  if (!p) {
    p = download(url, true);
    pending.set(url, p);
    p.then((b) => { if (!b) pending.delete(url); }, () => pending.delete(url));
  }
  return (await p) !== undefined;
}

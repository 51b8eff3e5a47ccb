/**
 * A tiny static HTTP server on 127.0.0.1 for the browser tests and the web demo (npm run demo:web): URL prefixes map to folders
 * (the browser bundle, the tfjs .wasm binaries, fixture model folders) and a few fixed routes (an HTML page).
 * Read-only, GET/HEAD only, no directory listings, no path traversal out of a mapped folder.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticServerOptions {
  /** URL prefix (starting and ending with '/') -> absolute folder, or folders searched in order. A path ending in '/' serves its index.html. */
  mounts: Record<string, string | string[]>;
  /** Exact URL path -> [content type, body]. */
  routes?: Record<string, [string, string | (() => string)]>;
  /** Port (default: any free one). */
  port?: number;
  /** Extra headers on every response (e.g. COOP/COEP, for a cross-origin-isolated page). */
  headers?: Record<string, string>;
  /** Called for each request (tests count fetches to check caching). */
  onRequest?: (path: string, status: number) => void;
}

export interface StaticServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Start the server; resolves once it listens. */
export async function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(opts.mounts).sort((a, b) => b[0].length - a[0].length);
  const server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      opts.onRequest?.(path, status);
      res.writeHead(status, { ...opts.headers, 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    let path = '/';
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'text/plain', 'bad URL');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only');
    const route = opts.routes?.[path];
    if (route) return send(200, route[0], typeof route[1] === 'function' ? route[1]() : route[1]);
    for (const [prefix, dirs] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const rel = path.slice(prefix.length) + (path.endsWith('/') ? 'index.html' : '');
      let file: string | undefined;
      let size = 0;
      for (const dir of Array.isArray(dirs) ? dirs : [dirs]) {
        const root = resolve(dir);
        const candidate = resolve(root, '.' + sep + rel);
        if (candidate !== root && !candidate.startsWith(root + sep)) return send(403, 'text/plain', 'outside the mounted folder');
        try {
          const st = statSync(candidate);
          if (st.isFile()) {
            file = candidate;
            size = st.size;
            break;
          }
        } catch {
          /* try the next folder */
        }
      }
      if (!file) return send(404, 'text/plain', `not found: ${path}`);
      opts.onRequest?.(path, 200);
      res.writeHead(200, { ...opts.headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store' });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
      return;
    }
    send(404, 'text/plain', `not found: ${path}`);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((res) => { server.closeAllConnections(); server.close(() => res()); }),
  };
}

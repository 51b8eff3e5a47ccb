/**
 * Node file-system operations for the Hugging Face hub cache (src/hub/). The hub code itself is pure TS and
 * browser-safe; everything that touches node:fs, node:path, node:os or node:crypto lives here and is loaded
 * lazily on first use.
 *
 * Mirrors the on-disk behaviour of huggingface_hub v0.23.4
 * (https://github.com/huggingface/huggingface_hub/blob/4c7aa33bac0b4fb59796e76fcc9cd7f5ff0fd426/src/huggingface_hub/file_download.py):
 * relative symlinks from `snapshots/` into `blobs/` (a move or copy where symlinks are refused), blobs written
 * to `<blob>.incomplete` and renamed into place, one lock file per blob.
 */
import { isNode } from './fs.js';
import { nodeBuiltins } from './node_builtins.js';

type FsPromises = typeof import('node:fs/promises');
type FsSync = typeof import('node:fs');
type PathModule = typeof import('node:path');
type OsModule = typeof import('node:os');
type CryptoModule = typeof import('node:crypto');

/** What a stat returns, reduced to what the hub needs. */
export interface HubStat {
  isFile: boolean;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
}

/** An open file that bytes are appended to (a download in progress). */
export interface AppendFile {
  /** Bytes in the file (resume position). */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** A held lock; `release()` removes the lock file. */
export interface HubLock {
  release(): Promise<void>;
}

/** Options of {@link HubFs.acquireLock}. */
export interface LockOptions {
  /**
   * A lock file whose mtime is older than this is considered abandoned (default 10 min). A lock naming a process
   * of this host that no longer runs is broken at once.
   */
  staleMs?: number;
  /** Poll interval while waiting (default 100 ms). */
  pollMs?: number;
  /** Give up after this long (default: wait forever). */
  timeoutMs?: number;
  /** Refresh the lock's mtime this often while held, so a long download never looks stale (default staleMs / 3). */
  refreshMs?: number;
}

/** The file-system port the hub cache uses (Node only). Path functions are synchronous once loaded. */
export interface HubFs {
  join(...parts: string[]): string;
  dirname(p: string): string;
  resolve(...parts: string[]): string;
  relative(from: string, to: string): string;
  /** `~` and `~/x` expanded to the user's home directory. */
  expandHome(p: string): string;
  homeDir(): string;
  stat(p: string): Promise<HubStat | null>;
  isFile(p: string): Promise<boolean>;
  isDirectory(p: string): Promise<boolean>;
  readText(p: string): Promise<string>;
  listDir(p: string): Promise<string[]>;
  mkdirp(p: string): Promise<void>;
  /** Write a small text file through a temp file + rename (refs/<revision>). */
  writeTextAtomic(p: string, text: string): Promise<void>;
  /** Create an empty file (and its folders); used for `.no_exist/<commit>/<file>` markers. */
  touch(p: string): Promise<void>;
  remove(p: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Open for appending; `truncate` starts from zero bytes. */
  openAppend(p: string, truncate?: boolean): Promise<AppendFile>;
  /** Truncate a file to `size` bytes. */
  truncate(p: string, size: number): Promise<void>;
  /** Hex sha256 of a file's bytes, read as a stream. */
  sha256File(p: string): Promise<string>;
  /**
   * Point `pointerPath` at `blobPath`: a relative symlink where the OS allows, otherwise a move (new blob) or a
   * copy (a blob another snapshot may share), as huggingface_hub's `_create_symlink` does.
   */
  linkPointer(blobPath: string, pointerPath: string, newBlob: boolean): Promise<'symlink' | 'move' | 'copy'>;
  /** Take an exclusive lock file (O_EXCL), waiting for other holders and breaking stale locks. */
  acquireLock(lockPath: string, opts?: LockOptions): Promise<HubLock>;
}

let cached: HubFs | undefined;

/** The hub's file-system port, loading node:fs & co on first call. Throws outside Node. */
export async function hubFs(): Promise<HubFs> {
  if (cached) return cached;
  if (!isNode()) {
    throw new Error('the Hugging Face file cache needs a file system (Node.js); in a browser use the fetch + Cache API loader (hub/browser)');
  }
  const [fsp, fss, path, os, crypto] = await Promise.all([
    nodeBuiltins.fsPromises(),
    nodeBuiltins.fs(),
    nodeBuiltins.path(),
    nodeBuiltins.os(),
    nodeBuiltins.crypto(),
  ]);
  cached = makeHubFs(fsp, fss, path, os, crypto);
  return cached;
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function makeHubFs(fsp: FsPromises, fss: FsSync, path: PathModule, os: OsModule, crypto: CryptoModule): HubFs {
  const stat = async (p: string): Promise<HubStat | null> => {
    try {
      const s = await fsp.stat(p);
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs };
    } catch (e) {
      if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return null;
      throw e;
    }
  };
  const symlinkSupport = new Map<string, boolean>();

  const api: HubFs = {
    join: (...parts) => path.join(...parts),
    dirname: (p) => path.dirname(p),
    resolve: (...parts) => path.resolve(...parts),
    relative: (from, to) => path.relative(from, to),
    homeDir: () => os.homedir(),
    expandHome(p) {
      if (p === '~') return os.homedir();
      if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
      return p;
    },
    stat,
    isFile: async (p) => (await stat(p))?.isFile ?? false,
    isDirectory: async (p) => (await stat(p))?.isDirectory ?? false,
    readText: (p) => fsp.readFile(p, 'utf8'),
    listDir: async (p) => {
      try {
        return await fsp.readdir(p);
      } catch (e) {
        if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return [];
        throw e;
      }
    },
    mkdirp: async (p) => {
      await fsp.mkdir(p, { recursive: true });
    },
    async writeTextAtomic(p, text) {
      await fsp.mkdir(path.dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      await fsp.writeFile(tmp, text);
      await fsp.rename(tmp, p);
    },
    async touch(p) {
      await fsp.mkdir(path.dirname(p), { recursive: true });
      const fh = await fsp.open(p, 'a');
      await fh.close();
    },
    remove: async (p) => {
      await fsp.rm(p, { force: true });
    },
    async rename(from, to) {
      await fsp.mkdir(path.dirname(to), { recursive: true });
      await fsp.rename(from, to);
    },
    async openAppend(p, truncate = false) {
      await fsp.mkdir(path.dirname(p), { recursive: true });
      const fh = await fsp.open(p, truncate ? 'w' : 'a');
      let size = (await fh.stat()).size;
      return {
        get size() {
          return size;
        },
        async write(chunk: Uint8Array) {
          let off = 0;
          while (off < chunk.byteLength) {
            const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
            off += bytesWritten;
          }
          size += chunk.byteLength;
        },
        close: () => fh.close(),
      };
    },
    truncate: (p, size) => fsp.truncate(p, size),
    sha256File(p) {
      return new Promise((resolve, reject) => {
        const h = crypto.createHash('sha256');
        const s = fss.createReadStream(p);
        s.on('data', (d) => h.update(d));
        s.on('error', reject);
        s.on('end', () => resolve(h.digest('hex')));
      });
    },
    async linkPointer(blobPath, pointerPath, newBlob) {
      const absBlob = path.resolve(blobPath);
      const absPtr = path.resolve(pointerPath);
      await fsp.mkdir(path.dirname(absPtr), { recursive: true });
      await fsp.rm(absPtr, { force: true });
      const common = commonDir(path, absBlob, absPtr);
      let supported = symlinkSupport.get(common);
      if (supported === undefined) {
        supported = await probeSymlinks(common);
        symlinkSupport.set(common, supported);
      }
      if (supported) {
        try {
          await fsp.symlink(path.relative(path.dirname(absPtr), absBlob), absPtr);
          return 'symlink';
        } catch (e) {
          if (errCode(e) === 'EEXIST') {
            // Another process created the same pointer between rm and symlink: fine if it points at our blob.
            const real = await fsp.realpath(absPtr).catch(() => '');
            if (real === (await fsp.realpath(absBlob))) return 'symlink';
            throw e;
          }
          if (errCode(e) !== 'EPERM' && errCode(e) !== 'EACCES') throw e;
        }
      }
      if (newBlob) {
        try {
          await fsp.rename(absBlob, absPtr);
          return 'move';
        } catch {
          /* fall through to a copy (cross-device) */
        }
      }
      await fsp.copyFile(absBlob, absPtr);
      return 'copy';
    },
    async acquireLock(lockPath, opts = {}) {
      const staleMs = opts.staleMs ?? 10 * 60_000;
      const pollMs = opts.pollMs ?? 100;
      const refreshMs = opts.refreshMs ?? Math.max(50, Math.floor(staleMs / 3));
      const start = Date.now();
      await fsp.mkdir(path.dirname(lockPath), { recursive: true });
      for (;;) {
        try {
          const fh = await fsp.open(lockPath, 'wx');
          await fh.writeFile(`${process.pid} ${os.hostname()} ${new Date().toISOString()}\n`);
          await fh.close();
          const timer = setInterval(() => {
            const now = new Date();
            fsp.utimes(lockPath, now, now).catch(() => undefined);
          }, refreshMs);
          timer.unref?.();
          let released = false;
          return {
            async release() {
              if (released) return;
              released = true;
              clearInterval(timer);
              await fsp.rm(lockPath, { force: true });
            },
          };
        } catch (e) {
          if (errCode(e) !== 'EEXIST') throw e;
        }
        const s = await stat(lockPath);
        if (s && (Date.now() - s.mtimeMs > staleMs || (await holderIsDead(lockPath)))) {
          // Abandoned by a process that died: break it. Renaming first makes the break atomic between waiters.
          const grave = `${lockPath}.stale.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
          try {
            await fsp.rename(lockPath, grave);
            await fsp.rm(grave, { force: true });
          } catch {
            /* someone else broke it first */
          }
          continue;
        }
        if (opts.timeoutMs !== undefined && Date.now() - start > opts.timeoutMs) {
          throw new Error(`timed out after ${opts.timeoutMs} ms waiting for the lock ${lockPath} (held by another download; delete it if no other process is running)`);
        }
        await sleep(pollMs);
      }
    },
  };

  /** The lock names a process on this host that no longer runs (killed mid-download): the lock is abandoned. */
  async function holderIsDead(lockPath: string): Promise<boolean> {
    let text: string;
    try {
      text = await fsp.readFile(lockPath, 'utf8');
    } catch {
      return false;
    }
    const [pidText, host] = text.trim().split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0 || host !== os.hostname() || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return errCode(e) === 'ESRCH';
    }
  }

  async function probeSymlinks(dir: string): Promise<boolean> {
    try {
      await fsp.mkdir(dir, { recursive: true });
      const tmp = await fsp.mkdtemp(path.join(dir, '.symlink-probe-'));
      try {
        await fsp.writeFile(path.join(tmp, 'src'), '');
        await fsp.symlink('src', path.join(tmp, 'dst'));
        return true;
      } finally {
        await fsp.rm(tmp, { recursive: true, force: true });
      }
    } catch {
      return false;
    }
  }

  return api;
}

function commonDir(path: PathModule, a: string, b: string): string {
  const pa = a.split(path.sep);
  const pb = b.split(path.sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(path.sep) || path.sep;
}

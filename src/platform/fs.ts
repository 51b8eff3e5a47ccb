/**
 * The platform layer: the only place that touches Node built-ins (node:fs, node:path).
 * Everything else in src/ must bundle for browsers, so Node modules are imported lazily here,
 * only when a file-system function is actually called (a browser build never calls them and
 * marks `node:*` as external).
 * Paths that are http(s) URLs are read with fetch instead (see url.ts), in browsers and in Node.
 */
import { ModelConfigError } from '../formats/errors.js';
import type { RangeReader } from '../formats/safetensors.js';
import { nodeBuiltins } from './node_builtins.js';
import { isUrl, joinUrl, readUrlBytes, urlExists } from './url.js';

type FsPromises = typeof import('node:fs/promises');
type PathModule = typeof import('node:path');

let fsp: FsPromises | undefined;
let pathMod: PathModule | undefined;

/** True when running under Node.js (not a browser or web worker). */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function nodeFs(what: string): Promise<FsPromises> {
  if (!isNode()) throw new Error(`${what} needs a file system (Node.js); in a browser, load from a URL or an ArrayBuffer instead`);
  fsp ??= await nodeBuiltins.fsPromises();
  return fsp;
}

/** node:path, loaded lazily (Node only). */
export async function nodePath(): Promise<PathModule> {
  if (!isNode()) throw new Error('node:path is only available in Node.js');
  pathMod ??= await nodeBuiltins.path();
  return pathMod;
}

/** Read a whole file as bytes. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  if (isUrl(path)) return readUrlBytes(path);
  const fs = await nodeFs(`reading ${path}`);
  const buf = await fs.readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Closes the descriptor of a {@link openFileReader} reader that was dropped without close(). */
let fdFinalizer: FinalizationRegistry<() => void> | undefined;

/**
 * Open a local file for reads of byte ranges (a safetensors checkpoint read one tensor at a time, never whole).
 * Synchronous reads on one descriptor, held until `close()` (or, as a fallback, until the reader is collected).
 * Node only: a URL has no range reader here (read it whole with {@link readFileBytes}).
 */
export async function openFileReader(path: string): Promise<RangeReader> {
  if (isUrl(path)) throw new Error(`openFileReader: expected a local path, got the URL ${path} (read it with readFileBytes)`);
  if (!isNode()) throw new Error(`reading ${path} needs a file system (Node.js); in a browser, load from a URL or an ArrayBuffer instead`);
  const fs = await nodeBuiltins.fs();
  let fd: number | null = fs.openSync(path, 'r');
  const size = fs.fstatSync(fd).size;
  const release = (d: number) => () => fs.closeSync(d);
  fdFinalizer ??= new FinalizationRegistry((close) => close());
  const reader: RangeReader = {
    size,
    read(begin: number, end: number, into?: Uint8Array): Uint8Array {
      if (fd === null) throw new Error(`${path}: read after close`);
      if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && 0 <= begin && begin <= end)) throw new RangeError(`read: expected 0 <= begin <= end, got [${begin}, ${end})`);
      if (into && into.length !== end - begin) throw new RangeError(`read: into must hold ${end - begin} bytes, got ${into.length}`);
      const out = into ?? new Uint8Array(end - begin);
      let done = 0;
      while (done < out.length) {
        const n = fs.readSync(fd, out, done, out.length - done, begin + done);
        if (n === 0) throw new ModelConfigError(`${path}: the file ended at byte ${begin + done}, expected bytes up to ${end} (was it changed while loading?)`, path);
        done += n;
      }
      return out;
    },
    close(): void {
      if (fd === null) return;
      fdFinalizer!.unregister(reader);
      const d = fd;
      fd = null;
      fs.closeSync(d);
    },
  };
  fdFinalizer.register(reader, release(fd), reader);
  return reader;
}

/** Read a whole file as UTF-8 text. */
export async function readFileText(path: string): Promise<string> {
  if (isUrl(path)) return new TextDecoder().decode(await readUrlBytes(path));
  const fs = await nodeFs(`reading ${path}`);
  return fs.readFile(path, 'utf8');
}

/** Read and parse a JSON file; a parse error is a {@link ModelConfigError} naming the file. */
export async function readJSONFile<T = unknown>(path: string): Promise<T> {
  const text = await readFileText(path);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelConfigError(`invalid JSON in ${path}: ${(e as Error).message}`, path);
  }
}

/**
 * Why `rel` (a path written inside a model folder: a modules.json `path`, a shard file name) could leave the
 * folder, or null when it cannot: it must be relative, with no `..` segment, not start with `/`, `\\` or `~`,
 * hold no drive letter, backslash or NUL.
 */
export function pathEscapeProblem(rel: string): string | null {
  if (rel.includes('\0')) return 'it holds a NUL character';
  if (rel.startsWith('/') || rel.startsWith('\\')) return 'it is an absolute path';
  if (rel.startsWith('~')) return "it starts with '~'";
  if (/^[A-Za-z]:/.test(rel)) return 'it names a drive';
  if (rel.includes('\\')) return 'it holds a backslash';
  if (rel.split('/').some((seg) => seg === '..')) return "it has a '..' segment";
  return null;
}

/**
 * Refuse a model folder holding a symbolic link that resolves outside it (a local folder could otherwise make the
 * library read files from anywhere). A hub cache snapshot (`.../snapshots/<rev>/`) may link into its repository's
 * `blobs/` folder, as huggingface_hub lays it out. URLs are not checked (they have no links). The walk is bounded
 * (10,000 entries, 8 levels) and does not follow links into folders.
 *
 * Every loader that reads a folder calls it (the pipeline, CrossEncoder, each module's `load`, the tokenizer's
 * `fromPretrainedDir`), so a module loaded directly is checked as one loaded through modules.json. `within` (default
 * `dir`) is the folder links may resolve into: a pipeline passes its model folder, so a module folder may link to
 * files elsewhere in the same model, as the pipeline's own check allows.
 */
export async function checkNoLinksOutside(dir: string, within: string = dir): Promise<void> {
  if (isUrl(dir) || !isNode()) return;
  const fs = await nodeFs(`checking ${dir}`);
  const p = await nodePath();
  let root: string;
  let allowed: string;
  try {
    root = await fs.realpath(dir);
    allowed = within === dir ? root : await fs.realpath(within);
  } catch {
    return; // a missing folder is reported by the caller
  }
  const roots = [allowed];
  // A hub snapshot (or a folder inside one): its links point into the repository's blobs/.
  for (let d = root; p.dirname(d) !== d; d = p.dirname(d)) {
    if (p.basename(p.dirname(d)) === 'snapshots') {
      const blobs = p.join(p.dirname(p.dirname(d)), 'blobs');
      roots.push(await fs.realpath(blobs).catch(() => blobs));
      break;
    }
  }
  const inside = (t: string) => roots.some((r) => t === r || t.startsWith(r + p.sep));
  let seen = 0;
  const walk = async (folder: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > 10_000) return;
      const full = p.join(folder, e.name);
      if (e.isSymbolicLink()) {
        let target: string;
        try {
          target = await fs.realpath(full);
        } catch {
          target = p.resolve(folder, await fs.readlink(full));
        }
        if (!inside(target)) {
          throw new ModelConfigError(`${full} is a symbolic link to ${target}, outside the model folder ${within}; refusing to read it`, full);
        }
      } else if (e.isDirectory() && depth < 8) {
        await walk(full, depth + 1);
      }
    }
  };
  await walk(root, 0);
}

/** Write bytes to a file (creating parent folders). */
export async function writeFileBytes(path: string, data: Uint8Array | string): Promise<void> {
  const fs = await nodeFs(`writing ${path}`);
  const p = await nodePath();
  await fs.mkdir(p.dirname(path), { recursive: true });
  await fs.writeFile(path, data);
}

/** Create a folder and its parents (no error when it exists). */
export async function makeDir(path: string): Promise<void> {
  const fs = await nodeFs(`creating the folder ${path}`);
  await fs.mkdir(path, { recursive: true });
}

/** Write a JSON file laid out as Python's `json.dump(obj, f, indent=2)` (creating parent folders). */
export async function writeJSONFile(path: string, value: unknown): Promise<void> {
  await writeFileBytes(path, JSON.stringify(value, null, 2));
}

/** Whether a path exists (file or directory). */
export async function pathExists(path: string): Promise<boolean> {
  if (isUrl(path)) return urlExists(path);
  const fs = await nodeFs(`checking ${path}`);
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Join path segments with node:path (Node) or '/' (browser URLs). */
export async function joinPath(...parts: string[]): Promise<string> {
  if (parts.length && isUrl(parts[0])) return parts.slice(1).reduce((url, p) => joinUrl(url, p), parts[0]);
  if (isNode()) return (await nodePath()).join(...parts);
  return parts.join('/').replace(/\/+/g, '/');
}

/**
 * The names of the sub-folders of a local directory, sorted (empty for a URL, which cannot be listed, or a folder
 * that cannot be read).
 */
export async function listSubfolders(path: string): Promise<string[]> {
  if (isUrl(path)) return [];
  const fs = await nodeFs(`listing ${path}`);
  try {
    return (await fs.readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * Write a folder all at once: `fill` writes into a fresh sibling temp folder, which then takes `dir`'s place by
 * rename (an existing `dir` is moved aside first and removed after), so a failed or interrupted save never leaves a
 * half-written `dir`. The temp folder is removed when `fill` throws.
 */
export async function writeDirAtomically(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const fs = await nodeFs(`writing ${dir}`);
  const p = await nodePath();
  const target = p.resolve(dir);
  await fs.mkdir(p.dirname(target), { recursive: true });
  const tmp = await fs.mkdtemp(`${target}.tmp-`);
  try {
    await fill(tmp);
    let old: string | undefined;
    if (await pathExists(target)) {
      old = `${tmp}.old`;
      await fs.rename(target, old);
    }
    try {
      await fs.rename(tmp, target);
    } catch (e) {
      if (old) await fs.rename(old, target);
      throw e;
    }
    if (old) await fs.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** What is at a local path: 'file', 'directory', 'other', or null when nothing is. */
export async function pathKind(path: string): Promise<'file' | 'directory' | 'other' | null> {
  const fs = await nodeFs(`checking ${path}`);
  try {
    const st = await fs.stat(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return null;
  }
}

/** Remove a file or folder (recursively); nothing when absent. */
export async function removePath(path: string): Promise<void> {
  const fs = await nodeFs(`removing ${path}`);
  await fs.rm(path, { recursive: true, force: true });
}

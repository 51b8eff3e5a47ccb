/**
 * The platform layer: the only place that touches Node built-ins (node:fs, node:path).
 * Everything else in src/ must bundle for browsers, so Node modules are imported lazily here,
 * only when a file-system function is actually called (a browser build never calls them and
 * marks `node:*` as external).
 * Paths that are http(s) URLs are read with fetch instead (see url.ts), in browsers and in Node.
 */
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

/** Read a whole file as UTF-8 text. */
export async function readFileText(path: string): Promise<string> {
  if (isUrl(path)) return new TextDecoder().decode(await readUrlBytes(path));
  const fs = await nodeFs(`reading ${path}`);
  return fs.readFile(path, 'utf8');
}

/** Read and parse a JSON file; a parse error names the file. */
export async function readJSONFile<T = unknown>(path: string): Promise<T> {
  const text = await readFileText(path);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new SyntaxError(`invalid JSON in ${path}: ${(e as Error).message}`);
  }
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

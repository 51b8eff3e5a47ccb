/**
 * A {@link ModelFileSource} over a local model directory (Node), so that model loading code can read files the
 * same way from a folder, a cached hub snapshot or (with hub/browser.ts) over HTTP.
 */
import { joinPath, pathExists, readFileBytes } from '../platform/fs.js';
import type { ModelFileSource } from './browser.js';
import { LocalEntryNotFoundError } from './errors.js';
import { validateRepoFilename } from './repo_id.js';

/**
 * Read model files from `dir` (e.g. the `dir` of {@link snapshotForSentenceTransformer} or {@link resolveModelPath}).
 * `get(file, true)` resolves to undefined for a missing optional file; a missing required file is an error naming
 * the file and the directory.
 */
export function createDirectoryModelSource(dir: string): ModelFileSource {
  const url = (filename: string) => {
    validateRepoFilename(filename);
    return `${dir.replace(/[\\/]+$/, '')}/${filename}`;
  };
  async function get(filename: string, optional = false): Promise<Uint8Array | undefined> {
    validateRepoFilename(filename);
    const p = await joinPath(dir, filename);
    if (!(await pathExists(p))) {
      if (optional) return undefined;
      throw new LocalEntryNotFoundError(`"${filename}" not found in the model directory ${dir} (looked at ${p})`);
    }
    return readFileBytes(p);
  }
  return {
    id: dir,
    url,
    get,
    async text(filename, optional) {
      const b = await get(filename, optional);
      return b === undefined ? undefined : new TextDecoder().decode(b);
    },
  };
}

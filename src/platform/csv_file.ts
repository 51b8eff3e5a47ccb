/**
 * Appending evaluator result rows to a CSV file (Python's evaluators open `output_path/<csv_file>` in "w" mode the
 * first time, writing the header row, and in "a" mode afterwards). The text is formatted by the caller.
 */
import { nodeBuiltins } from './node_builtins.js';
import { isNode, nodePath } from './fs.js';

/**
 * Append `row` to `dir/file`, writing `header` first when the file does not exist yet; creates `dir` (as
 * `os.makedirs(output_path, exist_ok=True)`). Both strings already carry their line terminators. Node only.
 */
export async function appendCsvRow(dir: string, file: string, header: string, row: string): Promise<string> {
  if (!isNode()) throw new Error(`writing the evaluator CSV ${file} needs a file system (Node.js); pass no outputPath in a browser`);
  const fs = await nodeBuiltins.fsPromises();
  const path = (await nodePath()).join(dir, file);
  await fs.mkdir(dir, { recursive: true });
  let exists = true;
  try {
    await fs.stat(path);
  } catch {
    exists = false;
  }
  await fs.appendFile(path, exists ? row : header + row, 'utf8');
  return path;
}

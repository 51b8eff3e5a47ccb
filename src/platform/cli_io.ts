/**
 * Node input/output of the `sentence-tfjs` command-line interface (src/cli/): argv, standard streams, text files,
 * output files and the package version. Only the CLI imports this file, so static Node imports are fine here
 * (the browser bundle never reaches it).
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node's `util.parseArgs` (the CLI's option parser), reached through platform/ like every Node built-in. */
export { parseArgs } from 'node:util';

/** The command-line arguments after `node script`. */
export function cliArgv(): string[] {
  return process.argv.slice(2);
}

/** Whether standard error is an interactive terminal (progress bars are drawn only then). */
export function stderrIsTTY(): boolean {
  return process.stderr.isTTY === true;
}

/** Whether standard input is an interactive terminal (no piped input). */
export function stdinIsTTY(): boolean {
  return process.stdin.isTTY === true;
}

/** Standard error as a writable stream (for cli-progress). */
export function stderrStream(): NodeJS.WriteStream {
  return process.stderr;
}

/** Write text to standard output, waiting until it is flushed (large outputs into a pipe). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((res, rej) => {
    process.stdout.write(text, (err) => (err ? rej(err) : res()));
  });
}

/** Write one line to standard error. */
export function writeStderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Read all of standard input as UTF-8 text. */
export async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Read a text file (UTF-8); a missing file is an error naming the option and the absolute path. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const abs = resolve(path);
    if (code === 'ENOENT') throw new Error(`${what}: no such file ${abs}`);
    if (code === 'EISDIR') throw new Error(`${what}: expected a text file, got the directory ${abs}`);
    throw new Error(`${what}: cannot read ${abs}: ${(e as Error).message}`);
  }
}

/** Write bytes or text to a file, creating its parent folders; returns the absolute path. */
export async function writeOutputFile(path: string, data: Uint8Array | string): Promise<string> {
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, data);
  return abs;
}

/** The lower-case extension of a path, dot included ('' when none). */
export function fileExtension(path: string): string {
  return extname(path).toLowerCase();
}

/** An absolute path. */
export function absolutePath(path: string): string {
  return resolve(path);
}

/** The package version from package.json (two folders above both src/platform/ and dist/platform/). */
export function packageVersion(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    const pkg = JSON.parse(readFileSync(resolve(here, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Set the process exit code (the process ends when its work is done, so pending output is flushed). */
export function setExitCode(code: number): void {
  process.exitCode = code;
}

/** Whether a path exists (file or directory). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Process-wide guards of the CLI: a closed stdout (`sentence-tfjs encode ... | head`) ends the process quietly
 * with exit code 0, and an error that escapes every handler is reported by `onFatal` (one line) before the process
 * exits with `onFatal`'s code. Installed first, so these handlers run before any that libraries add later
 * (the WASM backend's handler would rethrow and print its whole minified source line).
 */
export function installProcessGuards(onFatal: (error: unknown) => number): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const fatal = (e: unknown) => {
    if ((e as NodeJS.ErrnoException | null)?.code === 'EPIPE') process.exit(0);
    process.exit(onFatal(e));
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

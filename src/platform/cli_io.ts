/**
 * Node input/output of the `sentence-tfjs` command-line interface (src/cli/): argv, standard streams, text files,
 * output files and the package version. Only the CLI imports this file, so static Node imports are fine here
 * (the browser bundle never reaches it).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
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

/** A file read error as one line naming the option and the absolute path. */
export function fileReadError(e: unknown, path: string, what: string): Error {
  const code = (e as { code?: string }).code;
  const abs = resolve(path);
  if (code === 'ENOENT') return new Error(`${what}: no such file ${abs}`);
  if (code === 'EISDIR') return new Error(`${what}: expected a text file, got the directory ${abs}`);
  return new Error(`${what}: cannot read ${abs}: ${(e as Error).message}`);
}

/**
 * The UTF-8 text of a file, or of standard input for `-`, in pieces as they are read (a few tens of kB each; a
 * character is never split between pieces). Read errors name `what` and the absolute path.
 */
export async function* readTextChunks(source: string, what: string): AsyncGenerator<string> {
  if (source === '-') {
    process.stdin.setEncoding('utf8');
    for await (const chunk of process.stdin) yield chunk as string;
    return;
  }
  try {
    if ((await stat(source)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    for await (const chunk of createReadStream(source, { encoding: 'utf8', highWaterMark: 1 << 16 })) yield chunk as string;
  } catch (e) {
    throw fileReadError(e, source, what);
  }
}

/** Whether a path names an existing regular file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The number of lines of a file as the CLI counts texts ('\n' ends a line; a last line without one counts too). */
export async function countFileLines(path: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) lines++;
    if (bytes.length) last = bytes[bytes.length - 1];
  }
  return last === 0x0a ? lines : lines + 1;
}

/** An output file open for positional writes (the streaming writers' sink). */
export interface OutputFile {
  /** The absolute path. */
  readonly path: string;
  /** Write `bytes` at byte `position`. */
  write(bytes: Uint8Array, position: number): Promise<void>;
  close(): Promise<void>;
}

async function fileSink(handle: FileHandle, path: string): Promise<OutputFile> {
  return {
    path,
    write: async (bytes, position) => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
        done += bytesWritten;
      }
    },
    close: () => handle.close(),
  };
}

/** Create (or truncate) an output file, with its parent folders, for positional writes. */
export async function openOutputFile(path: string): Promise<OutputFile> {
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  return fileSink(await open(abs, 'w'), abs);
}

/** A temporary file for writing and reading back (removed by `close`). */
export interface ScratchFile extends OutputFile {
  /** Read `length` bytes from `position` into a new array. */
  read(position: number, length: number): Promise<Uint8Array>;
}

/** Create a temporary file in the system's temporary folder. */
export async function createScratchFile(prefix: string): Promise<ScratchFile> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const path = join(dir, 'data.bin');
  const handle = await open(path, 'w+');
  const sink = await fileSink(handle, path);
  return {
    ...sink,
    read: async (position, length) => {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, position + done);
        if (bytesRead === 0) throw new Error(`${path}: expected ${length} bytes at ${position}, the file ends after ${done}`);
        done += bytesRead;
      }
      return out;
    },
    close: async () => {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
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

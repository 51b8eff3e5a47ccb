/**
 * Where the CLI's texts come from: `--text` options, text files (one text per line, `-` for stdin; `.jsonl`
 * files hold one JSON string or `{"text": ...}` object per line, for texts with line breaks), or piped standard
 * input when nothing else is given. Texts are read incrementally ({@link streamTexts}), so that `encode` runs on
 * inputs of any length in bounded memory.
 */
import { countFileLines, fileExtension, isFile, readTextChunks, stdinIsTTY, writeStderrLine } from '../platform/cli_io.js';
import { CliError, UsageError } from './args.js';
import { LineSplitter } from './formats.js';

/** The text of one JSON Lines line (a JSON string or an object with a string `text`). */
function textOfJsonLine(line: string, source: string, lineNo: number): string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new CliError(`${source}:${lineNo}: invalid JSON (${(e as Error).message})`);
  }
  const text = typeof v === 'string' ? v : (v as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') throw new CliError(`${source}:${lineNo}: expected a JSON string or an object with a string "text", got ${line.slice(0, 60)}`);
  return text;
}

/** Whether a source is read as JSON Lines (by its extension). */
function isJsonl(source: string): boolean {
  const ext = fileExtension(source);
  return source !== '-' && (ext === '.jsonl' || ext === '.ndjson');
}

/**
 * The texts of one source, as they are read: a file path (`.jsonl` / `.ndjson`: JSON Lines, blank lines
 * skipped), or `-` for standard input (plain lines).
 */
export async function* streamLinesFrom(source: string, what: string): AsyncGenerator<string> {
  const jsonl = isJsonl(source);
  const splitter = new LineSplitter();
  let lineNo = 0;
  function* emit(lines: string[]): Generator<string> {
    for (const line of lines) {
      lineNo++;
      if (!jsonl) yield line;
      else if (line.trim() !== '') yield textOfJsonLine(line, source, lineNo);
    }
  }
  for await (const piece of readTextChunks(source, what)) yield* emit(splitter.push(piece));
  yield* emit(splitter.end());
}

/** Read one source whole (see {@link streamLinesFrom}). */
export async function readLinesFrom(source: string, what: string): Promise<string[]> {
  const out: string[] = [];
  for await (const t of streamLinesFrom(source, what)) out.push(t);
  return out;
}

/** Where a command's texts come from. */
export interface TextSources {
  inline: string[];
  files: string[];
  command: string;
  what: string;
  hint: string;
}

/** Check the sources before any reading: `-` at most once; with no text at all, stdin must not be a terminal. */
function checkSources({ inline, files, command, what, hint }: TextSources): void {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError(`${what}: '-' (standard input) can be given once`, command);
  if (inline.length === 0 && files.length === 0 && stdinIsTTY()) throw new UsageError(`no ${what} given: ${hint}`, command);
}

/**
 * The texts of a command, as they are read: `inline` texts first, then each file's lines in order; with neither,
 * the lines of standard input when it is piped (a terminal on stdin is a usage error, rather than waiting for
 * typing). Source errors are thrown before the first text is yielded.
 */
export function streamTexts(sources: TextSources): AsyncGenerator<string> {
  checkSources(sources);
  const { inline, files, what } = sources;
  return (async function* () {
    yield* inline;
    for (const f of files) yield* streamLinesFrom(f, what);
    if (inline.length === 0 && files.length === 0) yield* streamLinesFrom('-', what);
  })();
}

/** The number of texts {@link streamTexts} will yield when it can be known cheaply (plain files only), else undefined. */
export async function countTexts(sources: TextSources): Promise<number | undefined> {
  const { inline, files } = sources;
  if (inline.length === 0 && files.length === 0) return undefined;
  let n = inline.length;
  for (const f of files) {
    if (f === '-' || isJsonl(f) || !(await isFile(f))) return undefined;
    n += await countFileLines(f);
  }
  return n;
}

/** All the texts of a command (see {@link streamTexts}). */
export async function collectTexts(sources: TextSources): Promise<string[]> {
  const texts: string[] = [];
  for await (const t of streamTexts(sources)) texts.push(t);
  return texts;
}

/**
 * Warn on stderr about positional arguments that name existing files: they are taken as literal texts (e.g. the
 * document "docs.txt"), which is rarely what was meant; `option` is the option that reads a file instead.
 */
export async function warnFileLikeTexts(texts: readonly string[], option: string, what: string, quiet: boolean): Promise<void> {
  if (quiet) return;
  for (const t of texts) {
    if (t !== '' && !t.includes('\n') && t.length < 4096 && (await isFile(t))) {
      writeStderrLine(`warning: the ${what} '${t}' names an existing file but is used as literal text; to read the file's lines, pass ${option} ${t}`);
    }
  }
}

/** Split a stream of texts into arrays of at most `size` texts (the last may be shorter; none is empty). */
export async function* chunked<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

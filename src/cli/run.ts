/**
 * The `sentence-tfjs` dispatcher: top-level help and version, subcommand lookup, option parsing, and the
 * error policy: a usage error prints one line and exits 2, a runtime error prints one line
 * (`sentence-tfjs: error: ...`) and exits 1, and `--verbose` adds the stack trace (with its causes).
 */
import { cliArgv, installProcessGuards, packageVersion, setExitCode, stderrIsTTY, writeStderrLine, writeStdout } from '../platform/cli_io.js';
import { EXIT_OK, EXIT_RUNTIME_ERROR, EXIT_USAGE_ERROR, flagOpt, formatOptions, GLOBAL_OPTIONS, parseCommandLine, UsageError } from './args.js';
import { commandHelp, commandOptions, EXIT_CODES_HELP, PROGRAM, type CliContext, type Command } from './command.js';
import { demoCommand } from './commands/demo.js';
import { downloadCommand } from './commands/download.js';
import { quantizeCommand } from './commands/quantize.js';
import { encodeCommand } from './commands/encode.js';
import { rankCommand } from './commands/rank.js';
import { searchCommand } from './commands/search.js';
import { similarityCommand } from './commands/similarity.js';
import { trainCommand } from './commands/train.js';

/** Every subcommand, in help order. */
export const COMMANDS: Command[] = [encodeCommand, similarityCommand, searchCommand, rankCommand, trainCommand, downloadCommand, quantizeCommand, demoCommand];

/** The top-level `--help` text. */
export function topLevelHelp(): string {
  const width = COMMANDS.reduce((w, c) => Math.max(w, c.name.length), 0) + 2;
  return [
    `Usage: ${PROGRAM} <command> [options]\n       ${PROGRAM} <command> --help\n       ${PROGRAM} --version`,
    'Sentence Transformers in TypeScript on TensorFlow.js: embeddings, similarity, semantic search and\n' +
      'cross-encoder ranking with Hugging Face sentence-transformers models.',
    `Commands:\n${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}`,
    `Options (every command):\n${formatOptions(GLOBAL_OPTIONS)}`,
    `Top-level options:\n${formatOptions({ version: { type: 'boolean', short: 'V', help: 'print the version and exit' } })}`,
    'Environment:\n' +
      '  HF_HUB_OFFLINE=1    use the model cache only\n' +
      '  HF_HUB_CACHE        model cache folder (also SENTENCE_TRANSFORMERS_HOME, HF_HOME)\n' +
      '  HF_ENDPOINT         hub URL (default https://huggingface.co)\n' +
      '  HF_TOKEN            hub access token',
    EXIT_CODES_HELP,
  ].join('\n\n') + '\n';
}

/** A message as one line: its lines trimmed and joined with "; ". */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
}

/** The stack of an error and of its causes, for `--verbose`. */
function fullStack(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    const err = cur as { stack?: string; message?: string; cause?: unknown };
    parts.push(`${depth ? 'Caused by: ' : ''}${err.stack ?? String(cur)}`);
    cur = err.cause;
  }
  return parts.join('\n');
}

/** Whether the user asked for stack traces, looked up before parsing (so usage errors honour it too). */
function wantsVerbose(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--verbose' || a === '-v');
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError(`missing command (one of ${COMMANDS.map((c) => c.name).join(', ')})`);
  if (first === '--help' || first === '-h' || first === 'help') {
    const target = first === 'help' && rest[0] ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (first === 'help' && rest[0] && !target) throw new UsageError(`unknown command '${rest[0]}'`);
    await writeStdout(target ? commandHelp(target) : topLevelHelp());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    await writeStdout(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' before the command (options go after it)`);
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);

  const parsed = parseCommandLine(cmd.name, rest, commandOptions(cmd), cmd.positionals);
  if (flagOpt(parsed, 'help')) {
    await writeStdout(commandHelp(cmd));
    return EXIT_OK;
  }
  const quiet = flagOpt(parsed, 'quiet');
  const ctx: CliContext = { quiet, verbose: flagOpt(parsed, 'verbose'), progress: !quiet && stderrIsTTY() };
  await cmd.run(parsed, ctx);
  return EXIT_OK;
}

/** Print an error as `sentence-tfjs: error: ...` (plus the stack with `verbose`) and return its exit code. */
export function reportError(e: unknown, verbose: boolean): number {
  if ((e as { code?: string }).code === 'EPIPE') return EXIT_OK; // the reader of stdout went away (`| head`)
  if (e instanceof UsageError) {
    const help = e.command ? `${PROGRAM} ${e.command} --help` : `${PROGRAM} --help`;
    writeStderrLine(`${PROGRAM}: error: ${oneLine(e.message)} (see '${help}')`);
    if (verbose) writeStderrLine(fullStack(e));
    return EXIT_USAGE_ERROR;
  }
  const message = e instanceof Error ? e.message : String(e);
  writeStderrLine(`${PROGRAM}: error: ${oneLine(message) || (e as Error)?.name || 'unknown error'}`);
  if (verbose) writeStderrLine(fullStack(e));
  return EXIT_RUNTIME_ERROR;
}

/**
 * Run the CLI on `argv` (the arguments after the program name) and return the exit code. Output goes to
 * stdout; errors, notes and progress bars to stderr.
 */
export async function cli(argv: string[]): Promise<number> {
  const verbose = wantsVerbose(argv);
  try {
    return await dispatch(argv);
  } catch (e) {
    return reportError(e, verbose);
  }
}

/** The `sentence-tfjs` process: guards installed, then {@link cli} on the process arguments; sets the exit code. */
export async function main(): Promise<void> {
  const argv = cliArgv();
  installProcessGuards((e) => reportError(e, wantsVerbose(argv)));
  setExitCode(await cli(argv));
}

/**
 * Command-line parsing for `sentence-tfjs` on `node:util` `parseArgs`: option tables with help text, usage
 * errors (exit code 2) with one-line messages, and typed readers for numeric and enumerated option values.
 */
import { parseArgs } from '../platform/cli_io.js';

/** Exit codes of the CLI. */
export const EXIT_OK = 0;
export const EXIT_RUNTIME_ERROR = 1;
export const EXIT_USAGE_ERROR = 2;

/** A mistake in the command line (unknown command or option, missing or malformed value): exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` the message points at (undefined: the top level). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A runtime failure (exit code 1) whose message is already one clear line; `cause` keeps the original error. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** One option of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in the help (string options). */
  valueName?: string;
  help: string;
}

export type OptionTable = Record<string, OptionSpec>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionTable = {
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress bars or notes on stderr' },
  verbose: { type: 'boolean', short: 'v', help: 'on error, print the full message and stack trace' },
};

/** Options of commands that load a model (the hub options also serve `download`). */
export const HUB_OPTIONS: OptionTable = {
  revision: { type: 'string', valueName: 'REV', help: 'hub branch, tag or commit (default: main)' },
  'cache-folder': { type: 'string', valueName: 'DIR', help: 'hub cache folder (default: SENTENCE_TRANSFORMERS_HOME, HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub)' },
  token: { type: 'string', valueName: 'TOKEN', help: 'hub access token (default: HF_TOKEN or the saved Hugging Face token)' },
  offline: { type: 'boolean', help: 'use the cache only, never the network (as HF_HUB_OFFLINE=1)' },
};

/** Options of commands that run a model: the device, and the sentence-transformers behaviour to follow. */
export const DEVICE_OPTION: OptionTable = {
  device: { type: 'string', valueName: 'NAME', help: 'tfjs backend: wasm (default), cpu, webgpu, webgl, tensorflow or cuda' },
  compat: { type: 'string', valueName: 'VER', help: "sentence-transformers behaviour: 6.0 (default; texts are used as given) or 3.4 (strip every text's edge whitespace first)" },
};

/** The parsed command line of one command. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** Node's parseArgs message up to its first sentence, e.g. "Unknown option '--foo'". */
function firstSentence(message: string): string {
  const line = message.split('\n')[0];
  const cut = line.indexOf('. ');
  return (cut >= 0 ? line.slice(0, cut) : line).replace(/\.$/, '');
}

/**
 * Attach negative-number values to their string options (`--batch-size -1` becomes `--batch-size=-1`, `-k -3`
 * becomes `--top-k=-3`): parseArgs would take `-1` for an option and report an ambiguous argument, where the
 * option's own check gives the clearer message ("--batch-size: expected a positive integer, got '-1'").
 */
export function attachNegativeValues(args: readonly string[], options: OptionTable): string[] {
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) byShort.set(spec.short, name);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      for (let k = i; k < args.length; k++) out.push(args[k]);
      break;
    }
    const name = a.startsWith('--') ? a.slice(2) : /^-[^-]$/.test(a) ? byShort.get(a[1]) : undefined;
    const next = args[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/**
 * Parse `args` against a command's option table (global options included). Unknown options, missing values and
 * unexpected positionals are {@link UsageError}s naming the command.
 */
export function parseCommandLine(command: string | undefined, args: string[], options: OptionTable, allowPositionals: boolean): Parsed {
  const table: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(options)) {
    table[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: attachNegativeValues(args, options), options: table, strict: true, allowPositionals });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      let msg = firstSentence((e as Error).message);
      msg = msg.charAt(0).toLowerCase() + msg.slice(1);
      throw new UsageError(msg, command);
    }
    throw e;
  }
}

/** A string option's value (the last one when repeated). */
export function stringOpt(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values. */
export function stringsOpt(p: Parsed, name: string): string[] {
  const v = p.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** A boolean option (false when absent). */
export function flagOpt(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** An integer option >= `min`, or undefined when absent; anything else is a usage error naming the option. */
export function intOpt(p: Parsed, name: string, command: string, min = 1): number | undefined {
  const raw = stringOpt(p, name);
  if (raw === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    const want = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new UsageError(`--${name}: expected ${want}, got '${raw}'`, command);
  }
  return n;
}

/** An enumerated option, or undefined when absent; a value outside `choices` is a usage error. */
export function choiceOpt<T extends string>(p: Parsed, name: string, choices: readonly T[], command: string): T | undefined {
  const raw = stringOpt(p, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(', ')}, got '${raw}'`, command);
  }
  return raw as T;
}

/** A required string option. */
export function requiredOpt(p: Parsed, name: string, command: string, hint = ''): string {
  const v = stringOpt(p, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required${hint ? ` (${hint})` : ''}`, command);
  return v;
}

/** The option lines of a help text, aligned. */
export function formatOptions(options: OptionTable): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    return [flag, spec.help + (spec.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.min(34, rows.reduce((w, [f]) => Math.max(w, f.length), 0) + 2);
  return rows.map(([f, h]) => (f.length + 2 > width ? `  ${f}\n  ${' '.repeat(width)}${h}` : `  ${f.padEnd(width)}${h}`)).join('\n');
}

/**
 * The library's logger: the warnings sentence-tfjs gives (a directory loaded without modules.json, a clamped
 * max_seq_length, a backend fallback, a small quantization calibration set...) go through here, so that an
 * application can silence them or route them to its own logging. Pure TypeScript with no imports, so every layer
 * may use it.
 *
 * Levels, most to least severe: `error`, `warn`, `info`, `debug`; `silent` shows nothing. A message is shown when
 * its level is at or above the current level (default `warn`). The default sink writes to `console.warn` /
 * `console.error` / `console.info` / `console.debug`, each line prefixed with `sentence-tfjs:`.
 *
 * @example
 * ```ts
 * import { setLogLevel, setLogger } from 'sentence-tfjs';
 *
 * setLogLevel('error');   // keep errors, drop warnings
 * setLogLevel('silent');  // nothing at all
 * setLogger((level, message) => myLogger.log({ level, message })); // route them elsewhere
 * setLogger(null);        // back to the console
 * ```
 */

/** A message level, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/** A threshold: a level, or `silent` for none. */
export type LogThreshold = LogLevel | 'silent';
/** Receives every message at or above the threshold. */
export type LogSink = (level: LogLevel, message: string) => void;

/** The levels, most severe first (their index is their rank). */
const LEVELS: readonly LogThreshold[] = ['silent', 'error', 'warn', 'info', 'debug'];

const consoleSink: LogSink = (level, message) => {
  const c = (globalThis as { console?: Record<LogLevel, ((m: string) => void) | undefined> }).console;
  (c?.[level] ?? c?.warn)?.(`sentence-tfjs: ${message}`);
};

let threshold: LogThreshold = 'warn';
let sink: LogSink = consoleSink;

/**
 * Show messages at `level` and above (`'error'` keeps errors only, `'silent'` shows nothing, `'debug'` everything).
 * Default: `'warn'`.
 * @throws RangeError for an unknown level, naming the accepted ones.
 */
export function setLogLevel(level: LogThreshold): void {
  if (!LEVELS.includes(level)) {
    throw new RangeError(`setLogLevel: level must be one of ${LEVELS.map((l) => `'${l}'`).join(', ')}, got ${JSON.stringify(level)}`);
  }
  threshold = level;
}

/** The current threshold (see {@link setLogLevel}). */
export function getLogLevel(): LogThreshold {
  return threshold;
}

/**
 * Send messages to `fn` instead of the console (the level threshold still applies); `null` restores the console.
 * @throws TypeError when `fn` is neither a function nor null.
 */
export function setLogger(fn: LogSink | null): void {
  if (fn !== null && typeof fn !== 'function') throw new TypeError(`setLogger: expected a function (level, message) => void or null, got ${typeof fn}`);
  sink = fn ?? consoleSink;
}

function emit(level: LogLevel, message: string): void {
  if (LEVELS.indexOf(level) > LEVELS.indexOf(threshold)) return;
  sink(level, message);
}

/** The library's logger (internal call sites; applications use {@link setLogLevel} / {@link setLogger}). */
export const logger = {
  error: (message: string): void => emit('error', message),
  warn: (message: string): void => emit('warn', message),
  info: (message: string): void => emit('info', message),
  debug: (message: string): void => emit('debug', message),
};

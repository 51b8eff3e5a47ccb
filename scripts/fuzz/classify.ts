/** Error classification: the library's named errors are rejections; anything else is a stray exception. */
import type { Outcome } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/** `rejected` when `e` is one of `named`, else `stray` with its class, message and top stack frames. */
export function classifyError(e: unknown, named: readonly ErrorClass[]): Outcome {
  if (named.some((C) => e instanceof C)) return { kind: 'rejected', detail: (e as Error).name };
  const err = e as Error | undefined;
  if (!(err instanceof Error)) return { kind: 'stray', detail: `non-Error thrown: ${String(e).slice(0, 200)}` };
  return {
    kind: 'stray',
    detail: `${err.name}: ${err.message.slice(0, 300)}`,
    stack: (err.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()).join(' | '),
  };
}

/** The error of a tokenizer.json value that is not what a component expects (names the JSON path). */

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v === 'object' ? 'an object' : typeof v} ${typeof v === 'object' ? '' : String(v)}`.trim();
}

/** Error for a tokenizer.json value that is not what a component expects. */
export class TokenizerConfigError extends Error {
  /** The JSON path of the offending value (e.g. `pre_tokenizer.pretokenizers[0].pattern.Regex`). */
  readonly path: string;

  constructor(path: string, expected: string, got: unknown, options?: { message?: string; cause?: unknown }) {
    super(options?.message ?? `tokenizer config: ${path} must be ${expected}, got ${describe(got)}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TokenizerConfigError';
    this.path = path;
  }
}

/**
 * Runs the loader of one tokenizer.json component; any other error it throws (a component's own check, or a
 * value of the wrong type met deep inside) becomes a TokenizerConfigError naming the component's path.
 */
export function loadComponent<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof TokenizerConfigError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new TokenizerConfigError(path, '', undefined, { message: `tokenizer config: ${path} is invalid: ${msg}`, cause: e });
  }
}

/** Deepest nesting of objects and arrays accepted in a tokenizer.json component (Sequence in Sequence …). */
export const MAX_COMPONENT_DEPTH = 64;

/**
 * Refuses a component nested deeper than {@link MAX_COMPONENT_DEPTH} levels (the components are built and run
 * recursively: a 100,000-deep Sequence would overflow the stack at load or at encode). Iterative, so any depth
 * is measured; `skip` names keys not descended into (the model's vocab and merges, large and flat).
 */
export function checkDepth(value: unknown, path: string, skip: ReadonlySet<string> = new Set()): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > MAX_COMPONENT_DEPTH) {
      throw new TokenizerConfigError(path, '', undefined, { message: `tokenizer config: ${path} is nested deeper than ${MAX_COMPONENT_DEPTH} levels` });
    }
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else for (const [k, x] of Object.entries(v)) if (d > 1 || !skip.has(k)) stack.push([x, d + 1]);
  }
}

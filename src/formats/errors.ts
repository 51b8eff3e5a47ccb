/**
 * The error of an invalid model file other than a safetensors file (which raises `SafetensorsError`) or a
 * tokenizer file (`TokenizerConfigError`): config.json, modules.json, a module's config.json,
 * sentence_bert_config.json, config_sentence_transformers.json, a sharded index, or a checkpoint that does not
 * match its config. It lives in formats/ (the bottom layer) so that every layer that reads model files can raise it.
 */

/**
 * Raised for a model file that cannot be used: the message names the file (or the config it came from), the key
 * when there is one, what was expected and what was got.
 *
 * @example
 * ```ts
 * try {
 *   await SentenceTransformer.load('my-model');
 * } catch (e) {
 *   if (e instanceof ModelConfigError) console.error(e.file, e.key, e.message);
 * }
 * ```
 */
export class ModelConfigError extends Error {
  constructor(
    message: string,
    /** The file (or the config's name, e.g. `bert config`) the problem is in. */
    readonly file: string,
    /** The key (JSON path) at fault, when there is one. */
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/**
 * A short printable form of a JSON value for error messages: bounded in depth and length, so that a hostile value
 * (100,000 levels of nesting, a megabyte string) cannot overflow the stack or flood the message.
 */
export function previewValue(v: unknown, maxChars = 80): string {
  const out: string[] = [];
  let len = 0;
  const push = (s: string) => {
    out.push(s);
    len += s.length;
  };
  const walk = (x: unknown, depth: number): void => {
    if (len > maxChars) return;
    if (x === undefined) push('nothing');
    else if (x === null || typeof x === 'boolean' || typeof x === 'number') push(String(x));
    else if (typeof x === 'string') push(JSON.stringify(x.length > maxChars ? `${x.slice(0, maxChars)}...` : x));
    else if (typeof x !== 'object') push(typeof x);
    else if (depth >= 3) push(Array.isArray(x) ? '[...]' : '{...}');
    else if (Array.isArray(x)) {
      push('[');
      for (let i = 0; i < x.length && len <= maxChars; i++) {
        if (i) push(',');
        walk(x[i], depth + 1);
      }
      push(']');
    } else {
      push('{');
      let first = true;
      for (const k of Object.keys(x)) {
        if (len > maxChars) break;
        if (!first) push(',');
        first = false;
        push(`${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}...` : k)}:`);
        walk((x as Record<string, unknown>)[k], depth + 1);
      }
      push('}');
    }
  };
  walk(v, 0);
  const s = out.join('');
  return s.length > maxChars + 20 ? `${s.slice(0, maxChars)}...` : s;
}

/** A {@link ModelConfigError} about a model's config.json (or, with `file`, another model file). */
export function configError(message: string, key?: string, file = 'config.json'): ModelConfigError {
  return new ModelConfigError(message, file, key);
}

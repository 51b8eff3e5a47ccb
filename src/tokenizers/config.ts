/**
 * Small helpers to read tokenizer.json sections with errors that name the JSON path, what was expected
 * and what was found.
 */
import type { JSONObject } from './types.js';
import { TokenizerConfigError } from './config_error.js';
import { checkPolynomialBacktracking, checkRegexSafety } from './regex_safety.js';
import { UNICODE17_LETTERS, UNICODE17_NUMBERS } from './pre_tokenizers/byte_level.js';
import { NEWER_WORD_RANGES } from './unicode_tables.js';

export type { JSONObject };

export { TokenizerConfigError };

/** Error for an unknown component `type` (names the type and its JSON path). */
export function unknownType(kind: string, type: unknown, path: string): Error {
  return new TokenizerConfigError(`${path}.type`, '', type, { message: `tokenizer config: unknown ${kind} type ${JSON.stringify(type)} at ${path}.type` });
}

export function asObject(v: unknown, path: string): JSONObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TokenizerConfigError(path, 'an object', v);
  return v as JSONObject;
}

export function getString(o: JSONObject, key: string, path: string, dflt?: string): string {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string') throw new TokenizerConfigError(`${path}.${key}`, 'a string', v);
  return v;
}

export function getBool(o: JSONObject, key: string, path: string, dflt?: boolean): boolean {
  const v = o[key];
  if ((v === undefined || v === null) && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean') throw new TokenizerConfigError(`${path}.${key}`, 'a boolean', v);
  return v;
}

/** A boolean or null (absent = null). */
export function getOptBool(o: JSONObject, key: string, path: string): boolean | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new TokenizerConfigError(`${path}.${key}`, 'a boolean or null', v);
  return v;
}

export function getInt(o: JSONObject, key: string, path: string, dflt?: number): number {
  const v = o[key];
  if ((v === undefined || v === null) && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TokenizerConfigError(`${path}.${key}`, 'a non-negative integer', v);
  return v;
}

export function getArray(o: JSONObject, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new TokenizerConfigError(`${path}.${key}`, 'an array', v);
  return v;
}

/**
 * A split/replace pattern `{"String": "..."}` or `{"Regex": "..."}`: a literal string, or a RegExp
 * (Oniguruma syntax translated to a JS `u` RegExp).
 */
export function getPattern(o: JSONObject, key: string, path: string): string | RegExp {
  const p = asObject(o[key], `${path}.${key}`);
  if (typeof p.String === 'string') return p.String;
  if (typeof p.Regex === 'string') {
    checkRegexSafety(p.Regex, `${path}.${key}.Regex`);
    let re: RegExp;
    try {
      re = new RegExp(onigToJs(p.Regex), 'gu');
    } catch (e) {
      throw new TokenizerConfigError(`${path}.${key}.Regex`, '', p.Regex, {
        message: `tokenizer config: ${path}.${key}.Regex ${JSON.stringify(p.Regex)} is not a valid regular expression here: ${(e as Error).message}`,
      });
    }
    checkPolynomialBacktracking(re.source, p.Regex, `${path}.${key}.Regex`);
    return re;
  }
  throw new TokenizerConfigError(`${path}.${key}`, 'an object {"String": ...} or {"Regex": ...}', p);
}

// Oniguruma's \\w: Unicode word characters, plus the Latin-1 digits/fractions its ISO-8859-1 table counts (² ³ ¹ ¼ ½ ¾).
const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be';
let newerWord: string | undefined;
/** Code points of this ICU's \\w that are newer than the Rust regex engines, as a class body. */
function newerWordClass(): string {
  if (newerWord === undefined) {
    const parts: string[] = [];
    const h = (c: number): string => `\\u{${c.toString(16)}}`;
    for (let i = 0; i < NEWER_WORD_RANGES.length; i += 2) {
      const a = NEWER_WORD_RANGES[i], b = NEWER_WORD_RANGES[i + 1];
      parts.push(a === b ? h(a) : `${h(a)}-${h(b)}`);
    }
    newerWord = parts.join('');
  }
  return newerWord;
}

const CLASS_ESCAPES: Record<string, [inClass: string, outside: () => string]> = {
  w: [WORD, () => `(?:(?![${newerWordClass()}])[${WORD}])`],
  W: ['', () => `(?:[${newerWordClass()}]|[^${WORD}])`],
  d: ['\\p{Nd}', () => '\\p{Nd}'],
  D: ['\\P{Nd}', () => '\\P{Nd}'],
  s: ['\\p{White_Space}', () => '\\p{White_Space}'],
  S: ['\\P{White_Space}', () => '\\P{White_Space}'],
  h: ['0-9a-fA-F', () => '[0-9a-fA-F]'],
  H: ['', () => '[^0-9a-fA-F]'],
};

/** Letters and numbers new in Unicode 17, which Rust's Oniguruma (Unicode 16 tables) does not count as \\p{L} / \\p{N}. */
const UNICODE17: Record<string, string> = { L: UNICODE17_LETTERS, N: UNICODE17_NUMBERS };

/**
 * A character class at `src[start] === '['` holding `\\p{L}` or `\\p{N}` (and no nested class), rewritten so
 * that those mean Oniguruma's Unicode 16 sets on an engine with Unicode 17 tables (U = the new code points,
 * B0 = the class without the properties): `[B]` -> `(?:(?![U])[B]|[B0])`, `[^B]` -> `(?:[^B]|(?![B0])[U])`.
 * Undefined for any other class (translated as before).
 */
function letterNumberClass(src: string, start: number): { source: string; end: number } | undefined {
  const negated = src[start + 1] === '^';
  let body = '';
  let rest = '';
  const props = new Set<string>();
  let i = start + (negated ? 2 : 1);
  for (; i < src.length; i++) {
    const c = src[i];
    if (c === ']' && (body !== '' || rest !== '' || props.size)) break;
    if (c === '[') return undefined;
    if (c === '\\' && i + 1 < src.length) {
      const prop = /^\\p\{([LN])\}/.exec(src.slice(i))?.[1];
      if (prop) {
        props.add(prop);
        body += `\\p{${prop}}`;
        i += 4;
        continue;
      }
      const n = src[i + 1];
      const m = CLASS_ESCAPES[n];
      if (m && m[0] === '') return undefined;
      const rep = m ? m[0] : c + n;
      body += rep;
      rest += rep;
      i++;
      continue;
    }
    body += c;
    rest += c;
  }
  if (i >= src.length || props.size === 0) return undefined;
  const u = [...props].map((p) => UNICODE17[p]).join('');
  const source = negated
    ? `(?:[^${body}]|${rest ? `(?![${rest}])` : ''}[${u}])`
    : `(?:(?![${u}])[${body}]${rest ? `|[${rest}]` : ''})`;
  return { source, end: i };
}

/** Escaped letters that name no cased character (safe inside a case-insensitive group). */
const CASELESS_ESCAPES = new Set(['n', 'r', 't', 'f', 'v', 'd', 'D', 's', 'S', 'h', 'H']);

const caseClasses = new Map<string, string>();
let byCase: Map<string, string[]> | undefined;
/** BMP characters by their lower case (`l` + it) and upper case (`u` + it), for the cased ones; built once. */
function caseIndex(): Map<string, string[]> {
  if (byCase) return byCase;
  byCase = new Map();
  const add = (k: string, x: string) => {
    const list = byCase!.get(k);
    if (list) list.push(x);
    else byCase!.set(k, [x]);
  };
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const x = String.fromCharCode(cp);
    const l = x.toLowerCase(), u = x.toUpperCase();
    if (l === x && u === x) continue;
    add(`l${l}`, x);
    add(`u${u}`, x);
  }
  return byCase;
}
/**
 * The characters equal to `ch` under Unicode simple case folding (what Oniguruma's ignore-case and JS's `iu`
 * both use for one character), as a JS class body, or `ch` itself when it has no other case. Candidates are the
 * code points whose lower or upper case maps onto `ch`'s (e.g. U+017F LONG S for `s`, U+212A KELVIN SIGN for
 * `k`), kept when the engine's own `iu` matching says they fold together.
 */
function caseClass(ch: string): string {
  let out = caseClasses.get(ch);
  if (out !== undefined) return out;
  const lower = ch.toLowerCase(), upper = ch.toUpperCase();
  const cands = new Set([ch, lower, upper].filter((c) => [...c].length === 1));
  const index = caseIndex();
  for (const x of [...(index.get(`l${lower}`) ?? []), ...(index.get(`u${upper}`) ?? [])]) cands.add(x);
  const esc = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c);
  const same = new RegExp(`^${esc(ch)}$`, 'iu');
  const members = [...cands].filter((c) => same.test(c)).sort();
  out = members.length > 1 ? `[${members.map(esc).join('')}]` : ch;
  caseClasses.set(ch, out);
  return out;
}

/**
 * Translates an Oniguruma (Ruby syntax, UTF-8) pattern as HF uses it into a JS `u` RegExp source: the
 * shorthand classes \w \d \s \h are Unicode-aware there, ASCII-only in JS. Scoped ignore-case groups
 * `(?i:...)` (Qwen2/Qwen3's contractions `(?i:'s|'t|...)`), which JS engines before regexp modifiers (Node 20)
 * reject with "Invalid group", become plain groups whose cased literals are classes of their case-fold
 * equivalents (`s` -> `[Ssſ]`; caseless characters stay as they are); `(?-i:...)` and an inline `(?i)` (to the end of its group) are honoured too.
 * A character class, `\p{...}` or another letter escape inside an ignore-case scope is refused rather than
 * translated inexactly. Other syntax is passed through (JS then rejects what it does not know).
 * Oniguruma: https://github.com/kkos/oniguruma/blob/v6.9.8/doc/RE (options `(?imx-imx:subexp)`)
 */
export function onigToJs(src: string): string {
  let out = '';
  let inClass = false;
  let classDepth = 0; // Oniguruma classes nested inside the open one
  // One entry per open group: whether ignore-case is on inside it.
  const groups: boolean[] = [];
  let ci = false;
  const refuse = (what: string) => new Error(`${what} inside a case-insensitive (?i) group is not supported`);
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      const n = src[i + 1];
      if (ci && /[A-Za-z]/.test(n) && !CASELESS_ESCAPES.has(n)) throw refuse(`\\${n}`);
      const prop = inClass ? undefined : /^\\p\{([LN])\}/.exec(src.slice(i))?.[1];
      if (prop) {
        out += `(?:(?![${UNICODE17[prop]}])\\p{${prop}})`;
        i += 4;
        continue;
      }
      const m = CLASS_ESCAPES[n];
      if (m) {
        const rep = inClass ? m[0] : m[1]();
        if (rep === '') throw new Error(`\\${n} inside a character class is not supported`);
        out += rep;
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      // Oniguruma nests classes: `[a[bc]]` is the union of a and [bc] (BLOOM's ` ?[^(\s|[.,!?…])]+`). A nested
      // positive class is inlined into the enclosing one; a negated or POSIX nested class has no such rewrite.
      if (c === '[') {
        if (src[i + 1] === '^' || src[i + 1] === ':') throw new Error(`a ${src[i + 1] === '^' ? 'negated' : 'POSIX'} class nested in a character class is not supported`);
        classDepth++;
        continue;
      }
      if (c === ']') {
        if (classDepth > 0) {
          classDepth--;
          continue;
        }
        inClass = false;
      }
      out += c;
      continue;
    }
    if (c === '[') {
      if (ci) throw refuse('a character class');
      const cls = letterNumberClass(src, i);
      if (cls) {
        out += cls.source;
        i = cls.end;
        continue;
      }
      inClass = true;
      out += c;
      continue;
    }
    if (c === '(') {
      const flags = /^\(\?(-?)i(:|\))/.exec(src.slice(i));
      if (flags) {
        const on = flags[1] === '';
        if (flags[2] === ')') {
          ci = on; // inline: to the end of the enclosing group
        } else {
          groups.push(ci);
          ci = on;
          out += '(?:';
        }
        i += flags[0].length - 1;
        continue;
      }
      groups.push(ci);
      out += c;
      continue;
    }
    if (c === ')') {
      ci = groups.pop() ?? false;
      out += c;
      continue;
    }
    if (ci) {
      const ch = String.fromCodePoint(src.codePointAt(i)!);
      out += caseClass(ch);
      i += ch.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

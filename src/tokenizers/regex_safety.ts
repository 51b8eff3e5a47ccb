/**
 * Load-time screening of the regular expressions a tokenizer.json carries (Split / Replace patterns): JS
 * engines backtrack, so a pattern such as `(a|a)*$` or `(a+)+b` takes exponential time on a few dozen
 * characters, a back-reference cannot be matched without backtracking at all, and `a{1000000}` compiles to a
 * huge program. Such patterns are refused with an error naming the pattern, its JSON path and the construct.
 *
 * Refused (on the Oniguruma source, before translation):
 * - back-references and subexpression calls (`\1`…`\9`, `\k<name>`, `\g<name>`);
 * - a repeat count over {@link MAX_REPEAT};
 * - a group repeated more than once (`*`, `+`, `{n,m}` with m > 1) whose body holds a quantifier or an
 *   alternation (nested quantifiers: the exponential class);
 * - a lookaround holding an unbounded quantifier (each attempt scans the rest of the text);
 * - atomic groups and possessive quantifiers (`(?>…)`, `a*+`), conditionals and absent operators, which JS
 *   does not have.
 * The real tokenizers' patterns (GPT-2, Llama 3, Qwen, Gemma, BLOOM, DeepSeek style) pass.
 * After translation, {@link checkPolynomialBacktracking} screens the polynomial and search-restart classes
 * (regex_ambiguity.ts). What is and is not covered: docs/tokenizer-safety.md.
 */
import { TokenizerConfigError } from './config_error.js';
import { AmbiguityRefusal, findPolynomialAmbiguity, findSearchRestart } from './regex_ambiguity.js';

/** The largest `{n}` / `{n,m}` count accepted. */
export const MAX_REPEAT = 1000;

interface Node {
  /** Whether the node (or something inside) has a quantifier whose maximum is over 1. */
  repeats: boolean;
  /** Whether something inside has an unbounded quantifier. */
  unbounded: boolean;
  /** Whether something inside is an alternation of two or more branches. */
  alternates: boolean;
}

class Refused extends Error {}

/**
 * Throws a TokenizerConfigError naming `path` when `source` (an Oniguruma pattern from tokenizer.json) holds a
 * construct a backtracking engine cannot run in linear time.
 */
export function checkRegexSafety(source: string, path: string): void {
  try {
    new Screen(source).run();
  } catch (e) {
    if (e instanceof Refused) {
      throw new TokenizerConfigError(path, `a regular expression that runs in linear time (${e.message})`, source);
    }
    throw e;
  }
}

/**
 * Throws a TokenizerConfigError naming `path` when `jsSource` (the JS translation of `source`) backtracks
 * polynomially (two loops that can share one run of characters), or makes a global split retry a far-scanning
 * failing attempt at every position (see regex_ambiguity.ts), or is too large for that analysis to finish in its
 * bounds.
 */
export function checkPolynomialBacktracking(jsSource: string, source: string, path: string): void {
  let why: string | null = null;
  try {
    const w = findPolynomialAmbiguity(jsSource);
    if (w) {
      why =
        `polynomial backtracking: the loops on ${short(w.first)} and ${short(w.second)} can share one run of characters ` +
        `(e.g. ${JSON.stringify(w.example.repeat(3))}…), so a failing match attempt takes time quadratic or worse in the text's length`;
    } else {
      const r = findSearchRestart(jsSource);
      if (r) {
        why =
          `search restart: an attempt starting in a run of ${JSON.stringify(r.example)} follows the loop on ${short(r.atom)} to the run's end ` +
          `and can fail there, and no match consumes the run, so the split retries it at every position (quadratic in the run's length)`;
      }
    }
  } catch (e) {
    if (!(e instanceof AmbiguityRefusal)) throw e;
    why = e.message;
  }
  if (why !== null) throw new TokenizerConfigError(path, `a regular expression that runs in linear time (${why})`, source);
}

function short(atom: string): string {
  return atom.length > 40 ? `${atom.slice(0, 40)}…` : atom;
}

class Screen {
  private i = 0;
  constructor(private readonly src: string) {}

  run(): void {
    this.alternation(0, false);
    if (this.i < this.src.length) throw new Refused(`unbalanced ")" at ${this.i}`);
  }

  /** Parses branches up to a ")" (consumed by the caller) or the end. */
  private alternation(depth: number, inLook: boolean): Node {
    if (depth > 100) throw new Refused('groups nested over 100 deep');
    const acc: Node = { repeats: false, unbounded: false, alternates: false };
    let branches = 1;
    const src = this.src;
    while (this.i < src.length && src[this.i] !== ')') {
      if (src[this.i] === '|') {
        branches++;
        this.i++;
        continue;
      }
      const atom = this.atom(depth, inLook);
      const q = this.quantifier();
      if (q !== null) {
        if (q.possessive) throw new Refused('a possessive quantifier');
        if (q.max > 1 && (atom.repeats || atom.alternates)) {
          throw new Refused('a repeated group holding a quantifier or an alternation (nested quantifiers backtrack exponentially)');
        }
        if (inLook && q.max === Infinity) throw new Refused('an unbounded quantifier inside a lookaround');
        if (q.max > 1) acc.repeats = true;
        if (q.max === Infinity) acc.unbounded = true;
      }
      acc.repeats ||= atom.repeats;
      acc.unbounded ||= atom.unbounded;
      acc.alternates ||= atom.alternates;
    }
    if (branches > 1) acc.alternates = true;
    return acc;
  }

  private atom(depth: number, inLook: boolean): Node {
    const src = this.src;
    const c = src[this.i];
    const leaf: Node = { repeats: false, unbounded: false, alternates: false };
    if (c === '\\') {
      const n = src[this.i + 1] ?? '';
      if (/[1-9]/.test(n)) throw new Refused(`the back-reference \\${n}`);
      if (n === 'k' || n === 'g') throw new Refused(`the back-reference or subexpression call \\${n}`);
      if ((n === 'p' || n === 'P') && src[this.i + 2] === '{') {
        const close = src.indexOf('}', this.i);
        this.i = close < 0 ? src.length : close + 1;
      } else if (n === 'x' && src[this.i + 2] === '{') {
        const close = src.indexOf('}', this.i);
        this.i = close < 0 ? src.length : close + 1;
      } else this.i += Math.min(2, src.length - this.i);
      return leaf;
    }
    if (c === '[') {
      this.charClass();
      return leaf;
    }
    if (c === '(') {
      this.i++;
      let look = false;
      if (src[this.i] === '?') {
        const rest = src.slice(this.i, this.i + 4);
        if (rest.startsWith('?>')) throw new Refused('an atomic group (?>…)');
        if (rest.startsWith('?~')) throw new Refused('an absent operator (?~…)');
        if (rest.startsWith('?(')) throw new Refused('a conditional (?(…)…)');
        if (rest.startsWith('?=') || rest.startsWith('?!')) {
          look = true;
          this.i += 2;
        } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
          look = true;
          this.i += 3;
        } else if (rest.startsWith('?<') || rest.startsWith("?'") || rest.startsWith('?P<')) {
          const close = src.indexOf(rest.startsWith("?'") ? "'" : '>', this.i + 2);
          if (close < 0) throw new Refused('an unterminated group name');
          this.i = close + 1;
        } else {
          // (?:…), (?i:…), (?-i:…), inline (?i)
          const m = /^\?[imx-]*[:)]/.exec(src.slice(this.i));
          if (!m) throw new Refused(`the group syntax "(${src.slice(this.i, this.i + 3)}"`);
          this.i += m[0].length;
          if (m[0].endsWith(')')) return leaf;
        }
      }
      const body = this.alternation(depth + 1, inLook || look);
      if (src[this.i] !== ')') throw new Refused('an unclosed "("');
      this.i++;
      return body;
    }
    // A literal (a whole code point).
    this.i += (src.codePointAt(this.i) ?? 0) > 0xffff ? 2 : 1;
    return leaf;
  }

  /** Skips a character class, nested classes (Oniguruma `[a-z&&[^b]]`) included. */
  private charClass(): void {
    const src = this.src;
    let depth = 0;
    while (this.i < src.length) {
      const c = src[this.i];
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === '[') {
        depth++;
        this.i++;
        // A "]" first in a class is a literal.
        if (src[this.i] === '^') this.i++;
        if (src[this.i] === ']') this.i++;
        continue;
      }
      this.i++;
      if (c === ']' && --depth === 0) return;
    }
    throw new Refused('an unclosed "["');
  }

  /** A quantifier at the cursor (consumed), or null. */
  private quantifier(): { max: number; possessive: boolean } | null {
    const src = this.src;
    const c = src[this.i];
    let max: number;
    if (c === '*' || c === '+') {
      max = Infinity;
      this.i++;
    } else if (c === '?') {
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(src.slice(this.i, this.i + 40));
      if (!m || (m[1] === '' && m[3] === '')) return null; // a literal "{"
      const lo = m[1] === '' ? 0 : Number(m[1]);
      const hi = m[2] === '' ? lo : m[3] === '' ? Infinity : Number(m[3]);
      if (lo > MAX_REPEAT || (hi !== Infinity && hi > MAX_REPEAT)) {
        throw new Refused(`the repeat count ${m[0]} (over ${MAX_REPEAT})`);
      }
      max = hi;
      this.i += m[0].length;
    } else return null;
    let possessive = false;
    if (src[this.i] === '?') this.i++; // lazy
    else if (src[this.i] === '+' && c !== '{') {
      possessive = true;
      this.i++;
    }
    // A quantifier on a quantifier (`a**`, Oniguruma's nested repeat) repeats the repeat.
    const again = this.quantifier();
    if (again !== null && again.max > 1 && max > 1) throw new Refused('a quantifier applied to a quantifier');
    if (again !== null) max = Math.max(max, again.max);
    return { max, possessive: possessive || (again?.possessive ?? false) };
  }
}

/**
 * Load-time screen for POLYNOMIAL backtracking in the tokenizer.json regexes (Split / Replace patterns), next to the
 * syntactic screen of regex_safety.ts (which refuses the exponential class: nested quantifiers, `(a|a)*`,
 * back-references, huge counts). A pattern such as `\d*\d*x`, `a*a*$`, `\s*\s+$` or `.*.*=.*` has no nested
 * quantifier, yet V8's backtracking takes O(n^2) (O(n^3), ...) time per match attempt on an input that then
 * fails (`"1111…1"` for `\d*\d*x`): two loops can share the same run of characters in n ways.
 *
 * The analysis (after Weideman, van der Merwe, Berglund and Watson, "Analyzing Matching Time Behavior of
 * Backtracking Regular Expression Matchers by Using Ambiguity of NFA", CIAA 2016; the tools "recheck" and
 * "safe-regex" test the same classes):
 *
 * 1. Parse the pattern as V8 runs it (the JS `u` source that onigToJs produced) into a tree of one-character atoms
 *    (literal, escape, class, `.`), sequences, alternations, repeats and zero-width assertions (`^ $ \b \B` and
 *    lookarounds).
 * 2. Build its Glushkov (position) automaton: one state per atom occurrence, a transition p -> q when q may follow
 *    p, labelled by q's character set. Counted repeats `{n,m}` are unrolled (m copies); assertions are treated as
 *    empty (this admits more paths than the engine walks: the analysis errs towards refusing).
 * 3. Character sets are compared on a sample alphabet: every code point below U+0250, one or more members of each
 *    Unicode general category, and every code point the pattern names (with its neighbours). Two sets "meet" when
 *    a sample character is in both. Tokenizer patterns are built from properties, shorthand classes and literal
 *    ranges, which this sample separates; an exotic range that meets another set only between its own ends can
 *    be missed (the analysis is sound-ish, not a proof).
 * 4. Restrict the automaton to what a failing attempt explores. A backtracking match ends at the first path that
 *    reaches the end of the pattern: once the engine stands on an accepting position (one from which the rest of
 *    the pattern can match nothing, with no assertion left to check), that attempt succeeds, whatever it tries
 *    first. So only non-accepting positions can be re-entered by backtracking, and the search keeps only those
 *    (a position followed by `$` or `(?!\S)` counts as non-accepting: the assertion may fail). This is what keeps
 *    Llama-3's `\s*[\r\n]+` (the `[\r\n]` loop is accepting) and GPT-2's `\s+(?!\S)|\s+` accepted.
 * 5. The IDA test (infinite degree of ambiguity): the restricted automaton is polynomially ambiguous iff there are
 *    two states p != q and a non-empty word w with p -w-> p, p -w-> q and q -w-> q. Then an input u w^k z (z making
 *    every path fail) gives at least k^2 / 2 paths for the engine to try. It is found by a search in the product
 *    automaton N x N x N from (p, p, q) to (p, q, q), the three runs reading the same characters (the labels of the
 *    three target positions must meet). Only p, q on loops with q reachable from p are tried; the first run stays in
 *    p's strongly connected component, the third in q's.
 * 6. Bounded: at most {@link MAX_POSITIONS} positions after unrolling and {@link MAX_PRODUCT_STATES} product states
 *    visited in all; a pattern beyond either is refused as too large to analyse.
 *
 * Not covered (docs/tokenizer-safety.md): the search-restart class, where each attempt is linear but fails after
 * scanning far and the global split retries at every start position (`a*b` over `aaaa…`), and ambiguity hidden in
 * lookaround bodies (regex_safety.ts refuses unbounded quantifiers there).
 */

/** Positions (atom occurrences after unrolling counted repeats) beyond which a pattern is refused as too large. */
export const MAX_POSITIONS = 2000;
/** Product-automaton states visited, over all (p, q) pairs, beyond which a pattern is refused as too large. */
export const MAX_PRODUCT_STATES = 200_000;

type Ast =
  | { t: 'chr'; src: string }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; items: Ast[] }
  | { t: 'rep'; body: Ast; min: number; max: number }
  | { t: 'assert' };

/** Why a pattern is refused (the caller wraps it in a TokenizerConfigError). */
export class AmbiguityRefusal extends Error {}

/** Parser of the JS `u` RegExp syntax (no `v` flag), enough to build the position automaton. */
class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Ast {
    const a = this.alt(0);
    if (this.i < this.s.length) throw new AmbiguityRefusal(`unbalanced ")" at ${this.i}`);
    return a;
  }

  private alt(depth: number): Ast {
    if (depth > 100) throw new AmbiguityRefusal('groups nested over 100 deep');
    const items = [this.seq(depth)];
    while (this.s[this.i] === '|') {
      this.i++;
      items.push(this.seq(depth));
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  private seq(depth: number): Ast {
    const items: Ast[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      let a = this.atom(depth);
      for (;;) {
        const q = this.quantifier();
        if (!q) break;
        a = { t: 'rep', body: a, min: q[0], max: q[1] };
      }
      items.push(a);
    }
    return items.length === 1 ? items[0] : { t: 'seq', items };
  }

  private atom(depth: number): Ast {
    const s = this.s;
    const start = this.i;
    const c = s[this.i];
    if (c === '(') {
      const look = /^\(\?(=|!|<=|<!)/.exec(s.slice(this.i, this.i + 4));
      if (look) this.i += look[0].length;
      else if (s.startsWith('(?:', this.i)) this.i += 3;
      else if (s.startsWith('(?<', this.i)) {
        const close = s.indexOf('>', this.i);
        if (close < 0) throw new AmbiguityRefusal('an unterminated group name');
        this.i = close + 1;
      } else this.i++;
      const body = this.alt(depth + 1);
      if (s[this.i] !== ')') throw new AmbiguityRefusal('an unclosed "("');
      this.i++;
      return look ? { t: 'assert' } : body;
    }
    if (c === '^' || c === '$') {
      this.i++;
      return { t: 'assert' };
    }
    if (c === '[') {
      this.i++;
      if (s[this.i] === '^') this.i++;
      if (s[this.i] === ']') this.i++;
      while (this.i < s.length && s[this.i] !== ']') this.i += s[this.i] === '\\' ? 2 : 1;
      if (this.i >= s.length) throw new AmbiguityRefusal('an unclosed "["');
      this.i++;
      return { t: 'chr', src: s.slice(start, this.i) };
    }
    if (c === '\\') {
      const n = s[this.i + 1] ?? '';
      if (n === 'b' || n === 'B') {
        this.i += 2;
        return { t: 'assert' };
      }
      if (/[1-9k]/.test(n)) throw new AmbiguityRefusal(`the back-reference \\${n}`);
      const braced = /^\\(?:[pP]\{[^}]*\}|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|c[A-Za-z])/.exec(s.slice(this.i, this.i + 64));
      this.i += braced ? braced[0].length : 2;
      return { t: 'chr', src: s.slice(start, this.i) };
    }
    this.i += (s.codePointAt(this.i) ?? 0) > 0xffff ? 2 : 1;
    return { t: 'chr', src: s.slice(start, this.i) };
  }

  /** `[min, max]` of a quantifier at the cursor (consumed, with its lazy `?`), or null. */
  private quantifier(): [number, number] | null {
    const s = this.s;
    const c = s[this.i];
    let q: [number, number];
    if (c === '*') q = [0, Infinity];
    else if (c === '+') q = [1, Infinity];
    else if (c === '?') q = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,?)(\d*)\}/.exec(s.slice(this.i, this.i + 40));
      if (!m) return null;
      const lo = Number(m[1]);
      q = [lo, m[2] === '' ? lo : m[3] === '' ? Infinity : Number(m[3])];
      this.i += m[0].length - 1;
    } else return null;
    this.i++;
    if (s[this.i] === '?') this.i++; // lazy: the same paths, in another order
    return q;
  }
}

/** A fragment of the position automaton: assertions count as empty for `nullAny`, as failing for `nullClean`. */
interface Frag {
  nullAny: boolean;
  nullClean: boolean;
  first: number[];
  lastAny: number[];
  lastClean: number[];
}

const EMPTY: Frag = { nullAny: true, nullClean: true, first: [], lastAny: [], lastClean: [] };

class Glushkov {
  readonly atoms: string[] = [];
  readonly follow: Set<number>[] = [];

  build(a: Ast): Frag {
    switch (a.t) {
      case 'chr': {
        const p = this.atoms.length;
        if (p >= MAX_POSITIONS) throw new AmbiguityRefusal(`too large to analyse: over ${MAX_POSITIONS} character positions once counted repeats are unrolled`);
        this.atoms.push(a.src);
        this.follow.push(new Set());
        return { nullAny: false, nullClean: false, first: [p], lastAny: [p], lastClean: [p] };
      }
      case 'assert':
        return { nullAny: true, nullClean: false, first: [], lastAny: [], lastClean: [] };
      case 'seq':
        return a.items.reduce((f, x) => this.then(f, this.build(x)), EMPTY);
      case 'alt': {
        const fs = a.items.map((x) => this.build(x));
        return {
          nullAny: fs.some((f) => f.nullAny),
          nullClean: fs.some((f) => f.nullClean),
          first: fs.flatMap((f) => f.first),
          lastAny: fs.flatMap((f) => f.lastAny),
          lastClean: fs.flatMap((f) => f.lastClean),
        };
      }
      case 'rep': {
        const { body, min, max } = a;
        let f = EMPTY;
        const fixed = max === Infinity ? Math.max(min - 1, 0) : min;
        for (let k = 0; k < fixed; k++) f = this.then(f, this.build(body));
        if (max === Infinity) {
          const loop = this.build(body);
          for (const l of loop.lastAny) for (const x of loop.first) this.follow[l].add(x);
          f = this.then(f, min === 0 ? optional(loop) : loop);
        } else {
          // {n,m}: the m - n optional copies nest, as the engine tries them: x(x(x)?)?
          let tail = EMPTY;
          for (let k = min; k < max; k++) tail = optional(this.then(this.build(body), tail));
          f = this.then(f, tail);
        }
        return f;
      }
    }
  }

  private then(a: Frag, b: Frag): Frag {
    for (const l of a.lastAny) for (const x of b.first) this.follow[l].add(x);
    return {
      nullAny: a.nullAny && b.nullAny,
      nullClean: a.nullClean && b.nullClean,
      first: a.nullAny ? a.first.concat(b.first) : a.first,
      lastAny: b.nullAny ? b.lastAny.concat(a.lastAny) : b.lastAny,
      lastClean: b.nullClean ? b.lastClean.concat(a.lastClean) : b.lastClean,
    };
  }
}

function optional(f: Frag): Frag {
  return { ...f, nullAny: true, nullClean: true };
}

/** Members of each Unicode general category (and the scripts tokenizer patterns name), for the sample alphabet. */
const CATEGORY_SAMPLES =
  'Жжßǅʰʷˆˇˊˋˑ々〻ーｰ東한กאاअ\u0300\u0301\u0e31\u093f\u0903\u094d\u20dd\u0488٣٠०０９ⅫⅠ〇½²³¹¼¾‿⁀＿—–‐「」（）«»‹›、。¿¡・∑−＋€¥£¢©®™°🙂😀🀄' +
  '\u00a0\u1680\u2000\u2003\u200a\u202f\u205f\u3000\u2028\u2029\u0085\u200b\u200c\u200d\u2060\ufeff\u00ad\ue000\u0378\ufffd\u{1d400}\u{20000}\u{e0001}\u{10ffff}';

let baseSample: number[] | undefined;
function sampleAlphabet(source: string): number[] {
  if (!baseSample) {
    const s = new Set<number>();
    for (let c = 0; c < 0x250; c++) s.add(c);
    for (const ch of CATEGORY_SAMPLES) s.add(ch.codePointAt(0)!);
    baseSample = [...s]; // spread-ok: a few hundred code points
  }
  const extra = new Set<number>(baseSample);
  // Every code point the pattern names (escaped or literal), with its neighbours: class ends and literals.
  const add = (c: number) => {
    for (const d of [c - 1, c, c + 1]) if (d >= 0 && d <= 0x10ffff && (d < 0xd800 || d > 0xdfff)) extra.add(d);
  };
  for (const m of source.matchAll(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g)) add(parseInt(m[1] ?? m[2] ?? m[3], 16));
  for (const ch of source) if (ch.codePointAt(0)! >= 0x80) add(ch.codePointAt(0)!);
  return [...extra].sort((a, b) => a - b); // spread-ok: bounded by the pattern's length
}

/** The sample members of each atom, as bitsets. */
function atomSets(atoms: readonly string[], sample: readonly number[]): Uint32Array[] {
  const words = (sample.length + 31) >>> 5;
  const cache = new Map<string, Uint32Array>();
  const chars = sample.map((c) => String.fromCodePoint(c));
  return atoms.map((src) => {
    let bits = cache.get(src);
    if (!bits) {
      bits = new Uint32Array(words);
      const re = new RegExp(`^(?:${src})$`, 'u');
      for (let k = 0; k < chars.length; k++) if (re.test(chars[k])) bits[k >>> 5] |= 1 << (k & 31);
      cache.set(src, bits);
    }
    return bits;
  });
}

function meet3(a: Uint32Array, b: Uint32Array, c: Uint32Array): boolean {
  for (let k = 0; k < a.length; k++) if ((a[k] & b[k] & c[k]) !== 0) return true;
  return false;
}

/** What {@link findPolynomialAmbiguity} found: the two looping atoms, or null. */
export interface AmbiguityWitness {
  /** Source (in the engine's syntax) of the first loop's atom (p). */
  first: string;
  /** Source of the second loop's atom (q). */
  second: string;
  /** A character all three runs read on the way (a sample member). */
  example: string;
}

/**
 * The IDA search of the module comment on `jsSource` (a JS `u` RegExp source): a witness of polynomial
 * backtracking, or null. Throws {@link AmbiguityRefusal} for a pattern too large to analyse.
 */
export function findPolynomialAmbiguity(jsSource: string): AmbiguityWitness | null {
  const g = new Glushkov();
  const root = g.build(new Parser(jsSource).parse());
  const n = g.atoms.length;
  const sample = sampleAlphabet(jsSource);
  const sets = atomSets(g.atoms, sample);
  const accepting = new Set(root.lastClean);
  const live = (p: number) => !accepting.has(p) && sets[p].some((w) => w !== 0);
  const succ: number[][] = g.follow.map((f, p) => (live(p) ? [...f].filter(live) : [])); // spread-ok: one position's followers
  // reach[p]: positions reachable from p in one or more steps (restricted automaton).
  const reach: Set<number>[] = succ.map((_, p) => {
    const seen = new Set<number>();
    const stack = [...succ[p]]; // spread-ok: one position's followers
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      for (const y of succ[x]) if (!seen.has(y)) stack.push(y);
    }
    return seen;
  });
  const loops = succ.map((_, p) => p).filter((p) => reach[p].has(p));
  const sameScc = (x: number, p: number) => reach[p].has(x) && reach[x].has(p);
  let budget = MAX_PRODUCT_STATES;
  const key = (a: number, b: number, c: number) => (a * n + b) * n + c;
  for (const p of loops) {
    for (const q of loops) {
      if (q === p || !reach[p].has(q)) continue;
      const seen = new Set<number>();
      const queue: Array<[number, number, number]> = [[p, p, q]];
      while (queue.length) {
        const [a, b, c] = queue.pop()!;
        for (const a2 of succ[a]) {
          if (!sameScc(a2, p)) continue;
          for (const b2 of succ[b]) {
            if (b2 !== q && !reach[b2].has(q)) continue;
            for (const c2 of succ[c]) {
              if (!sameScc(c2, q) || !meet3(sets[a2], sets[b2], sets[c2])) continue;
              if (a2 === p && b2 === q && c2 === q) {
                const k = sets[p].findIndex((_, w) => (sets[a2][w] & sets[b2][w] & sets[c2][w]) !== 0);
                const bit = 31 - Math.clz32(sets[a2][k] & sets[b2][k] & sets[c2][k]);
                return { first: g.atoms[p], second: g.atoms[q], example: String.fromCodePoint(sample[k * 32 + bit]) };
              }
              const id = key(a2, b2, c2);
              if (seen.has(id)) continue;
              seen.add(id);
              if (--budget < 0) throw new AmbiguityRefusal(`too large to analyse: over ${MAX_PRODUCT_STATES.toLocaleString('en-US')} states of the ambiguity product automaton`);
              queue.push([a2, b2, c2]);
            }
          }
        }
      }
    }
  }
  return null;
}

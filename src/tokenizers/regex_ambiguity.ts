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
 * 6. Bounded: at most {@link MAX_POSITIONS} positions after unrolling, {@link MAX_EDGES} transitions,
 *    {@link MAX_PRODUCT_STATES} product states visited in all and {@link MAX_STEPS} graph steps per screen; a pattern
 *    beyond any of them is refused as too large to analyse (each bound keeps one load under a second).
 *
 * Not covered (docs/tokenizer-safety.md): the search-restart class, where each attempt is linear but fails after
 * scanning far and the global split retries at every start position (`a*b` over `aaaa…`), and ambiguity hidden in
 * lookaround bodies (regex_safety.ts refuses unbounded quantifiers there).
 */

/** Positions (atom occurrences after unrolling counted repeats) beyond which a pattern is refused as too large. */
export const MAX_POSITIONS = 2000;
/** Product-automaton states visited, over all (p, q) pairs, beyond which a pattern is refused as too large. */
export const MAX_PRODUCT_STATES = 200_000;
/** Transitions of the position automaton beyond which a pattern is refused as too large. */
export const MAX_EDGES = 100_000;
/** Graph steps (edges followed) per screen beyond which a pattern is refused as too large. */
export const MAX_STEPS = 4_000_000;

/** A countdown of graph steps; throws {@link AmbiguityRefusal} when spent. */
class Steps {
  private left = MAX_STEPS;
  take(n: number): void {
    this.left -= n;
    if (this.left < 0) throw new AmbiguityRefusal(`too large to analyse: over ${MAX_STEPS.toLocaleString('en-US')} steps of the automaton analysis`);
  }
}

type Ast =
  | { t: 'chr'; src: string }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; items: Ast[] }
  | { t: 'rep'; body: Ast; min: number; max: number }
  | { t: 'assert'; kind: string; body?: Ast };

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
      return look ? { t: 'assert', kind: look[1], body } : body;
    }
    if (c === '^' || c === '$') {
      this.i++;
      return { t: 'assert', kind: c };
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
        return { t: 'assert', kind: `\\${n}` };
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

/**
 * A fragment of the position automaton. `lastG` lists the positions after which the fragment may end, each with
 * the assertions crossed on the way (one entry per way); `nullG` the assertion lists under which it matches empty.
 * A position is accepting (a match may end there) when some way to the end crosses no assertion; for one run of a
 * character c, when every assertion crossed holds inside such a run (`(?!\S)` inside spaces, `\B`).
 */
interface Frag {
  nullG: number[][];
  first: number[];
  lastAny: number[];
  lastG: Array<[number, number[]]>;
}

/** Ways kept per fragment (beyond them, guarded ways are dropped: fewer accepting positions, more refusals). */
const MAX_WAYS = 256;
const EMPTY: Frag = { nullG: [[]], first: [], lastAny: [], lastG: [] };

class Glushkov {
  private edges = 0;
  readonly atoms: string[] = [];
  readonly follow: Set<number>[] = [];
  /** Each assertion: its kind (`^`, `$`, `\b`, `\B`, `=`, `!`, `<=`, `<!`) and, for a one-atom lookaround, the atom. */
  readonly asserts: Array<{ kind: string; atom?: string }> = [];

  build(a: Ast): Frag {
    switch (a.t) {
      case 'chr': {
        const p = this.atoms.length;
        if (p >= MAX_POSITIONS) throw new AmbiguityRefusal(`too large to analyse: over ${MAX_POSITIONS} character positions once counted repeats are unrolled`);
        this.atoms.push(a.src);
        this.follow.push(new Set());
        return { nullG: [], first: [p], lastAny: [p], lastG: [[p, []]] };
      }
      case 'assert': {
        const id = this.asserts.length;
        this.asserts.push({ kind: a.kind, atom: a.body?.t === 'chr' ? a.body.src : undefined });
        return { nullG: [[id]], first: [], lastAny: [], lastG: [] };
      }
      case 'seq':
        return a.items.reduce((f, x) => this.then(f, this.build(x)), EMPTY);
      case 'alt': {
        const fs = a.items.map((x) => this.build(x));
        return {
          nullG: capNull(fs.flatMap((f) => f.nullG)),
          first: fs.flatMap((f) => f.first),
          lastAny: fs.flatMap((f) => f.lastAny),
          lastG: capLast(fs.flatMap((f) => f.lastG)),
        };
      }
      case 'rep': {
        const { body, min, max } = a;
        let f = EMPTY;
        const fixed = max === Infinity ? Math.max(min - 1, 0) : min;
        for (let k = 0; k < fixed; k++) f = this.then(f, this.build(body));
        if (max === Infinity) {
          const loop = this.build(body);
          this.link(loop.lastAny, loop.first);
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
    this.link(a.lastAny, b.first);
    const aNull = a.nullG.length > 0;
    const bNull = b.nullG.length > 0;
    return {
      nullG: capNull(a.nullG.flatMap((g) => b.nullG.map((h) => g.concat(h)))),
      first: aNull ? a.first.concat(b.first) : a.first,
      lastAny: bNull ? b.lastAny.concat(a.lastAny) : b.lastAny,
      lastG: capLast(b.lastG.concat(a.lastG.flatMap(([p, g]) => b.nullG.map((h): [number, number[]] => [p, g.concat(h)])))),
    };
  }

  /** Adds the transitions from each of `from` to each of `to`, within {@link MAX_EDGES}. */
  private link(from: readonly number[], to: readonly number[]): void {
    this.edges += from.length * to.length;
    if (this.edges > MAX_EDGES) throw new AmbiguityRefusal(`too large to analyse: over ${MAX_EDGES.toLocaleString('en-US')} transitions between character positions`);
    for (const l of from) for (const x of to) this.follow[l].add(x);
  }

  /** The positions where a match may end: with no assertion crossed, or (given `holds`) only assertions that hold. */
  accepting(root: Frag, holds: (assertion: number) => boolean = () => false): Set<number> {
    return new Set(root.lastG.filter(([, g]) => g.every(holds)).map(([p]) => p));
  }
}

/** Drops ways beyond {@link MAX_WAYS}, guarded ones first (the unguarded ones decide plain acceptance). */
function capLast(ways: Array<[number, number[]]>): Array<[number, number[]]> {
  return ways.length <= MAX_WAYS ? ways : ways.filter(([, g]) => g.length === 0).slice(0, MAX_WAYS);
}

function capNull(ways: number[][]): number[][] {
  return ways.length <= MAX_WAYS ? ways : ways.filter((g) => g.length === 0).slice(0, 1);
}

function optional(f: Frag): Frag {
  return { ...f, nullG: f.nullG.some((g) => g.length === 0) ? f.nullG : [[], ...f.nullG] }; // spread-ok: at most MAX_WAYS
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
  const accepting = g.accepting(root);
  const live = (p: number) => !accepting.has(p) && sets[p].some((w) => w !== 0);
  const succ: number[][] = g.follow.map((f, p) => (live(p) ? [...f].filter(live) : [])); // spread-ok: one position's followers
  // reach[p]: positions reachable from p in one or more steps (restricted automaton).
  const steps = new Steps();
  const reach: Set<number>[] = succ.map((_, p) => {
    const seen = new Set<number>();
    const stack = [...succ[p]]; // spread-ok: one position's followers
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      steps.take(succ[x].length + 1);
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
            steps.take(succ[c].length);
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

/**
 * One sample character of each distinct character set the pattern's atoms match (`jsSource`: a JS `u` RegExp
 * source), printable ones first: the alphabet of adversarial inputs for the pattern (runs of one class,
 * alternations of two).
 */
export function atomRepresentatives(jsSource: string): string[] {
  const g = new Glushkov();
  g.build(new Parser(jsSource).parse());
  const sample = sampleAlphabet(jsSource);
  const sets = atomSets(g.atoms, sample);
  const out = new Map<string, string>();
  for (const bits of sets) {
    const id = bits.join(',');
    if (out.has(id)) continue;
    let pick = -1;
    for (let k = 0; k < sample.length; k++) {
      if ((bits[k >>> 5] & (1 << (k & 31))) === 0) continue;
      if (pick < 0) pick = k;
      if (sample[k] >= 0x20 && sample[k] !== 0x7f) {
        pick = k;
        break;
      }
    }
    if (pick >= 0) out.set(id, String.fromCodePoint(sample[pick]));
  }
  return [...out.values()]; // spread-ok: one entry per atom of the pattern
}

/** What {@link findSearchRestart} found: a loop a failing attempt can run along, and a character of its run. */
export interface RestartWitness {
  /** Source of the looping atom. */
  atom: string;
  /** A character the loop runs on. */
  example: string;
}

/**
 * The search-restart screen (one character class at a time). A global split retries the pattern at every start
 * position that did not begin a match; when an attempt starting inside a long run of one character c can follow
 * a non-accepting loop along the whole run and then fail, and no accepting loop consumes c-runs (so the attempt
 * does not end with a match of the run), each of the n starts scans O(n): `a*b` or `\s*x` over `aaaa…`, O(n^2) in
 * all, with no ambiguity inside one attempt. For each class of sample characters (characters no atom tells
 * apart), this finds a non-accepting position q on a cycle of positions matching c, entered from the pattern's
 * start on c alone through non-accepting positions; it is a witness unless an accepting position r on a cycle of
 * positions matching c is entered from the start on c alone (then the attempt's match extends over the run and the
 * next start lies past it: GPT-2's `\s+(?!\S)` next to `\s+`, o200k's `[\p{Lu}…]*[\p{Ll}…]+` next to
 * `[\p{Lu}…]+[\p{Ll}…]*`). Runs of one character only: a loop over a longer word (`(?:ab)*c`) is not screened.
 */
export function findSearchRestart(jsSource: string): RestartWitness | null {
  const holdsInRun = (a: { kind: string; atom?: string }, c: string): boolean => {
    if (a.kind === '\\B') return true; // between two characters of one run: never a word boundary
    if (a.atom === undefined) return false; // ^ $ \b, or a lookaround of more than one atom
    const inAtom = new RegExp(`^(?:${a.atom})$`, 'u').test(c);
    return a.kind === '!' || a.kind === '<!' ? !inAtom : inAtom;
  };
  const g = new Glushkov();
  const root = g.build(new Parser(jsSource).parse());
  const n = g.atoms.length;
  const sample = sampleAlphabet(jsSource);
  const sets = atomSets(g.atoms, sample);
  const follow = g.follow.map((f) => [...f]); // spread-ok: one position's followers
  const steps = new Steps();
  const seen = new Set<string>();
  for (let k = 0; k < sample.length; k++) {
    const inC: boolean[] = sets.map((b) => (b[k >>> 5] & (1 << (k & 31))) !== 0);
    const sig = inC.map((x) => (x ? '1' : '0')).join('');
    if (seen.has(sig) || !inC.includes(true)) continue;
    seen.add(sig);
    const ch = String.fromCodePoint(sample[k]);
    const accepting = g.accepting(root, (id) => holdsInRun(g.asserts[id], ch));
    /** Positions reachable from the start reading c only (through non-accepting positions when `strict`). */
    const reachFromStart = (strict: boolean): number[] => {
      const out = new Uint8Array(n);
      const list: number[] = [];
      const stack = root.first.filter((p) => inC[p] && !(strict && accepting.has(p)));
      while (stack.length) {
        const p = stack.pop()!;
        if (out[p]) continue;
        out[p] = 1;
        list.push(p);
        steps.take(follow[p].length + 1);
        for (const x of follow[p]) if (inC[x] && !(strict && accepting.has(x)) && !out[x]) stack.push(x);
      }
      return list;
    };
    /** Which of `nodes` lie on a cycle of the graph they induce (Kosaraju: a component of two or more, or a self-loop). */
    const onCycles = (nodes: number[]): Set<number> => {
      const inside = new Uint8Array(n);
      for (const p of nodes) inside[p] = 1;
      const pred: number[][] = nodes.map(() => []);
      const index = new Map(nodes.map((p, i) => [p, i]));
      for (const p of nodes) for (const x of follow[p]) if (inside[x]) pred[index.get(x)!].push(p);
      steps.take(nodes.length * 2);
      // First pass: finishing order of an iterative DFS.
      const order: number[] = [];
      const done = new Uint8Array(n);
      for (const s0 of nodes) {
        if (done[s0]) continue;
        const stack: Array<[number, number]> = [[s0, 0]];
        done[s0] = 1;
        while (stack.length) {
          const top = stack[stack.length - 1];
          const next = follow[top[0]];
          steps.take(1);
          while (top[1] < next.length && (!inside[next[top[1]]] || done[next[top[1]]])) top[1]++;
          if (top[1] < next.length) {
            const x = next[top[1]++];
            done[x] = 1;
            stack.push([x, 0]);
          } else {
            order.push(top[0]);
            stack.pop();
          }
        }
      }
      // Second pass on the reversed graph, in reverse finishing order: one component per tree.
      const comp = new Int32Array(n).fill(-1);
      const sizes: number[] = [];
      for (let i = order.length - 1; i >= 0; i--) {
        if (comp[order[i]] >= 0) continue;
        const c = sizes.length;
        sizes.push(0);
        const stack = [order[i]];
        comp[order[i]] = c;
        while (stack.length) {
          const x = stack.pop()!;
          sizes[c]++;
          steps.take(pred[index.get(x)!].length + 1);
          for (const y of pred[index.get(x)!]) if (comp[y] < 0) {
            comp[y] = c;
            stack.push(y);
          }
        }
      }
      return new Set(nodes.filter((p) => sizes[comp[p]] > 1 || follow[p].includes(p)));
    };
    const strictNodes = reachFromStart(true);
    const loopsStrict = onCycles(strictNodes);
    const q = strictNodes.find((p) => loopsStrict.has(p));
    if (q === undefined) continue;
    const anyNodes = reachFromStart(false);
    const loopsAny = onCycles(anyNodes);
    const consumed = anyNodes.some((r) => accepting.has(r) && loopsAny.has(r));
    if (!consumed) return { atom: g.atoms[q], example: String.fromCodePoint(sample[k]) };
  }
  return null;
}

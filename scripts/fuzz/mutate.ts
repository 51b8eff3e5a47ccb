/**
 * The fuzzer's mutations: seeded byte flips, truncation, JSON-structure mutations, type swaps, size inflation and
 * deep nesting. Every mutation is a pure function of an {@link Rng}, so (seed, index) reproduces an input exactly,
 * and each returns a short description that is printed with a finding.
 */

/** A small seeded PRNG (mulberry32) with helpers. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Seed of input `index` in a run seeded `seed` (xmur3-style mix, so neighbours differ). */
  static forInput(seed: number, index: number): Rng {
    let h = 1779033703 ^ 17;
    const str = `${seed}:${index}`;
    for (let i = 0; i < str.length; i++) {
      h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return new Rng((h ^= h >>> 16) >>> 0);
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Numbers that break size arithmetic: huge, unsafe, negative, fractional, around 2^31/2^32/2^53. */
export const HUGE_NUMBERS: readonly number[] = [
  0, -1, 1, 2, 3, 0.5, 1.5, -0.0, 255, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 1e9, 1e12, 2 ** 53 - 1, 2 ** 53,
  2 ** 53 + 2, 2 ** 64, 1e300, -1e9, -(2 ** 53),
];

/** Strings that probe prototype lookups, paths and text handling. */
export const ODD_STRINGS: readonly string[] = [
  '', ' ', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '../', './../x', '~/../x', '/etc/passwd',
  '../../base', '..', '.', '\u0000', '\uFFFD', '\uD800', 'x'.repeat(10_000), 'F32', 'U8', 'query', 'mean', 'null', '1e9',
];

/** A value of a random different JSON type (type swap). */
export function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 1 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(HUGE_NUMBERS);
    case 3:
      return rng.int(1000) - 10;
    case 4:
      return rng.pick(ODD_STRINGS);
    case 5:
      return 'x'.repeat(rng.int(5));
    case 6:
      return [randomValue(rng, depth + 1)];
    default:
      return { [rng.pick(ODD_STRINGS)]: randomValue(rng, depth + 1) };
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Slot {
  /** The container and the key or index of the chosen value (null container: the root). */
  parent: Json[] | { [k: string]: Json } | null;
  key: string | number;
  value: Json;
  path: string;
}

/**
 * A random node of `root`: a descent that stops at each level with probability `stop`, so structure near the top
 * (components, config keys) is mutated as often as the leaves of a 30,000-entry vocabulary.
 */
function pickSlot(rng: Rng, root: Json, stop = 0.35): Slot {
  let slot: Slot = { parent: null, key: '', value: root, path: '$' };
  for (let depth = 0; depth < 64; depth++) {
    const v = slot.value;
    if (v === null || typeof v !== 'object') break;
    const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    if (keys.length === 0) break;
    if (depth > 0 && rng.chance(stop)) break;
    const k = rng.pick(keys as (string | number)[]);
    const child = (v as Record<string | number, Json>)[k];
    slot = { parent: v, key: k, value: child, path: `${slot.path}${typeof k === 'number' ? `[${k}]` : `.${k}`}` };
  }
  return slot;
}

function setSlot(root: { v: Json }, s: Slot, value: Json): void {
  if (s.parent === null) root.v = value;
  else (s.parent as Record<string | number, Json>)[s.key] = value;
}

/**
 * Mutate a parsed JSON document in place (it is a fresh copy). Returns the new root and a description.
 * `extra` adds domain-specific replacement values (module paths, dtypes, ...).
 */
export function mutateJson(rng: Rng, doc: unknown, extra: readonly unknown[] = []): { doc: unknown; what: string } {
  const root = { v: doc as Json };
  const n = 1 + (rng.chance(0.2) ? rng.int(3) : 0);
  const whats: string[] = [];
  for (let m = 0; m < n; m++) {
    const s = pickSlot(rng, root.v);
    const op = rng.int(10);
    if (op <= 2) {
      const v = (extra.length && rng.chance(0.5) ? structuredClone(rng.pick(extra)) : randomValue(rng)) as Json; // a copy: never mutate the shared list
      setSlot(root, s, v);
      whats.push(`set ${s.path} = ${short(v)}`);
    } else if (op === 3 && s.parent !== null) {
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
      whats.push(`delete ${s.path}`);
    } else if (op === 4 && typeof s.value === 'number') {
      const v = rng.pick([s.value * 1e6, s.value + 1, s.value - 1, -s.value, 1e9, 2 ** 53, 2 ** 31, 0, s.value + 0.5]);
      setSlot(root, s, v);
      whats.push(`inflate ${s.path} ${s.value} -> ${v}`);
    } else if (op === 5 && Array.isArray(s.value) && s.value.length > 0) {
      const i = rng.int(s.value.length);
      s.value.splice(rng.int(s.value.length + 1), 0, JSON.parse(JSON.stringify(s.value[i])) as Json);
      whats.push(`duplicate element ${i} of ${s.path}`);
    } else if (op === 6 && s.value !== null && typeof s.value === 'object' && !Array.isArray(s.value)) {
      const keys = Object.keys(s.value);
      if (keys.length) {
        const k = rng.pick(keys);
        const nk = rng.pick(['toString', 'constructor', '__proto__', k + 'x', k.toUpperCase(), '']);
        const val = s.value[k];
        delete s.value[k];
        // JSON.parse would make "__proto__" an own key; keep it one here too.
        Object.defineProperty(s.value, nk, { value: val, enumerable: true, writable: true, configurable: true });
        whats.push(`rename ${s.path}.${k} -> ${JSON.stringify(nk)}`);
      }
    } else if (op === 7 && typeof s.value === 'string') {
      const v = rng.pick([s.value + s.value, s.value.slice(1), s.value.repeat(50), s.value + rng.pick(ODD_STRINGS), rng.pick(ODD_STRINGS)]);
      setSlot(root, s, v);
      whats.push(`string ${s.path} = ${short(v)}`);
    } else if (op === 8) {
      // Wrap in an array or object (structure change).
      const v = (rng.chance(0.5) ? [s.value] : { value: s.value }) as Json;
      setSlot(root, s, v);
      whats.push(`wrap ${s.path}`);
    } else {
      const v = (extra.length ? structuredClone(rng.pick(extra)) : randomValue(rng)) as Json;
      setSlot(root, s, v);
      whats.push(`set ${s.path} = ${short(v)}`);
    }
  }
  return { doc: root.v, what: whats.join('; ') };
}

/** Short printable form of a value. */
export function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...(${s.length} chars)` : s;
}

/** Text-level mutations of a JSON (or any) file: byte flips, truncation, deep nesting, garbage. */
export function mutateText(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const op = rng.int(5);
  if (op === 0) {
    const out = bytes.slice();
    const k = 1 + rng.int(4);
    const at: number[] = [];
    for (let j = 0; j < k && out.length; j++) {
      const p = rng.int(out.length);
      out[p] = rng.chance(0.5) ? out[p] ^ (1 << rng.int(8)) : rng.int(256);
      at.push(p);
    }
    return { bytes: out, what: `flip bytes at ${at.join(',')}` };
  }
  if (op === 1) {
    const len = rng.int(bytes.length + 1);
    return { bytes: bytes.slice(0, len), what: `truncate to ${len} bytes` };
  }
  if (op === 2) {
    // Deep nesting in place of the whole document or inside it.
    const depth = rng.pick([100, 1000, 10_000, 100_000]);
    const open = rng.chance(0.5) ? '[' : '{"a":';
    const close = open === '[' ? ']' : '}';
    const nest = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const text = new TextDecoder().decode(bytes);
    const i = text.indexOf(':');
    const body = i >= 0 && rng.chance(0.7) ? `${text.slice(0, i + 1)}${nest},${text.slice(i + 1)}` : nest;
    return { bytes: new TextEncoder().encode(body), what: `deep nesting ${depth} (${open})` };
  }
  if (op === 3) {
    const out = new Uint8Array(bytes.length + 1);
    const p = rng.int(bytes.length + 1);
    out.set(bytes.subarray(0, p));
    out[p] = rng.pick([0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x2c, 0x3a, 0x5c, 0x00, 0xff, 0x30]);
    out.set(bytes.subarray(p), p + 1);
    return { bytes: out, what: `insert byte ${out[p]} at ${p}` };
  }
  const garbage = new Uint8Array(rng.int(64));
  for (let j = 0; j < garbage.length; j++) garbage[j] = rng.int(256);
  const out = new Uint8Array(bytes.length + garbage.length);
  out.set(bytes);
  out.set(garbage, bytes.length);
  return { bytes: out, what: `append ${garbage.length} random bytes` };
}

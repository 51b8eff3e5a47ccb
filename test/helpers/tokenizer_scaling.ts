/**
 * Long-input scaling of the tokenizers: the distinct tokenizer.json files of the fixtures, three kinds of long
 * input (one character repeated, seeded random Unicode, text full of the tokenizer's added tokens) and a timer.
 * Shared by test/tokenizer_scaling.test.ts (a coarse linearity bound) and bench/bench-tokenizer-scaling.ts
 * (`npm run bench:tokenizer-scaling`, 1 KiB … 1 MiB with the time ratio per doubling).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { prng } from './corpus.js';
import { fixture } from './fixtures.js';
import { Tokenizer } from '../../src/tokenizers/index.js';

/** One distinct tokenizer.json of the fixtures (duplicates under models/ are listed once, under their first name). */
export interface ScalingTokenizer {
  name: string;
  path: string;
}

/** The distinct tokenizer.json files under fixtures/tokenizers and fixtures/models (by content hash). */
export function scalingTokenizers(): ScalingTokenizer[] {
  const out: ScalingTokenizer[] = [];
  const seen = new Set<string>();
  for (const dir of ['tokenizers', 'models']) {
    const root = fixture(dir);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const path = join(root, name, 'tokenizer.json');
      if (!existsSync(path)) continue;
      const h = createHash('sha256').update(readFileSync(path)).digest('hex');
      if (seen.has(h)) continue;
      seen.add(h);
      out.push({ name, path });
    }
  }
  return out;
}

/** Loads a fixture tokenizer with truncation and padding off (the whole text is tokenized). */
export function loadUntruncated(path: string): Tokenizer {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.truncation = null;
  json.padding = null;
  return Tokenizer.fromJSON(json);
}

export type InputKind = 'repeat' | 'space' | 'random' | 'added' | 'prose';
export const INPUT_KINDS: readonly InputKind[] = ['repeat', 'space', 'random', 'added', 'prose'];

/** A seeded random code point: mostly BMP (surrogates excluded), some astral, some spaces. */
function randomCodePoint(r: () => number): number {
  const x = r();
  if (x < 0.08) return 0x20;
  if (x < 0.3) return 0x21 + Math.floor(r() * 94);
  if (x < 0.9) {
    for (;;) {
      const c = 0xa0 + Math.floor(r() * (0x10000 - 0xa0));
      if (c < 0xd800 || c > 0xdfff) return c;
    }
  }
  return 0x10000 + Math.floor(r() * 0x20000);
}

const PROSE = 'The quick brown fox jumps over the lazy dog, and 42 cats don\'t mind. Überraschung! 東京 naïve café 🙂 ';

/**
 * A long input of `units` UTF-16 code units (exactly, except that a final astral code point may be left out):
 * - repeat: 'a' repeated (one pre-token word of the whole length);
 * - space: ' a' repeated (half a million one-letter words);
 * - random: seeded random code points;
 * - added: the tokenizer's added-token contents, back to back and separated by ' ', 'x' or nothing;
 * - prose: a mixed-script sentence repeated.
 */
export function longInput(kind: InputKind, units: number, tok: Tokenizer, seed = 1): string {
  if (kind === 'repeat') return 'a'.repeat(units);
  if (kind === 'space') return ' a'.repeat(Math.ceil(units / 2)).slice(0, units);
  if (kind === 'prose') return PROSE.repeat(Math.ceil(units / PROSE.length)).slice(0, units);
  const r = prng(seed);
  const parts: string[] = [];
  let n = 0;
  if (kind === 'random') {
    while (n < units) {
      const c = String.fromCodePoint(randomCodePoint(r));
      if (n + c.length > units) break;
      parts.push(c);
      n += c.length;
    }
    return parts.join('');
  }
  const contents = [...tok.addedVocabulary.getVocab().keys()].filter((c) => c.length > 0);
  if (contents.length === 0) throw new Error('longInput: the tokenizer has no added tokens');
  const seps = [' ', 'x', '', ' hello '];
  while (n < units) {
    const c = contents[Math.floor(r() * contents.length)] + seps[Math.floor(r() * seps.length)];
    parts.push(c);
    n += c.length;
  }
  return parts.join('').slice(0, units);
}

let gc: (() => void) | undefined;
/** A full garbage collection (V8's `gc`, exposed at run time), so that each timed run starts from a clean heap. */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose_gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Milliseconds of one `encode` of `text` (best of `reps`), and the number of tokens. With `gcFirst` each run
 * starts after a full garbage collection (slow on a big heap): otherwise the garbage of earlier runs is
 * collected inside the timed runs of larger inputs, which reads as a superlinear curve.
 */
export function timeEncode(tok: Tokenizer, text: string, reps = 1, gcFirst = false): { ms: number; tokens: number } {
  let best = Infinity;
  let tokens = 0;
  for (let i = 0; i < reps; i++) {
    if (gcFirst) collectGarbage();
    const t0 = performance.now();
    tokens = tok.encode(text).ids.length;
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, tokens };
}

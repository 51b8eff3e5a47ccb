/**
 * Benchmark workloads: seeded, deterministic English-like texts, so that every runtime of `npm run bench` (and
 * every run) encodes exactly the same inputs.
 *
 * - `sentences`: 2,000 texts of 5-40 words;
 * - `queries`: 500 texts of 3-8 words;
 * - `passages`: 300 texts of 150-250 words (longer than the model's 256-token limit for most of them, so they
 *   exercise truncation).
 *
 * Words come from a fixed list of common words, plus a few rarer made-up words that WordPiece splits into several
 * pieces and some punctuation, so the token/word ratio (~1.2-1.3) resembles real English.
 */

/** A workload: a name, its texts, and the text count of the full and the `--quick` variant. */
export interface Workload {
  name: WorkloadName;
  texts: string[];
}

export type WorkloadName = 'sentences' | 'queries' | 'passages';

export const WORKLOAD_NAMES: readonly WorkloadName[] = ['sentences', 'queries', 'passages'];

interface WorkloadSpec {
  count: number;
  quickCount: number;
  minWords: number;
  maxWords: number;
  seed: number;
}

const SPECS: Record<WorkloadName, WorkloadSpec> = {
  sentences: { count: 2000, quickCount: 256, minWords: 5, maxWords: 40, seed: 11 },
  queries: { count: 500, quickCount: 128, minWords: 3, maxWords: 8, seed: 12 },
  passages: { count: 300, quickCount: 32, minWords: 150, maxWords: 250, seed: 13 },
};

const WORDS = (
  'the of and to in is was for that on as with by he at from his it an were are which this be or has had ' +
  'not first one their its new after but who they have her she two been other when there all during into ' +
  'school time may years more most only over city some world would where later up such used many can state ' +
  'about national out known university united then made three while part team being between well also year ' +
  'through both under film born high second these could season since early american four several district ' +
  'county until against each game music people war government people john series played found work same ' +
  'large found number however album released area house system life include group where use following ' +
  'small because river company history within five public long named became based general early south north ' +
  'west east member around water language family million power century modern record station british french ' +
  'market quickly brown fox jumps lazy dog sentence model language vector search query passage document ' +
  'embedding similar meaning bank money loan river shore garden flower tree forest mountain valley ocean ' +
  'computer program software engineer build test run fast slow memory thread worker result answer question'
).split(/\s+/);

const RARE = ['zyx', 'quor', 'blim', 'vesh', 'trax', 'nopl', 'grif', 'ulm', 'kesh', 'praz'];
const PUNCT = [',', '.', ';', '?', '!', ':'];

/** mulberry32: a tiny deterministic 32-bit PRNG, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function makeText(rng: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    let w: string;
    const r = rng();
    if (r < 0.04) {
      // a made-up word of 2-3 rare syllables: several WordPiece tokens
      const n = randInt(rng, 2, 3);
      w = '';
      for (let k = 0; k < n; k++) w += RARE[Math.floor(rng() * RARE.length)];
    } else if (r < 0.06) {
      w = String(randInt(rng, 1, 2030));
    } else {
      w = WORDS[Math.floor(rng() * WORDS.length)]!;
    }
    if (i === 0) w = w[0]!.toUpperCase() + w.slice(1);
    if (i < words - 1 && rng() < 0.07) w += PUNCT[Math.floor(rng() * 3)];
    out.push(w);
  }
  return out.join(' ') + PUNCT[1 + Math.floor(rng() * 2) * 2]!;
}

/** The texts of one workload (full size, or the `--quick` size). Same seed -> same texts, always. */
export function makeWorkload(name: WorkloadName, quick = false): Workload {
  const spec = SPECS[name];
  if (!spec) throw new Error(`workload: expected one of ${WORKLOAD_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  const rng = mulberry32(spec.seed);
  const n = quick ? spec.quickCount : spec.count;
  const texts: string[] = [];
  for (let i = 0; i < n; i++) texts.push(makeText(rng, randInt(rng, spec.minWords, spec.maxWords)));
  return { name, texts };
}

/**
 * The order in which every runtime encodes a workload: sentence-transformers' own order (longest text first, by
 * character length, stable), so that all runtimes see identical batches with identical padding.
 * Returns indices into `texts`.
 */
export function lengthSortedOrder(texts: readonly string[]): number[] {
  return texts.map((t, i) => [t.length, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
}

/** Split `order` into consecutive batches of `batchSize` indices. */
export function batches(order: readonly number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/**
 * The order in which a budgeted run visits `count` batches: van der Corput (bit-reversed) order, so that any
 * prefix samples the whole length range (0, n/2, n/4, 3n/4, ...) instead of only the longest texts.
 */
export function spreadOrder(count: number): number[] {
  let bits = 0;
  while (1 << bits < count) bits++;
  const rev = (i: number): number => {
    let r = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    return r;
  };
  return Array.from({ length: 1 << bits }, (_, i) => rev(i)).filter((i) => i < count);
}

/**
 * The per-word caches of the models (WordPiece, Unigram, BPE), bounded by an estimate of their bytes and
 * not only by their entries: HF keeps up to 10,000 words, which for words of unbounded length is unbounded
 * memory (20,000-character words: about 400 MB). Here a word longer than {@link WORD_CACHE_MAX_KEY} UTF-16
 * units is never cached (it is recomputed, as HF's BPE does for words over 256 bytes), and the cache is
 * emptied when it would pass {@link WORD_CACHE_MAX_ENTRIES} entries or {@link WORD_CACHE_MAX_BYTES} bytes.
 */

/** Most entries of one model's word cache (HF's `DEFAULT_CACHE_CAPACITY`). */
export const WORD_CACHE_MAX_ENTRIES = 10_000;
/** Most estimated bytes of one model's word cache: 4 MiB. */
export const WORD_CACHE_MAX_BYTES = 4 * 1024 * 1024;
/** Longest word (UTF-16 units) that is cached. */
export const WORD_CACHE_MAX_KEY = 256;

/** A string-keyed cache bounded by entries and estimated bytes. */
export class WordCache<V> {
  private readonly map = new Map<string, V>();
  private used = 0;

  /** @param sizeOf estimated bytes of a value (the key and the entry's overhead are added) */
  constructor(private readonly sizeOf: (v: V) => number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Caches `value` under `key`, unless the key is too long; empties the cache first when it is full. */
  set(key: string, value: V): void {
    if (key.length > WORD_CACHE_MAX_KEY) return;
    const bytes = 64 + 2 * key.length + this.sizeOf(value);
    if (this.map.size >= WORD_CACHE_MAX_ENTRIES || this.used + bytes > WORD_CACHE_MAX_BYTES) this.clear();
    this.map.set(key, value);
    this.used += bytes;
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }

  /** Number of cached words. */
  get size(): number {
    return this.map.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.used;
  }
}

/** Estimated bytes of a token list ({ id, value, offsets } objects). */
export function tokensBytes(tokens: ReadonlyArray<{ value: string }>): number {
  let n = 16;
  for (const t of tokens) n += 80 + 2 * t.value.length;
  return n;
}

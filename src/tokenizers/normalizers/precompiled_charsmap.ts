/**
 * Reader of SentencePiece's `precompiled_charsmap`: a Darts double-array trie of normalization rules followed by
 * the blob of NUL-terminated replacement strings.
 *
 * Layout: u32 little-endian trie size in bytes, the trie as u32 LE units, then the replacement blob.
 * Unit bits (Darts-clone): label = unit & (0x80000000 | 0xff); has_leaf = (unit >> 8) & 1;
 * value = unit & 0x7fffffff; offset = (unit >> 10) << ((unit & 0x200) >> 6).
 *
 * Reference: the `spm_precompiled` crate used by huggingface/tokenizers v0.19.1
 * (tokenizers/src/normalizers/precompiled.rs), https://github.com/huggingface/spm_precompiled
 * and sentencepiece src/normalizer.cc (google/sentencepiece v0.1.99).
 */

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Decodes base64 without Node's Buffer (runs in browsers too). */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The parsed charsmap: prefix lookup of a chunk's UTF-8 bytes into the replacement blob. */
export class PrecompiledCharsmap {
  private readonly array: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly memo = new Map<string, string | null>();

  /** @param bytes the decoded `precompiled_charsmap` */
  constructor(bytes: Uint8Array) {
    if (bytes.length < 4) throw new Error(`Precompiled: precompiled_charsmap must hold at least 4 bytes, got ${bytes.length}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieSize = view.getUint32(0, true);
    if (trieSize % 4 !== 0 || 4 + trieSize > bytes.length) {
      throw new Error(`Precompiled: bad precompiled_charsmap (trie size ${trieSize} for ${bytes.length} bytes)`);
    }
    const n = trieSize / 4;
    this.array = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.array[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = bytes.subarray(4 + trieSize);
    try {
      decoder.decode(this.normalized);
    } catch {
      throw new Error('Precompiled: the replacement blob of precompiled_charsmap is not valid UTF-8');
    }
  }

  /** Values of every rule whose key is a prefix of `key` (shortest first), as Darts `commonPrefixSearch`. */
  private commonPrefixSearch(key: Uint8Array): number[] {
    const a = this.array;
    const results: number[] = [];
    if (a.length === 0) return results;
    let nodePos = 0;
    let unit = a[nodePos]!;
    nodePos ^= offsetOf(unit);
    for (const c of key) {
      if (c === 0) break;
      nodePos ^= c;
      unit = a[nodePos] ?? 0;
      if (((unit & 0x800000ff) >>> 0) !== c) return results;
      nodePos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) results.push((a[nodePos] ?? 0) & 0x7fffffff);
    }
    return results;
  }

  /**
   * The replacement of the shortest rule matching a prefix of `chunk`, or null when no rule matches. As in
   * `spm_precompiled::Precompiled::transform`, the rest of the chunk after the matched prefix is not looked at.
   */
  transform(chunk: string): string | null {
    const memo = this.memo.get(chunk);
    if (memo !== undefined) return memo;
    const results = this.commonPrefixSearch(encoder.encode(chunk));
    let out: string | null = null;
    if (results.length) {
      const start = results[0]!;
      let end = start;
      while (end < this.normalized.length && this.normalized[end] !== 0) end++;
      // A rule pointing into the middle of a UTF-8 sequence (a crafted charsmap) replaces nothing
      // (spm_precompiled's `from_utf8(...).ok()?`), rather than throwing at encode time.
      try {
        out = decoder.decode(this.normalized.subarray(start, end));
      } catch {
        out = null;
      }
    }
    if (this.memo.size > 100_000) this.memo.clear();
    this.memo.set(chunk, out);
    return out;
  }
}

function offsetOf(unit: number): number {
  return ((unit >>> 10) << ((unit & 0x200) >>> 6)) >>> 0;
}

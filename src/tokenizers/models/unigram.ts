/**
 * Unigram language-model tokenizer (SentencePiece), as in Hugging Face tokenizers: the best segmentation is
 * found by Viterbi over the vocabulary's log-probability scores, unknown characters cost `min_score - 10`.
 *
 * Reference: huggingface/tokenizers v0.19.1, tokenizers/src/models/unigram/{model.rs,trie.rs,serialization.rs}
 * https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/models/unigram/model.rs
 * (itself following sentencepiece unigram_model.cc `EncodeOptimized`).
 */
import { TokenizerConfigError } from '../config_error.js';
import { WordCache } from '../word_cache.js';

/** A token of one pre-token: id, string value (the surface text, not the vocab piece) and UTF-16 offsets. */
export interface UnigramToken {
  id: number;
  value: string;
  offsets: [number, number];
}

const K_UNK_PENALTY = 10.0;

/** UTF-16 unit of `s` at `i`, or -1 past its end (so shorter strings sort first, as in JS string order). */
function unitAt(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : -1;
}

/**
 * The Unigram model. `vocab` is the ordered list of [piece, score]; the id of a piece is its index (the last
 * index for a repeated piece, as Rust's HashMap insertion does).
 */
export class Unigram {
  readonly vocab: ReadonlyArray<readonly [string, number]>;
  readonly unkId: number | null;
  readonly byteFallback: boolean;
  /** Unigram always fuses consecutive unknown characters (Rust sets `fuse_unk: true`). */
  readonly fuseUnk = true;
  private readonly tokenToIds = new Map<string, number>();
  /**
   * The distinct pieces sorted by UTF-16 units: the pieces starting with a given prefix form a contiguous range,
   * narrowed one unit at a time by binary search (a compact stand-in for Rust's trie, same matches in the
   * same order: shortest first).
   */
  private readonly sorted: string[];
  private readonly minScore: number;
  /** Word cache, bounded by bytes (see word_cache.ts). */
  readonly cache = new WordCache<string[]>((ps) => ps.reduce((n, p) => n + 32 + 2 * p.length, 16));

  /**
   * @param vocab [piece, score] pairs, id = index
   * @param unkId id of the unknown piece, or null (then an unknown character is an error)
   * @param byteFallback spell pieces missing from the vocabulary as `<0xXX>` tokens when those exist
   */
  constructor(vocab: Array<[string, number]>, unkId: number | null, byteFallback = false) {
    this.vocab = vocab;
    this.byteFallback = byteFallback;
    if (unkId !== null) {
      if (vocab.length === 0) throw new Error('Unigram: unk_id is set but the vocabulary is empty');
      if (!(Number.isInteger(unkId) && unkId >= 0 && unkId < vocab.length)) {
        throw new Error(`Unigram: unk_id must index the vocabulary (size ${vocab.length}), got ${unkId}`);
      }
    }
    this.unkId = unkId;
    let minScore = Infinity;
    vocab.forEach(([piece, score], id) => {
      this.tokenToIds.set(piece, id);
      if (score < minScore) minScore = score;
    });
    this.minScore = minScore;
    this.sorted = Array.from(this.tokenToIds.keys()).filter((p) => p.length > 0).sort();
  }

  /** Builds a Unigram model from tokenizer.json's `model` object (also the old form without `type`). */
  static fromConfig(config: Record<string, unknown>, path = 'model'): Unigram {
    const vocab = config.vocab;
    if (!Array.isArray(vocab)) throw new Error(`Unigram: ${path}.vocab must be an array of [piece, score], got ${typeof vocab}`);
    const pairs = vocab.map((e, i): [string, number] => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') {
        throw new Error(`Unigram: ${path}.vocab[${i}] must be [string, number], got ${JSON.stringify(e)}`);
      }
      return [e[0], e[1]];
    });
    const unk = config.unk_id;
    if (unk !== undefined && unk !== null && typeof unk !== 'number') {
      throw new Error(`Unigram: ${path}.unk_id must be a number or null, got ${JSON.stringify(unk)}`);
    }
    const byteFallback = config.byte_fallback === true;
    if ((unk === undefined || unk === null) && !byteFallback) {
      // Every Unigram text with a character outside the vocabulary would fail at encode (HF's MissingUnkId): refuse the
      // file now, naming the key, rather than at the first such text.
      throw new TokenizerConfigError(`${path}.unk_id`, 'a token id (a Unigram model without byte_fallback cannot encode characters missing from its vocabulary without one)', unk ?? null);
    }
    return new Unigram(pairs, (unk as number | null | undefined) ?? null, byteFallback);
  }

  /** First index in [lo, hi) whose unit at `depth` is >= `unit` (or > `unit` when `after`). */
  private bound(lo: number, hi: number, depth: number, unit: number, after: boolean): number {
    const a = this.sorted;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const u = unitAt(a[mid]!, depth);
      if (u < unit || (after && u === unit)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Id of a piece, if in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.tokenToIds.get(token);
  }

  /** Piece of an id, if in the vocabulary. */
  idToToken(id: number): string | undefined {
    return this.vocab[id]?.[0];
  }

  /** The vocabulary (piece -> id). */
  getVocab(): Map<string, number> {
    return new Map(this.tokenToIds);
  }

  /** Number of pieces (ids) of the vocabulary. */
  getVocabSize(): number {
    return this.vocab.length;
  }

  /** Tokenizes one pre-token. Offsets are UTF-16 units of `sentence`. */
  tokenize(sentence: string): UnigramToken[] {
    const pieces = this.encode(sentence);
    const out: UnigramToken[] = [];
    let offset = 0;
    for (const piece of pieces) {
      const end = offset + piece.length;
      let id = this.tokenToIds.get(piece);
      if (id === undefined) {
        if (this.byteFallback) {
          const bytes = new TextEncoder().encode(piece);
          const byteTokens: UnigramToken[] = [];
          for (const b of bytes) {
            const name = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
            const bid = this.tokenToIds.get(name);
            if (bid === undefined) break;
            byteTokens.push({ id: bid, value: name, offsets: [offset, end] });
          }
          if (byteTokens.length === bytes.length) {
            for (const t of byteTokens) out.push(t);
            offset = end;
            continue;
          }
        }
        if (this.unkId === null) throw new Error(`Unigram: no unk_id to encode the unknown piece ${JSON.stringify(piece)}`);
        id = this.unkId;
      }
      out.push({ id, value: piece, offsets: [offset, end] });
      offset = end;
    }
    return out;
  }

  /** The best segmentation of `sentence` into surface pieces (unknown runs fused). */
  encode(sentence: string): string[] {
    if (sentence.length === 0) return [];
    const hit = this.cache.get(sentence);
    if (hit) return hit;
    const result = this.viterbi(sentence);
    this.cache.set(sentence, result);
    return result;
  }

  private viterbi(sentence: string): string[] {
    const size = sentence.length;
    const unkScore = this.minScore - K_UNK_PENALTY;
    const bestScore = new Float64Array(size + 1);
    const startsAt = new Int32Array(size + 1).fill(-1);
    const nodeId = new Int32Array(size + 1);
    let pos = 0;
    while (pos < size) {
      const here = bestScore[pos]!;
      const cp = sentence.codePointAt(pos)!;
      const charLen = cp > 0xffff ? 2 : 1;
      let hasSingleNode = false;
      let lo = 0;
      let hi = this.sorted.length;
      for (let k = pos; k < size && lo < hi; k++) {
        const depth = k - pos;
        const unit = sentence.charCodeAt(k);
        lo = this.bound(lo, hi, depth, unit, false);
        hi = this.bound(lo, hi, depth, unit, true);
        if (lo >= hi || this.sorted[lo]!.length !== depth + 1) continue;
        const keyPos = k + 1;
        const id = this.tokenToIds.get(this.sorted[lo]!)!;
        const candidate = this.vocab[id]![1] + here;
        if (startsAt[keyPos] === -1 || candidate > bestScore[keyPos]!) {
          bestScore[keyPos] = candidate;
          startsAt[keyPos] = pos;
          nodeId[keyPos] = id;
        }
        if (!hasSingleNode && keyPos - pos === charLen) hasSingleNode = true;
      }
      if (!hasSingleNode) {
        const keyPos = pos + charLen;
        const candidate = unkScore + here;
        if (startsAt[keyPos] === -1 || candidate > bestScore[keyPos]!) {
          if (this.unkId === null) {
            // HF fails here too (at encode: the file is valid for texts the vocabulary covers); a named error, naming the key
            throw new TokenizerConfigError('model.unk_id', 'set, since the text has a character missing from the vocabulary', null, {
              message: `tokenizer config: model.unk_id is not set, and the character ${JSON.stringify(String.fromCodePoint(cp))} is missing from the Unigram vocabulary`,
            });
          }
          bestScore[keyPos] = candidate;
          startsAt[keyPos] = pos;
          nodeId[keyPos] = this.unkId;
        }
      }
      pos += charLen;
    }
    const results: string[] = [];
    let unkRun: string[] = [];
    let end = size;
    while (end > 0) {
      const start = startsAt[end]!;
      const piece = sentence.slice(start, end);
      if (this.fuseUnk && this.unkId !== null && nodeId[end] === this.unkId) {
        unkRun.push(piece);
      } else {
        if (unkRun.length) {
          results.push(unkRun.reverse().join(''));
          unkRun = [];
        }
        results.push(piece);
      }
      end = start;
    }
    if (unkRun.length) results.push(unkRun.reverse().join(''));
    return results.reverse();
  }
}

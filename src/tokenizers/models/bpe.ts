/**
 * Byte-Pair Encoding model (GPT-2 / RoBERTa style and classic BPE), as in Hugging Face tokenizers.
 *
 * Reference: huggingface/tokenizers v0.19.1, tokenizers/src/models/bpe/{model.rs,word.rs,serialization.rs}
 * https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/models/bpe/model.rs
 *
 * Offsets: Rust computes token offsets in UTF-8 bytes of the word; a token that covers part of a character
 * (byte fallback) is mapped to the whole character, as the Rust NormalizedString alignments do. Offsets returned
 * here are UTF-16 code units of the word.
 */
import { utf8Length } from '../pre_tokenizers/byte_level_alphabet.js';

/** A token produced by a model for one pre-token: id, string value and [start, end) in UTF-16 units of the word. */
export interface BpeToken {
  id: number;
  value: string;
  offsets: [number, number];
}

/** Options of {@link BPE}, named as in tokenizer.json. */
export interface BpeOptions {
  /** Token used for characters missing from the vocabulary; null/undefined drops them. */
  unk_token?: string | null;
  /** Prefix added to every non-initial character of a word (e.g. "##"). */
  continuing_subword_prefix?: string | null;
  /** Suffix added to the last character of a word (e.g. "</w>"). */
  end_of_word_suffix?: string | null;
  /** Fuse consecutive unknown characters into one unk token. */
  fuse_unk?: boolean;
  /** Spell characters missing from the vocabulary as `<0xXX>` byte tokens when those exist. */
  byte_fallback?: boolean;
  /** Emit a whole word that is in the vocabulary directly, without applying merges. */
  ignore_merges?: boolean;
  /** BPE dropout: only null/0 (deterministic) is supported. */
  dropout?: number | null;
}

const CACHE_CAPACITY = 10_000;
const CACHE_MAX_BYTES = 256;

/** One symbol of a word being merged (struct-of-arrays kept by {@link BPE.mergeWord}). */
interface Word {
  ids: number[];
  /** Length in UTF-8 bytes of the word text each symbol covers. */
  lens: number[];
}

/**
 * The merges as an open-addressing hash table keyed by the pair of token ids (a, b) -> (rank, new id), in typed
 * arrays: a `Map` keyed by `a * base + b` holds heap numbers for large vocabularies (Gemma 3: 262,144 tokens,
 * 514,906 merges) and takes seconds to fill. Inserting an existing pair overwrites it (a later duplicate wins).
 */
class PairTable {
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly ranks: Int32Array;
  private readonly ids: Int32Array;
  private readonly mask: number;

  constructor(capacityHint: number) {
    let cap = 16;
    while (cap < capacityHint * 2) cap *= 2;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b)) & this.mask;
    while (this.keyA[h] !== -1 && (this.keyA[h] !== a || this.keyB[h] !== b)) h = (h + 1) & this.mask;
    return h;
  }

  set(a: number, b: number, rank: number, newId: number): void {
    const h = this.slot(a, b);
    this.keyA[h] = a;
    this.keyB[h] = b;
    this.ranks[h] = rank;
    this.ids[h] = newId;
  }

  /** The slot of (a, b), or -1 when the pair does not merge; read it with {@link rank} and {@link newId}. */
  find(a: number, b: number): number {
    const h = this.slot(a, b);
    return this.keyA[h] === -1 ? -1 : h;
  }

  rank(slot: number): number {
    return this.ranks[slot]!;
  }

  newId(slot: number): number {
    return this.ids[slot]!;
  }
}

/** A binary min-heap of merge candidates ordered by (rank, pos). */
class MergeQueue {
  private rank: number[] = [];
  private pos: number[] = [];
  private newId: number[] = [];

  get size(): number {
    return this.rank.length;
  }

  private less(i: number, j: number): boolean {
    return this.rank[i]! < this.rank[j]! || (this.rank[i] === this.rank[j] && this.pos[i]! < this.pos[j]!);
  }

  private swap(i: number, j: number): void {
    for (const a of [this.rank, this.pos, this.newId]) {
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  push(rank: number, pos: number, newId: number): void {
    this.rank.push(rank);
    this.pos.push(pos);
    this.newId.push(newId);
    let i = this.rank.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the smallest entry into `out` ([rank, pos, newId]); false when empty. */
  pop(out: [number, number, number]): boolean {
    const n = this.rank.length;
    if (n === 0) return false;
    out[0] = this.rank[0]!;
    out[1] = this.pos[0]!;
    out[2] = this.newId[0]!;
    this.swap(0, n - 1);
    this.rank.pop();
    this.pos.pop();
    this.newId.pop();
    const m = n - 1;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let s = i;
      if (l < m && this.less(l, s)) s = l;
      if (r < m && this.less(r, s)) s = r;
      if (s === i) break;
      this.swap(i, s);
      i = s;
    }
    return true;
  }
}

/**
 * The BPE model: splits a word into characters (with optional prefix/suffix), replaces unknown characters by
 * byte-fallback tokens or the unk token, then applies merges lowest rank first (leftmost first on ties).
 */
export class BPE {
  readonly vocab: Map<string, number>;
  readonly vocabR: Map<number, string>;
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  /** (a, b) -> (rank, new id) */
  private readonly merges: PairTable;
  private readonly cache = new Map<string, Word>();

  /**
   * @param vocab token -> id
   * @param merges ordered merge pairs (rank = index); a later duplicate pair overrides an earlier one, as in Rust
   * @param options see {@link BpeOptions}
   */
  constructor(vocab: Map<string, number>, merges: Array<[string, string]>, options: BpeOptions = {}) {
    if (options.dropout != null && options.dropout !== 0) {
      throw new Error(`BPE: dropout must be null or 0 (deterministic tokenization), got ${options.dropout}`);
    }
    this.vocab = vocab;
    this.vocabR = new Map();
    for (const [tok, id] of vocab) {
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new Error(`BPE: vocabulary id of ${JSON.stringify(tok)} must be a non-negative integer, got ${id}`);
      this.vocabR.set(id, tok);
    }
    this.unkToken = options.unk_token ?? null;
    this.continuingSubwordPrefix = options.continuing_subword_prefix ?? null;
    this.endOfWordSuffix = options.end_of_word_suffix ?? null;
    this.fuseUnk = options.fuse_unk ?? false;
    this.byteFallback = options.byte_fallback ?? false;
    this.ignoreMerges = options.ignore_merges ?? false;
    const prefixLen = this.continuingSubwordPrefix?.length ?? 0;
    this.merges = new PairTable(merges.length);
    merges.forEach(([a, b], rank) => {
      const aId = vocab.get(a);
      if (aId === undefined) throw new Error(`BPE: merge token ${JSON.stringify(a)} (merge ${rank}) is not in the vocabulary`);
      const bId = vocab.get(b);
      if (bId === undefined) throw new Error(`BPE: merge token ${JSON.stringify(b)} (merge ${rank}) is not in the vocabulary`);
      const merged = a + b.slice(prefixLen);
      const newId = vocab.get(merged);
      if (newId === undefined) {
        throw new Error(`BPE: merge result ${JSON.stringify(merged)} (merge ${rank}) is not in the vocabulary`);
      }
      this.merges.set(aId, bId, rank, newId);
    });
  }

  /**
   * Parses the merges of tokenizer.json (`["a b", ...]` legacy strings or `[["a", "b"], ...]` pairs) or of a
   * merges.txt file's lines.
   */
  static parseMerges(merges: unknown, where = 'model.merges'): Array<[string, string]> {
    if (!Array.isArray(merges)) throw new Error(`BPE: ${where} must be an array, got ${typeof merges}`);
    return merges.map((m, i): [string, string] => {
      if (typeof m === 'string') {
        const parts = m.split(' ');
        if (parts.length !== 2) throw new Error(`BPE: ${where}[${i}] must be "a b" (two tokens separated by one space), got ${JSON.stringify(m)}`);
        return [parts[0]!, parts[1]!];
      }
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
      throw new Error(`BPE: ${where}[${i}] must be a string "a b" or a pair [a, b], got ${JSON.stringify(m)}`);
    });
  }

  /**
   * Reads a merges.txt text as the Rust `BPE::read_file` does: lines starting with "#version" are skipped, every
   * other line must be two tokens separated by one space. A trailing empty line is ignored.
   */
  static parseMergesTxt(text: string): Array<[string, string]> {
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    const out: Array<[string, string]> = [];
    lines.forEach((line0, i) => {
      const line = line0.endsWith('\r') ? line0.slice(0, -1) : line0;
      if (line.startsWith('#version')) return;
      const parts = line.split(' ');
      if (parts.length !== 2) throw new Error(`BPE: merges.txt line ${i + 1} must be "a b", got ${JSON.stringify(line)}`);
      out.push([parts[0]!, parts[1]!]);
    });
    return out;
  }

  /** Builds a BPE model from the `model` object of a tokenizer.json. `path` names it in errors. */
  static fromConfig(config: Record<string, unknown>, path = 'model'): BPE {
    const vocabObj = config.vocab;
    if (vocabObj === null || typeof vocabObj !== 'object' || Array.isArray(vocabObj)) {
      throw new Error(`BPE: ${path}.vocab must be an object token -> id, got ${Array.isArray(vocabObj) ? 'array' : typeof vocabObj}`);
    }
    const vocab = new Map<string, number>();
    const entries = vocabObj as Record<string, unknown>;
    // Object.keys, not Object.entries: about 4x faster on a 262k-key object (no [k, v] array per entry).
    for (const k of Object.keys(entries)) {
      const v = entries[k];
      if (typeof v !== 'number') throw new Error(`BPE: ${path}.vocab[${JSON.stringify(k)}] must be a number, got ${typeof v}`);
      vocab.set(k, v);
    }
    const merges = BPE.parseMerges(config.merges ?? [], `${path}.merges`);
    return new BPE(vocab, merges, config as BpeOptions);
  }

  /** Id of a token string, if in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Token string of an id, if in the vocabulary. */
  idToToken(id: number): string | undefined {
    return this.vocabR.get(id);
  }

  /** The vocabulary (token -> id). */
  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  /** Number of entries of the vocabulary. */
  getVocabSize(): number {
    return this.vocab.size;
  }

  /** Tokenizes one pre-token (word). Offsets are UTF-16 units of `sequence`. */
  tokenize(sequence: string): BpeToken[] {
    if (sequence.length === 0) return [];
    if (this.ignoreMerges) {
      const id = this.vocab.get(sequence);
      if (id !== undefined) return [{ id, value: sequence, offsets: [0, sequence.length] }];
    }
    let word = this.cache.get(sequence);
    if (word === undefined) {
      word = this.mergeWord(sequence);
      if (utf8ByteLength(sequence) < CACHE_MAX_BYTES) {
        if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
        this.cache.set(sequence, word);
      }
    }
    return this.wordToTokens(sequence, word);
  }

  private wordToTokens(sequence: string, word: Word): BpeToken[] {
    // byte offset -> UTF-16 offset of the start / end of the character containing that byte
    const charStartUnits: number[] = [];
    const charEndUnits: number[] = [];
    for (let u = 0; u < sequence.length; ) {
      const cp = sequence.codePointAt(u)!;
      const units = cp > 0xffff ? 2 : 1;
      const n = utf8Length(cp);
      for (let k = 0; k < n; k++) {
        charStartUnits.push(u);
        charEndUnits.push(u + units);
      }
      u += units;
    }
    const total = charStartUnits.length;
    const toStart = (b: number): number => (b < total ? charStartUnits[b]! : sequence.length);
    const toEnd = (b: number): number => (b <= 0 ? 0 : b - 1 < total ? charEndUnits[b - 1]! : sequence.length);
    const out: BpeToken[] = [];
    let pos = 0;
    for (let i = 0; i < word.ids.length; i++) {
      const id = word.ids[i]!;
      const end = pos + word.lens[i]!;
      const start16 = toStart(pos);
      out.push({ id, value: this.vocabR.get(id)!, offsets: [start16, Math.max(start16, toEnd(end))] });
      pos = end;
    }
    return out;
  }

  private mergeWord(w: string): Word {
    const ids: number[] = [];
    const lens: number[] = [];
    let unkId = -1;
    let unkLen = 0;
    const chars = Array.from(w);
    const last = chars.length - 1;
    const flushUnk = (): void => {
      if (unkId >= 0) {
        ids.push(unkId);
        lens.push(unkLen);
        unkId = -1;
      }
    };
    chars.forEach((ch, i) => {
      const byteLen = utf8Length(ch.codePointAt(0)!);
      let s = ch;
      if (i > 0 && this.continuingSubwordPrefix !== null) s = this.continuingSubwordPrefix + s;
      if (i === last && this.endOfWordSuffix !== null) s = s + this.endOfWordSuffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        flushUnk();
        ids.push(id);
        lens.push(byteLen);
        return;
      }
      if (this.byteFallback) {
        // Rust spells the whole symbol (prefix/suffix included) and does not flush a pending unk first.
        const bytes = new TextEncoder().encode(s);
        const byteIds: number[] = [];
        for (const b of bytes) {
          const bid = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
          if (bid === undefined) break;
          byteIds.push(bid);
        }
        if (byteIds.length === bytes.length) {
          for (const bid of byteIds) {
            ids.push(bid);
            lens.push(1);
          }
          return;
        }
      }
      if (this.unkToken !== null) {
        const uid = this.vocab.get(this.unkToken);
        if (uid === undefined) throw new Error(`BPE: unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
        if (unkId >= 0 && this.fuseUnk) {
          unkLen += byteLen;
        } else {
          flushUnk();
          unkId = uid;
          unkLen = byteLen;
        }
      }
    });
    flushUnk();
    this.mergeAll(ids, lens);
    return { ids, lens };
  }

  /** Applies merges by increasing (rank, position), as Rust's `Word::merge_all` with no dropout. */
  private mergeAll(ids: number[], lens: number[]): void {
    const n = ids.length;
    if (n < 2) return;
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const queue = new MergeQueue();
    const merges = this.merges;
    const push = (a: number, b: number, pos: number): void => {
      const m = merges.find(a, b);
      if (m >= 0) queue.push(merges.rank(m), pos, merges.newId(m));
    };
    for (let i = 0; i + 1 < n; i++) push(ids[i]!, ids[i + 1]!, i);
    const top: [number, number, number] = [0, 0, 0];
    while (queue.pop(top)) {
      const pos = top[1];
      if (lens[pos] === 0) continue;
      const nextPos = next[pos]!;
      if (nextPos === -1) continue;
      const current = merges.find(ids[pos]!, ids[nextPos]!);
      if (current < 0 || merges.newId(current) !== top[2]) continue;
      ids[pos] = top[2];
      lens[pos] = lens[pos]! + lens[nextPos]!;
      lens[nextPos] = 0;
      const after = next[nextPos]!;
      next[pos] = after;
      if (after !== -1) prev[after] = pos;
      const p = prev[pos]!;
      if (p >= 0) push(ids[p]!, ids[pos]!, p);
      if (after !== -1) push(ids[pos]!, ids[after]!, pos);
    }
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (lens[i] !== 0) {
        ids[k] = ids[i]!;
        lens[k] = lens[i]!;
        k++;
      }
    }
    ids.length = k;
    lens.length = k;
  }
}

function utf8ByteLength(s: string): number {
  let n = 0;
  for (let u = 0; u < s.length; u++) {
    const c = s.charCodeAt(u);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && u + 1 < s.length) {
      n += 4;
      u++;
    } else n += 3;
  }
  return n;
}

/**
 * WordPiece: greedy longest-match-first split of a word into vocabulary pieces; pieces after the first carry
 * `continuing_subword_prefix`; a word longer than `max_input_chars_per_word` code points, or with no split,
 * becomes the unknown token.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/models/wordpiece/mod.rs
 */
import { asObject, getInt, getString, TokenizerConfigError, type JSONObject } from '../config.js';
import type { Model, Token } from '../types.js';
import { tokensBytes, WordCache } from '../word_cache.js';

export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

/** Number of code points in a string. */
function cpLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}


/**
 * Two tries over UTF-16 units: word-initial pieces (root 0) and continuation pieces with their prefix removed
 * (root 1). Children are first-child / next-sibling lists; the roots' children are in maps.
 */
class PieceTrie {
  static readonly ROOT_WORD = 0;
  static readonly ROOT_CONT = 1;
  private firstChild: Int32Array;
  private nextSibling: Int32Array;
  private unit: Uint16Array;
  ids: Int32Array;
  private size = 2;
  private readonly rootMaps = [new Map<number, number>(), new Map<number, number>()];

  constructor(vocab: Map<string, number>, prefix: string) {
    let cap = 2;
    for (const k of vocab.keys()) cap += k.length + 1;
    this.firstChild = new Int32Array(cap).fill(-1);
    this.nextSibling = new Int32Array(cap).fill(-1);
    this.unit = new Uint16Array(cap);
    this.ids = new Int32Array(cap).fill(-1);
    for (const [tok, id] of vocab) {
      this.insert(PieceTrie.ROOT_WORD, tok, 0, id);
      if (prefix.length > 0 && tok.startsWith(prefix) && tok.length > prefix.length) this.insert(PieceTrie.ROOT_CONT, tok, prefix.length, id);
    }
  }

  private insert(root: number, tok: string, from: number, id: number): void {
    let node = root;
    for (let i = from; i < tok.length; i++) {
      const u = tok.charCodeAt(i);
      let c = this.child(node, u);
      if (c < 0) {
        c = this.size++;
        this.unit[c] = u;
        if (node <= 1) this.rootMaps[node].set(u, c);
        else {
          this.nextSibling[c] = this.firstChild[node];
          this.firstChild[node] = c;
        }
      }
      node = c;
    }
    // Keep the first id seen for a string (a Map has unique keys, so this only matters for the prefix trie).
    if (this.ids[node] < 0) this.ids[node] = id;
  }

  /** The child of `node` for UTF-16 unit `u`, or -1. */
  child(node: number, u: number): number {
    if (node <= 1) return this.rootMaps[node].get(u) ?? -1;
    for (let c = this.firstChild[node]; c >= 0; c = this.nextSibling[c]) if (this.unit[c] === u) return c;
    return -1;
  }
}

export class WordPiece implements Model {
  readonly vocab: Map<string, number>;
  readonly vocabR: string[];
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  /** Word cache, bounded by bytes (see word_cache.ts). */
  readonly cache = new WordCache<Token[]>(tokensBytes);
  private trie: PieceTrie | undefined;

  constructor(vocab: Map<string, number>, opts: WordPieceOptions = {}) {
    this.vocab = vocab;
    this.unkToken = opts.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = opts.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    this.vocabR = [];
    for (const [tok, id] of vocab) this.vocabR[id] = tok;
  }

  static fromConfig(o: JSONObject, path: string): WordPiece {
    const v = asObject(o.vocab, `${path}.vocab`);
    const vocab = new Map<string, number>();
    for (const [k, id] of Object.entries(v)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TokenizerConfigError(`${path}.vocab[${JSON.stringify(k)}]`, 'a non-negative integer id', id);
      vocab.set(k, id);
    }
    return new WordPiece(vocab, {
      unkToken: getString(o, 'unk_token', path, '[UNK]'),
      continuingSubwordPrefix: getString(o, 'continuing_subword_prefix', path, '##'),
      maxInputCharsPerWord: getInt(o, 'max_input_chars_per_word', path, 100),
    });
  }

  /** Builds a WordPiece from the lines of a vocab.txt (one token per line, id = line number). */
  static fromVocabText(text: string, opts: WordPieceOptions = {}): WordPiece {
    const vocab = new Map<string, number>();
    // As transformers' load_vocab (Python universal newlines, then rstrip("\n")); a later duplicate wins.
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    lines.forEach((line, i) => vocab.set(line, i));
    return new WordPiece(vocab, opts);
  }

  private unk(len: number): Token[] {
    const id = this.vocab.get(this.unkToken);
    if (id === undefined) throw new Error(`WordPiece: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    return [{ id, value: this.unkToken, offsets: [0, len] }];
  }

  tokenize(sequence: string): Token[] {
    const cached = this.cache.get(sequence);
    if (cached !== undefined) return cached;
    const out = this.tokenizeUncached(sequence);
    this.cache.set(sequence, out);
    return out;
  }

  private tokenizeUncached(sequence: string): Token[] {
    const len = sequence.length;
    if (cpLength(sequence) > this.maxInputCharsPerWord) return this.unk(len);
    const trie = this.trie ?? (this.trie = new PieceTrie(this.vocab, this.continuingSubwordPrefix));
    const out: Token[] = [];
    let start = 0;
    while (start < len) {
      // The longest vocabulary piece that is a prefix of sequence[start:] (what HF finds by trying the
      // candidates from the longest down), read off a trie of the pieces.
      let node = start === 0 ? PieceTrie.ROOT_WORD : PieceTrie.ROOT_CONT;
      let bestEnd = -1;
      let bestId = -1;
      for (let i = start; i < len; i++) {
        node = trie.child(node, sequence.charCodeAt(i));
        if (node < 0) break;
        const id = trie.ids[node];
        if (id >= 0) {
          bestEnd = i + 1;
          bestId = id;
        }
      }
      if (bestId < 0) return this.unk(len);
      out.push({ id: bestId, value: start === 0 ? sequence.slice(0, bestEnd) : this.continuingSubwordPrefix + sequence.slice(start, bestEnd), offsets: [start, bestEnd] });
      start = bestEnd;
    }
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocabR[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  getVocabSize(): number {
    return this.vocab.size;
  }
}

/**
 * TemplateProcessing: places the sequences and special tokens as the `single` / `pair` templates say, each
 * piece with its type id.
 *
 * Reference: https://github.com/huggingface/tokenizers/blob/v0.19.1/tokenizers/src/processors/template.rs
 */
import { asObject, getArray, TokenizerConfigError, type JSONObject } from '../config.js';
import { Encoding } from '../encoding.js';
import type { Offsets, PostProcessor } from '../types.js';

export type Piece = { kind: 'sequence'; id: 'A' | 'B'; typeId: number } | { kind: 'special'; id: string; typeId: number };

export interface SpecialTokenEntry {
  id: string;
  ids: number[];
  tokens: string[];
}

function parsePiece(v: unknown, path: string): Piece {
  const o = asObject(v, path);
  if (o.Sequence !== undefined) {
    const s = asObject(o.Sequence, `${path}.Sequence`);
    if (s.id !== 'A' && s.id !== 'B') throw new TokenizerConfigError(`${path}.Sequence.id`, '"A" or "B"', s.id);
    return { kind: 'sequence', id: s.id, typeId: typeof s.type_id === 'number' ? s.type_id : 0 };
  }
  if (o.SpecialToken !== undefined) {
    const s = asObject(o.SpecialToken, `${path}.SpecialToken`);
    if (typeof s.id !== 'string') throw new TokenizerConfigError(`${path}.SpecialToken.id`, 'a string', s.id);
    return { kind: 'special', id: s.id, typeId: typeof s.type_id === 'number' ? s.type_id : 0 };
  }
  throw new TokenizerConfigError(path, 'a {"Sequence": ...} or {"SpecialToken": ...} piece', o);
}

/**
 * Parses a template string as HF does: "[CLS]:0 $A:0 [SEP]:0"; `$`, `$A`, `$B`, `$0`/`$1` (type id) forms.
 */
export function parseTemplateString(t: string): Piece[] {
  return t.split(/\s+/).filter((x) => x.length > 0).map((p): Piece => {
    if (p.startsWith('$')) {
      const rest = p.slice(1);
      const [name, type] = rest.includes(':') ? rest.split(':', 2) : [rest, undefined];
      if (name === '' || name === 'A' || name === 'B') {
        if (type !== undefined && !/^\d+$/.test(type)) throw new Error(`template piece ${JSON.stringify(p)}: bad type id`);
        return { kind: 'sequence', id: name === 'B' ? 'B' : 'A', typeId: type === undefined ? 0 : Number(type) };
      }
      if (/^\d+$/.test(name) && type === undefined) return { kind: 'sequence', id: 'A', typeId: Number(name) };
      throw new Error(`template piece ${JSON.stringify(p)}: expected $A, $B, $<type id> or $A:<type id>`);
    }
    const i = p.lastIndexOf(':');
    if (i > 0 && /^\d+$/.test(p.slice(i + 1))) return { kind: 'special', id: p.slice(0, i), typeId: Number(p.slice(i + 1)) };
    return { kind: 'special', id: p, typeId: 0 };
  });
}

export class TemplateProcessing implements PostProcessor {
  private readonly addedSingle: number;
  private readonly addedPair: number;
  private readonly singleRepeats: boolean;
  private readonly pairRepeats: boolean;

  constructor(readonly single: Piece[], readonly pair: Piece[], readonly specialTokens: Map<string, SpecialTokenEntry>) {
    const count = (t: Piece[]): number => t.reduce((n, p) => n + (p.kind === 'special' ? (specialTokens.get(p.id)?.ids.length ?? 0) : 0), 0);
    const missing = [...single, ...pair].filter((p) => p.kind === 'special' && !specialTokens.has(p.id)).map((p) => p.id);
    if (missing.length) throw new Error(`TemplateProcessing: missing special token(s) ${[...new Set(missing)].map((m) => JSON.stringify(m)).join(', ')}`);
    this.addedSingle = count(single);
    this.addedPair = count(pair);
    const repeats = (t: Piece[]): boolean => {
      const seqs = t.filter((p) => p.kind === 'sequence').map((p) => p.id);
      return new Set(seqs).size !== seqs.length;
    };
    this.singleRepeats = repeats(single);
    this.pairRepeats = repeats(pair);
  }

  static fromConfig(o: JSONObject, path: string): TemplateProcessing {
    const special = new Map<string, SpecialTokenEntry>();
    const st = o.special_tokens === undefined ? {} : asObject(o.special_tokens, `${path}.special_tokens`);
    for (const [k, v] of Object.entries(st)) {
      const e = asObject(v, `${path}.special_tokens[${JSON.stringify(k)}]`);
      const ids = e.ids, tokens = e.tokens;
      if (!Array.isArray(ids) || !Array.isArray(tokens) || ids.length !== tokens.length) {
        throw new TokenizerConfigError(`${path}.special_tokens[${JSON.stringify(k)}]`, 'an object with ids and tokens of the same length', e);
      }
      ids.forEach((id, i) => {
        if (!Number.isSafeInteger(id) || (id as number) < 0) throw new TokenizerConfigError(`${path}.special_tokens[${JSON.stringify(k)}].ids[${i}]`, 'a non-negative integer token id', id);
      });
      tokens.forEach((t, i) => {
        if (typeof t !== 'string') throw new TokenizerConfigError(`${path}.special_tokens[${JSON.stringify(k)}].tokens[${i}]`, 'a string', t);
      });
      special.set(k, { id: typeof e.id === 'string' ? e.id : k, ids: ids as number[], tokens: tokens as string[] });
    }
    const tpl = (key: string): Piece[] => {
      const v = o[key];
      if (typeof v === 'string') return parseTemplateString(v);
      return getArray(o, key, path).map((p, i) => parsePiece(p, `${path}.${key}[${i}]`));
    };
    return new TemplateProcessing(tpl('single'), tpl('pair'), special);
  }

  /**
   * The template applied and merged in one pass (what HF's pieces give once merged), when nothing overflows.
   */
  private applyFlat(template: Piece[], encodings: Encoding[], addSpecialTokens: boolean, repeated: boolean): Encoding {
    const out = new Encoding();
    const { ids, typeIds, tokens, wordIds, offsets, specialTokensMask, attentionMask } = out;
    for (const piece of template) {
      if (piece.kind === 'sequence') {
        const i = piece.id === 'A' ? 0 : 1;
        const e = encodings[i];
        if (e === undefined) throw new Error(`TemplateProcessing: the template uses $${piece.id} but only ${encodings.length} sequence(s) were given`);
        const start = ids.length;
        const n = e.ids.length;
        for (let k = 0; k < n; k++) {
          ids.push(e.ids[k]);
          typeIds.push(piece.typeId);
          tokens.push(e.tokens[k]);
          wordIds.push(e.wordIds[k]);
          // The input encodings are not used afterwards: their offset pairs move over, unless a sequence appears twice.
          const o = e.offsets[k];
          offsets.push(repeated ? [o[0], o[1]] : o);
          specialTokensMask.push(e.specialTokensMask[k]);
          attentionMask.push(e.attentionMask[k]);
        }
        out.sequenceRanges.set(i, [start, start + n]);
      } else if (addSpecialTokens) {
        const tok = this.specialTokens.get(piece.id)!;
        for (let k = 0; k < tok.ids.length; k++) {
          ids.push(tok.ids[k]);
          typeIds.push(piece.typeId);
          tokens.push(tok.tokens[k]);
          wordIds.push(null);
          offsets.push([0, 0]);
          specialTokensMask.push(1);
          attentionMask.push(1);
        }
      }
    }
    return out;
  }

  addedTokens(isPair: boolean): number {
    return isPair ? this.addedPair : this.addedSingle;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    const template = encodings.length === 2 ? this.pair : this.single;
    const repeated = encodings.length === 2 ? this.pairRepeats : this.singleRepeats;
    if (encodings.every((e) => e.overflowing.length === 0)) return [this.applyFlat(template, encodings, addSpecialTokens, repeated)];
    const out: Encoding[] = [];
    for (const piece of template) {
      if (piece.kind === 'sequence') {
        const i = piece.id === 'A' ? 0 : 1;
        const e = encodings[i];
        if (e === undefined) throw new Error(`TemplateProcessing: the template uses $${piece.id} but only ${encodings.length} sequence(s) were given`);
        e.setTypeIds(new Array<number>(e.length).fill(piece.typeId));
        e.setSequenceId(i);
        // HF clones; merging only reads the pieces, so a clone is needed only when a sequence appears twice.
        out.push(repeated ? e.clone() : e);
      } else if (addSpecialTokens) {
        const tok = this.specialTokens.get(piece.id)!;
        const n = tok.ids.length;
        out.push(new Encoding(
          tok.ids.slice(), new Array<number>(n).fill(piece.typeId), tok.tokens.slice(), new Array<number | null>(n).fill(null),
          Array.from({ length: n }, () => [0, 0] as Offsets), new Array<number>(n).fill(1), new Array<number>(n).fill(1),
        ));
      }
    }
    return out;
  }
}

/**
 * Fuzz target: the safetensors reader. Mutates real fixture checkpoints (header JSON, length prefix, bytes,
 * truncation, size inflation, dtypes) and checks every accepted file's invariants independently of the reader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsError, SafetensorsFile } from '../../src/formats/safetensors.js';
import { HUGE_NUMBERS, mutateJson, mutateText, Rng, short } from './mutate.js';
import type { Outcome, Target } from './types.js';
import { classifyError } from './classify.js';

/** Element sizes per dtype, written here from the safetensors spec (independent of the reader's table). */
const SPEC_SIZES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

const FILES = [
  'tiny-roberta/2_Dense/model.safetensors',
  'tiny-embeddinggemma/2_Dense/model.safetensors',
  'tiny-bert-sharded/model-00002-of-00002.safetensors',
  'tiny-bert/model.safetensors',
  'tiny-bert-f16/model.safetensors',
  'tiny-bert-bf16/model.safetensors',
  'tiny-modernbert/model.safetensors',
  'tiny-distilbert/model.safetensors',
];
/** Small files are picked more often (they are fast); the big ones still take a share. */
const WEIGHTS = [30, 20, 20, 8, 6, 6, 5, 5];

const EXTRA = [
  ...HUGE_NUMBERS,
  'F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2', 'F4', 'f32',
  [2 ** 53, 1], [1e9, 1e9], [0, 2 ** 53], [-1, 4], [0.5, 2], [], [[1]], { a: 1 }, { a: 'b' }, { a: 1.5 }, { a: null },
];

/** A safetensors file's header (parsed) and data section (a view). */
export function splitFile(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } | null {
  if (bytes.length < 8) return null;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return { header, data: bytes.subarray(8 + n) };
}

/** A safetensors file from a header and its data section (the header padded to 8 bytes unless `pad` is false). */
export function build(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad && json.length % 8) {
    const p = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const cache = new Map<string, Uint8Array>();

function baseFile(fixtures: string, rng: Rng): { name: string; bytes: Uint8Array } {
  let r = rng.int(WEIGHTS.reduce((a, b) => a + b, 0));
  let i = 0;
  while (r >= WEIGHTS[i]) r -= WEIGHTS[i++];
  const name = FILES[i];
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = new Uint8Array(readFileSync(join(fixtures, 'models', name)));
    cache.set(name, bytes);
  }
  return { name, bytes };
}

/** One mutated safetensors file for (seed, index). */
export function generateSafetensors(fixtures: string, rng: Rng): { bytes: Uint8Array; what: string } {
  const { name, bytes } = baseFile(fixtures, rng);
  const parts = splitFile(bytes)!;
  const op = rng.int(10);
  let out: Uint8Array;
  let what: string;
  if (op <= 3) {
    // JSON-structure mutation of the header, re-serialized with the original data.
    const m = mutateJson(rng, structuredClone(parts.header), EXTRA);
    out = build(m.doc, parts.data, rng.chance(0.9));
    what = `header: ${m.what}`;
  } else if (op === 4) {
    // A tensor's shape or offsets inflated consistently or not.
    const h = structuredClone(parts.header) as Record<string, { shape: number[]; data_offsets: number[]; dtype: string }>;
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    const t = rng.pick(names);
    const big = rng.pick([2 ** 53, 2 ** 53 - 1, 2 ** 32, 2 ** 31, 1e9, 2 ** 26, 1e15]);
    const kind = rng.int(4);
    if (kind === 0) h[t].shape = [big, ...h[t].shape.slice(1)];
    else if (kind === 1) h[t].data_offsets = [h[t].data_offsets[0], big];
    else if (kind === 2) {
      h[t].shape = [big, big];
      h[t].data_offsets = [0, big * big];
    } else {
      h[t].dtype = rng.pick(Object.keys(SPEC_SIZES));
    }
    out = build(h, parts.data);
    what = `inflate ${t} kind ${kind} (${big}): ${short(h[t])}`;
  } else if (op === 5) {
    // The u64 length prefix.
    out = bytes.slice();
    const v = rng.pick([0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(bytes.length), BigInt(bytes.length - 8), 100_000_001n, BigInt(rng.int(4096))]);
    new DataView(out.buffer).setBigUint64(0, v, true);
    what = `length prefix = ${v}`;
  } else if (op === 6) {
    // Byte flips inside the header.
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    out = bytes.slice();
    const at: number[] = [];
    for (let j = 0, k = 1 + rng.int(3); j < k; j++) {
      const p = 8 + rng.int(n);
      out[p] = rng.chance(0.5) ? out[p] ^ (1 << rng.int(8)) : rng.pick([0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30, 0x39, 0x2d, 0x2e, 0x65, 0x00, 0xff]);
      at.push(p);
    }
    what = `flip header bytes at ${at.join(',')}`;
  } else if (op === 7) {
    // Two tensors made to overlap, or a tensor moved out of the data.
    const h = structuredClone(parts.header) as Record<string, { data_offsets: number[] }>;
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    const a = rng.pick(names);
    const b = rng.pick(names);
    const shift = rng.pick([1, 2, 4, 8, -1, -4, parts.data.length]);
    h[a].data_offsets = [h[b].data_offsets[0] + shift, h[b].data_offsets[1] + shift];
    out = build(h, parts.data);
    what = `move ${a} to offsets of ${b} shifted by ${shift}`;
  } else if (op === 8) {
    // __metadata__ with values of other types.
    const h = structuredClone(parts.header);
    h.__metadata__ = rng.pick<unknown>([{ format: 1 }, { format: null }, { format: ['pt'] }, { format: { a: 'b' } }, 'pt', [], null, 5, { toString: 'x' }]);
    out = build(h, parts.data);
    what = `__metadata__ = ${short(h.__metadata__)}`;
  } else {
    const m = mutateText(rng, bytes);
    out = m.bytes;
    what = m.what;
  }
  return { bytes: out, what: `${name}: ${what}` };
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Parse, then check an accepted file against the spec; returns the outcome. */
export function runSafetensors(bytes: Uint8Array): Outcome {
  let f: SafetensorsFile;
  try {
    f = SafetensorsFile.parse(bytes, 'fuzz.safetensors');
  } catch (e) {
    return classify(e);
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const dataStart = 8 + n;
  const spans: [number, number, string][] = [];
  for (const name of f.names()) {
    const t = f.info(name);
    const size = SPEC_SIZES[t.dtype];
    if (size === undefined) return { kind: 'invariant', detail: `${name}: unknown dtype ${t.dtype} accepted` };
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return { kind: 'invariant', detail: `${name}: shape ${short(t.shape)}` };
    const numel = product(t.shape);
    if (!Number.isSafeInteger(numel)) return { kind: 'invariant', detail: `${name}: element count ${numel} not a safe integer` };
    if (t.begin < dataStart || t.end > bytes.length || t.begin > t.end) {
      return { kind: 'invariant', detail: `${name}: [${t.begin}, ${t.end}) outside the data [${dataStart}, ${bytes.length})` };
    }
    if (t.end - t.begin !== numel * size) return { kind: 'invariant', detail: `${name}: ${t.end - t.begin} bytes for ${numel} x ${t.dtype}` };
    if (t.end > t.begin) spans.push([t.begin, t.end, name]);
    try {
      const typed = f.typed(name);
      if (typed.length !== numel) return { kind: 'invariant', detail: `${name}: typed() has ${typed.length} elements, shape says ${numel}` };
    } catch (e) {
      const o = classify(e);
      if (o.kind !== 'rejected') return o;
    }
    try {
      const x = f.float32(name);
      if (x.length !== numel) return { kind: 'invariant', detail: `${name}: float32() has ${x.length} elements, shape says ${numel}` };
    } catch (e) {
      // A dtype that cannot become float32 must say so with a SafetensorsError naming the tensor.
      const o = classify(e);
      if (o.kind !== 'rejected') return o;
      if (!(e as Error).message.includes(name)) return { kind: 'invariant', detail: `float32 refusal does not name the tensor: ${(e as Error).message}` };
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) return { kind: 'invariant', detail: `${spans[i][2]} overlaps ${spans[i - 1][2]}` };
  }
  if (f.metadata) {
    for (const [k, v] of Object.entries(f.metadata)) if (typeof v !== 'string') return { kind: 'invariant', detail: `__metadata__.${k} is ${typeof v}` };
  }
  return { kind: 'accepted' };
}

const classify = (e: unknown): Outcome => classifyError(e, [SafetensorsError]);

export const safetensorsTarget: Target = {
  name: 'safetensors',
  timeoutMs: 5000,
  async prepare(fixtures, rng) {
    const { bytes, what } = generateSafetensors(fixtures, rng);
    return { what, run: async () => runSafetensors(bytes) };
  },
};

/**
 * Fuzz target: a quantized model folder, as `sentence-tfjs quantize` writes it (docs/q8.md "Saved format"). The
 * bases are real quantize outputs of minilm-l6-full, tiny-bert and tiny-mpnet, made once per child process in a
 * temporary folder (format 3); an input is one of them with its marker (`sentence_tfjs_quantization.json`), its
 * config.json or its int8 tensors mutated: dtypes, shapes (with the data resized to match, or not), int8 values
 * (-128, random), scales (NaN, +-Inf, 0, negative, denormal, past what a float32 weight can give), tensors dropped
 * or renamed, layers dropped or added, layers turned back to float32 (format 2, or a mix), the head count (which
 * sets the attention output projections' per-head activation groups, `actGroup`).
 *
 * Checked: a rejected load is a named library error (ModelConfigError, SafetensorsError) whose message names the
 * tensor or layer mutated, and leaks no tensor; an accepted one encodes two texts to finite embeddings of the
 * base's dimension (non-finite only where the mutation put a scale so large that a float32 weight of that size
 * overflows too) and leaks no tensor once disposed. The backend is wasm (the int8 kernels) for 3 inputs in 4, cpu
 * otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { Q8_FLOAT_LINEARS, Q8_MARKER_FILE } from '../../src/weights/q8.js';
import { classifyError } from './classify.js';
import { NAMED_LOAD_ERRORS } from './config_target.js';
import { HUGE_NUMBERS, mutateJson, mutateText, Rng, short } from './mutate.js';
import { build, splitFile } from './safetensors_target.js';
import type { Outcome, Target } from './types.js';

/** The fixture models quantized (minilm-l6-full is 12x tiny-bert's load time: picked less often). */
const MODELS: readonly { name: string; weight: number }[] = [
  { name: 'tiny-bert', weight: 5 },
  { name: 'tiny-mpnet', weight: 4 },
  { name: 'minilm-l6-full', weight: 1 },
];

const MARKER_EXTRA: readonly unknown[] = [...HUGE_NUMBERS, 1, 2, 3, 4, 99, '3', 'q8', 'fp32', 'int4', 'q4', null, [3], { format_version: 3 }];
const DTYPES = ['I8', 'U8', 'I16', 'I32', 'I64', 'F16', 'BF16', 'F32', 'F64', 'BOOL', 'F8_E4M3'];
const SIZES: Record<string, number> = { I8: 1, U8: 1, I16: 2, I32: 4, I64: 8, F16: 2, BF16: 2, F32: 4, F64: 8, BOOL: 1, F8_E4M3: 1 };
/** Scales a float32 weight row can give (max|row| / 127 for a finite row), and ones it cannot. */
const LEGAL_SCALES = [1e-45, 1e-38, 1e-6, 1, 1e3];
const HUGE_LEGAL_SCALES = [1e30, 2.6e36];
const ILLEGAL_SCALES = [NaN, Infinity, -Infinity, 0, -0, -1, -1e-6, 3e38, 3.4028234663852886e38];

interface Tensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}
type Tensors = Map<string, Tensor>;

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function readTensors(bytes: Uint8Array): Tensors {
  const { header, data } = splitFile(bytes)!;
  const out: Tensors = new Map();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const t = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    out.set(k, { dtype: t.dtype, shape: [...t.shape], bytes: data.slice(t.data_offsets[0], t.data_offsets[1]) });
  }
  return out;
}

/** A safetensors file of `ts`, offsets consistent (whatever the dtype and shape say). */
function writeTensors(ts: Tensors, header?: (h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): Uint8Array {
  const h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> = {};
  let off = 0;
  for (const [k, t] of ts) {
    h[k] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  header?.(h);
  const data = new Uint8Array(off);
  off = 0;
  for (const t of ts.values()) {
    data.set(t.bytes, off);
    off += t.bytes.length;
  }
  return build({ __metadata__: { format: 'pt' }, ...h }, data);
}

/** `bytes` cut or zero-padded (or repeated) to `n` bytes. */
function resize(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += Math.max(1, bytes.length)) out.set(bytes.subarray(0, Math.min(bytes.length, n - i)), i);
  return out;
}

/** float32 values of an F32 tensor (a copy). */
const f32 = (t: Tensor) => new Float32Array(t.bytes.slice().buffer);

let work: string | undefined;
let dims: Record<string, number> = {};

/** Quantize the fixture models once per child (on wasm, as `sentence-tfjs quantize` does by default). */
async function workArea(fixtures: string): Promise<string> {
  if (work) return work;
  const dir = mkdtempSync(join(tmpdir(), 'stfjs-fuzz-q8-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const m of MODELS) {
    const st = await SentenceTransformer.load(join(fixtures, 'models', m.name), { device: 'wasm', dtype: 'q8' });
    try {
      await st.save(join(dir, 'base', m.name));
      dims[m.name] = st.getSentenceEmbeddingDimension()!;
    } finally {
      st.dispose();
    }
  }
  work = dir;
  return dir;
}

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel)); // spread-ok: a model folder is two levels deep
    else out.push(rel);
  }
  return out;
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) linkTree(join(from, e.name), join(to, e.name));
    else linkSync(join(from, e.name), join(to, e.name));
  }
}

interface Mutation {
  what: string;
  /** Files replaced (null: deleted). */
  files: Record<string, Uint8Array | null>;
  /** A rejection must name one of these (empty: any named error will do). */
  mentions: string[];
  /** Non-finite embeddings are fine (a scale a float32 weight of the same size would overflow with too). */
  mayOverflow?: boolean;
}

/** One mutation of the base folder `base`. */
function mutate(rng: Rng, base: string): Mutation {
  const st = new Uint8Array(readFileSync(join(base, 'model.safetensors'))); // (a Uint8Array: a Buffer's slice() is a view)
  const ts = readTensors(st);
  const qbases = [...ts.keys()].filter((k) => k.endsWith('.weight_q8')).map((k) => k.slice(0, -'.weight_q8'.length));
  const qb = rng.pick(qbases);
  const vk = `${qb}.weight_q8`;
  const sk = `${qb}.weight_scale`;
  const op = rng.int(12);
  const st2 = (what: string, mentions: string[], extra: Partial<Mutation> = {}): Mutation => ({ what, files: { 'model.safetensors': writeTensors(ts) }, mentions, ...extra });
  if (op <= 1) {
    const doc = JSON.parse(readFileSync(join(base, Q8_MARKER_FILE), 'utf8')) as unknown;
    const m = rng.chance(0.4) ? { doc: { ...(doc as object), format_version: rng.pick(MARKER_EXTRA) }, what: 'format_version' } : mutateJson(rng, doc, MARKER_EXTRA);
    const d = m.doc as { format_version?: unknown };
    return { what: `marker: ${m.what} (format_version ${short(d?.format_version)})`, files: { [Q8_MARKER_FILE]: new TextEncoder().encode(JSON.stringify(m.doc)) }, mentions: [] };
  }
  if (op === 2) {
    if (rng.chance(0.4)) return { what: 'marker deleted', files: { [Q8_MARKER_FILE]: null }, mentions: [] };
    const m = mutateText(rng, readFileSync(join(base, Q8_MARKER_FILE)));
    return { what: `marker text: ${m.what}`, files: { [Q8_MARKER_FILE]: m.bytes }, mentions: [] };
  }
  if (op === 3) {
    // dtype of the values or the scales, the data resized to match
    const k = rng.chance(0.5) ? vk : sk;
    const t = ts.get(k)!;
    t.dtype = rng.pick(DTYPES);
    t.bytes = resize(t.bytes, numel(t.shape) * SIZES[t.dtype]);
    return st2(`retype ${k} as ${t.dtype}`, [k]);
  }
  if (op === 4 || op === 5) {
    // shape of the values or the scales: the data resized to match (op 4) or left as it was (op 5)
    const k = rng.chance(0.6) ? vk : sk;
    const t = ts.get(k)!;
    const [a, b] = t.shape;
    const shapes = t.shape.length === 2 ? [[b, a], [a * b], [a, b, 1], [a + 1, b], [a - 1, b], [a, b + 4], [], [0, b], [2 ** 31, b]] : [[a, 1], [1, a], [a + 1], [a - 1], [], [0], [2 ** 31]];
    t.shape = rng.pick(shapes);
    if (op === 4 && numel(t.shape) < 2 ** 28) t.bytes = resize(t.bytes, numel(t.shape) * SIZES[t.dtype]);
    return st2(`reshape ${k} to ${short(t.shape)}${op === 5 ? ' (data unchanged)' : ''}`, [k]);
  }
  if (op === 6) {
    const t = ts.get(vk)!;
    const v = new Int8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length);
    const kind = rng.int(4);
    if (kind === 0) v[rng.int(v.length)] = -128;
    else if (kind === 1) for (let i = 0; i < v.length; i++) v[i] = rng.int(255) - 127;
    else if (kind === 2) v.fill(rng.pick([127, -127, 0]));
    else v.fill(-128);
    return st2(`values of ${vk}: ${['one -128', 'random in [-127, 127]', 'constant', 'all -128'][kind]}`, [vk]);
  }
  if (op === 7) {
    const t = ts.get(sk)!;
    const s = f32(t);
    const kind = rng.int(3);
    const v = kind === 0 ? rng.pick(ILLEGAL_SCALES) : kind === 1 ? rng.pick(LEGAL_SCALES) : rng.pick(HUGE_LEGAL_SCALES);
    if (rng.chance(0.5)) s[rng.int(s.length)] = v;
    else s.fill(v);
    t.bytes = new Uint8Array(s.buffer);
    return st2(`scales of ${sk}: ${v}`, [sk], { mayOverflow: kind === 2 });
  }
  if (op === 8) {
    // tensors or whole layers dropped, renamed or added
    const kind = rng.int(5);
    if (kind === 0) {
      ts.delete(sk);
      return st2(`drop ${sk}`, [sk]);
    }
    if (kind === 1) {
      ts.delete(vk);
      return st2(`drop ${vk} (its scales kept)`, [qb]);
    }
    if (kind === 2) {
      ts.set(`${vk}x`, ts.get(vk)!);
      ts.delete(vk);
      return st2(`rename ${vk}`, [qb]);
    }
    const layers = [...new Set([...ts.keys()].map((k) => /^(.*?layers?\.)(\d+)\./.exec(k)).filter((m) => m).map((m) => `${m![1]}${m![2]}.`))];
    const layer = rng.pick(layers);
    if (kind === 3) {
      for (const k of [...ts.keys()]) if (k.startsWith(layer)) ts.delete(k);
      return st2(`drop layer ${layer}*`, [layer.slice(0, -1)]);
    }
    const next = layer.replace(/\d+\.$/, (d) => `${layers.length + Number(d.slice(0, -1))}.`);
    for (const [k, t] of [...ts]) if (k.startsWith(layer)) ts.set(next + k.slice(layer.length), t);
    return st2(`copy layer ${layer}* to ${next}* (not in the config)`, []);
  }
  if (op === 9) {
    // format 2 (attention output projections float32), a mix, or both forms of one layer
    const kind = rng.int(3);
    const targets = kind === 0 ? qbases.filter((b) => Q8_FLOAT_LINEARS.test(b)) : [qb];
    for (const b of targets) {
      const v = ts.get(`${b}.weight_q8`)!;
      const s = f32(ts.get(`${b}.weight_scale`)!);
      const [rows, cols] = v.shape;
      const w = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = ((v.bytes[r * cols + c] << 24) >> 24) * s[r];
      if (kind !== 2) {
        ts.delete(`${b}.weight_q8`);
        ts.delete(`${b}.weight_scale`);
      }
      ts.set(`${b}.weight`, { dtype: 'F32', shape: [rows, cols], bytes: new Uint8Array(w.buffer) });
    }
    return st2(['format 2: attention output projections float32', `${qb} float32 (a mixed folder)`, `${qb} float32 and int8 both`][kind], []);
  }
  if (op === 10) {
    // the head count (the attention output projections' activation groups), the widths, the layer count
    const cfg = JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')) as Record<string, number>;
    const key = rng.pick(['num_attention_heads', 'num_attention_heads', 'hidden_size', 'intermediate_size', 'num_hidden_layers']);
    const old = cfg[key];
    cfg[key] = rng.pick([1, 2, 3, 8, 16, 32, 0, -1, old + 1, old - 1, old * 2, old / 2]);
    return { what: `config.json ${key} ${old} -> ${cfg[key]}`, files: { 'config.json': new TextEncoder().encode(JSON.stringify(cfg)) }, mentions: [] };
  }
  // the header made inconsistent with the data: offsets of a q8 tensor moved
  const k = rng.chance(0.5) ? vk : sk;
  const shift = rng.pick([1, -1, 8, 2 ** 31]);
  return {
    what: `offsets of ${k} shifted by ${shift}`,
    files: { 'model.safetensors': writeTensors(ts, (h) => (h[k].data_offsets = h[k].data_offsets.map((o) => o + shift))) },
    mentions: [k],
  };
}

function pickModel(rng: Rng): string {
  let r = rng.int(MODELS.reduce((a, m) => a + m.weight, 0));
  for (const m of MODELS) {
    if (r < m.weight) return m.name;
    r -= m.weight;
  }
  return MODELS[0].name;
}

export const q8Target: Target = {
  name: 'q8',
  timeoutMs: 30_000,
  async prepare(fixtures, rng) {
    const area = await workArea(fixtures);
    const model = pickModel(rng);
    const device = rng.chance(0.75) ? 'wasm' : 'cpu';
    const base = join(area, 'base', model);
    const m = mutate(rng, base);
    const run = async (): Promise<Outcome> => {
      const caseDir = join(area, 'case', model);
      rmSync(join(area, 'case'), { recursive: true, force: true });
      linkTree(base, caseDir);
      for (const [f, bytes] of Object.entries(m.files)) {
        unlinkSync(join(caseDir, f));
        if (bytes) writeFileSync(join(caseDir, f), bytes);
      }
      return loadAndCheck(caseDir, device, dims[model], m);
    };
    return { what: `${model} on ${device}: ${m.what}`, run };
  },
};

async function loadAndCheck(dir: string, device: 'wasm' | 'cpu', dim: number, m: Mutation): Promise<Outcome> {
  const before = tf.memory().numTensors;
  let st: SentenceTransformer;
  try {
    st = await SentenceTransformer.load(dir, { device });
  } catch (e) {
    const leaked = tf.memory().numTensors - before;
    const msg = (e as Error).message ?? '';
    if (leaked) return { kind: 'invariant', detail: `rejected load leaked ${leaked} tensors (${(e as Error).name}: ${msg.slice(0, 200)})` };
    const o = classifyError(e, NAMED_LOAD_ERRORS);
    if (o.kind === 'rejected' && m.mentions.length && !m.mentions.some((s) => msg.includes(s))) {
      return { kind: 'invariant', detail: `rejection names none of ${m.mentions.join(', ')}: ${o.detail}: ${msg.slice(0, 200)}` };
    }
    return o;
  }
  let outcome: Outcome = { kind: 'accepted' };
  try {
    const emb = await st.encode(['hello world', 'a']);
    const rows = Array.from(emb as unknown as ArrayLike<ArrayLike<number>>, (r) => Array.from(r));
    const got = st.getSentenceEmbeddingDimension();
    if (rows.length !== 2 || got !== dim || rows.some((r) => r.length !== dim)) {
      outcome = { kind: 'invariant', detail: `embeddings ${rows.length} x ${rows[0]?.length}, declared ${got}, the base model's ${dim}` };
    } else if (!m.mayOverflow && rows.some((r) => r.some((x) => !Number.isFinite(x)))) {
      outcome = { kind: 'invariant', detail: `accepted, and the embeddings hold non-finite values: ${short(rows.map((r) => r.slice(0, 4)))}` };
    }
  } catch (e) {
    outcome = { kind: 'invariant', detail: `accepted at load, then encode threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}` };
  }
  st.dispose();
  const leaked = tf.memory().numTensors - before;
  if (outcome.kind === 'accepted' && leaked) outcome = { kind: 'invariant', detail: `${leaked} tensors left after dispose` };
  return outcome;
}

/**
 * Fuzz target: the model folder's JSON files (config.json, modules.json, module configs, sentence_bert_config.json,
 * config_sentence_transformers.json, the sharded index) and paths inside the folder (modules.json `path`, index
 * shard names, symlinks). Each input is a hard-linked copy of a fixture folder with one file mutated; the model is
 * loaded (SentenceTransformer or CrossEncoder), used once, and disposed. Checked: a rejected load leaks no tensor;
 * an accepted one has no path outside the folder, own-property prompts, and embeddings of the declared size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CrossEncoder } from '../../src/api/cross_encoder.js';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { initBackend } from '../../src/backends/index.js';
import { ModelConfigError } from '../../src/formats/errors.js';
import { SafetensorsError } from '../../src/formats/safetensors.js';
import { TokenizerConfigError } from '../../src/tokenizers/config.js';
import { classifyError } from './classify.js';
import { HUGE_NUMBERS, mutateJson, mutateText, Rng, short } from './mutate.js';
import type { Outcome, Target } from './types.js';

/** The named errors a model load may raise. */
export const NAMED_LOAD_ERRORS = [ModelConfigError, SafetensorsError, TokenizerConfigError];

interface ModelSpec {
  name: string;
  kind: 'st' | 'ce';
  weight: number;
}

/**
 * The model folders mutated. tiny-embeddinggemma and tiny-qwen3 are left out: their tokenizer.json files (33 MB and
 * 11 MB) make every load take seconds, so a run would measure tokenizer parsing; their module and config files are
 * covered by test/untrusted_model_files.test.ts and the same readers run here on the other models.
 */
const MODELS: readonly ModelSpec[] = [
  { name: 'tiny-bert', kind: 'st', weight: 4 },
  { name: 'tiny-bert-sharded', kind: 'st', weight: 2 },
  { name: 'tiny-roberta', kind: 'st', weight: 3 },
  { name: 'tiny-modernbert', kind: 'st', weight: 2 },
  { name: 'tiny-distilbert', kind: 'st', weight: 1 },
  { name: 'tiny-mpnet', kind: 'st', weight: 1 },
  { name: 'tiny-bert-cross-encoder', kind: 'ce', weight: 2 },
];

/** Files never mutated here (the tokenizer target owns them; weights belong to the safetensors target). */
const SKIP = /(^|\/)(tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|vocab\.(txt|json)|merges\.txt|README\.md)$|\.safetensors$|^onnx\//;

const EXTRA: readonly unknown[] = [
  ...HUGE_NUMBERS,
  '../', '../1_Pooling', './../x', '~/../x', '/etc', '/tmp', '..', '1_Pooling/../..', '../../base/tiny-roberta/2_Dense',
  'toString', 'constructor', '__proto__', null, { query: null }, { query: 5 }, { toString: 'x' },
  'sentence_transformers.models.Dense', 'sentence_transformers.models.Pooling', 'sentence_transformers.models.Transformer',
  'torch.nn.modules.activation.ReLU', 'gelu', 'relu', 'swish', 'nonsense_act', 'cls', 'mean', 'max', 'lasttoken',
];

let work: string | undefined;

function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel)); // spread-ok: fixture folders are a few levels deep
    else out.push(rel);
  }
  return out;
}

/** Copy the fixture folders once (hard links from the case folders need files we own). */
function workArea(fixtures: string): string {
  if (work) return work;
  work = mkdtempSync(join(tmpdir(), 'stfjs-fuzz-'));
  for (const m of MODELS) {
    const src = join(fixtures, 'models', m.name);
    for (const f of listFiles(src)) {
      if (f.startsWith('onnx/')) continue;
      mkdirSync(join(work, 'base', m.name, f, '..'), { recursive: true });
      copyFileSync(join(src, f), join(work, 'base', m.name, f));
    }
  }
  process.on('exit', () => rmSync(work!, { recursive: true, force: true }));
  return work;
}

function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) linkTree(join(from, e.name), join(to, e.name));
    else linkSync(join(from, e.name), join(to, e.name));
  }
}

function pickModel(rng: Rng): ModelSpec {
  let r = rng.int(MODELS.reduce((a, m) => a + m.weight, 0));
  for (const m of MODELS) {
    if (r < m.weight) return m;
    r -= m.weight;
  }
  return MODELS[0];
}

/** Whether `p` (a modules.json path or index shard name) leaves `dir` once resolved. */
function escapes(dir: string, p: string): boolean {
  const rel = relative(dir, resolve(dir, p));
  return rel.startsWith('..') || resolve(dir, p) !== join(dir, rel);
}

export const configTarget: Target = {
  name: 'config',
  timeoutMs: 20_000,
  async prepare(fixtures, rng) {
    const area = workArea(fixtures);
    const spec = pickModel(rng);
    const base = join(area, 'base', spec.name);
    const files = listFiles(base).filter((f) => !SKIP.test(f));
    let file = rng.pick(files);
    const op = rng.int(11);
    let what: string;
    let bytes: Uint8Array | undefined;
    let symlink: { at: string; to: string } | undefined;
    const text = readFileSync(join(base, file));
    const weightFiles = listFiles(base).filter((f) => f.endsWith('.safetensors'));
    if (op === 8 && weightFiles.length) {
      // A valid safetensors file that does not match the config: a tensor dropped, flattened, renamed or retyped.
      const wf = rng.pick(weightFiles);
      const m = checkpointMismatch(rng, readFileSync(join(base, wf)));
      file = wf;
      bytes = m.bytes;
      what = `weights ${m.what}`;
    } else if (op === 9 && spec.kind === 'st') {
      // A module folder (or a file) replaced by a symlink to the same thing in another model: outside the folder.
      const folders = readdirSync(base).filter((f) => statSync(join(base, f)).isDirectory() || f.endsWith('.json'));
      const at = rng.pick(folders);
      const other = rng.pick(MODELS.filter((m) => m.name !== spec.name));
      symlink = { at, to: join(area, 'base', other.name, at) };
      what = `symlink ${at} -> ../${other.name}/${at}`;
    } else if (op <= 5 || op === 10) {
      let doc: unknown;
      try {
        doc = JSON.parse(new TextDecoder().decode(text));
      } catch {
        doc = {};
      }
      const m = mutateJson(rng, doc, EXTRA);
      bytes = new TextEncoder().encode(JSON.stringify(m.doc, null, 2));
      what = m.what;
    } else {
      const m = mutateText(rng, text);
      bytes = m.bytes;
      what = m.what;
    }
    what = `${spec.name}/${file}: ${what}`;
    const run = async (): Promise<Outcome> => {
      const caseDir = join(area, 'case', spec.name);
      rmSync(join(area, 'case'), { recursive: true, force: true });
      linkTree(base, caseDir);
      if (bytes) {
        unlinkSync(join(caseDir, file));
        writeFileSync(join(caseDir, file), bytes);
      }
      if (symlink) {
        rmSync(join(caseDir, symlink.at), { recursive: true, force: true });
        symlinkSync(symlink.to, join(caseDir, symlink.at));
      }
      return loadAndCheck(spec, caseDir, !!symlink);
    };
    return { what, run };
  },
};

let backendReady = false;

async function loadAndCheck(spec: ModelSpec, dir: string, symlinked: boolean): Promise<Outcome> {
  if (!backendReady) {
    await initBackend('cpu');
    backendReady = true;
  }
  const before = tf.memory().numTensors;
  let model: SentenceTransformer | CrossEncoder;
  try {
    model = spec.kind === 'st' ? await SentenceTransformer.load(dir, { device: 'cpu' }) : await CrossEncoder.load(dir, { device: 'cpu' });
  } catch (e) {
    const after = tf.memory().numTensors;
    if (after !== before) return { kind: 'invariant', detail: `rejected load leaked ${after - before} tensors (${(e as Error).name}: ${(e as Error).message.slice(0, 200)})` };
    return classifyError(e, NAMED_LOAD_ERRORS);
  }
  try {
    if (symlinked) return { kind: 'invariant', detail: 'a symlink out of the model folder was followed' };
    if (spec.kind === 'st') {
      const st = model as SentenceTransformer;
      for (const m of readModulePaths(dir)) {
        if (escapes(dir, m)) return { kind: 'invariant', detail: `modules.json path ${short(m)} escapes the folder and was loaded` };
      }
      const name = st.defaultPromptName;
      if (name !== null && (!Object.prototype.hasOwnProperty.call(st.prompts, name) || typeof st.prompts[name] !== 'string')) {
        return { kind: 'invariant', detail: `default_prompt_name ${short(name)} accepted without an own string prompt` };
      }
      for (const [k, v] of Object.entries(st.prompts)) if (typeof v !== 'string') return { kind: 'invariant', detail: `prompt ${short(k)} is ${short(v)}` };
      let emb: number[][];
      if (!st.modules.some((m) => m.typeName.endsWith('Pooling'))) {
        // A pipeline without a Pooling module gives token embeddings only (Python's encode fails on it too).
        try {
          await st.encode(['hello world', 'a'], { outputValue: 'token_embeddings' });
          return { kind: 'accepted' };
        } catch (e) {
          return { kind: 'invariant', detail: `accepted at load, then token encode threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}` };
        }
      }
      try {
        emb = (await st.encode(["hello world", "a"])) as unknown as number[][];
      } catch (e) {
        return { kind: 'invariant', detail: `accepted at load, then encode threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}` };
      }
      const dim = st.getSentenceEmbeddingDimension();
      const arr = Array.from(emb as ArrayLike<ArrayLike<number>>, (r) => Array.from(r));
      if (arr.length !== 2 || (dim !== null && arr.some((r) => r.length !== dim))) {
        return { kind: 'invariant', detail: `embeddings ${arr.length} x ${arr[0]?.length}, declared dimension ${dim}` };
      }
    } else {
      try {
        await (model as CrossEncoder).predict([['hello', 'world']]);
      } catch (e) {
        return { kind: 'invariant', detail: `accepted at load, then predict threw ${(e as Error).name}: ${(e as Error).message.slice(0, 200)}` };
      }
    }
    return { kind: 'accepted' };
  } finally {
    model.dispose();
    const after = tf.memory().numTensors;
    if (after !== before) console.error(`leak after dispose: ${after - before}`);
  }
}

function readModulePaths(dir: string): string[] {
  try {
    const j = JSON.parse(readFileSync(join(dir, 'modules.json'), 'utf8')) as { path?: unknown }[];
    return Array.isArray(j) ? j.map((e) => (e && typeof e.path === 'string' ? e.path : '')) : [];
  } catch {
    return [];
  }
}

/** Rewrite a safetensors file's header so that it stays valid but no longer matches the model's config. */
function checkpointMismatch(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[] }>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const t = rng.pick(names);
  const kind = rng.int(4);
  let what: string;
  if (kind === 0) {
    delete header[t];
    what = `drop ${t}`;
  } else if (kind === 1) {
    header[t].shape = [header[t].shape.reduce((a, b) => a * b, 1)];
    what = `flatten ${t}`;
  } else if (kind === 2) {
    header[`${t}x`] = header[t];
    delete header[t];
    what = `rename ${t}`;
  } else {
    header[t].dtype = header[t].dtype === 'F32' ? 'I32' : header[t].dtype === 'I64' ? 'F64' : 'I16';
    what = `retype ${t} as ${header[t].dtype}`;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return { bytes: out, what };
}

/**
 * Fixture parity of whole models on the active tfjs backend, platform-neutral: model folders and reference files
 * are read through platform/fs, so `modelsBase` / `refBase` are folders in Node or URLs in a browser.
 *
 * Bi-encoders (tiny-bert, tiny-roberta, tiny-modernbert, tiny-qwen3, tiny-embeddinggemma): `SentenceTransformer.encode` of the 25 reference texts (tokenizer
 * included) vs `encode.embeddings` of sentence-transformers 6.0.1 (`reference/st6/<name>.*` for the models whose main
 * reference is 3.4.1's, which stripped the texts; the new twins' own reference is 6.0.1's), and the encoder's last
 * hidden state on the reference ids vs `batch.last_hidden_state` (real tokens only). Cross-encoders: classifier logits
 * on the reference pair batch vs `batch.logits`, and `predict` vs 6.0.1's `predict.scores`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CrossEncoder } from '../../src/api/cross_encoder.js';
import { SentenceTransformer } from '../../src/api/sentence_transformer.js';
import { loadSequenceClassifierFromDir, loadTransformerFromDir } from '../../src/modules/transformer.js';
import { joinPath, pathExists, readFileBytes, readJSONFile } from '../../src/platform/fs.js';
import { SafetensorsFile } from '../../src/formats/safetensors.js';

/** Max |ours - PyTorch| per check, with the number of values compared. */
export type ModelParityReport = Record<string, { maxAbsDiff: number; n: number }>;

/** Models covered and their kind. */
export const PARITY_MODELS = {
  'tiny-bert': 'bi-encoder',
  'tiny-roberta': 'bi-encoder',
  'tiny-bert-cross-encoder': 'cross-encoder',
  'tiny-roberta-nli-cross-encoder': 'cross-encoder',
  'tiny-modernbert': 'bi-encoder',
  'tiny-modernbert-cross-encoder': 'cross-encoder',
  'tiny-qwen3': 'bi-encoder',
  'tiny-embeddinggemma': 'bi-encoder',
} as const;
export type ParityModel = keyof typeof PARITY_MODELS;


function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>, mask?: (i: number) => boolean): { maxAbsDiff: number; n: number } {
  if (got.length !== want.length) throw new Error(`length mismatch: got ${got.length}, expected ${want.length}`);
  let m = 0;
  let n = 0;
  for (let i = 0; i < want.length; i++) {
    if (mask && !mask(i)) continue;
    const d = Math.abs(got[i] - want[i]);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
    n++;
  }
  return { maxAbsDiff: m, n };
}

function int32(ref: SafetensorsFile, name: string): { data: Int32Array; shape: [number, number] } {
  const info = ref.info(name);
  const typed = ref.typed(name) as ArrayLike<bigint | number>;
  return { data: Int32Array.from(typed, (v) => Number(v)), shape: info.shape as [number, number] };
}

async function reference(refBase: string, name: string) {
  const dir = await joinPath(refBase, name);
  const json = await readJSONFile<{ texts?: string[] }>(await joinPath(dir, 'reference.json'));
  const st = SafetensorsFile.parse(await readFileBytes(await joinPath(dir, 'reference.safetensors')), `${name}/reference.safetensors`);
  return { json, st };
}

/** The sentence-transformers 6.0.1 outputs of a model: `st6/<name>.*` when there is one, else its own reference. */
async function st6Reference(refBase: string, name: string) {
  const json = await joinPath(refBase, 'st6', `${name}.json`);
  if (!(await pathExists(json))) return reference(refBase, name);
  return {
    json: await readJSONFile<{ texts?: string[] }>(json),
    st: SafetensorsFile.parse(await readFileBytes(await joinPath(refBase, 'st6', `${name}.safetensors`)), `st6/${name}.safetensors`),
  };
}

function batchInputs(ref: SafetensorsFile) {
  const ids = int32(ref, 'batch.input_ids');
  const mask = int32(ref, 'batch.attention_mask');
  const types = ref.has('batch.token_type_ids') ? int32(ref, 'batch.token_type_ids') : undefined;
  return {
    mask,
    tensors: {
      inputIds: tf.tensor2d(ids.data, ids.shape, 'int32'),
      attentionMask: tf.tensor2d(mask.data, mask.shape, 'int32'),
      tokenTypeIds: types ? tf.tensor2d(types.data, types.shape, 'int32') : undefined,
    },
  };
}

async function biEncoder(modelDir: string, refBase: string, name: string): Promise<ModelParityReport> {
  const { st: ref } = await reference(refBase, name);
  const st6 = await st6Reference(refBase, name);
  const report: ModelParityReport = {};
  const model = await SentenceTransformer.load(modelDir);
  try {
    const emb = (await model.encode(st6.json.texts!, { batchSize: 32 })) as Float32Array[];
    const flat = new Float32Array(emb.reduce((s, r) => s + r.length, 0));
    emb.forEach((r, i) => flat.set(r, i * r.length));
    report.encode = maxDiff(flat, st6.st.float32('encode.embeddings'));
  } finally {
    model.dispose();
  }
  const encoder = await loadTransformerFromDir(modelDir);
  const { mask, tensors } = batchInputs(ref);
  try {
    const out = encoder.forward(tensors);
    const h = ref.info('batch.last_hidden_state').shape[2];
    const got = await out.lastHiddenState.data();
    out.lastHiddenState.dispose();
    report.last_hidden_state = maxDiff(got as Float32Array, ref.float32('batch.last_hidden_state'), (i) => mask.data[Math.floor(i / h)] === 1);
  } finally {
    tf.dispose(Object.values(tensors).filter((t): t is tf.Tensor2D => t !== undefined));
    encoder.dispose();
  }
  return report;
}

async function crossEncoder(modelDir: string, refBase: string, name: string): Promise<ModelParityReport> {
  const { st: ref } = await reference(refBase, name);
  const report: ModelParityReport = {};
  const model = await loadSequenceClassifierFromDir(modelDir);
  const { tensors } = batchInputs(ref);
  try {
    const logits = model.forward(tensors);
    const got = await logits.data();
    logits.dispose();
    report.logits = maxDiff(got as Float32Array, ref.float32('batch.logits'));
  } finally {
    tf.dispose(Object.values(tensors).filter((t): t is tf.Tensor2D => t !== undefined));
    model.dispose();
  }
  // End to end: CrossEncoder.predict (pair tokenization + default activation) vs 6.0.1's predict.scores.
  const st6 = await st6Reference(refBase, name);
  const ce = await CrossEncoder.load(modelDir);
  try {
    const scores = (await ce.predict((st6.json as { pairs: [string, string][] }).pairs)) as number[] | number[][];
    const flat = scores.flat();
    report.predict = maxDiff(flat, st6.st.float32('predict.scores'));
  } finally {
    ce.dispose();
  }
  return report;
}

/**
 * Run the parity checks of `names` on the active backend.
 * @param modelsBase folder or URL holding `models/<name>` folders' parent (fixtures/models)
 * @param refBase folder or URL of fixtures/reference
 */
export async function runModelParity(modelsBase: string, refBase: string, names: readonly ParityModel[] = Object.keys(PARITY_MODELS) as ParityModel[]): Promise<Record<string, ModelParityReport>> {
  const out: Record<string, ModelParityReport> = {};
  for (const name of names) {
    const dir = await joinPath(modelsBase, name);
    out[name] = PARITY_MODELS[name] === 'bi-encoder' ? await biEncoder(dir, refBase, name) : await crossEncoder(dir, refBase, name);
  }
  return out;
}

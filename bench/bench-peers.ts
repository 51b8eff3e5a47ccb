/**
 * The peers of `npm run bench`: @huggingface/transformers (feature-extraction pipeline, mean pooling + normalize,
 * fp32 or q8 ONNX, local files only) and onnxruntime-node used directly (Rust tokenizer, then mean pooling + L2
 * normalization in JS), on the same ONNX export of the same weights (`<model>/onnx/model.onnx`).
 */
import { basename, dirname, join, sep } from 'node:path';

import type { BatchEncoder } from './bench-common.js';

export type { BatchEncoder };

/**
 * transformers.js: the model dir is loaded as model id `<basename>` under `env.localModelPath = <parent>/`;
 * dtype 'fp32' reads `onnx/model.onnx`, 'q8' reads `onnx/model_quantized.onnx` (transformers.js' own names).
 */
export async function loadTransformersJs(modelDir: string, dtype: 'fp32' | 'q8' = 'fp32'): Promise<BatchEncoder> {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(modelDir) + sep;
  const extractor = await pipeline('feature-extraction', basename(modelDir), { dtype, device: 'cpu' });
  return async (texts) => {
    const out = await extractor(texts, { pooling: 'mean', normalize: true });
    const [n, d] = out.dims as [number, number];
    const data = out.data as Float32Array;
    const rows: Float32Array[] = [];
    for (let i = 0; i < n; i++) rows.push(data.slice(i * d, (i + 1) * d));
    return rows;
  };
}

/** Mean pooling over the attention mask, then L2 normalization (sentence-transformers' Pooling + Normalize). */
export function meanPoolNormalize(hidden: Float32Array, mask: ArrayLike<number>, batch: number, seqLen: number, dim: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const acc = new Float32Array(dim);
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      if (!mask[b * seqLen + t]) continue;
      count++;
      const off = (b * seqLen + t) * dim;
      for (let k = 0; k < dim; k++) acc[k]! += hidden[off + k]!;
    }
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      acc[k] = acc[k]! / Math.max(count, 1e-9);
      norm += acc[k]! * acc[k]!;
    }
    const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < dim; k++) acc[k]! *= inv;
    rows.push(acc);
  }
  return rows;
}

/**
 * onnxruntime-node directly, with `intraOpNumThreads` threads (sequential execution, all graph optimizations), the
 * Rust tokenizer (@anush008/tokenizers) truncating at `maxSeqLength` and padding to the batch's longest text.
 */
export async function loadOrt(modelDir: string, maxSeqLength: number, threads: number): Promise<BatchEncoder> {
  const ort = await import('onnxruntime-node');
  const { Tokenizer } = await import('@anush008/tokenizers');
  const tk = Tokenizer.fromFile(join(modelDir, 'tokenizer.json'));
  tk.setTruncation(maxSeqLength);
  tk.disablePadding();
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return async (texts) => {
    const encs = await tk.encodeBatch(texts.map((t) => t.trim()), { addSpecialTokens: true });
    const B = encs.length;
    const L = Math.max(...encs.map((e) => e.getLength()));
    const ids = new BigInt64Array(B * L);
    const mask = new BigInt64Array(B * L);
    const types = new BigInt64Array(B * L);
    const maskNum = new Uint8Array(B * L);
    encs.forEach((e, b) => {
      const ii = e.getIds();
      const tt = e.getTypeIds();
      for (let t = 0; t < ii.length; t++) {
        ids[b * L + t] = BigInt(ii[t]!);
        types[b * L + t] = BigInt(tt[t]!);
        mask[b * L + t] = 1n;
        maskNum[b * L + t] = 1;
      }
    });
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [B, L]),
      attention_mask: new ort.Tensor('int64', mask, [B, L]),
      token_type_ids: new ort.Tensor('int64', types, [B, L]),
    };
    const out = await session.run(feeds);
    const h = out['last_hidden_state']!;
    const dim = h.dims[2]!;
    return meanPoolNormalize(h.data as Float32Array, maskNum, B, L, dim);
  };
}

/** Token counts (special tokens included) after truncation at `maxSeqLength`, from the Rust tokenizer. */
export async function rustTokenCounts(modelDir: string, maxSeqLength: number, texts: string[]): Promise<number[]> {
  const { Tokenizer } = await import('@anush008/tokenizers');
  const tk = Tokenizer.fromFile(join(modelDir, 'tokenizer.json'));
  tk.setTruncation(maxSeqLength);
  tk.disablePadding();
  const encs = await tk.encodeBatch(texts.map((t) => t.trim()), { addSpecialTokens: true });
  return encs.map((e) => e.getLength());
}

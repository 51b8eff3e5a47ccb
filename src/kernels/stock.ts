/**
 * The stock-op composites behind each fused op ({@link ./ops.ts}): what every backend without a registered kernel
 * runs (and wasm where a kernel does not apply), computed as PyTorch / Hugging Face do. Their gradients are
 * tfjs' own (stock ops only).
 * LayerNorm: https://pytorch.org/docs/1.13/generated/torch.nn.LayerNorm.html
 * GELU:      https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/activations.py
 * attention: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 *            https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 * rotary / GQA / windows (Llama `rotate_half`, `repeat_kv`; Gemma3 and ModernBERT sliding windows):
 *            https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/llama/modeling_llama.py
 *            https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/modernbert/modeling_modernbert.py
 */
import * as tf from '@tensorflow/tfjs-core';

/** `torch.finfo(torch.float32).min`. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** `x @ weight + bias` for x [M, K], weight [K, N], bias [N]. */
export function denseStock(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: weight, bias }) as tf.Tensor2D;
}

/** torch `F.gelu` (exact): `x * 0.5 * (1 + erf(x / sqrt(2)))`. */
export function geluStock<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** torch LayerNorm over the last axis of `x (+ residual)`: mean, biased variance, `(x - mean) / sqrt(var + eps) * w + b`. */
export function addLayerNormStock<T extends tf.Tensor>(x: T, residual: tf.Tensor | undefined, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T {
  return tf.tidy(() => {
    const z = residual ? tf.add(x, residual) : x;
    const axis = z.rank - 1;
    const mean = tf.mean(z, axis, true); // [..., 1]
    const centered = tf.sub(z, mean); // [..., H]
    const variance = tf.mean(tf.square(centered), axis, true); // [..., 1], biased
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(normed, gamma), beta) as T;
  });
}

/** Rows `table[ids]` ([...ids, dim]); ids int32. */
export function gatherRowsStock(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  return tf.gather(table, ids);
}

/** [B, T, H] -> [B, heads, T, d]. */
export function splitHeads(x: tf.Tensor3D, numHeads: number): tf.Tensor4D {
  const [b, t, h] = x.shape;
  const r = tf.reshape(x, [b, t, numHeads, h / numHeads]); // [B, T, heads, d]
  return tf.transpose(r, [0, 2, 1, 3]) as tf.Tensor4D; // [B, heads, T, d]
}

/** [B, T, H] -> keys transposed for the score matmul, [B, heads, d, T] (one transpose instead of two). */
export function splitHeadsTransposed(x: tf.Tensor3D, numHeads: number): tf.Tensor4D {
  const [b, t, h] = x.shape;
  const r = tf.reshape(x, [b, t, numHeads, h / numHeads]); // [B, T, heads, d]
  return tf.transpose(r, [0, 2, 3, 1]) as tf.Tensor4D; // [B, heads, d, T]
}

/** [B, heads, T, d] -> [B, T, H]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, n, t, d] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, n * d]); // [B, T, heads, d] -> [B, T, H]
}

/**
 * HF `get_extended_attention_mask` for an encoder: mask [B, T] (1 = attend) -> additive [B, 1, 1, T],
 * `(1 - mask) * finfo(float32).min`.
 */
export function extendedAttentionMask(mask: tf.Tensor2D): tf.Tensor4D {
  const [b, t] = mask.shape;
  const m = tf.reshape(tf.cast(mask, 'float32'), [b, 1, 1, t]); // [B, 1, 1, T]
  return tf.mul(tf.sub(1, m), FLOAT32_MIN) as tf.Tensor4D;
}

/** DistilBERT's `masked_fill` mask: mask [B, T] (1 = attend) -> bool [B, 1, 1, T], true where the key is padding. */
export function paddingFillMask(mask: tf.Tensor2D): tf.Tensor4D {
  const [b, t] = mask.shape;
  return tf.reshape(tf.equal(mask, 0), [b, 1, 1, t]) as tf.Tensor4D; // [B, 1, 1, T]
}

/**
 * Softmax over the last axis as `exp(x - max) / sum(exp(x - max))` from plain ops. Not `tf.softmax`: the WASM
 * backend's fused kernel sums with SIMD lanes, so a row's result depends on how much padding follows it, and a
 * text would then embed differently alone and in a padded batch (the sequential `sum` adds the masked keys'
 * exact zeros at the end, which changes nothing).
 */
export function softmaxLastAxis<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const shifted = tf.sub(x, tf.max(x, axis, true));
    const e = tf.exp(shifted);
    shifted.dispose();
    return tf.div(e, tf.sum(e, axis, true)) as T;
  });
}

/**
 * HF `rotate_half` rotary embedding of x [B, T, heads, d] with cos, sin [T, d] or [B, T, d]:
 * `x * cos + rotate_half(x) * sin`, `rotate_half(x) = cat(-x[..., d/2:], x[..., :d/2])`.
 */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t, , d] = x.shape;
    const lead = cos.rank === 2 ? 1 : b;
    const c = tf.reshape(cos, [lead, t, 1, d]); // [1|B, T, 1, d], broadcast over heads
    const s = tf.reshape(sin, [lead, t, 1, d]);
    const [x1, x2] = tf.split(x, 2, 3);
    const rotated = tf.concat([tf.neg(x2), x1], 3); // [B, T, heads, d]
    return tf.add(tf.mul(x, c), tf.mul(rotated, s)) as tf.Tensor4D;
  });
}

/**
 * Which keys each query may see besides padding: bool [1, 1, T, T] (row = query i, column = key j), or undefined
 * when all may. Causal: `j <= i`; with a window w, causal keeps `i - w < j <= i` (Gemma3: the w most recent
 * keys, itself included) and bidirectional keeps `|i - j| <= w` (ModernBERT's local attention with w = half
 * the window).
 */
export function structuralMask(t: number, causal: boolean, window: number | undefined): tf.Tensor4D | undefined {
  if (!causal && window === undefined) return undefined;
  const allowed = new Uint8Array(t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      let ok = causal ? j <= i : true;
      if (ok && window !== undefined) ok = causal ? j > i - window : Math.abs(i - j) <= window;
      allowed[i * t + j] = ok ? 1 : 0;
    }
  }
  return tf.tensor4d(allowed, [1, 1, t, t], 'bool');
}

/** The stock attention's masking and scaling, as {@link attentionStock} takes them. */
export interface StockAttentionOptions {
  numHeads: number;
  numKvHeads: number;
  /** The padding mask in its stock form: additive float32 [B, 1, 1, T] or (kind 'fill') bool [B, 1, 1, T], true = padding. */
  padding?: { kind: 'additive' | 'fill'; mask: tf.Tensor4D };
  causal: boolean;
  window?: number;
  /** Added to the scaled scores before the mask: [1 | B, heads, T, T]. */
  bias?: tf.Tensor4D;
  /** Multiplies q k^T; undefined: divide by sqrt(d) (bit for bit what HF's encoders do). */
  scale?: number;
  scaleQuery: boolean;
  /** Training only: dropout applied to the probabilities before they weight v (HF's attention_probs dropout). */
  probsDropout?: (probs: tf.Tensor4D) => tf.Tensor4D;
}

/** HF `repeat_kv`: [B, kvHeads, T, d] -> [B, kvHeads * rep, T, d] (query head i reads kv head floor(i / rep)). */
export function repeatKv(x: tf.Tensor4D, rep: number): tf.Tensor4D {
  if (rep === 1) return x;
  const [b, n, t, d] = x.shape;
  // Rank 4 throughout: tfjs has no gradient for a rank-5 tile.
  const flat = tf.reshape(x, [b, n, 1, t * d]); // [B, n, 1, T*d]
  return tf.reshape(tf.tile(flat, [1, 1, rep, 1]), [b, n * rep, t, d]) as tf.Tensor4D; // [B, n, rep, T*d] -> [B, n*rep, T, d]
}

/**
 * Scaled dot-product attention from stock ops over projections q [B, T, heads*d], k and v [B, T, kvHeads*d]
 * (rotary already applied): context [B, T, heads*d] and probabilities [B, heads, T, T]. Scores are scaled,
 * then `bias` is added, then the padding mask (added, or `masked_fill`ed with finfo.min), then the causal /
 * window mask (filled with finfo.min); a query with no key left attends uniformly to all keys.
 */
export function attentionStock(q3: tf.Tensor3D, k3: tf.Tensor3D, v3: tf.Tensor3D, o: StockAttentionOptions): { context: tf.Tensor3D; probs: tf.Tensor4D } {
  // Each [B, heads, T, T] step frees the previous one at once, so at most two such tensors are alive.
  const then = (t: tf.Tensor, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor => {
    const r = f(t);
    t.dispose();
    return r;
  };
  return tf.tidy(() => {
    const rep = o.numHeads / o.numKvHeads;
    const q = splitHeads(q3, o.numHeads); // [B, heads, T, d]
    const d = q.shape[3];
    const kT = repeatKv(splitHeadsTransposed(k3, o.numKvHeads), rep); // [B, heads, d, T]
    const v = repeatKv(splitHeads(v3, o.numKvHeads), rep); // [B, heads, T, d]
    const probs = tf.tidy(() => {
      let scores: tf.Tensor;
      if (o.scale !== undefined) {
        const scale = o.scale;
        scores = o.scaleQuery ? tf.matMul(tf.mul(q, scale), kT) : then(tf.matMul(q, kT), (s) => tf.mul(s, scale)); // [B, heads, T, T]
      } else {
        const root = Math.sqrt(d);
        scores = o.scaleQuery ? tf.matMul(tf.div(q, root), kT) : then(tf.matMul(q, kT), (s) => tf.div(s, root)); // [B, heads, T, T]
      }
      const bias = o.bias;
      if (bias) scores = then(scores, (s) => tf.add(s, bias));
      const pad = o.padding;
      if (pad?.kind === 'additive') scores = then(scores, (s) => tf.add(s, pad.mask));
      else if (pad) scores = then(scores, (s) => tf.where(pad.mask, tf.scalar(FLOAT32_MIN), s)); // masked_fill, broadcast over heads and queries
      const allowed = structuralMask(q.shape[2], o.causal, o.window);
      if (allowed) scores = then(scores, (s) => tf.where(allowed, s, tf.scalar(FLOAT32_MIN)));
      return then(scores, softmaxLastAxis) as tf.Tensor4D; // [B, heads, T, T]
    });
    const weights = o.probsDropout ? o.probsDropout(probs) : probs;
    const context = tf.matMul(weights, v) as tf.Tensor4D; // [B, heads, T, d]
    return { context: mergeHeads(context), probs };
  });
}

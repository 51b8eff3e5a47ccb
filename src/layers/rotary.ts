/**
 * Rotary position embeddings (RoPE): the cos and sin tables the attention op applies to q and k with HF's
 * `rotate_half` convention. Default (unscaled) rope: `inv_freq = 1 / base^(2i / dim)` for i < dim / 2,
 * `freqs = position * inv_freq`, `emb = cat(freqs, freqs)`, cos = cos(emb), sin = sin(emb), all in float32 as
 * HF computes them (the exponent and `inv_freq` rounded to float32 step by step).
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/modeling_rope_utils.py
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/llama/modeling_llama.py
 */
import * as tf from '@tensorflow/tfjs-core';

/** `inv_freq` [dim / 2] as float32, as HF's `_compute_default_rope_parameters`. */
export function rotaryInverseFrequencies(dim: number, base = 10000): Float32Array {
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) throw new Error(`rotary: dim must be a positive even integer, got ${dim}`);
  if (!(base > 0)) throw new Error(`rotary: base (rope_theta) must be positive, got ${base}`);
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const exponent = Math.fround(Math.fround(2 * i) / dim);
    out[i] = Math.fround(1 / Math.fround(Math.pow(base, exponent)));
  }
  return out;
}

/**
 * cos and sin [T, dim] (positions [T]) or [B, T, dim] (positions [B, T]) for the attention op's `rotary`.
 * The caller owns both.
 * @example
 * const rotary = rotaryCosSin(tf.range(0, t, 1, 'int32'), headDim, config.rope_theta);
 */
export function rotaryCosSin(positions: tf.Tensor1D | tf.Tensor2D, dim: number, base = 10000): { cos: tf.Tensor; sin: tf.Tensor } {
  if (positions.rank !== 1 && positions.rank !== 2) throw new Error(`rotary: positions must be [T] or [B, T], got [${positions.shape}]`);
  const inv = rotaryInverseFrequencies(dim, base);
  return tf.tidy(() => {
    const pos = tf.expandDims(tf.cast(positions, 'float32'), -1); // [..., T, 1]
    const freqs = tf.mul(pos, tf.tensor1d(inv)); // [..., T, dim / 2]
    const emb = tf.concat([freqs, freqs], -1); // [..., T, dim]
    return { cos: tf.cos(emb), sin: tf.sin(emb) };
  });
}

/**
 * Activation functions by their Hugging Face names (`hidden_act`, DistilBERT's `activation`), computed as PyTorch does.
 * https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/activations.py
 */
import { configError, previewValue } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { gelu as geluOp } from '../kernels/ops.js';

/** An elementwise activation; returns a new tensor (call inside `tf.tidy`). */
export type Activation = (x: tf.Tensor) => tf.Tensor;

/** torch `F.gelu` (exact): `x * 0.5 * (1 + erf(x / sqrt(2)))`, the fused op (one kernel pass on wasm). */
export const gelu: Activation = (x) => geluOp(x);

/** The tanh approximation (`gelu_new`, `gelu_pytorch_tanh`): `0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))`. */
export const geluTanh: Activation = (x) =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));

/** `gelu_fast`: `0.5x(1 + tanh(x * 0.7978845608 * (1 + 0.044715x^2)))`. */
export const geluFast: Activation = (x) =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(tf.mul(x, 0.7978845608), tf.add(1, tf.mul(0.044715, tf.square(x)))))));

/** `quick_gelu`: `x * sigmoid(1.702x)`. */
export const quickGelu: Activation = (x) => tf.mul(x, tf.sigmoid(tf.mul(1.702, x)));

/** SiLU / swish: `x * sigmoid(x)`. */
export const silu: Activation = (x) => tf.mul(x, tf.sigmoid(x));

const ACTIVATIONS: Record<string, Activation> = {
  gelu,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  gelu_fast: geluFast,
  quick_gelu: quickGelu,
  relu: (x) => tf.relu(x),
  silu,
  swish: silu,
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  linear: (x) => tf.clone(x),
};

/** Names accepted by {@link getActivation}. */
export const SUPPORTED_ACTIVATIONS = Object.keys(ACTIVATIONS);

/** The activation named `name` (HF's ACT2FN keys); `key` names the config key for the error message. */
export function getActivation(name: unknown, key = 'hidden_act'): Activation {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(ACTIVATIONS, name)) {
    throw configError(`unsupported ${key} ${previewValue(name)}; supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`);
  }
  return ACTIVATIONS[name];
}

/**
 * Activation functions named as sentence-transformers stores them in module configs
 * (`torch.nn.modules.activation.Tanh`, `torch.nn.modules.linear.Identity`, ...): torch class names mapped onto
 * the functions of `layers/activations.ts` (one implementation of each activation).
 *
 * Python resolves the name with `import_from_string` (v3.4.1 models/Dense.py):
 * https://github.com/UKPLab/sentence-transformers/blob/7d52a069e0b37d976b3ed3f674a6180436c27574/sentence_transformers/models/Dense.py
 */
import { configError } from '../formats/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { gelu, getActivation, type Activation } from '../layers/activations.js';

/** An activation on a tfjs tensor (as returned by {@link activationFromName}). */
export type ActivationFn = Activation;

/** torch.nn class name -> the activation. */
const ACTIVATIONS: Record<string, ActivationFn> = {
  Identity: getActivation('linear'),
  Tanh: getActivation('tanh'),
  Sigmoid: getActivation('sigmoid'),
  ReLU: getActivation('relu'),
  GELU: gelu, // torch.nn.GELU() is the exact (erf) GELU
  Softmax: (x) => tf.softmax(x), // torch.nn.Softmax(dim=None) on 2-D input: the last axis
};

/** Class names accepted by {@link activationFromName}. */
export const SUPPORTED_ACTIVATIONS = Object.keys(ACTIVATIONS);

/** The Python class path of the identity (no activation). */
const IDENTITY_ACTIVATION = 'torch.nn.modules.linear.Identity';

/**
 * Resolve a PyTorch activation class path (`torch.nn.modules.activation.Tanh`, `torch.nn.Tanh`, `Tanh`) or
 * `null`/undefined (Identity). An unknown name is an error listing those supported.
 */
export function activationFromName(name: string | null | undefined, what = 'activation_function'): { name: string; fn: ActivationFn } {
  if (name === null || name === undefined || name === '') return { name: IDENTITY_ACTIVATION, fn: ACTIVATIONS.Identity };
  const cls = name.split('.').pop() ?? name;
  const fn = Object.prototype.hasOwnProperty.call(ACTIVATIONS, cls) ? ACTIVATIONS[cls] : undefined;
  if (!fn) {
    throw configError(`${what}: unsupported activation '${name}'; supported: ${SUPPORTED_ACTIVATIONS.map((a) => `torch.nn.${a}`).join(', ')}`);
  }
  return { name, fn };
}

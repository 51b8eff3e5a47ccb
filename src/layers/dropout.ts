/**
 * Dropout as PyTorch's `nn.Dropout` places it in the encoders (HF BERT: after the embeddings' LayerNorm, on the
 * attention probabilities, after each `dense` before the residual LayerNorm), active only in training mode. Eval
 * mode (the default: encode, predict) is the identity, so inference numbers never change. The trainer switches
 * training mode on around its forward passes with the model's probabilities and a seeded generator; the masks
 * then come from `tf.randomUniform` with seeds drawn from that generator, so a run repeats exactly.
 * https://pytorch.org/docs/1.13/generated/torch.nn.Dropout.html (kept units scaled by 1 / (1 - p))
 */
import * as tf from '@tensorflow/tfjs-core';

/** The dropout probabilities of a model (HF config names: `hidden_dropout_prob`, `attention_probs_dropout_prob`). */
export interface DropoutProbs {
  hidden: number;
  attention: number;
}

interface TrainingMode {
  probs: DropoutProbs;
  /** A fresh seed per mask. */
  nextSeed: () => number;
  /** When set, the named sites ({@link dropoutAt}) passed, in order. */
  sites?: string[];
}

let mode: TrainingMode | null = null;

/**
 * Run `fn` in training mode (dropout active with `probs`, masks seeded by `nextSeed`); eval mode again after it,
 * also on error. Returns what `fn` returns.
 */
export function inTrainingMode<T>(probs: DropoutProbs, nextSeed: () => number, fn: () => T, sites?: string[]): T {
  const prev = mode;
  mode = { probs, nextSeed, sites };
  try {
    return fn();
  } finally {
    mode = prev;
  }
}

function drop<T extends tf.Tensor>(x: T, p: number): T {
  if (mode === null || !(p > 0)) return x;
  if (p >= 1) return tf.zerosLike(x);
  const seed = mode.nextSeed();
  return tf.tidy(() => {
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), p), 'float32');
    return tf.mul(x, tf.div(keep, 1 - p)) as T;
  });
}

/**
 * `nn.Dropout(p)` at a site whose probability the model's own config gives (ModernBERT's `embedding_dropout`,
 * `mlp_dropout`, `attention_dropout`, `classifier_dropout`; Qwen3's and Gemma3's `attention_dropout`): identity in
 * eval mode. `site` is the module path PyTorch names it by (`layers.0.mlp.drop`; an attention module's own path for
 * its functional dropout of the probabilities), recorded when {@link inTrainingMode} is given a list.
 */
export function dropoutAt<T extends tf.Tensor>(x: T, p: number, site: string): T {
  if (mode === null) return x;
  mode.sites?.push(site);
  return drop(x, p);
}

/** Whether training mode is on (sites with their own probability, {@link dropoutAt}, are live). */
export function trainingModeOn(): boolean {
  return mode !== null;
}

/** `dropout(x)` with the hidden-state probability (identity in eval mode). */
export function hiddenDropout<T extends tf.Tensor>(x: T): T {
  return drop(x, mode?.probs.hidden ?? 0);
}

/** `dropout(probs)` with the attention probability (identity in eval mode). */
export function attentionDropout<T extends tf.Tensor>(x: T): T {
  return drop(x, mode?.probs.attention ?? 0);
}

/**
 * Whether any dropout is active now (training mode with a probability > 0): fused whole-layer kernels, which have no
 * dropout sites, must then step aside even without a gradient tape (GradCache's no-tape forward).
 */
export function dropoutActive(): boolean {
  return mode !== null && (mode.probs.hidden > 0 || mode.probs.attention > 0);
}

/** Whether attention-probability dropout is active now (the attention op then takes its stock path). */
export function attentionDropoutActive(): boolean {
  return mode !== null && mode.probs.attention > 0;
}

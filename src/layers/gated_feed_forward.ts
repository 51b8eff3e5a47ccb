/**
 * Gated feed-forward blocks (GLU variants): `down(act(gate(x)) * up(x))` with separate gate / up projections
 * (Llama, Qwen3 SwiGLU with `silu`; Gemma 3 GeGLU with `gelu_pytorch_tanh`), or one fused input projection whose
 * output is split in two halves, `input, gate = Wi(x).chunk(2)`, then `Wo(act(input) * gate)` (ModernBERT GeGLU).
 * Qwen3:     https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/qwen2/modeling_qwen2.py
 * ModernBERT: https://github.com/huggingface/transformers/blob/v4.48.0/src/transformers/models/modernbert/modeling_modernbert.py
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightMap } from '../weights/index.js';
import type { Activation } from './activations.js';
import { Linear } from './linear.js';

/** `down(act(gate(x)) * up(x))`; projection names as in the checkpoint (e.g. `gate_proj`, `up_proj`, `down_proj`). */
export class GatedFeedForward {
  constructor(
    readonly gate: Linear,
    readonly up: Linear,
    readonly down: Linear,
    readonly activation: Activation,
  ) {}

  /** Load `names` = [gate, up, down] under `wm` ([inter, hidden], [inter, hidden], [hidden, inter] in PyTorch layout). */
  static load(
    wm: WeightMap,
    names: readonly [string, string, string],
    hidden: number,
    intermediate: number,
    activation: Activation,
    bias = false,
  ): GatedFeedForward {
    const [g, u, d] = names;
    return new GatedFeedForward(
      Linear.load(wm, g, hidden, intermediate, bias),
      Linear.load(wm, u, hidden, intermediate, bias),
      Linear.load(wm, d, intermediate, hidden, bias),
      activation,
    );
  }

  /** x [..., H] -> [..., H]. */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => this.down.apply(tf.mul(this.activation(this.gate.apply(x)), this.up.apply(x))) as T);
  }
}

/** ModernBERT's `Wi` [2I, H] -> chunk into (input, gate) -> `Wo(act(input) * gate)`. */
export class FusedGatedFeedForward {
  constructor(
    readonly wi: Linear,
    readonly wo: Linear,
    readonly activation: Activation,
  ) {
    if (wi.outFeatures % 2 !== 0) throw new Error(`gated feed-forward: Wi must have an even number of outputs, got ${wi.outFeatures}`);
  }

  /** Load `wiName` [2I, H] and `woName` [H, I] under `wm`. */
  static load(wm: WeightMap, wiName: string, woName: string, hidden: number, intermediate: number, activation: Activation, bias = false): FusedGatedFeedForward {
    return new FusedGatedFeedForward(Linear.load(wm, wiName, hidden, 2 * intermediate, bias), Linear.load(wm, woName, intermediate, hidden, bias), activation);
  }

  /** x [..., H] -> [..., H]. */
  /** `drop`: ModernBERT's `mlp.drop` before `Wo` (training mode; the caller passes it only then). */
  apply<T extends tf.Tensor>(x: T, drop?: (h: tf.Tensor) => tf.Tensor): T {
    return tf.tidy(() => {
      const [input, gate] = tf.split(this.wi.apply(x), 2, -1); // 2 x [..., I]
      const h = tf.mul(this.activation(input), gate);
      return this.wo.apply(drop ? drop(h) : h) as T;
    });
  }
}

/**
 * `*ForSequenceClassification`: an encoder plus its classification head, logits [B, num_labels] (no activation),
 * as transformers v4.41.2 computes them at inference (dropout is the identity).
 * BERT:       https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * RoBERTa:    https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/roberta/modeling_roberta.py
 * DistilBERT: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 * MPNet:      https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/mpnet/modeling_mpnet.py
 * ModernBERT: https://github.com/huggingface/transformers/blob/000c33fdfde12e1ffafbfcdb3c926df5727a00b6/src/transformers/models/modernbert/modeling_modernbert.py
 *             (masked-mean or first-token pooling, then `head` = dense + act + norm, then `classifier`)
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, type Activation } from '../layers/activations.js';
import { LayerNorm } from '../layers/layer_norm.js';
import { Linear } from '../layers/linear.js';
import type { NamedParameter, WeightMap } from '../weights/index.js';
import { dropoutAt, hiddenDropout } from '../layers/dropout.js';
import { labelsFromConfig } from './config.js';
import type { EncoderInputs, EncoderModel, LoadReport, SequenceClassificationModel } from './types.js';

/**
 * One architecture's classification head, as a table entry: a dense layer [H -> H] on the first token (or the
 * masked mean of the tokens), an activation, optionally a LayerNorm, the output projection [H -> num_labels].
 * The names are the checkpoint's.
 */
export interface HeadSpec {
  /** The dense layer on the first token (`pooler.dense`, `classifier.dense`, `pre_classifier`). */
  dense: string;
  /** Whether `dense` lives under the base-model prefix (BERT's `bert.pooler.dense`) rather than at the root. */
  denseInBase?: boolean;
  /** Its activation, by HF name (`tanh`; DistilBERT `relu`). */
  activation: string;
  /** The output projection (`classifier`, `classifier.out_proj`). */
  out: string;
  /** Whether `dense` has a bias (default true; ModernBERT: `classifier_bias`). */
  denseBias?: boolean;
  /** A LayerNorm after the activation (ModernBERT's `head.norm`; `bias`: `norm_bias`). */
  norm?: { name: string; eps: number; bias: boolean };
  /** What feeds `dense`: the first token (default) or the mean over real tokens (ModernBERT `classifier_pooling: "mean"`). */
  pooling?: 'first' | 'mean';
  /** The dropout before the output projection with its own probability and module name (ModernBERT `classifier_dropout`, `drop`); default the hidden dropout. */
  dropout?: { p: number; site: string };
}

/** hidden [B, T, H] -> the first token's vector [B, H] (`[CLS]` / `<s>`). */
export function firstToken(hidden: tf.Tensor3D): tf.Tensor2D {
  const [b, , h] = hidden.shape;
  return tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, h]), [b, h]);
}

/**
 * hidden [B, T, H], mask int32 [B, T] -> the mean over real tokens [B, H], as ModernBERT's
 * `(h * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)`.
 */
export function maskedMean(hidden: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    return tf.div(tf.sum(tf.mul(hidden, tf.expandDims(m, 2)), 1), tf.sum(m, 1, true)) as tf.Tensor2D; // [B, H] / [B, 1]
  });
}

/** `out(norm?(activation(dense(pooled))))`: maps the encoder's last hidden state [B, T, H] to logits [B, L]. */
export class ClassificationHead {
  readonly dense: Linear;
  readonly activation: Activation;
  readonly norm?: LayerNorm;
  readonly out: Linear;
  readonly pooling: 'first' | 'mean';
  private readonly dropout?: { p: number; site: string };

  /** Load `spec`'s layers from `root` (`base`: the view under the base-model prefix). */
  constructor(spec: HeadSpec, root: WeightMap, base: WeightMap, hidden: number, numLabels: number) {
    this.dense = Linear.load(spec.denseInBase ? base : root, spec.dense, hidden, hidden, spec.denseBias ?? true);
    this.activation = getActivation(spec.activation, 'activation');
    this.out = Linear.load(root, spec.out, hidden, numLabels);
    this.pooling = spec.pooling ?? 'first';
    this.dropout = spec.dropout;
    if (spec.norm) this.norm = LayerNorm.load(root, spec.norm.name, hidden, spec.norm.eps, spec.norm.bias);
  }

  /** hidden [B, T, H] (and the attention mask [B, T], needed by mean pooling) -> logits [B, L]. */
  apply(hidden: tf.Tensor3D, attentionMask?: tf.Tensor2D): tf.Tensor2D {
    if (this.pooling === 'mean' && !attentionMask) throw new Error('classification head: mean pooling needs the attention mask');
    const pooled = this.pooling === 'mean' ? maskedMean(hidden, attentionMask!) : firstToken(hidden); // [B, H]
    const h = this.activation(this.dense.apply(pooled)) as tf.Tensor2D;
    const normed = this.norm ? this.norm.apply(h) : h;
    const dropped = this.dropout ? dropoutAt(normed, this.dropout.p, this.dropout.site) : hiddenDropout(normed); // dropout: training mode only
    return this.out.apply(dropped);
  }

  /** Free what the head made (a bias-free norm's zeros); its weights belong to the checkpoint. */
  dispose(): void {
    this.norm?.dispose();
  }
}

/** An encoder with a classification head. Owns the encoder (and so the weights). */
export class SequenceClassifier implements SequenceClassificationModel {
  readonly loadReport: LoadReport;
  readonly labels: string[];

  constructor(
    readonly encoder: EncoderModel,
    readonly head: ClassificationHead,
    readonly numLabels: number,
    private readonly root: WeightMap,
  ) {
    this.labels = labelsFromConfig(encoder.config.raw, numLabels);
    this.loadReport = { unused: root.unusedKeys(), missing: [] };
  }

  get config() {
    return this.encoder.config;
  }

  get modelType(): string {
    return this.encoder.modelType;
  }

  /** Logits [B, numLabels]; the caller owns them. */
  forward(inputs: EncoderInputs): tf.Tensor2D {
    return tf.tidy(() => this.head.apply(this.encoder.forward(inputs).lastHiddenState, inputs.attentionMask));
  }

  /** Every parameter the model computes with (encoder and head), as live variables under the checkpoint's names. */
  parameters(): NamedParameter[] {
    return this.root.parameters();
  }

  /** Frees the encoder and head weights (tfjs memory). */
  dispose(): void {
    this.head.dispose();
    this.encoder.dispose();
  }
}

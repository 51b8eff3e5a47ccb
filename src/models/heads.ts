/**
 * `*ForSequenceClassification`: an encoder plus its classification head, logits [B, num_labels] (no activation),
 * as transformers v4.41.2 computes them at inference (dropout is the identity).
 * BERT:       https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/bert/modeling_bert.py
 * RoBERTa:    https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/roberta/modeling_roberta.py
 * DistilBERT: https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/distilbert/modeling_distilbert.py
 * MPNet:      https://github.com/huggingface/transformers/blob/ab0f050b42d903f34d6eb97f3f8c0c07f0517ad2/src/transformers/models/mpnet/modeling_mpnet.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { getActivation, type Activation } from '../layers/activations.js';
import { Linear } from '../layers/linear.js';
import type { WeightMap } from '../weights/index.js';
import { labelsFromConfig } from './config.js';
import type { EncoderInputs, EncoderModel, LoadReport, SequenceClassificationModel } from './types.js';

/**
 * One architecture's classification head, as a table entry: a dense layer [H -> H] on the first token, an
 * activation, the output projection [H -> num_labels]. The names are the checkpoint's.
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
}

/** hidden [B, T, H] -> the first token's vector [B, H] (`[CLS]` / `<s>`). */
export function firstToken(hidden: tf.Tensor3D): tf.Tensor2D {
  const [b, , h] = hidden.shape;
  return tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, h]), [b, h]);
}

/** `out(activation(dense(first token)))`: maps the encoder's last hidden state [B, T, H] to logits [B, L]. */
export class ClassificationHead {
  readonly dense: Linear;
  readonly activation: Activation;
  readonly out: Linear;

  /** Load `spec`'s layers from `root` (`base`: the view under the base-model prefix). */
  constructor(spec: HeadSpec, root: WeightMap, base: WeightMap, hidden: number, numLabels: number) {
    this.dense = Linear.load(spec.denseInBase ? base : root, spec.dense, hidden, hidden);
    this.activation = getActivation(spec.activation, 'activation');
    this.out = Linear.load(root, spec.out, hidden, numLabels);
  }

  apply(hidden: tf.Tensor3D): tf.Tensor2D {
    return this.out.apply(this.activation(this.dense.apply(firstToken(hidden))) as tf.Tensor2D);
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
    root: WeightMap,
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
    return tf.tidy(() => this.head.apply(this.encoder.forward(inputs).lastHiddenState));
  }

  /** Frees the encoder and head weights (tfjs memory). */
  dispose(): void {
    this.encoder.dispose();
  }
}

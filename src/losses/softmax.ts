/**
 * SoftmaxLoss: a linear classifier over the concatenated pair representation (u, v, |u - v|, u * v), trained with
 * cross-entropy on class labels (the SBERT NLI objective). The loss owns the classifier's variables.
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/losses/softmax.py
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkColumns, requireLabels } from './common.js';
import type { EmbeddingBatch, Loss } from './types.js';
import { SENTENCE_BERT_2019 } from './citations.js';

/** Options of {@link SoftmaxLoss}. */
export interface SoftmaxLossOptions {
  /** `embedding_dimension`: the model's embedding size. Required. */
  embeddingDimension: number;
  /** `num_labels`: the number of classes. Required. */
  numLabels: number;
  /** `concatenation_sent_rep` (default true): include u and v. */
  concatenationSentRep?: boolean;
  /** `concatenation_sent_difference` (default true): include |u - v|. */
  concatenationSentDifference?: boolean;
  /** `concatenation_sent_multiplication` (default false): include u * v. */
  concatenationSentMultiplication?: boolean;
  /**
   * The classifier's initial `weight` [numLabels, k * dim] and `bias` [numLabels] (torch `nn.Linear` layout). Default:
   * torch's initialisation, uniform in ±1/sqrt(k * dim), drawn with `seed`.
   */
  initialWeights?: { weight: ArrayLike<number>; bias: ArrayLike<number> };
  /** Seed of the default initialisation. */
  seed?: number;
}

/**
 * Cross-entropy of `classifier(concat(...))` against integer class labels, as sentence-transformers v6.0.1. The
 * classifier is returned by `trainableVariables()` so the trainer updates it; `dispose()` frees it.
 *
 * @example
 * ```ts
 * const loss = new SoftmaxLoss({ embeddingDimension: 384, numLabels: 3 });
 * const value = loss.compute({ embeddings: [premises, hypotheses], labels: tf.tensor1d([0, 2, 1]) });
 * ```
 */
export class SoftmaxLoss implements Loss {
  readonly name = 'SoftmaxLoss';
  /** Python's `citation` (BibTeX), for the model card. */
  readonly citation: string | undefined = SENTENCE_BERT_2019;
  readonly textColumns = { min: 2, max: 2 };
  readonly needsLabels = true;
  readonly numLabels: number;
  readonly embeddingDimension: number;
  readonly concatenationSentRep: boolean;
  readonly concatenationSentDifference: boolean;
  readonly concatenationSentMultiplication: boolean;
  /** `classifier.weight` [numLabels, k * dim] and `classifier.bias` [numLabels]. */
  readonly weight: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;

  constructor(options: SoftmaxLossOptions) {
    const what = 'SoftmaxLoss';
    if (!options || !Number.isInteger(options.embeddingDimension) || options.embeddingDimension <= 0) {
      throw new RangeError(`${what}: embeddingDimension (embedding_dimension) must be a positive integer, got ${JSON.stringify(options?.embeddingDimension)}`);
    }
    if (!Number.isInteger(options.numLabels) || options.numLabels <= 0) throw new RangeError(`${what}: numLabels (num_labels) must be a positive integer, got ${JSON.stringify(options.numLabels)}`);
    this.embeddingDimension = options.embeddingDimension;
    this.numLabels = options.numLabels;
    this.concatenationSentRep = options.concatenationSentRep ?? true;
    this.concatenationSentDifference = options.concatenationSentDifference ?? true;
    this.concatenationSentMultiplication = options.concatenationSentMultiplication ?? false;
    const k = (this.concatenationSentRep ? 2 : 0) + (this.concatenationSentDifference ? 1 : 0) + (this.concatenationSentMultiplication ? 1 : 0);
    if (k === 0) throw new RangeError(`${what}: at least one of concatenationSentRep, concatenationSentDifference or concatenationSentMultiplication must be true`);
    const inDim = k * this.embeddingDimension;
    if (options.initialWeights) {
      const { weight, bias } = options.initialWeights;
      if (weight.length !== this.numLabels * inDim) throw new RangeError(`${what}: initialWeights.weight must hold ${this.numLabels} x ${inDim} values, got ${weight.length}`);
      if (bias.length !== this.numLabels) throw new RangeError(`${what}: initialWeights.bias must hold ${this.numLabels} values, got ${bias.length}`);
      this.weight = tf.tidy(() => tf.variable(tf.tensor2d(Float32Array.from(weight), [this.numLabels, inDim]), true));
      this.bias = tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(bias)), true));
    } else {
      const bound = 1 / Math.sqrt(inDim);
      this.weight = tf.tidy(() => tf.variable(tf.randomUniform([this.numLabels, inDim], -bound, bound, 'float32', options.seed), true));
      this.bias = tf.tidy(() => tf.variable(tf.randomUniform([this.numLabels], -bound, bound, 'float32', options.seed === undefined ? undefined : options.seed + 1), true));
    }
  }

  compute(batch: EmbeddingBatch): tf.Scalar {
    const [a, b] = checkColumns(this.name, batch, 2, 2);
    const labels = requireLabels(this.name, batch, a.shape[0]);
    if (a.shape[1] !== this.embeddingDimension) throw new RangeError(`${this.name}: embeddings have dim ${a.shape[1]}, the classifier expects embeddingDimension ${this.embeddingDimension}`);
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.concatenationSentRep) parts.push(a, b);
      if (this.concatenationSentDifference) parts.push(tf.abs(tf.sub(a, b)) as tf.Tensor2D);
      if (this.concatenationSentMultiplication) parts.push(tf.mul(a, b));
      const features = tf.concat(parts, 1); // [n, k * dim]
      const logits = tf.add(tf.matMul(features, this.weight, false, true), this.bias); // [n, numLabels]
      const onehot = tf.oneHot(tf.cast(labels, 'int32'), this.numLabels);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, 1), onehot), 1))) as tf.Scalar;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.weight, this.bias];
  }

  /** Python's names in the loss module: `classifier.weight` (decayed) and `classifier.bias` (not decayed). */
  namedTrainableVariables(): { name: string; variable: tf.Variable }[] {
    return [
      { name: 'classifier.weight', variable: this.weight },
      { name: 'classifier.bias', variable: this.bias },
    ];
  }

  /** What createLoss rebuilds this loss's shape from (data-parallel workers then take rank 0's classifier values). */
  replicaOptions(): Record<string, unknown> {
    return {
      embeddingDimension: this.embeddingDimension,
      numLabels: this.numLabels,
      concatenationSentRep: this.concatenationSentRep,
      concatenationSentDifference: this.concatenationSentDifference,
      concatenationSentMultiplication: this.concatenationSentMultiplication,
    };
  }

  /** Frees the classifier's variables. */
  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }

  getConfigDict(): Record<string, unknown> {
    return {
      num_labels: this.numLabels,
      concatenation_sent_rep: this.concatenationSentRep,
      concatenation_sent_difference: this.concatenationSentDifference,
      concatenation_sent_multiplication: this.concatenationSentMultiplication,
    };
  }
}

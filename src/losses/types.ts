/**
 * The contract every training loss implements. A loss is a pure tensor function: the trainer runs the model on each
 * text column of a batch under the gradient tape and hands the loss the embeddings (bi-encoder) or the logits
 * (cross-encoder); the loss returns one scalar. Hyperparameters are fixed at construction.
 *
 * Reference: sentence-transformers `losses/` (each `forward(sentence_features, labels)` embeds the columns, then
 * computes the loss from the embeddings).
 * https://github.com/huggingface/sentence-transformers/tree/v6.0.1/sentence_transformers/losses
 */
import type * as tf from '@tensorflow/tfjs-core';

/** What a bi-encoder loss sees of one training batch. */
export interface EmbeddingBatch {
  /** One `[batch, dim]` matrix per text column (anchor, positive, negatives…), in the dataset's column order. */
  embeddings: tf.Tensor2D[];
  /** `[batch]` float32 labels from the `label` / `score` column, or null when the dataset has none. */
  labels: tf.Tensor1D | null;
  /**
   * A label column of vectors (MSELoss distillation: the teacher's embeddings, precomputed): `[batch, dim]` shared
   * by every text column, or `[batch, columns, dim]` one per column. `labels` is null when this is set. Python passes
   * these as the `labels` tensor itself; a separate field keeps `labels` a `[batch]` vector for every other loss.
   */
  labelVectors?: tf.Tensor2D | tf.Tensor3D | null;
}

/**
 * What the trainer hands a model-aware loss ({@link Loss.computeWithModel}) for one batch: the model as a function
 * of row ranges, so the loss decides when (and how many rows at a time) the model runs, on or off the gradient
 * tape. Python's losses hold the model (`self.model(features)`); this is the narrow slice of it they use.
 */
export interface ModelLossContext {
  /** Text columns in the batch (anchor, positive, negatives…). */
  readonly columns: number;
  /** Rows in the batch. */
  readonly rows: number;
  /** The batch's `[batch]` labels, or null (as {@link EmbeddingBatch.labels}). */
  readonly labels: tf.Tensor1D | null;
  /** The variables to differentiate: the model's parameters, then any the loss owns. */
  readonly variables: tf.Variable[];
  /** A fresh dropout seed from the trainer's generator; pass the same seed to {@link embed} to replay the masks. */
  nextSeed(): number;
  /** The non-padding tokens of each row of text column `column` (its attention mask's row sums). */
  tokenCounts(column: number): number[];
  /**
   * The `[end - start, dim]` sentence embeddings of rows `[start, end)` of text column `column`, in training mode
   * with dropout masks drawn from `seed`. The column is tokenized once, padded to its longest row, then sliced and
   * cut after the last token any of the range's rows has (as 6.0.1's `_create_minibatch`: a mini-batch of short
   * rows is not run at the batch's width). Recorded on the gradient tape only when called inside one
   * (`tf.variableGrads`). The caller owns the result.
   */
  embed(column: number, start: number, end: number, seed: number): tf.Tensor2D;
}

/**
 * How a loss gathers embeddings across data-parallel replicas (6.0.1's `gather_across_devices`, whose
 * `all_gather_with_grad` hands every rank all ranks' embeddings): see {@link Loss.gatherAcrossReplicas}.
 */
export interface GatherSpec {
  /**
   * The mini-batches a column is embedded in (GradCache: CachedMultipleNegativesRankingLoss' `miniBatchSize` or
   * `miniBatchNumTokens`), from its rows' token counts; undefined: the whole shard at once.
   */
  miniBatches?(tokenCounts: readonly number[]): [number, number][];
  /**
   * One rank's loss: its `rows` anchors (rows [offset, offset + rows) of every gathered column) against every
   * rank's candidates (each column `[rows * world, dim]`, ranks in order). A pure function of its inputs.
   */
  compute(embeddings: tf.Tensor2D[], offset: number, rows: number): tf.Scalar;
}

/** A sentence-transformers (bi-encoder) loss. */
export interface Loss {
  /** Python's class name, e.g. `MultipleNegativesRankingLoss` (model cards, the CLI `--loss` value). */
  readonly name: string;
  /** How many text columns it accepts (inclusive bounds); datasets are checked against it before training. */
  readonly textColumns: { min: number; max: number };
  /** Whether the dataset must have a `label` or `score` column. */
  readonly needsLabels: boolean;
  /** The scalar loss of one batch: pure tfjs ops, run inside the gradient tape; the caller owns the result. */
  compute(batch: EmbeddingBatch): tf.Scalar;
  /**
   * Optional: a loss that runs the model itself (CachedMultipleNegativesRankingLoss's GradCache). When present the
   * trainer calls this instead of embedding the columns and calling {@link compute}: it returns the unscaled batch
   * loss and the gradients of `ctx.variables` (keyed by variable name, variables without a gradient left out) of
   * `lossScale * loss`. The caller owns both.
   */
  computeWithModel?(ctx: ModelLossContext, lossScale: number): { loss: tf.Scalar; grads: Record<string, tf.Tensor> };
  /**
   * Optional: under dataParallel, the loss gathers every replica's embeddings (6.0.1's `gather_across_devices`);
   * undefined when it does not (the option is off). In one process the option is a no-op, as in Python.
   */
  gatherAcrossReplicas?(): GatherSpec | undefined;
  /** Trainable variables the loss itself owns (SoftmaxLoss's classifier); none for most losses. */
  trainableVariables?(): tf.Variable[];
  /**
   * The same variables under their PyTorch names in the loss module (`classifier.weight`, `classifier.bias`): the
   * optimizer's weight-decay groups and the checkpoints use them. Default: their position in `trainableVariables()`.
   */
  namedTrainableVariables?(): { name: string; variable: tf.Variable }[];
  /**
   * The options `createLoss(name, options)` rebuilds an equal loss from (data-parallel workers). Default:
   * `getConfigDict()` camelCased.
   */
  replicaOptions?(): Record<string, unknown>;
  /** Hyperparameters as sentence-transformers' `get_config_dict()` (written to the model card). */
  getConfigDict(): Record<string, unknown>;
  /**
   * The keys of `getConfigDict()` whose values 6.0.1's class holds as Python floats (its defaults are float literals:
   * `scale: float = 20.0`): the card prints them as `json.dumps` prints a float (`20.0`, `1.0`), a JS number having no
   * int/float split. Absent: none (an int default such as TripletLoss's `triplet_margin = 5` prints as given).
   */
  readonly configFloats?: readonly string[];
  /** Python's `citation`: the loss's BibTeX entry for the model card (absent where 6.0.1's class has none). */
  readonly citation?: string;
}

/** A CrossEncoder loss: logits of the model's classifier against the labels. */
export interface CrossEncoderLoss {
  /** Python's class name, e.g. `BinaryCrossEntropyLoss`. */
  readonly name: string;
  /** The scalar loss from `[batch, numLabels]` logits and `[batch]` labels; the caller owns the result. */
  compute(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar;
  /** Hyperparameters as sentence-transformers' `get_config_dict()`. */
  getConfigDict(): Record<string, unknown>;
  /** As `Loss.configFloats`: the config keys 6.0.1 holds as Python floats (none for the three cross-encoder losses). */
  readonly configFloats?: readonly string[];
  /** false where 6.0.1's class has no `get_config_dict` (CrossEntropyLoss): the card prints no parameters block. */
  readonly configOnCard?: boolean;
  /** Python's `citation` (BibTeX) for the model card; 6.0.1's BinaryCrossEntropy, CrossEntropy and MSE losses have none. */
  readonly citation?: string;
}

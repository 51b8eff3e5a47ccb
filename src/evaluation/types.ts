/**
 * The contract every evaluator implements: it scores a model on held-out data and returns metrics under
 * sentence-transformers' names (`<name>_<metric>`), with one primary metric the trainer uses to pick the best model.
 * Evaluators take a structural model type (anything with `encode` / `predict`), so they sit below api/.
 *
 * Reference: sentence-transformers `evaluation/SentenceEvaluator.py`.
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/evaluation/SentenceEvaluator.py
 */

/** Where an evaluation runs from: the trainer passes its position; a standalone call passes nothing. */
export interface EvaluationContext {
  /** The epoch (fractional inside an epoch), as the trainer counts it. */
  epoch?: number;
  /** The optimizer step. */
  steps?: number;
  /** A folder to write the evaluator's CSV to, as Python's `output_path`; nothing is written when absent. */
  outputPath?: string;
}

/** An evaluator over models of type `M`. */
export interface Evaluator<M> {
  /** The evaluator's name, the prefix of its metric keys (may be empty). */
  readonly name: string;
  /** The full key of the metric that decides the best model, e.g. `sts-dev_spearman_cosine`. */
  readonly primaryMetric: string;
  /** Whether a higher primary metric is better (Python's `greater_is_better`). */
  readonly greaterIsBetter: boolean;
  /** Runs the evaluation: metric name → value. */
  evaluate(model: M, context?: EvaluationContext): Promise<Record<string, number>>;
}

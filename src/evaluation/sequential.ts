/**
 * SequentialEvaluator: runs several evaluators one after the other and merges their metrics, adding
 * `sequential_score` (by default the last evaluator's primary metric).
 *
 * Reference (pinned): https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/evaluation/sequential.py
 */
import type { EvaluationContext, Evaluator } from './types.js';

/**
 * Several evaluators in sequence, as sentence-transformers v6.0.1. `mainScoreFunction` gets the primary metric of
 * each evaluator (or its first metric when it names none) and returns `sequential_score`, the primary metric.
 *
 * @example
 * ```ts
 * const evaluator = new SequentialEvaluator([stsEvaluator, tripletEvaluator], (scores) => scores.reduce((a, b) => a + b) / scores.length);
 * const metrics = await evaluator.evaluate(model); // both evaluators' metrics plus sequential_score
 * ```
 */
export class SequentialEvaluator<M> implements Evaluator<M> {
  readonly name = '';
  readonly primaryMetric = 'sequential_score';
  readonly greaterIsBetter = true;
  /** Python's `description` (the model card's task name). */
  readonly description = 'Sequential';

  constructor(
    readonly evaluators: Evaluator<M>[],
    private readonly mainScoreFunction: (scores: number[]) => number = (scores) => scores[scores.length - 1],
  ) {
    if (!Array.isArray(evaluators)) throw new TypeError(`SequentialEvaluator: evaluators must be an array of evaluators, got ${typeof evaluators}`);
    evaluators.forEach((e, i) => {
      if (!e || typeof e.evaluate !== 'function') throw new TypeError(`SequentialEvaluator: evaluators[${i}] must have an evaluate(model) method`);
    });
  }

  async evaluate(model: M, context?: EvaluationContext): Promise<Record<string, number>> {
    const results: Record<string, number> = {};
    const scores: number[] = [];
    for (const evaluator of this.evaluators) {
      const evaluation = await evaluator.evaluate(model, context);
      const primary = evaluator.primaryMetric;
      scores.push(primary && primary in evaluation ? evaluation[primary] : evaluation[Object.keys(evaluation)[0]]);
      Object.assign(results, evaluation);
    }
    results.sequential_score = scores.length === 0 ? 0 : this.mainScoreFunction(scores);
    return results;
  }
}

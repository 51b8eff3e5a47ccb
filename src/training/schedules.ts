/**
 * Learning-rate schedules as transformers' `get_scheduler` (and sentence-transformers `fit()`'s names): a multiplier
 * `lambda(k)` of the base learning rate for optimizer step k (0-based). The scheduler steps after the optimizer, so
 * step k runs at `lr * lambda(k)`: with warmup, the first step runs at lr 0.
 * https://github.com/huggingface/transformers/blob/v4.41.2/src/transformers/optimization.py
 * https://github.com/huggingface/sentence-transformers/blob/v3.4.1/sentence_transformers/SentenceTransformer.py (`_get_scheduler`)
 */

/** transformers' `SchedulerType` values plus fit()'s names (case-insensitive for the latter). */
export const SCHEDULER_NAMES = [
  'linear',
  'cosine',
  'cosine_with_restarts',
  'polynomial',
  'constant',
  'constant_with_warmup',
  'inverse_sqrt',
  'warmup_stable_decay',
  'constantlr',
  'warmupconstant',
  'warmuplinear',
  'warmupcosine',
  'warmupcosinewithhardrestarts',
] as const;

/** A schedule: step -> multiplier of the base learning rate. */
export type LrLambda = (step: number) => number;

/** Extra knobs of some schedules (transformers' `scheduler_specific_kwargs`). */
export interface ScheduleOptions {
  /** cosine: 0.5 (half a wave); cosine_with_restarts: 1. */
  numCycles?: number;
  /** polynomial: 1. */
  power?: number;
  /** polynomial: the final lr (default 1e-7). */
  lrEnd?: number;
  /** inverse_sqrt: timescale (default the warmup steps, or 10000). */
  timescale?: number;
  /** warmup_stable_decay: decay steps (default 10% of total). */
  numDecaySteps?: number;
}

/**
 * The schedule `name` for `warmup` warmup steps over `total` optimizer steps (`baseLr` for polynomial's lrEnd).
 * @example
 * ```ts
 * const f = getScheduler('linear', 2, 9); // f(0) = 0, f(1) = 0.5, f(2) = 1, f(8) = 1/7
 * ```
 */
export function getScheduler(name: string, warmup: number, total: number, opts: ScheduleOptions = {}, baseLr = 1): LrLambda {
  const W = warmup;
  const T = total;
  if (!Number.isInteger(W) || W < 0) throw new Error(`scheduler: warmupSteps must be an integer >= 0, got ${warmup}`);
  const warm = (k: number) => k / Math.max(1, W);
  const n = name.toLowerCase();
  switch (n) {
    case 'constant':
    case 'constantlr':
      return () => 1;
    case 'constant_with_warmup':
    case 'warmupconstant':
      return (k) => (k < W ? warm(k) : 1);
    case 'linear':
    case 'warmuplinear':
      return (k) => (k < W ? warm(k) : Math.max(0, (T - k) / Math.max(1, T - W)));
    case 'cosine':
    case 'warmupcosine': {
      const cycles = opts.numCycles ?? 0.5;
      return (k) => {
        if (k < W) return warm(k);
        const progress = (k - W) / Math.max(1, T - W);
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
      };
    }
    case 'cosine_with_restarts':
    case 'warmupcosinewithhardrestarts': {
      const cycles = opts.numCycles ?? 1;
      return (k) => {
        if (k < W) return warm(k);
        const progress = (k - W) / Math.max(1, T - W);
        if (progress >= 1) return 0;
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * progress) % 1))));
      };
    }
    case 'polynomial': {
      const power = opts.power ?? 1;
      const lrEnd = opts.lrEnd ?? 1e-7;
      if (!(baseLr > lrEnd)) throw new Error(`scheduler: lr (${baseLr}) must be larger than lrEnd (${lrEnd})`);
      return (k) => {
        if (k < W) return warm(k);
        if (k > T) return lrEnd / baseLr;
        const remaining = 1 - (k - W) / (T - W);
        return ((baseLr - lrEnd) * remaining ** power + lrEnd) / baseLr;
      };
    }
    case 'inverse_sqrt': {
      const timescale = opts.timescale ?? (W || 10000);
      return (k) => {
        if (k < W) return warm(k);
        const shift = timescale - W;
        return 1 / Math.sqrt((k + shift) / timescale);
      };
    }
    case 'warmup_stable_decay': {
      const D = opts.numDecaySteps ?? Math.floor(T * 0.1);
      const S = T - W - D;
      return (k) => {
        if (k < W) return warm(k);
        if (k < W + S) return 1;
        if (k < W + S + D) {
          const progress = (k - W - S) / Math.max(1, D);
          return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
        }
        return 0;
      };
    }
    default:
      throw new Error(`scheduler: unknown schedule ${JSON.stringify(name)}; expected one of ${SCHEDULER_NAMES.join(', ')}`);
  }
}

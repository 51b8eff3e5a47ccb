/** The fuzzer's shared types: what a target does with one input and how an outcome is classified. */
import type { Rng } from './mutate.js';

/** accepted/rejected are fine; the others are findings. */
export type OutcomeKind = 'accepted' | 'rejected' | 'stray' | 'invariant' | 'hang' | 'crash';

export interface Outcome {
  kind: OutcomeKind;
  /** The error class (rejected), the error or the broken invariant (findings). */
  detail?: string;
  /** Top frames of a stray error's stack. */
  stack?: string;
}

/** One fuzz target: builds input `rng` from the fixtures, then runs it. */
export interface Target {
  name: string;
  /** Per-input time limit (a hang past it is a finding). */
  timeoutMs: number;
  /** Build the input (describe it first, so a hang or crash can still be reported with its mutation). */
  prepare(fixtures: string, rng: Rng): Promise<{ what: string; run: () => Promise<Outcome> }>;
}

export const FINDING_KINDS: readonly OutcomeKind[] = ['stray', 'invariant', 'hang', 'crash'];

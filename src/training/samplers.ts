/**
 * The shuffled order of sentence-transformers 6.0.1's training, from torch's generator (./torch_generator.ts), so
 * that a seed gives Python's batches:
 *
 * - **SentenceTransformerTrainer / CrossEncoderTrainer, default batch sampler**: `DefaultBatchSampler(RandomSampler(
 *   dataset, generator))`, whose RandomSampler accelerate replaces by a `SeedableRandomSampler` that calls
 *   `generator.manual_seed(args.seed + epoch)` before each epoch's `torch.randperm(n)`.
 * - **no_duplicates**: `NoDuplicatesBatchSampler.__iter__` seeds `self.seed + epoch`, and 6.0.1's `get_batch_sampler`
 *   passes no seed for a single dataset, so `self.seed` is 0 whatever `args.seed` is (recorded: seeds 42 and 5 give
 *   the same batches).
 * - **fit()** (the legacy API): it first iterates each `DataLoader(shuffle=True)` once to build a dataset, in the
 *   order the global torch generator gives (the loader's base seed takes one 64-bit draw, the RandomSampler's seed the
 *   next, and mt19937 keeps its low 32 bits: the 4th 32-bit output per loader); then the trainer (args.seed 42 as fit
 *   does not pass one) runs a `RoundRobinBatchSampler` that seeds a shared generator with `42 + epoch` and draws each
 *   objective's `randperm` lazily, when that objective's first batch is asked for (and one more, unused, when its
 *   sampler runs out: torch's RandomSampler ends with `randperm(n)[:0]`). The round robin stops at the first
 *   objective that runs out.
 *
 * Verified against torch.randperm and real 6.0.1 trainer and fit runs (test/data/torch_shuffle).
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/base/sampler.py
 * https://github.com/huggingface/sentence-transformers/blob/v6.0.1/sentence_transformers/sentence_transformer/fit_mixin.py
 * https://github.com/huggingface/accelerate/blob/v1.15.0/src/accelerate/data_loader.py (SeedableRandomSampler)
 */
import type { BatchSamplerName } from './datasets.js';
import { TorchGenerator } from './torch_generator.js';

/** The seed fit() gives its trainer (6.0.1's fit passes no seed to the training arguments: their default, 42). */
export const FIT_TRAINER_SEED = 42;

/** One epoch's row order under the trainer's batch sampler (see the file comment). */
export function epochPermutation(n: number, sampler: BatchSamplerName, seed: number, epoch: number): number[] {
  return new TorchGenerator((sampler === 'no_duplicates' ? 0 : seed) + epoch).randperm(n);
}

/**
 * The row orders of fit()'s `DataLoader(shuffle=True)` loaders, iterated one after the other after
 * `torch.manual_seed(seed)`: per loader, two 64-bit draws of the global generator (base seed, sampler seed), the
 * sampler's generator seeded with the second one (mt19937 takes its low 32 bits, the 4th 32-bit output).
 */
export function dataLoaderPermutations(sizes: readonly number[], seed: number): number[][] {
  const global = new TorchGenerator(seed);
  return sizes.map((n) => {
    global.random();
    global.random();
    global.random();
    return new TorchGenerator(global.random()).randperm(n);
  });
}

/** torch's RandomSampler over n rows (lazy, like Python's generator: the draws happen when the rows are asked for). */
function* randomSampler(n: number, g: TorchGenerator): Generator<number> {
  yield* g.randperm(n);
  g.randperm(n); // `yield from torch.randperm(n)[:n % n]`: drawn, nothing yielded
}

/** torch's BatchSampler (drop_last false): `islice(sampler, batch_size)` until empty. */
function* batchSampler(rows: Iterator<number>, batchSize: number): Generator<number[]> {
  for (;;) {
    const batch: number[] = [];
    while (batch.length < batchSize) {
      const r = rows.next();
      if (r.done) break;
      batch.push(r.value);
    }
    if (batch.length === 0) return;
    yield batch;
  }
}

/**
 * fit()'s batches of one epoch per objective (row positions in each objective's dataset), as 6.0.1's
 * RoundRobinBatchSampler yields them: one shared generator seeded `FIT_TRAINER_SEED + epoch`, objectives in turn,
 * stopping at the first that runs out; one batch size for all (6.0.1's fit keeps the last loader's).
 */
export function roundRobinEpoch(sizes: readonly number[], batchSize: number, epoch: number): number[][][] {
  const g = new TorchGenerator(FIT_TRAINER_SEED + epoch);
  const iters = sizes.map((n) => batchSampler(randomSampler(n, g), batchSize));
  const out: number[][][] = sizes.map(() => []);
  for (let k = 0; ; k = (k + 1) % sizes.length) {
    const r = iters[k].next();
    if (r.done) return out;
    out[k].push(r.value);
  }
}

/**
 * How many batches fit()'s round robin yields per epoch (6.0.1 trains them all, including short last batches):
 * objective i is asked at turns i, i + k, ...; the round robin stops at the first request past an objective's
 * ceil(n_i / batch) batches.
 */
export function roundRobinLength(sizes: readonly number[], batchSize: number): number {
  const k = sizes.length;
  return Math.min(...sizes.map((n, i) => Math.ceil(n / batchSize) * k + i)); // spread-ok: one entry per objective
}

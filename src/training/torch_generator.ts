/**
 * torch's CPU generator (`torch.Generator()`: a 32-bit Mersenne Twister, mt19937) and its `torch.randperm` for
 * the sizes training uses, so that a seed gives the batches sentence-transformers gives (its samplers shuffle with
 * `torch.randperm(n, generator=g)`).
 *
 * - `manual_seed(seed)`: mt19937's standard initialisation from the low 32 bits of the seed
 *   (`state[0] = seed; state[i] = 1812433253 * (state[i-1] ^ (state[i-1] >> 30)) + i`), as at::mt19937.
 * - `random()`: the next tempered 32-bit output (CPUGeneratorImpl::random).
 * - `randperm(n)` for n < 2^32 / 20 (the CPU kernel's "small n" branch): start from 0..n-1, then for i in
 *   [0, n-1): z = random() % (n - i), swap(r[i], r[i + z]).
 *
 * References (pinned): https://github.com/pytorch/pytorch/blob/v2.6.0/aten/src/ATen/core/MT19937RNGEngine.h,
 * https://github.com/pytorch/pytorch/blob/v2.6.0/aten/src/ATen/CPUGeneratorImpl.cpp and randperm_cpu in
 * https://github.com/pytorch/pytorch/blob/v2.6.0/aten/src/ATen/native/TensorFactories.cpp
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The largest n the small-n randperm branch covers (torch: `n < uint32 max / 20`). */
const RANDPERM_SMALL_N = Math.floor(0xffffffff / 20);

/** A generator's full state (for checkpoints): the 624 words and the position. */
export interface TorchGeneratorState {
  words: number[];
  index: number;
}

/**
 * torch's CPU `torch.Generator`.
 * @example
 * ```ts
 * const g = new TorchGenerator(42);
 * g.randperm(5); // torch.randperm(5, generator=torch.Generator().manual_seed(42)).tolist()
 * ```
 */
export class TorchGenerator {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    this.manualSeed(seed);
  }

  /** `generator.manual_seed(seed)`: a non-negative integer (its low 32 bits seed mt19937, as torch). */
  manualSeed(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
    const mt = this.mt;
    mt[0] = seed % 0x100000000;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  /** The next 32-bit output (an integer in [0, 2^32)). */
  random(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k] & UPPER_MASK) | (mt[(k + 1) % N] & LOWER_MASK);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `torch.randperm(n, generator=this)` as a plain array. */
  randperm(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${n}`);
    if (n >= RANDPERM_SMALL_N) throw new Error(`randperm: n must be below ${RANDPERM_SMALL_N} (torch's small-n algorithm), got ${n}`);
    const r = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n - 1; i++) {
      const z = this.random() % (n - i);
      const save = r[i];
      r[i] = r[z + i];
      r[z + i] = save;
    }
    return r;
  }

  /** The state, to restore with {@link TorchGenerator.setState}. */
  get state(): TorchGeneratorState {
    return { words: Array.from(this.mt), index: this.index };
  }

  setState(s: TorchGeneratorState): void {
    if (!s || !Array.isArray(s.words) || s.words.length !== N || !Number.isInteger(s.index) || s.index < 0 || s.index > N) {
      throw new Error(`generator state must be { words: ${N} integers, index in [0, ${N}] }, got ${JSON.stringify(s)?.slice(0, 80)}`);
    }
    this.mt.set(s.words);
    this.index = s.index;
  }
}

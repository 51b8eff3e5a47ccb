/**
 * A small seeded generator (mulberry32) for the dropout masks' seeds: the same seed gives the same run. Its state is
 * one 32-bit integer, saved in checkpoints. (Shuffling uses torch's generator instead, ./torch_generator.ts, so that
 * batches are Python's; dropout masks cannot equal torch's anyway.)
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }


  /** The state, to restore with {@link Rng.setState}. */
  get state(): number {
    return this.s;
  }

  setState(s: number): void {
    this.s = s >>> 0;
  }
}

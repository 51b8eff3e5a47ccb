/**
 * A fuzz batch in a child process: runs inputs [from, to) of one target and reports each over IPC ('start' with
 * the mutation before running it, so that the parent can report a hang or a crash with it, then 'result').
 */
import { setLogLevel } from '../../src/util/logger.js';
import { Rng } from './mutate.js';
import { TARGETS } from './targets.js';
import type { Outcome } from './types.js';

interface Job {
  target: string;
  seed: number;
  from: number;
  to: number;
  fixtures: string;
}

export interface ChildMessage {
  type: 'start' | 'result' | 'done';
  index?: number;
  what?: string;
  outcome?: Outcome;
  ms?: number;
}

const send = (m: ChildMessage) => new Promise<void>((res) => process.send!(m, () => res()));

process.once('message', (job: Job) => {
  void (async () => {
    setLogLevel('silent');
    const target = TARGETS[job.target];
    for (let i = job.from; i < job.to; i++) {
      const rng = Rng.forInput(job.seed, i);
      const { what, run } = await target.prepare(job.fixtures, rng);
      await send({ type: 'start', index: i, what });
      const t0 = performance.now();
      let outcome: Outcome;
      try {
        outcome = await run();
      } catch (e) {
        outcome = { kind: 'stray', detail: `harness: ${(e as Error).stack}` };
      }
      await send({ type: 'result', index: i, outcome, ms: performance.now() - t0 });
    }
    await send({ type: 'done' });
    process.exit(0);
  })();
});

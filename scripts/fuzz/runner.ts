/**
 * The fuzz runner: inputs [start, start + count) of a target, in batches, each batch in a child process (so a
 * crash or an out-of-memory abort is caught), with a per-input time limit (a hang kills the child; the run goes on
 * from the next input). Every finding carries the seed, the index and the mutation, so it reproduces with
 * `npm run fuzz -- --target T --seed S --start I --count 1`.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './child.js';
import { TARGETS } from './targets.js';
import { FINDING_KINDS, type OutcomeKind } from './types.js';

export interface FuzzOptions {
  target: string;
  seed: number;
  count: number;
  start?: number;
  /** Inputs per child process (default 500). */
  batch?: number;
  fixtures: string;
  /** The child's V8 heap limit in MiB (default 1536): an allocation without bound aborts it, a crash finding. */
  heapMb?: number;
  /** Child processes run at once (default 1). */
  jobs?: number;
  /** Per-input time limit override (default: the target's). */
  timeoutMs?: number;
  /** Called with each finding as it is found. */
  onFinding?: (f: Finding) => void;
  /** Called after each input. */
  onProgress?: (done: number, s: FuzzSummary) => void;
}

export interface Finding {
  target: string;
  seed: number;
  index: number;
  kind: OutcomeKind;
  what: string;
  detail?: string;
  stack?: string;
}

export interface FuzzSummary {
  target: string;
  seed: number;
  counts: Record<OutcomeKind, number>;
  /** Rejections by error class. */
  rejectedBy: Record<string, number>;
  findings: Finding[];
  /** Slowest input, ms. */
  maxMs: number;
  /** Inputs that timed out once and were run again alone (a second time-out is a `hang`). */
  retriedTimeouts: number;
  wallMs: number;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');

/** Run the inputs; resolves with the counts and every finding. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const target = TARGETS[o.target];
  if (!target) throw new Error(`--target: unknown target ${JSON.stringify(o.target)} (expected one of ${Object.keys(TARGETS).join(', ')})`);
  const timeoutMs = o.timeoutMs ?? target.timeoutMs;
  const s: FuzzSummary = {
    target: o.target,
    seed: o.seed,
    counts: { accepted: 0, rejected: 0, stray: 0, invariant: 0, hang: 0, crash: 0 },
    rejectedBy: {},
    findings: [],
    maxMs: 0,
    retriedTimeouts: 0,
    wallMs: 0,
  };
  const t0 = performance.now();
  const start = o.start ?? 0;
  const end = start + o.count;
  const batch = o.batch ?? 500;
  let done = 0;
  const record = (index: number, kind: OutcomeKind, what: string, detail?: string, stack?: string) => {
    s.counts[kind]++;
    done++;
    if (kind === 'rejected') s.rejectedBy[detail ?? '?'] = (s.rejectedBy[detail ?? '?'] ?? 0) + 1;
    if (FINDING_KINDS.includes(kind)) {
      const f: Finding = { target: o.target, seed: o.seed, index, kind, what, detail, stack };
      s.findings.push(f);
      o.onFinding?.(f);
    }
    o.onProgress?.(done, s);
  };
  const queue: [number, number][] = [];
  for (let b = start; b < end; b += batch) queue.push([b, Math.min(end, b + batch)]);
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      // A hang or crash ends the child; go on from the input after it.
      for (let from = job[0]; from < job[1]; ) {
        const r = await runBatch(o, from, job[1], timeoutMs, record, s, false);
        if (r.hungAt === undefined) {
          from = r.next;
          continue;
        }
        // A time-out is confirmed by running the input again alone in a fresh child: on a loaded machine a stall
        // of the whole system looks like a hang. Only a second time-out is recorded as one.
        s.retriedTimeouts++;
        await runBatch(o, r.hungAt, r.hungAt + 1, timeoutMs, record, s, true);
        from = r.hungAt + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs ?? 1) }, worker));
  s.wallMs = performance.now() - t0;
  return s;
}

/** One child over [from, to); returns where the next batch starts (after a hang or crash: the input after it). */
function runBatch(
  o: FuzzOptions,
  from: number,
  to: number,
  timeoutMs: number,
  record: (index: number, kind: OutcomeKind, what: string, detail?: string, stack?: string) => void,
  s: FuzzSummary,
  confirming: boolean,
): Promise<{ next: number; hungAt?: number }> {
  return new Promise((resolveBatch) => {
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${o.heapMb ?? 1536}`, '--stack-size=984'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let current: { index: number; what: string } | null = null;
    let lastDone = from - 1;
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    let finished = false;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, ms);
    };
    arm(120_000); // child start-up
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'start') {
        current = { index: m.index!, what: m.what! };
        arm(timeoutMs);
      } else if (m.type === 'result') {
        clearTimeout(timer);
        s.maxMs = Math.max(s.maxMs, m.ms ?? 0);
        record(m.index!, m.outcome!.kind, current?.what ?? '', m.outcome!.detail, m.outcome!.stack);
        lastDone = m.index!;
        current = null;
        arm(120_000);
      } else if (m.type === 'done') {
        finished = true;
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (finished && code === 0) return resolveBatch({ next: to });
      if (current) {
        const c = current as { index: number; what: string };
        if (hung && !confirming) return resolveBatch({ next: c.index + 1, hungAt: c.index });
        if (hung) record(c.index, 'hang', c.what, `no result within ${timeoutMs} ms, twice (the second time alone in a fresh child)`);
        else record(c.index, 'crash', c.what, `child exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
        return resolveBatch({ next: c.index + 1 });
      }
      // Died between inputs (start-up failure): report once on the next input and skip it, so the run ends.
      record(lastDone + 1, 'crash', '(between inputs)', `child exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      resolveBatch({ next: lastDone + 2 });
    });
    child.send({ target: o.target, seed: o.seed, from, to, fixtures: o.fixtures });
  });
}

// Mocha reporter: the spec reporter, then the slowest test files (wall time from a file's first suite start to its
// last suite end, hooks included), then one plain closing line that CI reads: "N passed, N failed, N skipped".
// TEST_FILE_TIMES=<path>: also writes every file's time (seconds, slowest first) there as JSON, for CI's budget.
'use strict';
const Mocha = require('mocha');
const fs = require('node:fs');
const path = require('node:path');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

const SLOWEST_FILES = 12;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const fileMs = new Map();
    const open = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent && suite.parent.root) open.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = open.get(suite);
      if (t0 === undefined) return;
      open.delete(suite);
      const f = path.relative(process.cwd(), suite.file);
      fileMs.set(f, (fileMs.get(f) || 0) + (Date.now() - t0));
    });
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      // Print after Spec's epilogue.
      process.nextTick(() => {
        const all = [...fileMs.entries()].sort((a, b) => b[1] - a[1]);
        if (process.env.TEST_FILE_TIMES) {
          fs.writeFileSync(process.env.TEST_FILE_TIMES, JSON.stringify(Object.fromEntries(all.map(([f, ms]) => [f, ms / 1000])), null, 1) + '\n');
        }
        const slow = all.slice(0, SLOWEST_FILES);
        if (slow.length > 1) {
          process.stdout.write(`\nslowest test files:\n`);
          for (const [f, ms] of slow) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${f}\n`);
        }
        process.stdout.write(`\n${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped\n`);
      });
    });
  }
}
module.exports = SummaryReporter;

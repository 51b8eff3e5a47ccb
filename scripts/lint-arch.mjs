#!/usr/bin/env node
// `npm run lint:arch`: the house plan of docs/architecture.md, checked. Runs both checks even when the first fails:
//   `npm run lint:deps`: dependency-cruiser (.dependency-cruiser.cjs), forbidden imports, each reported with its rule's name;
//   `npm run lint:dead`: knip (knip.json), unused files, exports and dependencies.
// Exits 1 when either reports a problem.
import { spawnSync } from 'node:child_process';

const npmCli = process.env.npm_execpath; // set when run through npm
const failed = [];
for (const script of ['lint:deps', 'lint:dead']) {
  console.log(`[lint:arch] npm run ${script}`);
  const res = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', '--silent', script], { stdio: 'inherit' })
    : spawnSync('npm', ['run', '--silent', script], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (res.status !== 0) failed.push(script);
}
console.log(failed.length ? `[lint:arch] FAILED: ${failed.join(', ')}` : '[lint:arch] ok (lint:deps, lint:dead)');
process.exit(failed.length ? 1 : 0);

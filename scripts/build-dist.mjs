#!/usr/bin/env node
// `npm run build` (also `prepare`, so git installs and `npm pack` get a dist/): a clean dist/ from tsc with
// tsconfig.build.json (ES modules + .d.ts, no source maps: the package ships no src/ for them to point at).
// dist/ is emptied first so that nothing stale (a deleted module, a test's dist/web-demo/) can be packed.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// tsc emits no .js sources: copy the generated gradient bundle (see scripts/build-gradients.mjs).
copyFileSync(join(ROOT, 'src', 'training', 'tfjs_gradients.js'), join(DIST, 'training', 'tfjs_gradients.js'));
// The bin runs through its shebang (`./dist/cli/main.js`, `npx sentence-tfjs` in a clone).
chmodSync(join(DIST, 'cli', 'main.js'), 0o755);

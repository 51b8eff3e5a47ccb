/**
 * Where the shared reference fixtures live. Parity tests read them in place:
 * `$SENTENCE_TFJS_FIXTURES`, else `../shared/fixtures` beside the project root.
 * Tests call `requireFixtures(this, ...)` and are skipped, with a message naming the path, only when the files are
 * absent. On CI (`CI` set) with the fixtures folder present, a missing fixture is an error instead of a skip: CI must
 * not pass by skipping the parity suites.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function fixturesDir(): string {
  return process.env.SENTENCE_TFJS_FIXTURES
    ? resolve(process.env.SENTENCE_TFJS_FIXTURES)
    : resolve(PROJECT_ROOT, '..', 'shared', 'fixtures');
}

/** Absolute path of a file or folder inside the fixtures directory. */
export function fixture(...parts: string[]): string {
  return join(fixturesDir(), ...parts);
}

/** Whether we run on CI: `CI` set to anything but '', '0' or 'false' (GitHub Actions and most CIs set CI=true). */
export function onCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Raised on CI when the fixtures folder is there but a fixture a suite needs is not. */
export class MissingFixtureError extends Error {
  constructor(readonly path: string) {
    super(`fixture not found: ${path} (CI is set and the fixtures folder ${fixturesDir()} exists, so a parity suite may not skip)`);
    this.name = 'MissingFixtureError';
  }
}

/** Skip messages already printed, per top-level suite and path (one message per suite, not one per test). */
const warned = new Set<string>();

/** The title of the top-level `describe` that `ctx` runs in ('' outside mocha). */
function topSuiteTitle(ctx: Pick<Mocha.Context, 'skip'>): string {
  const runnable = (ctx as Partial<Mocha.Context>).currentTest ?? (ctx as Partial<Mocha.Context>).test;
  let suite = runnable?.parent;
  while (suite?.parent && !suite.parent.root) suite = suite.parent;
  return suite?.title ?? '';
}

/** The first of `parts` (paths inside the fixtures folder; none = the folder itself) that does not exist, or null. */
export function missingFixture(...parts: string[][]): string | null {
  for (const p of parts.length ? parts : [[]]) {
    const path = fixture(...p);
    if (!existsSync(path)) return path;
  }
  return null;
}

/**
 * Skip the current test or suite (mocha `this`) when a fixture path is missing, printing why once.
 * Returns true when everything is present. On CI with the fixtures folder present, a missing path throws a
 * {@link MissingFixtureError} naming it, so the suite fails instead of skipping.
 */
export function requireFixtures(ctx: Pick<Mocha.Context, 'skip'>, ...parts: string[][]): boolean {
  const path = missingFixture(...parts);
  if (path === null) return true;
  if (onCI() && existsSync(fixturesDir())) throw new MissingFixtureError(path);
  const suite = topSuiteTitle(ctx);
  const key = `${suite}\0${path}`;
  if (!warned.has(key)) {
    warned.add(key);
    console.warn(`  [skip] ${suite ? `${suite}: ` : ''}fixture not found: ${path} (set SENTENCE_TFJS_FIXTURES to the shared fixtures folder)`);
  }
  ctx.skip();
  return false;
}

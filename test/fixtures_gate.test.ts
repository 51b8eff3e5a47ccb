/**
 * The fixture gate of test/helpers/fixtures.ts: a suite whose fixtures are absent skips with a message naming the
 * path, except on CI with the fixtures folder present, where the suite fails (CI must not pass by skipping parity).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, MissingFixtureError, onCI, requireFixtures } from './helpers/fixtures.js';

describe('fixture gate (requireFixtures)', () => {
  const saved = { CI: process.env.CI, SENTENCE_TFJS_FIXTURES: process.env.SENTENCE_TFJS_FIXTURES };
  let dir = '';
  let skips = 0;
  const ctx = { skip: () => void skips++ } as unknown as Mocha.Context;
  const setEnv = (name: 'CI' | 'SENTENCE_TFJS_FIXTURES', value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  let warn: typeof console.warn;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'st-fixtures-'));
    mkdirSync(join(dir, 'models', 'tiny'), { recursive: true });
    writeFileSync(join(dir, 'models', 'tiny', 'config.json'), '{}');
    setEnv('SENTENCE_TFJS_FIXTURES', dir);
    skips = 0;
    warn = console.warn;
    console.warn = () => {}; // the skip message is printed once per path; keep the test output clean
  });
  afterEach(() => {
    console.warn = warn;
    setEnv('CI', saved.CI);
    setEnv('SENTENCE_TFJS_FIXTURES', saved.SENTENCE_TFJS_FIXTURES);
    rmSync(dir, { recursive: true, force: true });
  });

  it('present fixtures pass on and off CI, without skipping', () => {
    for (const ci of [undefined, 'true']) {
      setEnv('CI', ci);
      assert.equal(requireFixtures(ctx, ['models', 'tiny', 'config.json'], ['models']), true);
      assert.equal(requireFixtures(ctx), true); // no parts: the folder itself
    }
    assert.equal(skips, 0);
  });

  it('off CI, a missing fixture skips the suite and returns false', () => {
    setEnv('CI', undefined);
    assert.equal(requireFixtures(ctx, ['models', 'tiny'], ['models', 'missing']), false);
    assert.equal(skips, 1);
  });

  it('on CI with the fixtures folder present, a missing fixture throws an error naming its path', () => {
    setEnv('CI', 'true');
    assert.throws(
      () => requireFixtures(ctx, ['models', 'tiny'], ['reference', 'absent', 'reference.json']),
      (e: unknown) => e instanceof MissingFixtureError && e.path === join(dir, 'reference', 'absent', 'reference.json') && e.message.includes(e.path),
    );
    assert.equal(skips, 0);
  });

  it('on CI without any fixtures folder (a bare clone), missing fixtures still skip', () => {
    setEnv('CI', 'true');
    setEnv('SENTENCE_TFJS_FIXTURES', join(dir, 'nonexistent'));
    assert.equal(fixturesDir(), join(dir, 'nonexistent'));
    assert.equal(requireFixtures(ctx, ['models', 'tiny']), false);
    assert.equal(skips, 1);
  });

  it('CI counts as set for any value but empty, 0 or false', () => {
    assert.equal(onCI({}), false);
    for (const v of ['', '0', 'false', 'FALSE']) assert.equal(onCI({ CI: v }), false, JSON.stringify(v));
    for (const v of ['true', '1', 'yes']) assert.equal(onCI({ CI: v }), true, v);
  });
});

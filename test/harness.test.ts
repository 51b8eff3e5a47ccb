import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fixture, requireFixtures } from './helpers/fixtures.js';

describe('test harness', () => {
  it('finds the shared fixtures folder (or says where it looked)', function () {
    requireFixtures(this, ['README.md']);
    assert.ok(existsSync(fixture('README.md')));
  });
});

// The TypeScript declarations partners get (www/newswire.d.ts) type-check a partner's
// usage (tests/types/usage.ts), including the mistakes they must catch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

test('the TypeScript declarations accept real usage and reject mistakes', () => {
  const tsc = 'node_modules/.bin/tsc';
  const args = ['--noEmit', '--strict', '--target', 'es2020', '--lib', 'es2020,dom', '--moduleResolution', 'node'];
  try {
    execFileSync(tsc, [...args, 'tests/types/usage.ts'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    assert.fail(`tsc found errors:\n${err.stdout}${err.stderr}`);
  }
});

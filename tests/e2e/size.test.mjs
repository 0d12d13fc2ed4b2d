// Size is the one performance figure that fails a test: the brotli bytes a partner page
// downloads before first render must stay within the budget recorded in wire-size.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { wireSizes, WIRE_BUDGET_BYTES } from '../../scripts/wire-size.mjs';
import { DIST } from './harness.mjs';

test(`the widget's first-render bytes stay within ${WIRE_BUDGET_BYTES / 1000} KB brotli`, () => {
  const { files, total } = wireSizes(join(DIST, 'newswire'));
  const table = files.map((f) => `${f.name}: ${f.brotli}`).join(', ');
  assert.ok(total.brotli <= WIRE_BUDGET_BYTES, `${total.brotli} bytes > budget (${table})`);
});

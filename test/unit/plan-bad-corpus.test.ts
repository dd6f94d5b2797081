import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { formatPlanError, parsePlan } from '../../src/model/plan.js';

const DIR = new URL('../fixtures/plans/bad/', import.meta.url);

test('every bad plan gives exactly its expected errors, and no plan', async (t) => {
  const files = readdirSync(DIR).filter((f) => !f.endsWith('.expected')).sort();
  assert.ok(files.length >= 20);
  for (const file of files) {
    await t.test(file, () => {
      const expected = readFileSync(new URL(file.replace(/\.[a-z]+$/, '.expected'), DIR), 'utf8').trimEnd().split('\n');
      const { plan, errors } = parsePlan(readFileSync(new URL(file, DIR), 'utf8'), file);
      assert.equal(plan, null);
      assert.deepEqual(errors.map(formatPlanError), expected);
    });
  }
});

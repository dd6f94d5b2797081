import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { planSchemaText, SCHEMA_FILE } from '../../scripts/gen-plan-schema.js';

test('plans/plan.schema.json is what scripts/gen-plan-schema.ts writes now', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), planSchemaText(), 'stale: run npx tsx scripts/gen-plan-schema.ts');
});

test('the JSON Schema rejects unknown keys and names the defaults', () => {
  const schema = JSON.parse(planSchemaText());
  assert.equal(schema.additionalProperties, false);
  const app = schema.properties.apps.additionalProperties;
  assert.equal(app.additionalProperties, false);
  assert.deepEqual(app.required, ['image']);
  assert.equal(app.properties.port.default, 8080);
  assert.equal(app.properties.director.default, 'round_robin');
});

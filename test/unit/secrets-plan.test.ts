import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { PlanStore } from '../../src/adapters/store/plans.js';
import { secretStorePath } from '../../src/adapters/store/secrets.js';
import { deploySecrets, listSecrets, removeSecret, setSecret } from '../../src/secrets/secrets.js';
import { app, plan } from './helpers/cluster.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cmx-secrets-plan-'));

test('a plan\'s own value of a secret wins for its apps; the other plans keep the global one', () => {
  const d = dir();
  const apps = [app('web', { secrets: ['DB_PASSWORD'] })];
  new PlanStore(d).save('hello', plan(apps));
  new PlanStore(d).save('staging', plan(apps));
  setSecret(d, 'DB_PASSWORD', 'prod-value');
  const r = setSecret(d, 'DB_PASSWORD', 'staging-value', undefined, 'staging');
  assert.deepEqual(r, { replaced: false, usedBy: ['staging/web'] });
  assert.deepEqual(deploySecrets(d, apps, undefined, 'staging').envOf('web'), { DB_PASSWORD: 'staging-value' });
  assert.deepEqual(deploySecrets(d, apps, undefined, 'hello').envOf('web'), { DB_PASSWORD: 'prod-value' });
  // the effective value is what the revision fingerprints: the two plans' web differ
  assert.notEqual(deploySecrets(d, apps, undefined, 'staging').fingerprints.get('DB_PASSWORD'), deploySecrets(d, apps, undefined, 'hello').fingerprints.get('DB_PASSWORD'));
  assert.deepEqual(listSecrets(d).map((s) => [s.name, s.usedBy]), [['DB_PASSWORD', ['hello/web']], ['staging/DB_PASSWORD', ['staging/web']]]);
  const file = readFileSync(secretStorePath(d), 'utf8');
  assert.ok(!file.includes('staging-value') && !file.includes('prod-value'));
  // removing the plan's own value: its apps fall back on the global one, so it is not "in use"
  assert.deepEqual(removeSecret(d, 'DB_PASSWORD', false, undefined, 'staging'), { usedBy: [] });
  assert.deepEqual(deploySecrets(d, apps, undefined, 'staging').envOf('web'), { DB_PASSWORD: 'prod-value' });
  assert.throws(() => setSecret(d, 'DB_PASSWORD', 'x', undefined, '../etc'), (e: Error) => e instanceof UserError && e.message.startsWith('--plan '));
});

test('a plan-only secret is missing for the other plans\' deploys', () => {
  const d = dir();
  const apps = [app('web', { secrets: ['TOKEN'] })];
  setSecret(d, 'TOKEN', 'only-staging', undefined, 'staging');
  assert.deepEqual(deploySecrets(d, apps, undefined, 'staging').missing, []);
  assert.deepEqual(deploySecrets(d, apps, undefined, 'hello').missing, [{ app: 'web', index: 0, name: 'TOKEN' }]);
});

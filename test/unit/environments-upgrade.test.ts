import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History } from '../../src/adapters/store/history.js';
import { PlanStore } from '../../src/adapters/store/plans.js';
import { SecretStore } from '../../src/adapters/store/secrets.js';
import type { Config } from '../../src/config.js';
import { knownGoodOf } from '../../src/deploy/known-good.js';
import { rollbackPlan } from '../../src/deploy/rollback.js';
import { UserError } from '../../src/errors.js';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import { crossPlanClashes } from '../../src/model/plan/cross-plan.js';
import { can } from '../../src/model/users/permissions.js';
import { deployedApp } from '../../src/plans/deployed-app.js';
import { deploySecrets } from '../../src/secrets/secrets.js';
import { addUser } from '../../src/users/users.js';

// test/fixtures/state-before-environments: what cloudmatrix wrote before #21 (a592d09's stores,
// gen-state.ts.txt, run from a checkout of a592d09): plan hello (web, api) deployed twice, one known-good container of web.
const FIXTURE = new URL('../fixtures/state-before-environments/', import.meta.url).pathname;

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-upgrade-'));
  cpSync(FIXTURE, dir, { recursive: true, filter: (src) => !src.endsWith('.txt') });
  return dir;
}

test('state written before environments: apps, rollback, known-good, global secrets and users keep working', async () => {
  const dir = stateDir();
  const config = { stateDir: dir } as Config;
  assert.deepEqual(deployedApp(dir, 'web').id, { plan: 'hello', app: 'web' });
  const { checked, target } = rollbackPlan(config, 'web');
  assert.equal(checked.name, 'hello');
  assert.equal(target.digest, `sha256:${'1'.repeat(64)}`);
  const container = { id: 'c0ffee01', plan: 'hello', app: 'web' } as CloudContainer;
  assert.equal(knownGoodOf(dir, [container]).isGood('c0ffee01'), true);
  new SecretStore(dir).set('DB_PASSWORD', 'global-value');
  const apps = new PlanStore(dir).get('hello')!.apps;
  assert.deepEqual(deploySecrets(dir, apps, undefined, 'hello').envOf('web'), { DB_PASSWORD: 'global-value' });
  const { user } = await addUser(dir, { name: 'olddev', role: 'deployer', apps: 'web' });
  // an entry of before (a bare app name) covers that app in every plan, as it did
  assert.equal(can(user, 'deploy', 'web', 'hello'), true);
  assert.equal(can(user, 'deploy', 'web', 'staging'), true);
  assert.equal(can(user, 'deploy', 'api', 'hello'), false);
  assert.equal(new History(dir).list('web').length, 2);
});

test('after the upgrade a second plan with the same app name: the old plan\'s app needs PLAN/APP, its history stays its own', () => {
  const dir = stateDir();
  const store = new PlanStore(dir);
  const hello = store.get('hello')!;
  const staging = { ...hello, file: 'plans/staging.yaml', apps: hello.apps.map((a) => ({ ...a, hosts: [`${a.name}.staging.matrix.test`] })) };
  assert.deepEqual(crossPlanClashes({ name: 'staging', plan: staging }, { file: 'plans/staging.yaml', locate: () => ({ line: 1, col: 1 }) }, store.list()), []);
  store.save('staging', staging);
  assert.throws(() => deployedApp(dir, 'web'), (e: Error) => e instanceof UserError && /ambiguous: hello\/web, staging\/web/.test(e.message));
  assert.equal(rollbackPlan({ stateDir: dir } as Config, 'hello/web').checked.name, 'hello');
  assert.throws(() => rollbackPlan({ stateDir: dir } as Config, 'staging/web'), /no successful deploy of "web"/);
  assert.equal(new History(dir).revisions('staging', 'web').length, 0);
});

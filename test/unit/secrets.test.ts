import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvError, UserError } from '../../src/errors.js';
import { SecretStore, secretKeyPath, secretStorePath } from '../../src/adapters/store/secrets.js';
import { PlanStore } from '../../src/adapters/store/plans.js';
import { formatPlanError, parsePlan } from '../../src/model/plan.js';
import { appRevision } from '../../src/model/revision.js';
import { redact, secretFingerprint, valueFromStdin } from '../../src/model/secrets.js';
import { deploySecrets, listSecrets, removeSecret, setSecret } from '../../src/secrets/secrets.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cmx-secrets-'));
const VALUE = 's3cr3t-Value-With=Equals';

test('a secret round-trips; key and store are 0600 and the store holds no plain value', () => {
  const d = dir();
  const store = new SecretStore(d);
  store.set('DB_PASS', VALUE);
  assert.equal(statSync(secretKeyPath(d)).mode & 0o777, 0o600);
  assert.equal(statSync(secretStorePath(d)).mode & 0o777, 0o600);
  assert.equal(Buffer.from(readFileSync(secretKeyPath(d), 'utf8').trim(), 'base64').length, 32);
  const text = readFileSync(secretStorePath(d), 'utf8');
  assert.ok(!text.includes(VALUE) && !text.includes(Buffer.from(VALUE).toString('base64')));
  assert.equal(new SecretStore(d).values(['DB_PASS']).get('DB_PASS'), VALUE);
  assert.deepEqual(store.list().map((e) => e.name), ['DB_PASS']);
});

test('a value moved to another name, or read with another key, does not decrypt (EnvError naming only the secret)', () => {
  const d = dir();
  new SecretStore(d).set('A_KEY', VALUE);
  const all = JSON.parse(readFileSync(secretStorePath(d), 'utf8'));
  writeFileSync(secretStorePath(d), JSON.stringify({ B_KEY: all.A_KEY }));
  assert.throws(() => new SecretStore(d).values(['B_KEY']), (e: Error) => e instanceof EnvError && !e.message.includes(VALUE) && /B_KEY/.test(e.message));
  const d2 = dir();
  new SecretStore(d2).set('A_KEY', VALUE);
  writeFileSync(secretKeyPath(d2), `${Buffer.alloc(32, 7).toString('base64')}\n`);
  assert.throws(() => new SecretStore(d2).values(['A_KEY']), EnvError);
});

test('set, list (with the deployed apps that use it), rm refuses a used secret without force', () => {
  const d = dir();
  assert.equal(setSecret(d, 'TOKEN', 'abc').replaced, false);
  assert.equal(setSecret(d, 'TOKEN', 'abcd').replaced, true);
  const plan = parsePlan('apps:\n  web:\n    image: cloud/web:1\n    secrets: [TOKEN]\n', 'shop.yaml').plan!;
  new PlanStore(d).save('shop', plan);
  assert.deepEqual(listSecrets(d).map((r) => [r.name, r.usedBy]), [['TOKEN', ['shop/web']]]);
  assert.throws(() => removeSecret(d, 'TOKEN', false), /used by shop\/web/);
  assert.deepEqual(removeSecret(d, 'TOKEN', true).usedBy, ['shop/web']);
  assert.throws(() => removeSecret(d, 'TOKEN', true), /not set/);
  assert.throws(() => setSecret(d, 'lower', 'x'), UserError);
  assert.throws(() => setSecret(d, 'E', ''), /empty/);
  assert.throws(() => setSecret(d, 'E', 'a\0b'), /NUL/);
  for (const bad of [() => setSecret(d, 'E', ''), () => setSecret(d, 'E', 'x\0secretvalue')]) {
    assert.throws(bad, (e: Error) => !e.message.includes('secretvalue'));
  }
});

test('stdin: one trailing line end is dropped, the rest kept', () => {
  assert.equal(valueFromStdin('pw\n'), 'pw');
  assert.equal(valueFromStdin('pw\r\n'), 'pw');
  assert.equal(valueFromStdin('pw\n\n'), 'pw\n');
  assert.equal(valueFromStdin('a\nb'), 'a\nb');
});

test('deploySecrets: env per app, fingerprints, every missing name with its place', () => {
  const d = dir();
  setSecret(d, 'DB', 'one');
  const s = deploySecrets(d, [{ name: 'web', secrets: ['DB', 'NOPE'] }, { name: 'jobs', secrets: ['DB'] }, { name: 'plain' }]);
  assert.deepEqual(s.envOf('web'), { DB: 'one' });
  assert.deepEqual(s.envOf('plain'), {});
  assert.deepEqual(s.missing, [{ app: 'web', index: 1, name: 'NOPE' }]);
  assert.match(s.fingerprints.get('DB')!, /^[0-9a-f]{16}$/);
  assert.notEqual(s.fingerprints.get('DB'), 'one');
  assert.deepEqual(s.values, ['one']);
  assert.equal(deploySecrets(dir(), [{ name: 'x' }]).fingerprints.size, 0);
});

test('revision: covers a used secret by fingerprint; apps without secrets keep their revision', () => {
  const key = Buffer.alloc(32, 1);
  const plain = parsePlan('apps:\n  web:\n    image: cloud/web:1\n', 'p.yaml').plan!.apps[0]!;
  const withS = parsePlan('apps:\n  web:\n    image: cloud/web:1\n    secrets: [DB]\n', 'p.yaml').plan!.apps[0]!;
  assert.equal(plain.secrets, undefined);
  const fp1 = new Map([['DB', secretFingerprint(key, 'DB', 'one')]]);
  const fp2 = new Map([['DB', secretFingerprint(key, 'DB', 'two')]]);
  assert.equal(appRevision(plain, 'sha256:1', fp1), appRevision(plain, 'sha256:1', fp2));
  assert.equal(appRevision(plain, 'sha256:1'), appRevision(plain, 'sha256:1', fp1));
  assert.notEqual(appRevision(withS, 'sha256:1', fp1), appRevision(withS, 'sha256:1', fp2));
  assert.equal(appRevision(withS, 'sha256:1', fp1), appRevision(withS, 'sha256:1', new Map(fp1)));
  assert.notEqual(secretFingerprint(key, 'DB', 'one'), secretFingerprint(Buffer.alloc(32, 2), 'DB', 'one'));
  assert.notEqual(secretFingerprint(key, 'DB', 'one'), secretFingerprint(key, 'DC', 'one'));
});

test('plan: secrets are names [A-Z_][A-Z0-9_]*, once each, not also in env (file:line:col)', () => {
  const errorsOf = (app: string) => parsePlan(`apps:\n  web:\n    image: cloud/web:1\n${app}`, 'p.yaml').errors.map(formatPlanError);
  assert.deepEqual(errorsOf('    secrets: [DB_PASSWORD, _X, K9]\n'), []);
  assert.deepEqual(errorsOf('    secrets: [DB, db-pass]\n'), [
    'p.yaml:4:19: apps.web.secrets[1]: expected a secret name: upper-case letters, digits and "_", not starting with a digit, got "db-pass"',
  ]);
  assert.deepEqual(errorsOf('    secrets: [DB, DB]\n'), ['p.yaml:4:19: apps.web.secrets[1]: secret DB is listed twice']);
  assert.deepEqual(errorsOf('    env: { DB: x }\n    secrets: [DB]\n'), ['p.yaml:5:15: apps.web.secrets[0]: DB is also set in env; a variable comes from one of them']);
  assert.match(errorsOf('    secrets: DB\n')[0]!, /apps\.web\.secrets: expected a list/);
  assert.match(errorsOf('    secret: [DB]\n')[0]!, /unknown key \(did you mean secrets\?\)/);
});

test('redact: takes every value out, longest first', () => {
  assert.equal(redact('pw=hunter22 and hunter2', ['hunter2', 'hunter22']), 'pw=[secret] and [secret]');
  assert.equal(redact('abc', ['ab']), 'abc', 'values under 4 characters are left (they would blank ordinary words)');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { authorizedKeys } from '../../src/model/users/authorized-keys.js';
import { parseAppList } from '../../src/model/users/names.js';
import { allowedByRule, appsTouched, can, firstForbidden, routeRule, ROLES, type Principal } from '../../src/model/users/permissions.js';
import { parsePublicKey } from '../../src/model/users/ssh-key.js';
import { app, plan } from './helpers/cluster.js';

const APPS = ['web', 'api', 'db', 'other'];
const principalArb = fc.record({
  name: fc.constantFrom('alice', 'bob'),
  role: fc.constantFrom(...ROLES),
  apps: fc.subarray(APPS),
});

test('admins may do everything; nobody else may administer; a deployer deploys exactly its apps; a viewer deploys nothing', () => {
  fc.assert(fc.property(principalArb, fc.constantFrom(...APPS), (p, a) => {
    assert.equal(can(p, 'admin'), p.role === 'admin');
    assert.equal(can(p, 'read', a), p.role === 'admin' || p.apps.includes(a));
    assert.equal(can(p, 'deploy', a), p.role === 'admin' || (p.role === 'deployer' && p.apps.includes(a)));
    // deploy implies read
    if (can(p, 'deploy', a)) assert.ok(can(p, 'read', a));
  }));
});

test('a plan deploy is allowed exactly when every app it adds, changes or removes is the caller\'s', () => {
  const planArb = fc.subarray(APPS).chain((names) => fc.tuple(...names.map((n) => fc.integer({ min: 1, max: 3 }).map((r) => app(n, { replicas: r })))));
  fc.assert(fc.property(principalArb, fc.option(planArb, { nil: null }), planArb, (p, before, after) => {
    const touched = appsTouched(before === null ? null : plan(before), plan(after));
    const bad = firstForbidden(p, touched);
    assert.equal(bad === null, touched.every((a) => can(p, 'deploy', a)));
    if (bad !== null) assert.equal(bad, touched.find((a) => !can(p, 'deploy', a)));
    // An app in both with the same spec is never touched.
    for (const a of after) {
      const b = before?.find((x) => x.name === a.name);
      if (b && b.replicas === a.replicas) assert.ok(!touched.includes(a.name));
    }
  }));
});

test('appsTouched: added, changed and removed apps by name; an autoscaled app\'s current count is not a change', () => {
  const before = plan([app('web'), app('api'), app('db', { replicas: 3, replicaRange: { min: 1, max: 5 } })]);
  const after = plan([app('web', { env: { A: '1' } }), app('db', { replicas: 1, replicaRange: { min: 1, max: 5 } }), app('new')]);
  assert.deepEqual(appsTouched(before, after), ['api', 'new', 'web']);
  assert.deepEqual(appsTouched(null, after), ['db', 'new', 'web']);
  assert.deepEqual(appsTouched(before, before), []);
});

test('route rules: unknown routes need an admin; app routes name their app (PLAN/APP too)', () => {
  assert.deepEqual(routeRule('GET', '/api/nodes'), { need: 'admin' });
  assert.deepEqual(routeRule('GET', '/metrics'), { need: 'admin' });
  assert.deepEqual(routeRule('DELETE', '/api/users/bob'), { need: 'admin' });
  assert.deepEqual(routeRule('GET', '/api/whatever-comes-later'), { need: 'admin' });
  assert.deepEqual(routeRule('GET', '/api/apps'), { need: 'filtered' });
  assert.deepEqual(routeRule('GET', '/api/apps/'), { need: 'filtered' });
  assert.deepEqual(routeRule('GET', '/api/apps/web/logs'), { need: 'read', app: 'web' });
  assert.deepEqual(routeRule('GET', '/api/apps/site%2Fweb/logs'), { need: 'read', app: 'web', plan: 'site' });
  assert.deepEqual(routeRule('POST', '/api/apps/web/rollback'), { need: 'deploy', app: 'web' });
  assert.deepEqual(routeRule('POST', '/api/apps/web/scale'), { need: 'deploy', app: 'web' });
  assert.deepEqual(routeRule('POST', '/api/apps/%E0%A4%A/rollback'), { need: 'admin' });
  assert.deepEqual(routeRule('POST', '/api/deploys'), { need: 'plan-deploy' });
  assert.deepEqual(routeRule('GET', '/api/deploys/abc/events'), { need: 'job' });
  assert.deepEqual(routeRule('POST', '/api/plans/check'), { need: 'signed-in' });
  assert.deepEqual(routeRule('GET', '/api/me'), { need: 'signed-in' });
  const viewer: Principal = { name: 'v', role: 'viewer', apps: ['web'] };
  assert.equal(allowedByRule(viewer, routeRule('GET', '/api/apps/web/logs')), true);
  assert.equal(allowedByRule(viewer, routeRule('GET', '/api/apps/api/logs')), false);
  assert.equal(allowedByRule(viewer, routeRule('POST', '/api/apps/web/rollback')), false);
  assert.equal(allowedByRule(viewer, routeRule('GET', '/api/nodes')), false);
});

test('route rules never let a non-admin through an admin route, whatever the path', () => {
  fc.assert(fc.property(principalArb, fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), fc.string({ maxLength: 40 }), (p, m, tail) => {
    const rule = routeRule(m, `/api/${tail}`);
    if (rule.need === 'admin') assert.equal(allowedByRule(p, rule), p.role === 'admin');
    if ('app' in rule) assert.equal(allowedByRule(p, rule), can(p, rule.need, rule.app));
  }));
});

test('parseAppList', () => {
  assert.deepEqual(parseAppList('web,api,web'), { apps: ['api', 'web'] });
  assert.match((parseAppList('web,') as { error: string }).error, /app name/);
  assert.match((parseAppList('wеb') as { error: string }).error, /app name/); // Cyrillic е
});

test('public keys: the fingerprint is ssh-keygen\'s; options, private keys, two keys and garbage are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-keys-'));
  for (const type of ['ed25519', 'rsa', 'ecdsa']) {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `me@${type}`, '-f', join(dir, type)]);
    const text = readFileSync(join(dir, `${type}.pub`), 'utf8');
    const got = parsePublicKey(text);
    assert.ok('key' in got, JSON.stringify(got));
    const want = execFileSync('ssh-keygen', ['-l', '-f', join(dir, `${type}.pub`)], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(got.key.fingerprint, want);
    assert.equal(got.key.comment, `me@${type}`);
    assert.ok('error' in parsePublicKey(readFileSync(join(dir, type), 'utf8')));
    assert.ok('error' in parsePublicKey(`command="sh" ${text}`));
    assert.ok('error' in parsePublicKey(`${text}${text}`));
    // the type inside the blob must be the one written before it
    const [t, data] = text.split(' ');
    assert.ok('error' in parsePublicKey(`${t === 'ssh-rsa' ? 'ssh-ed25519' : 'ssh-rsa'} ${data}`));
  }
  const base = (parsePublicKey(readFileSync(join(dir, 'ed25519.pub'), 'utf8')) as { key: { type: string; data: string } }).key;
  // a comment that could break the authorized_keys line is dropped
  const odd = parsePublicKey(`${base.type} ${base.data} a"b,command=x`);
  assert.ok('key' in odd && odd.key.comment === '');
  assert.ok('error' in parsePublicKey(`${base.type} ${base.data}\0`));
  assert.ok('error' in parsePublicKey(''));
  assert.ok('error' in parsePublicKey('x'.repeat(20_000)));
});

test('authorized_keys: one forced command per key, with the options gitolite uses', () => {
  const k = { type: 'ssh-ed25519', data: 'AAAAC3NzaC1lZDI1NTE5AAAAIEypzmAyFXQj4CLOVqjcXdZjQsWEqUhuj1cpofXxAKZk', comment: 'x', fingerprint: 'SHA256:x' };
  const text = authorizedKeys([{ name: 'bob', keys: [k] }, { name: 'alice', keys: [k, k] }, { name: 'carol', keys: [] }]);
  const lines = text.trim().split('\n').slice(1);
  assert.equal(lines.length, 3);
  assert.equal(lines[0], `command="cloudmatrix git shell alice",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding ssh-ed25519 ${k.data} alice`);
  assert.match(lines[2]!, /^command="cloudmatrix git shell bob",/);
});

test('history names who did each deploy; records from before users read as before', async () => {
  const { formatHistory } = await import('../../src/commands/history.js');
  const base = { kind: 'deploy' as const, plan: 'site', planFile: '/p/site.yaml', planHash: 'h', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', result: 'ok' as const, apps: [] };
  const text = formatHistory([{ ...base, id: 'a' }, { ...base, id: 'b', user: 'alice', via: 'git' }, { ...base, id: 'c', user: 'root', via: 'cli' }]);
  const lines = text.split('\n');
  assert.match(lines[0]!, /  ok$/);
  assert.match(lines[1]!, /  ok  by alice \(git\)$/);
  assert.match(lines[2]!, /  ok  by root \(cli\)$/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { UserStore } from '../../src/adapters/store/users.js';
import { parsePlan } from '../../src/model/plan.js';
import type { Principal } from '../../src/model/users/permissions.js';
import { addUser, rotateToken } from '../../src/users/users.js';
import { FAKE_TOKEN, fakeDeps, fakeRecord, fakeReport } from './helpers/fake-deps.js';

const site = (web: string, other = 'cloud/other:1') => `domain: matrix.test\napps:\n  web:\n    image: ${web}\n  other:\n    image: ${other}\n`;
const deployed = parsePlan(site('cloud/web:1'), 'site.yaml').plan!;

async function setup() {
  const d = mkdtempSync(join(tmpdir(), 'cmx-api-users-'));
  const deploys: { planFile: string; user?: Principal }[] = [];
  const deps = fakeDeps({
    users: new UserStore(d),
    deployedPlan: (name) => (name === 'site' ? deployed : null),
    apps: async () => ({
      apps: ['web', 'other'].map((app) => ({ plan: 'site', app, desired: 1, running: 1, healthy: 1, orphans: 0, nodes: ['node1'], revisions: ['r'], hosts: [`${app}.matrix.test`], paths: [], containers: [] })),
      unreachable: [{ node: 'node2', message: 'timeout' }],
    }),
    routes: async () => ['web', 'other'].map((app) => ({ app, hosts: [`${app}.matrix.test`], paths: [], director: 'round_robin', backends: [] })),
    history: async () => [fakeRecord('d1', 'ok', 'web'), fakeRecord('d2', 'ok', 'other')],
    images: async () => [{ repository: 'cloud/web', tags: [] }, { repository: 'cloud/other', tags: [] }],
    deploy: async ({ planFile, user, log }) => {
      deploys.push({ planFile, user });
      log('deploying');
      return fakeReport();
    },
  });
  const viewer = (await addUser(d, { name: 'vera', role: 'viewer', apps: 'web' })).token;
  const deployer = (await addUser(d, { name: 'dan', role: 'deployer', apps: 'web' })).token;
  const admin = (await addUser(d, { name: 'ada', role: 'admin' })).token;
  return { d, deps, app: createApp(deps), deploys, viewer, deployer, admin };
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

test('a viewer sees only its apps, routes, deploys and images; never nodes or metrics; and may not deploy (403)', async () => {
  const { app, viewer, deploys, deps } = await setup();
  const apps = (await request(app).get('/api/apps').set(bearer(viewer)).expect(200)).body;
  assert.deepEqual(apps.apps.map((a: { app: string }) => a.app), ['web']);
  assert.deepEqual(apps.unreachable, []);
  assert.deepEqual((await request(app).get('/api/routes').set(bearer(viewer)).expect(200)).body.routes.map((r: { app: string }) => r.app), ['web']);
  assert.deepEqual((await request(app).get('/api/deploys').set(bearer(viewer)).expect(200)).body.deploys.map((r: { id: string }) => r.id), ['d1']);
  assert.deepEqual((await request(app).get('/api/images').set(bearer(viewer)).expect(200)).body.images.map((r: { repository: string }) => r.repository), ['cloud/web']);
  assert.deepEqual((await request(app).get('/api/me').set(bearer(viewer)).expect(200)).body, { name: 'vera', role: 'viewer', apps: ['web'] });
  await request(app).get('/api/nodes').set(bearer(viewer)).expect(403);
  await request(app).get('/metrics').set(bearer(viewer)).expect(403);
  const r = await request(app).post('/api/deploys').set(bearer(viewer)).send({ name: 'site', plan: site('cloud/web:2') }).expect(403);
  assert.match(r.body.error, /user vera \(viewer\) may not deploy app "web"/);
  await request(app).post('/api/apps/web/rollback').set(bearer(viewer)).send({}).expect(403);
  await request(app).post('/api/plans/check').set(bearer(viewer)).send({ plan: site('cloud/web:2') }).expect(200);
  assert.deepEqual(deploys, []);
  assert.ok(!existsSync(deps.uploadsDir) || readdirSync(deps.uploadsDir).length === 0);
});

test('a deployer deploys a plan that changes only its app; one that touches another app gets 403 naming it, and nothing changes', async () => {
  const { app, deployer, deploys, deps } = await setup();
  const bad = await request(app).post('/api/deploys').set(bearer(deployer)).send({ name: 'site', plan: site('cloud/web:2', 'cloud/other:2') }).expect(403);
  assert.match(bad.body.error, /user dan \(deployer\) may not deploy app "other"/);
  // removing a foreign app is touching it too
  await request(app).post('/api/deploys').set(bearer(deployer)).send({ name: 'site', plan: 'domain: matrix.test\napps:\n  web:\n    image: cloud/web:2\n' }).expect(403);
  // a new plan name with a foreign app adds it
  await request(app).post('/api/deploys').set(bearer(deployer)).send({ name: 'mine', plan: 'domain: matrix.test\napps:\n  api:\n    image: cloud/api:2\n' }).expect(403);
  assert.equal(deploys.length, 0);
  assert.ok(!existsSync(deps.uploadsDir) || readdirSync(deps.uploadsDir).length === 0);
  const ok = await request(app).post('/api/deploys').set(bearer(deployer)).send({ name: 'site', plan: site('cloud/web:2') }).expect(202);
  const job = await request(app).get(`/api/deploys/${ok.body.id}`).set(bearer(deployer)).expect(200);
  assert.equal(job.body.user, 'dan');
  // the job runs in the background: its SSE stream ends when it has
  await request(app).get(`/api/deploys/${ok.body.id}/events`).set(bearer(deployer)).expect(200);
  assert.equal(deploys[0]!.user!.name, 'dan');
  await request(app).post('/api/apps/web/rollback').set(bearer(deployer)).send({}).expect(202);
  await request(app).post('/api/apps/other/rollback').set(bearer(deployer)).send({}).expect(403);
});

test('jobs are seen by who started them and by admins; others get 404', async () => {
  const { app, deployer, viewer, admin } = await setup();
  const ok = await request(app).post('/api/deploys').set(bearer(deployer)).send({ name: 'site', plan: site('cloud/web:3') }).expect(202);
  await request(app).get(`/api/deploys/${ok.body.id}`).set(bearer(viewer)).expect(404);
  await request(app).get(`/api/deploys/${ok.body.id}/events`).set(bearer(viewer)).expect(404);
  await request(app).get(`/api/deploys/${ok.body.id}`).set(bearer(admin)).expect(200);
  await request(app).get(`/api/deploys/${ok.body.id}`).set(bearer(FAKE_TOKEN)).expect(200);
});

test('admins (a user or the api.tokenFile token) see and may do everything', async () => {
  const { app, admin } = await setup();
  for (const t of [admin, FAKE_TOKEN]) {
    assert.equal((await request(app).get('/api/apps').set(bearer(t)).expect(200)).body.apps.length, 2);
    await request(app).get('/api/nodes').set(bearer(t)).expect(200);
    await request(app).get('/metrics').set(bearer(t)).expect(200);
    await request(app).post('/api/deploys').set(bearer(t)).send({ name: 'site', plan: site('cloud/web:2', 'cloud/other:2') }).expect(202);
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal((await request(app).get('/api/me').set(bearer(FAKE_TOKEN)).expect(200)).body.name, '(api.tokenFile)');
});

test('a rotated token gets 401 at once; the new one works', async () => {
  const { app, d, deployer } = await setup();
  await request(app).get('/api/apps').set(bearer(deployer)).expect(200);
  const fresh = await rotateToken(d, 'dan');
  await request(app).get('/api/apps').set(bearer(deployer)).expect(401);
  await request(app).get('/api/apps').set(bearer(fresh)).expect(200);
});

test('hostile tokens and app names get a plain refusal', async () => {
  const { app, deployer } = await setup();
  for (const t of [`${deployer}\0`, 'cmx_../../etc', 'x'.repeat(10_000), `${deployer.slice(0, -1)}ё`]) {
    await request(app).get('/api/apps').set('Authorization', `Bearer ${encodeURIComponent(t)}`).expect(401);
  }
  for (const name of ['wеb' /* Cyrillic е */, '..%2F..%2Fetc', 'a'.repeat(300), 'web%00']) {
    const r = await request(app).post(`/api/apps/${encodeURIComponent(name)}/rollback`).set(bearer(deployer)).send({});
    assert.ok(r.status === 403 || r.status === 400, `${name}: ${r.status}`);
    assert.ok(typeof r.body.error === 'string' && !r.body.error.includes('\n'));
  }
  const r = await request(app).post('/api/deploys').set(bearer(deployer)).send({ name: '../site', plan: site('cloud/web:2') }).expect(400);
  assert.match(r.body.error, /^name: /);
});

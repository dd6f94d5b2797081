import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';
import { EnvError, UserError } from '../../src/errors.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };

test('GET /api/nodes, /api/images, /api/apps, /api/routes and /api/info answer with what the deps give', async () => {
  const deps = fakeDeps();
  const app = createApp(deps);
  const nodes = (await request(app).get('/api/nodes').set(auth).expect(200)).body;
  assert.deepEqual(nodes, { nodes: await deps.nodes() });
  assert.deepEqual((await request(app).get('/api/images').set(auth).expect(200)).body, { images: await deps.images() });
  const apps = (await request(app).get('/api/apps').set(auth).expect(200)).body;
  assert.equal(apps.apps[0].healthy, 1);
  assert.deepEqual(apps.unreachable, [{ node: 'node2', message: 'timeout' }]);
  assert.deepEqual((await request(app).get('/api/routes').set(auth).expect(200)).body, { routes: await deps.routes() });
  assert.deepEqual((await request(app).get('/api/info').set(auth).expect(200)).body, deps.info);
});

test('GET /api/deploys: newest first, limited, filtered by app, without the stored specs', async () => {
  const app = createApp(fakeDeps());
  const all = (await request(app).get('/api/deploys').set(auth).expect(200)).body.deploys;
  assert.deepEqual(all.map((d: { id: string }) => d.id), ['d3', 'd2', 'd1']);
  assert.ok(all.every((d: { apps: object[] }) => d.apps.every((a) => !('spec' in a))));
  const one = (await request(app).get('/api/deploys?limit=1').set(auth).expect(200)).body.deploys;
  assert.deepEqual(one.map((d: { id: string }) => d.id), ['d3']);
  const web = (await request(app).get('/api/deploys?app=web').set(auth).expect(200)).body.deploys;
  assert.deepEqual(web.map((d: { id: string }) => d.id), ['d2', 'd1']);
  for (const bad of ['limit=0', 'limit=501', 'limit=x']) {
    const res = await request(app).get(`/api/deploys?${bad}`).set(auth).expect(400);
    assert.match(res.body.error, /^limit: /);
  }
});

test('errors: UserError 400 with its message, EnvError 503, anything else 500 without detail', async () => {
  const logged: string[] = [];
  const app = createApp(fakeDeps({
    nodes: async () => { throw new UserError('bad leases path'); },
    images: async () => { throw new EnvError('registry 10.77.0.1:5000 is unreachable: ECONNREFUSED'); },
    apps: async () => { throw new TypeError('x is undefined at secret/place.ts:12'); },
    log: (l) => logged.push(l),
  }));
  assert.deepEqual((await request(app).get('/api/nodes').set(auth).expect(400)).body, { error: 'bad leases path' });
  assert.deepEqual((await request(app).get('/api/images').set(auth).expect(503)).body, { error: 'registry 10.77.0.1:5000 is unreachable: ECONNREFUSED' });
  const res = await request(app).get('/api/apps').set(auth).expect(500);
  assert.deepEqual(res.body, { error: 'internal error' });
  assert.doesNotMatch(res.text, /secret|TypeError/);
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /TypeError: x is undefined/);
});

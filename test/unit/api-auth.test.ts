import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';

const guarded = ['/api/info', '/api/nodes', '/api/images', '/api/apps', '/api/routes', '/api/deploys', '/metrics'];

test('healthz and the dashboard files are open', async () => {
  const app = createApp(fakeDeps());
  assert.deepEqual((await request(app).get('/healthz').expect(200)).body, { ok: true });
  const page = await request(app).get('/').expect(200);
  assert.match(page.headers['content-type']!, /text\/html/);
  assert.match(page.text, /<script type="module" src="app.js">/);
  await request(app).get('/app.js').expect(200).expect('content-type', /javascript/);
  await request(app).get('/render.js').expect(200);
  await request(app).get('/style.css').expect(200).expect('content-type', /css/);
});

test('a missing token gets 401 with no detail on every other route', async () => {
  const app = createApp(fakeDeps());
  for (const path of guarded) {
    const res = await request(app).get(path).expect(401);
    assert.deepEqual(res.body, { error: 'unauthorized' }, path);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  }
  await request(app).post('/api/deploys').send({ name: 'x', plan: 'y' }).expect(401);
  await request(app).post('/api/apps/web/rollback').expect(401);
  await request(app).get('/api/nowhere').expect(401);
});

test('a wrong token, a token of another length, another scheme or a query token get 401', async () => {
  const app = createApp(fakeDeps());
  const wrong = [`Bearer ${FAKE_TOKEN.slice(0, -1)}x`, `Bearer ${FAKE_TOKEN}x`, 'Bearer ', `Basic ${FAKE_TOKEN}`, FAKE_TOKEN, `Bearer ${FAKE_TOKEN} extra`];
  for (const header of wrong) await request(app).get('/api/nodes').set('Authorization', header).expect(401);
  await request(app).get(`/api/nodes?token=${FAKE_TOKEN}`).expect(401);
});

test('the right token opens every route; the scheme is case-insensitive', async () => {
  const app = createApp(fakeDeps());
  for (const path of guarded) await request(app).get(path).set('Authorization', `Bearer ${FAKE_TOKEN}`).expect(200);
  await request(app).get('/api/nodes').set('Authorization', `bearer ${FAKE_TOKEN}`).expect(200);
  await request(app).get('/api/nowhere').set('Authorization', `Bearer ${FAKE_TOKEN}`).expect(404, { error: 'not found' });
});

test('responses carry no framework banner and a strict content policy; the log never sees the token', async () => {
  const lines: string[] = [];
  const app = createApp(fakeDeps({ log: (l) => lines.push(l) }), { accessLog: true });
  const res = await request(app).get('/api/nodes?x=1').set('Authorization', `Bearer ${FAKE_TOKEN}`).expect(200);
  assert.equal(res.headers['x-powered-by'], undefined);
  assert.match(res.headers['content-security-policy']!, /default-src 'self'/);
  await request(app).get(`/api/apps?token=${FAKE_TOKEN}`).expect(401);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^GET \/api\/nodes 200 \d+ms$/);
  assert.ok(lines.every((l) => !l.includes(FAKE_TOKEN)));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const good = 'domain: matrix.test\napps:\n  web:\n    image: cloud/web:1\n    replicas: 2\n';
const legacy = 'simplewebapp1\tnode1\t8081\t8080\nsimplewebapp2\tnode2\t8082\t8080\n';

test('POST /api/plans/check: a good plan (YAML, JSON, legacy) gets 200 and a summary', async () => {
  const app = createApp(fakeDeps());
  const yaml = (await request(app).post('/api/plans/check').set(auth).send({ plan: good }).expect(200)).body;
  assert.deepEqual(yaml, { ok: true, summary: { apps: 1, replicas: 2, domain: 'matrix.test', format: 'yaml', names: ['web'] } });
  const json = JSON.stringify({ domain: 'matrix.test', apps: { web: { image: 'cloud/web:1' } } });
  assert.equal((await request(app).post('/api/plans/check').set(auth).send({ name: 'j', plan: json }).expect(200)).body.summary.apps, 1);
  const old = (await request(app).post('/api/plans/check').set(auth).send({ name: 'apps', plan: legacy }).expect(200)).body;
  assert.equal(old.summary.format, 'legacy');
  assert.deepEqual(old.summary.names, ['simplewebapp1', 'simplewebapp2']);
});

test('POST /api/plans/check: plan errors get 422 with file, line, col, path and message each', async () => {
  const app = createApp(fakeDeps());
  const bad = 'domain: matrix.test\napps:\n  web:\n    image: cloud/web:1\n    replicas: -1\n    bogus: 1\n';
  const res = await request(app).post('/api/plans/check').set(auth).send({ name: 'mine', plan: bad }).expect(422);
  assert.deepEqual(res.body, {
    ok: false,
    errors: [
      { file: 'mine.yaml', line: 5, col: 5, path: 'apps.web.replicas', message: 'expected a whole number >= 0, got -1' },
      { file: 'mine.yaml', line: 6, col: 5, path: 'apps.web.bogus', message: 'unknown key' },
    ],
  });
  const broken = await request(app).post('/api/plans/check').set(auth).send({ plan: 'apps: [\n' }).expect(422);
  assert.equal(broken.body.errors[0].file, 'plan.yaml');
});

test('invalid bodies get 400 with one line', async () => {
  const app = createApp(fakeDeps());
  const cases: [object | string, RegExp][] = [
    [{}, /^plan: /],
    [{ plan: '' }, /^plan: the plan text is empty$/],
    [{ plan: 3 }, /^plan: /],
    [{ plan: good, extra: 1 }, /extra/],
    [{ name: 'Has Caps', plan: good }, /^name: expected 1-63 of a-z 0-9 _ -/],
    [{ name: '-x', plan: good }, /^name: /],
    [[good], /expected object/],
  ];
  for (const [body, message] of cases) {
    const res = await request(app).post('/api/plans/check').set(auth).send(body as object).expect(400);
    assert.match(res.body.error, message, JSON.stringify(body));
    assert.doesNotMatch(res.body.error, /\n/);
  }
  const notJson = await request(app).post('/api/plans/check').set(auth).set('Content-Type', 'application/json').send('{"plan": ').expect(400);
  assert.deepEqual(notJson.body, { error: 'request body is not valid JSON' });
  const form = await request(app).post('/api/plans/check').set(auth).type('form').send({ plan: good }).expect(400);
  assert.match(form.body.error, /expected a JSON body/);
});

test('a body over 256 kB gets 413 before anything reads it', async () => {
  let deployed = 0;
  const app = createApp(fakeDeps({ deploy: async () => { deployed++; throw new Error('not reached'); } }));
  const huge = { name: 'big', plan: `${good}#${'x'.repeat(300 * 1024)}\n` };
  assert.deepEqual((await request(app).post('/api/plans/check').set(auth).send(huge).expect(413)).body, { error: 'request body too large' });
  await request(app).post('/api/deploys').set(auth).send(huge).expect(413);
  assert.equal(deployed, 0);
  const justUnder = { plan: `${good}#${'x'.repeat(200 * 1024)}\n` };
  await request(app).post('/api/plans/check').set(auth).send(justUnder).expect(200);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import type { Log } from '../../src/api/deps.js';
import type { LockHolder } from '../../src/adapters/store/lock.js';
import { FAKE_TOKEN, fakeDeps, fakeReport } from './helpers/fake-deps.js';
import { EnvError, UserError } from '../../src/errors.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const plan = 'domain: matrix.test\napps:\n  web:\n    image: cloud/web:1\n';

/** Server-sent events of a finished stream as {id, event, data}. */
function events(text: string): { id: string; event: string; data: string }[] {
  return text.split('\n\n').filter((b) => b.trim() && !b.startsWith(':')).map((block) => {
    const f = { id: '', event: 'message', data: [] as string[] };
    for (const line of block.split('\n')) {
      const [k, ...v] = line.split(': ');
      if (k === 'data') f.data.push(v.join(': '));
      else if (k === 'id' || k === 'event') f[k] = v.join(': ');
    }
    return { id: f.id, event: f.event, data: f.data.join('\n') };
  });
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function sse(app: ReturnType<typeof createApp>, id: string, lastEventId?: string) {
  const req = request(app).get(`/api/deploys/${id}/events`).set(auth).buffer(true).parse((res, cb) => {
    let text = '';
    res.on('data', (c: Buffer) => (text += c.toString()));
    res.on('end', () => cb(null, text));
  });
  const res = await (lastEventId ? req.set('Last-Event-ID', lastEventId) : req).expect(200).expect('content-type', /text\/event-stream/);
  return events(res.body as string);
}

test('POST /api/deploys writes the plan to uploads, answers 202 {id}, and streams progress then done', async () => {
  const seen: { planFile: string; dryRun: boolean }[] = [];
  const deps = fakeDeps({
    deploy: async ({ planFile, dryRun, log }) => {
      seen.push({ planFile, dryRun });
      log('[web] node1: started web-0');
      log('line one\nline two');
      return fakeReport({ plan: 'mine' });
    },
  });
  const app = createApp(deps);
  const res = await request(app).post('/api/deploys').set(auth).send({ name: 'mine', plan }).expect(202);
  assert.match(res.body.id, /^[0-9a-f]{16}$/);
  assert.equal(res.headers.location, `/api/deploys/${res.body.id}`);
  const got = await sse(app, res.body.id);
  assert.deepEqual(got.map((e) => e.event), ['progress', 'progress', 'done']);
  assert.equal(got[0]!.data, '[web] node1: started web-0');
  assert.equal(got[1]!.data, 'line one\nline two');
  assert.equal(JSON.parse(got[2]!.data).plan, 'mine');
  assert.deepEqual(seen, [{ planFile: join(deps.uploadsDir, res.body.id, 'mine.yaml'), dryRun: false }]);
  assert.equal(readFileSync(join(deps.uploadsDir, res.body.id, 'mine.yaml'), 'utf8'), plan);
  // A late client gets it all again; one that says where it was gets the rest.
  assert.equal((await sse(app, res.body.id)).length, 3);
  assert.deepEqual((await sse(app, res.body.id, '0')).map((e) => e.id), ['1', '2']);
  const status = (await request(app).get(`/api/deploys/${res.body.id}`).set(auth).expect(200)).body;
  assert.equal(status.state, 'done');
});

test('a legacy plan is uploaded as NAME.plan; dryRun is passed on', async () => {
  const seen: string[] = [];
  const deps = fakeDeps({ deploy: async ({ planFile, dryRun }) => (seen.push(`${planFile} ${dryRun}`), fakeReport({ dryRun })) });
  const app = createApp(deps);
  const res = await request(app).post('/api/deploys').set(auth).send({ name: 'old', plan: 'web\tnode1\t8081\t8080\n', dryRun: true }).expect(202);
  await sse(app, res.body.id);
  assert.deepEqual(seen, [`${join(deps.uploadsDir, res.body.id, 'old.plan')} true`]);
});

test('a client connected before the end gets the events live, then done', async () => {
  const gate = deferred<void>();
  const logged = deferred<Log>();
  const app = createApp(fakeDeps({ deploy: async ({ log }) => (logged.resolve(log), await gate.promise, fakeReport()) }));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { id } = (await request(app).post('/api/deploys').set(auth).send({ name: 'live', plan }).expect(202)).body;
    const log = await logged.promise;
    const port = (server.address() as AddressInfo).port;
    let text = '';
    const ended = new Promise<void>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: `/api/deploys/${id}/events`, headers: auth }, (res) => {
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.includes('first')) {
            log('second');
            gate.resolve();
          }
        });
        res.on('end', resolve);
      }).on('error', reject);
    });
    setTimeout(() => log('first'), 20);
    await ended;
    assert.deepEqual(events(text).map((e) => `${e.event}:${e.event === 'done' ? '' : e.data}`), ['progress:first', 'progress:second', 'done:']);
  } finally {
    server.close();
  }
});

test('a failed deploy ends its stream with an error event; the message of an internal error is not shown', async () => {
  let fail: unknown = new EnvError('another deploy holds the lock: pid 1');
  const app = createApp(fakeDeps({ deploy: async () => { throw fail; } }));
  const a = (await request(app).post('/api/deploys').set(auth).send({ name: 'a', plan }).expect(202)).body.id;
  const got = await sse(app, a);
  assert.deepEqual(got.map((e) => e.event), ['error']);
  assert.deepEqual(JSON.parse(got[0]!.data), { message: 'another deploy holds the lock: pid 1', status: 503 });
  fail = new Error('secret internals');
  const b = (await request(app).post('/api/deploys').set(auth).send({ name: 'b', plan }).expect(202)).body.id;
  assert.deepEqual(JSON.parse((await sse(app, b))[0]!.data), { message: 'internal error', status: 500 });
});

test('plan errors 422 and nothing runs; bad names 400; unknown job 404', async () => {
  let ran = 0;
  const app = createApp(fakeDeps({ deploy: async () => (ran++, fakeReport()) }));
  const res = await request(app).post('/api/deploys').set(auth).send({ name: 'x', plan: 'apps:\n  web: {}\n' }).expect(422);
  assert.equal(res.body.ok, false);
  assert.equal(res.body.errors[0].file, 'x.yaml');
  await request(app).post('/api/deploys').set(auth).send({ name: '../etc', plan }).expect(400);
  await request(app).post('/api/deploys').set(auth).send({ plan }).expect(400);
  await request(app).post('/api/deploys').set(auth).send({ name: 'x', plan, dryRun: 'yes' }).expect(400);
  await request(app).get('/api/deploys/nope/events').set(auth).expect(404);
  assert.equal(ran, 0);
});

test('409 while another process holds the deploy lock, or while an API deploy runs', async () => {
  let holder: LockHolder | null = null;
  const gate = deferred<void>();
  const app = createApp(fakeDeps({ lockHolder: () => holder, deploy: async () => (await gate.promise, fakeReport()) }));
  holder = { pid: 42, host: 'manager', command: 'deploy-plan hello.yaml', startedAt: '2026-01-01T00:00:00Z' };
  const res = await request(app).post('/api/deploys').set(auth).send({ name: 'x', plan }).expect(409);
  assert.match(res.body.error, /^another deploy holds the lock: pid 42 on manager \(deploy-plan hello\.yaml\)/);
  await request(app).post('/api/apps/web/rollback').set(auth).expect(409);
  holder = null;
  const { id } = (await request(app).post('/api/deploys').set(auth).send({ name: 'x', plan }).expect(202)).body;
  const busy = await request(app).post('/api/deploys').set(auth).send({ name: 'y', plan, dryRun: true }).expect(409);
  assert.match(busy.body.error, new RegExp(`^deploy ${id} \\(deploy\\) is still running$`));
  gate.resolve();
  await sse(app, id);
  await request(app).post('/api/deploys').set(auth).send({ name: 'y', plan }).expect(202);
});

test('POST /api/apps/:app/rollback: 202 with the same events; nothing to roll back is 400', async () => {
  const app = createApp(fakeDeps({
    prepareRollback: (name, to) => {
      if (name !== 'web') throw new UserError(`app "${name}" is not in any deployed plan`);
      return { description: `web back to ${to ?? 'previous'}`, run: async (log) => (log('[web] rolling'), fakeReport()) };
    },
  }));
  const res = await request(app).post('/api/apps/web/rollback').set(auth).send({ to: 'abc123' }).expect(202);
  assert.equal(res.body.rollback, 'web back to abc123');
  assert.deepEqual((await sse(app, res.body.id)).map((e) => e.event), ['progress', 'done']);
  await request(app).post('/api/apps/web/rollback').set(auth).expect(202);
  const missing = await request(app).post('/api/apps/nope/rollback').set(auth).send({}).expect(400);
  assert.deepEqual(missing.body, { error: 'app "nope" is not in any deployed plan' });
  await request(app).post('/api/apps/web/rollback').set(auth).send({ to: 'not hex!' }).expect(400);
});

test('two deploys posted at the same moment: exactly one 202, the other 409, each job deploys its own plan', async () => {
  const release = deferred<void>();
  const seen: string[] = [];
  const deps = fakeDeps({
    deploy: async ({ planFile }) => {
      seen.push(readFileSync(planFile, 'utf8'));
      await release.promise;
      return fakeReport({});
    },
  });
  const app = createApp(deps);
  const other = plan.replace('cloud/web:1', 'cloud/web:2');
  const [a, b] = await Promise.all([
    request(app).post('/api/deploys').set(auth).send({ name: 'same', plan }),
    request(app).post('/api/deploys').set(auth).send({ name: 'same', plan: other }),
  ]);
  assert.deepEqual([a.status, b.status].sort(), [202, 409]);
  const won = a.status === 202 ? a : b;
  release.resolve();
  await sse(app, won.body.id);
  assert.deepEqual(seen, [a.status === 202 ? plan : other], 'the accepted job deployed its own request\'s plan');
});

test('the plan name the tool uses itself (manual) is refused with a clear message', async () => {
  const app = createApp(fakeDeps({}));
  const res = await request(app).post('/api/deploys').set(auth).send({ name: 'manual', plan }).expect(400);
  assert.match(JSON.stringify(res.body), /reserved/);
});

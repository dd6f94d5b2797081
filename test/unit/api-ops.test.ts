import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import type { OpsDeps } from '../../src/api/deps.js';
import type { JobView } from '../../src/jobs/list.js';
import { UserStore } from '../../src/adapters/store/users.js';
import { addUser } from '../../src/users/users.js';
import { UserError } from '../../src/errors.js';
import type { DrainReport } from '../../src/nodes/drain.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';

const view = (plan: string, app: string): JobView => ({ plan, app, schedule: '* * * * *', concurrency: 'forbid', next: '2026-01-01T00:01:00.000Z', lastScheduled: null, runs: [] });

function ops(calls: string[]): OpsDeps {
  const all = [view('ops', 'nightly'), view('site', 'web')];
  return {
    drain: async (node, { moveStateful, log, user }) => {
      calls.push(`drain ${node} ${moveStateful} ${user?.name}`);
      log(`${node} cordoned`);
      return { node, cordoned: true, planned: { plans: [], stateful: [], unplaceable: [] }, deploys: [], left: [], ok: true } satisfies DrainReport;
    },
    undrain: async (node) => ({ node, lifted: true }),
    jobs: () => all,
    job: (ref) => {
      const j = all.find((x) => ref === x.app || ref === `${x.plan}/${x.app}`);
      if (!j) throw new UserError(`APP: no deployed app "${ref}"`);
      return j;
    },
    runJob: async (ref, log) => {
      calls.push(`run ${ref}`);
      log('started');
      return { id: 'R', plan: 'site', app: 'web', trigger: 'manual', state: 'succeeded', exitCode: 0, startedAt: '', logs: ['hi'] };
    },
  };
}

async function until(get: () => Promise<request.Response>, done: (r: request.Response) => boolean): Promise<request.Response> {
  const deadline = Date.now() + 5000;
  let r = await get();
  while (!done(r) && Date.now() < deadline) r = await get();
  return r;
}

test('ops API: drain and undrain (admins), jobs list/one/run with the roles of app routes', async () => {
  const d = mkdtempSync(join(tmpdir(), 'cmx-api-ops-'));
  const calls: string[] = [];
  const app = createApp(fakeDeps({ users: new UserStore(d), ops: ops(calls) }));
  const admin = { Authorization: `Bearer ${FAKE_TOKEN}` };
  const viewer = { Authorization: `Bearer ${(await addUser(d, { name: 'vera', role: 'viewer', apps: 'web' })).token}` };
  const deployer = { Authorization: `Bearer ${(await addUser(d, { name: 'dan', role: 'deployer', apps: 'web' })).token}` };

  const started = await request(app).post('/api/nodes/node1/drain').set(admin).send({ moveStateful: true }).expect(202);
  const job = await until(() => request(app).get(`/api/deploys/${started.body.id}`).set(admin), (r) => r.body.state !== 'running');
  assert.equal(job.body.kind, 'drain');
  assert.deepEqual(job.body.events.map((e: { type: string }) => e.type), ['progress', 'done']);
  assert.deepEqual(calls, ['drain node1 true (api.tokenFile)']);
  await request(app).post('/api/nodes/node1/drain').set(deployer).send({}).expect(403);
  await request(app).post('/api/nodes/node1/drain').set(admin).send({ force: 1 }).expect(400);
  await request(app).post('/api/nodes/bad%20name/drain').set(admin).send({}).expect(400);
  assert.deepEqual((await request(app).post('/api/nodes/node1/undrain').set(admin).expect(200)).body, { node: 'node1', lifted: true });
  await request(app).post('/api/nodes/node1/undrain').set(viewer).expect(403);

  assert.deepEqual((await request(app).get('/api/jobs').set(admin).expect(200)).body.jobs.map((j: JobView) => j.app), ['nightly', 'web']);
  assert.deepEqual((await request(app).get('/api/jobs').set(viewer).expect(200)).body.jobs.map((j: JobView) => j.app), ['web']);
  assert.equal((await request(app).get('/api/jobs/site%2Fweb').set(viewer).expect(200)).body.plan, 'site');
  await request(app).get('/api/jobs/nightly').set(viewer).expect(403);
  assert.match((await request(app).get('/api/jobs/nope').set(admin).expect(400)).body.error, /no deployed app "nope"/);

  await request(app).post('/api/jobs/web/run').set(viewer).expect(403);
  const run = await request(app).post('/api/jobs/web/run').set(deployer).expect(202);
  assert.equal(run.body.job, 'site/web');
  const done = await until(() => request(app).get(`/api/deploys/${run.body.id}`).set(deployer), (r) => r.body.state !== 'running');
  assert.equal(done.body.events.at(-1).report.state, 'succeeded');
  assert.ok(calls.includes('run site/web'));
});

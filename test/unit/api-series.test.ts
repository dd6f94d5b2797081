import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { SeriesSampler } from '../../src/api/series-sampler.js';
import type { LineStream } from '../../src/adapters/status-stream.js';
import { UserStore } from '../../src/adapters/store/users.js';
import { addUser } from '../../src/users/users.js';
import { FAKE_TOKEN, fakeDeps, fakeRecord } from './helpers/fake-deps.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const counter = (app: string) => `VBE.cmx_1.be__${app}__node1__8080.req`;

/** A sampler over a counter source that a test sets, a clock it moves, and a log reader it feeds. */
function rig() {
  let now = 1_000_000;
  const values = new Map<string, number>();
  let failRead = false;
  const feed: { line?: (l: string) => void } = {};
  const stream: LineStream = { running: true, since: now - 1, stop: () => undefined };
  const sampler = new SeriesSampler({
    counters: { read: async () => {
      if (failRead) throw new Error('varnishstat: exit 1');
      return new Map(values);
    } },
    apps: async () => [{ plan: 'site', app: 'web', healthy: 2 }, { plan: 'site', app: 'other', healthy: 1 }],
    history: async () => [
      { ...fakeRecord('d1', 'ok', 'web'), plan: 'site', finishedAt: new Date(now - 1000).toISOString() },
      // an app with no chart (another plan's web, gone): no mark
      { ...fakeRecord('d2', 'ok', 'web'), plan: 'old', finishedAt: new Date(now - 1000).toISOString() },
    ],
    statuses: (onLine) => ((feed.line = onLine), stream),
  }, { stepMs: 1000, now: () => now });
  return {
    sampler, values, feed,
    step: (ms = 1000) => (now += ms),
    fail: (v: boolean) => (failRead = v),
  };
}

test('sampler: a point per app and step, rates from the counters, 5xx from the log, gaps after failed reads', async () => {
  const live = rig();
  live.sampler.listen();
  live.values.set(counter('web'), 100);
  await live.sampler.tick();
  live.step();
  live.values.set(counter('web'), 150);
  live.values.set(counter('other'), 3);
  live.feed.line!('web 503');
  live.feed.line!('web 200');
  live.feed.line!('- 503');
  await live.sampler.tick();
  live.step(1000);
  live.fail(true);
  await live.sampler.tick();
  live.step(5000);
  live.fail(false);
  live.values.set(counter('web'), 400);
  await live.sampler.tick();
  const view = await live.sampler.view();
  live.sampler.close();
  const web = view.apps.find((a) => a.app === 'web')!;
  assert.equal(web.plan, 'site');
  assert.deepEqual(web.points.map((p) => p.slice(1)), [
    [null, null, 2], // first reading: a baseline; no 5xx window yet
    [50, 1, 2],
    [null, 0, 2], // the counters could not be read
    [null, null, 2], // 6 s since the last good reading, 5 s since the last point: a gap, not an average
  ]);
  assert.deepEqual(view.apps.find((a) => a.app === 'other')!.points[1]!.slice(1), [3, 0, 1]);
  assert.deepEqual(view.deploys.map((d) => d.id), ['d1']);
  assert.equal(view.stepMs, 1000);
});

test('GET /api/series: 404 without a sampler; each user sees the series and deploys of their apps', async () => {
  assert.equal((await request(createApp(fakeDeps())).get('/api/series').set(auth).expect(404)).body.error.includes('serve'), true);
  const d = mkdtempSync(join(tmpdir(), 'cmx-api-series-'));
  const r = rig();
  r.values.set(counter('web'), 1);
  await r.sampler.tick();
  const deps = fakeDeps({ users: new UserStore(d), series: (visible) => r.sampler.view(visible) });
  const app = createApp(deps);
  const admin = (await request(app).get('/api/series').set(auth).expect(200)).body;
  assert.deepEqual(admin.apps.map((a: { app: string }) => a.app), ['other', 'web']);
  const viewer = (await addUser(d, { name: 'vera', role: 'viewer', apps: 'other' })).token;
  const seen = (await request(app).get('/api/series').set({ Authorization: `Bearer ${viewer}` }).expect(200)).body;
  assert.deepEqual(seen.apps.map((a: { app: string }) => a.app), ['other']);
  assert.deepEqual(seen.deploys, []);
  await request(app).get('/api/series').expect(401);
});

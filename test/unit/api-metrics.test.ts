import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { FAKE_TOKEN, fakeDeps, fakeReport } from './helpers/fake-deps.js';
import type { ApiMetrics } from '../../src/api/metrics.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const plan = 'domain: matrix.test\napps:\n  web:\n    image: cloud/web:1\n';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('GET /metrics: Prometheus text with node, app and history figures read at scrape time', async () => {
  const app = createApp(fakeDeps());
  const res = await request(app).get('/metrics').set(auth).expect(200).expect('content-type', /text\/plain; version=0\.0\.4/);
  assert.equal(value(res.text, 'cloudmatrix_node_reachable{node="node1"}'), 1);
  assert.equal(value(res.text, 'cloudmatrix_node_reachable{node="node2"}'), 0);
  assert.equal(value(res.text, 'cloudmatrix_app_healthy_replicas{plan="p",app="web"}'), 1);
  assert.equal(value(res.text, 'cloudmatrix_app_desired_replicas{plan="p",app="web"}'), 2);
  assert.equal(value(res.text, 'cloudmatrix_history_deploys{result="ok"}'), 2);
  assert.equal(value(res.text, 'cloudmatrix_history_deploys{result="failed"}'), 1);
  assert.match(res.text, /# TYPE cloudmatrix_api_deploy_duration_seconds histogram/);
});

test('deploys through the API count by kind and result, and their durations are observed', async () => {
  let result: 'ok' | 'failed' | 'throw' = 'ok';
  const app = createApp(fakeDeps({
    deploy: async () => {
      if (result === 'throw') throw new Error('boom');
      return fakeReport({ result });
    },
  }));
  for (const r of ['ok', 'failed', 'throw', 'ok'] as const) {
    result = r;
    const { id } = (await request(app).post('/api/deploys').set(auth).send({ name: 'm', plan }).expect(202)).body;
    await request(app).get(`/api/deploys/${id}/events`).set(auth).expect(200);
  }
  const text = (await request(app).get('/metrics').set(auth).expect(200)).text;
  assert.equal(value(text, 'cloudmatrix_api_deploys_total{kind="deploy",result="ok"}'), 2);
  assert.equal(value(text, 'cloudmatrix_api_deploys_total{kind="deploy",result="failed"}'), 1);
  assert.equal(value(text, 'cloudmatrix_api_deploys_total{kind="deploy",result="error"}'), 1);
  assert.equal(value(text, 'cloudmatrix_api_deploy_duration_seconds_count{kind="deploy"}'), 4);
});

test('scrapes are cached for a few seconds; a failing source is left out and counted', async () => {
  let nodeReads = 0;
  let appReads = 0;
  const app = createApp(fakeDeps({
    nodes: async () => (nodeReads++, []),
    apps: async () => {
      appReads++;
      throw new Error('nodes unreachable');
    },
  }));
  const first = (await request(app).get('/metrics').set(auth).expect(200)).text;
  const second = (await request(app).get('/metrics').set(auth).expect(200)).text;
  assert.equal(nodeReads, 1);
  assert.equal(appReads, 2, 'a failed read is not cached (once per scrape: both app gauges share it)');
  // Series are collected in parallel: a failure shows from the next scrape on.
  assert.ok(value(second, 'cloudmatrix_metrics_source_errors_total{source="apps"}')! >= 2);
  assert.doesNotMatch(first, /cloudmatrix_app_healthy_replicas\{/);
});

test('the routing watcher of serve --watch counts its resyncs by result and stamps the last good one', async () => {
  const app = createApp(fakeDeps());
  const before = (await request(app).get('/metrics').set(auth).expect(200)).text;
  assert.equal(value(before, 'cloudmatrix_watch_last_resync_timestamp_seconds'), 0);
  const metrics = app.locals.metrics as ApiMetrics;
  for (const r of ['reloaded', 'unchanged', 'unchanged', 'skipped', 'failed'] as const) metrics.watchResynced(r);
  const text = (await request(app).get('/metrics').set(auth).expect(200)).text;
  assert.equal(value(text, 'cloudmatrix_watch_resyncs_total{result="reloaded"}'), 1);
  assert.equal(value(text, 'cloudmatrix_watch_resyncs_total{result="unchanged"}'), 2);
  assert.equal(value(text, 'cloudmatrix_watch_resyncs_total{result="skipped"}'), 1);
  assert.equal(value(text, 'cloudmatrix_watch_resyncs_total{result="failed"}'), 1);
  const stamp = value(text, 'cloudmatrix_watch_last_resync_timestamp_seconds')!;
  assert.ok(Math.abs(stamp - Date.now() / 1000) < 60, String(stamp));
});

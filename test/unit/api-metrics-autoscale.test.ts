import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('/metrics: replicas by state, request rates and autoscale decisions', async () => {
  const app = createApp(fakeDeps({
    autoscale: async () => ({
      rates: { sampledAt: new Date().toISOString(), apps: { web: { requestsPerSecond: 231.5, windowMs: 30_000 } } },
      decisions: { web: { up: 3, down: 2 } },
    }),
  }));
  const text = (await request(app).get('/metrics').set(auth).expect(200)).text;
  assert.equal(value(text, 'cloudmatrix_app_replicas{app="web",state="desired"}'), 2);
  assert.equal(value(text, 'cloudmatrix_app_replicas{app="web",state="running"}'), 2);
  assert.equal(value(text, 'cloudmatrix_app_replicas{app="web",state="healthy"}'), 1);
  assert.equal(value(text, 'cloudmatrix_app_requests_per_second{app="web"}'), 231.5);
  assert.equal(value(text, 'cloudmatrix_autoscale_decisions_total{app="web",direction="up"}'), 3);
  assert.equal(value(text, 'cloudmatrix_autoscale_decisions_total{app="web",direction="down"}'), 2);
  assert.match(text, /# TYPE cloudmatrix_autoscale_decisions_total counter/);
});

test('/metrics: rates of an autoscaler that stopped long ago are left out', async () => {
  const app = createApp(fakeDeps({
    autoscale: async () => ({ rates: { sampledAt: '2020-01-01T00:00:00.000Z', apps: { web: { requestsPerSecond: 5, windowMs: 30_000 } } }, decisions: {} }),
  }));
  const text = (await request(app).get('/metrics').set(auth).expect(200)).text;
  assert.equal(value(text, 'cloudmatrix_app_requests_per_second{app="web"}'), undefined);
});

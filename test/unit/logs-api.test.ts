import assert from 'node:assert/strict';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import type { AppLogs, LogRequest } from '../../src/logs/app-logs.js';
import { UnknownApp } from '../../src/logs/replicas.js';
import { UserError } from '../../src/errors.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const L = (container: string, time: string, text: string) => ({ node: 'node1', container, stream: 'stdout' as const, time, text });

function events(text: string): { event: string; data: any }[] {
  return text.split('\n\n').filter((b) => b.trim() && !b.startsWith(':')).map((block) => {
    const lines = block.split('\n');
    return { event: lines.find((l) => l.startsWith('event: '))!.slice(7), data: JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) };
  });
}

/** A logs session over fixed lines; following, it waits for the abort. */
function fakeLogs(seen: LogRequest[], aborted?: () => void) {
  return async (req: LogRequest): Promise<AppLogs> => {
    seen.push(req);
    if (req.target.app === 'nope') throw new UnknownApp('nope', ['web']);
    if (req.node === 'node9') throw new UserError('unknown node "node9" (known: node1)');
    return {
      replicas: { target: req.target, nodes: [], containers: [], errors: [], silent: [] },
      close: () => undefined,
      async run(sink, signal) {
        sink.line(L('web-1', '2026-12-02T01:00:01.000000000Z', 'first'));
        sink.note('node1/web-2 started: following it');
        sink.line(L('web-2', '2026-12-02T01:00:02.000000000Z', 'second'));
        if (req.follow) {
          await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
          aborted?.();
          return { errors: [] };
        }
        return { errors: [{ node: 'node2', message: 'no answer' }] };
      },
    };
  };
}

test('GET /api/apps/:app/logs without follow: line and note events, then end with the errors, then the stream ends', async () => {
  const seen: LogRequest[] = [];
  const app = createApp(fakeDeps({ logs: fakeLogs(seen) }));
  const res = await request(app).get('/api/apps/web/logs?tail=5&since=10m').set(auth).buffer(true).parse((r, cb) => {
    let text = '';
    r.on('data', (c: Buffer) => (text += c.toString()));
    r.on('end', () => cb(null, text));
  }).expect(200).expect('content-type', /text\/event-stream/);
  const got = events(res.body as string);
  assert.deepEqual(got.map((e) => e.event), ['line', 'note', 'line', 'end']);
  assert.equal(got[0]!.data.text, 'first');
  assert.deepEqual(got[3]!.data, { errors: [{ node: 'node2', message: 'no answer' }] });
  assert.equal(seen[0]!.tail, 5);
  assert.equal(seen[0]!.follow, false);
  assert.ok(Math.abs(seen[0]!.since! - (Date.now() / 1000 - 600)) < 5);
  assert.deepEqual(seen[0]!.target, { app: 'web' });
});

test('GET /api/apps/:app/logs: 100 lines per replica by default, PLAN/APP as one escaped segment, the token required', async () => {
  const seen: LogRequest[] = [];
  const app = createApp(fakeDeps({ logs: fakeLogs(seen) }));
  await request(app).get('/api/apps/shop%2Fweb/logs').set(auth).expect(200);
  assert.equal(seen[0]!.tail, 100);
  assert.deepEqual(seen[0]!.target, { plan: 'shop', app: 'web' });
  await request(app).get('/api/apps/web/logs').expect(401);
  assert.equal(seen.length, 1);
});

test('GET /api/apps/:app/logs: unknown app 404, unknown node and bad values 400 naming the parameter', async () => {
  const app = createApp(fakeDeps({ logs: fakeLogs([]) }));
  assert.match((await request(app).get('/api/apps/nope/logs').set(auth).expect(404)).body.error, /unknown app "nope" \(known: web\)/);
  assert.match((await request(app).get('/api/apps/web/logs?node=node9').set(auth).expect(400)).body.error, /unknown node/);
  assert.match((await request(app).get('/api/apps/web/logs?tail=-3').set(auth).expect(400)).body.error, /^tail: /);
  assert.match((await request(app).get('/api/apps/web/logs?since=soon').set(auth).expect(400)).body.error, /^since: /);
  assert.match((await request(app).get('/api/apps/web/logs?follow=yes').set(auth).expect(400)).body.error, /^follow: /);
});

test('GET /api/apps/:app/logs?follow=1 streams until the client goes, then the session is stopped', async () => {
  let stopped!: () => void;
  const wasStopped = new Promise<void>((r) => (stopped = r));
  const app = createApp(fakeDeps({ logs: fakeLogs([], () => stopped()) }));
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  try {
    const { port } = server.address() as AddressInfo;
    const text = await new Promise<string>((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/api/apps/web/logs?follow=1', headers: auth }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
          if (events(body).filter((e) => e.event === 'line').length === 2) {
            req.destroy();
            resolve(body);
          }
        });
      });
      req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
    });
    assert.deepEqual(events(text).map((e) => e.event), ['line', 'note', 'line']);
    await wasStopped;
  } finally {
    server.close();
  }
});

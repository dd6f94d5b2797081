import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/api/app.js';
import { appendEvent, readEvents } from '../../src/events/log.js';
import { followEvents } from '../../src/events/follow.js';
import type { CloudEvent } from '../../src/model/events.js';
import { FAKE_TOKEN, fakeDeps } from './helpers/fake-deps.js';

const auth = { Authorization: `Bearer ${FAKE_TOKEN}` };
const ev = (id: string, over: Partial<CloudEvent> = {}): CloudEvent => ({ id, type: 'deploy.succeeded', time: '2026-12-02T10:00:00.000Z', message: id, plan: 'p', app: 'web', ...over });

function withLog() {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-api-events-'));
  const deps = fakeDeps({ events: { read: () => readEvents(dir), follow: (on) => followEvents(dir, on, 10) } });
  return { dir, app: createApp(deps) };
}

describe('GET /api/events', () => {
  it('is a JSON list, oldest first, filtered, the newest `limit`; admins only', async () => {
    const { dir, app } = withLog();
    appendEvent(dir, ev('a'));
    appendEvent(dir, ev('b', { type: 'node.unreachable', plan: undefined, app: undefined, node: 'node1' }));
    appendEvent(dir, ev('c'));
    const all = await request(app).get('/api/events').set(auth).expect(200);
    assert.deepEqual(all.body.events.map((e: CloudEvent) => e.id), ['a', 'b', 'c']);
    const some = await request(app).get('/api/events?type=deploy.*&limit=1').set(auth).expect(200);
    assert.deepEqual(some.body.events.map((e: CloudEvent) => e.id), ['c']);
    await request(app).get('/api/events?limit=x').set(auth).expect(400);
    await request(app).get('/api/events').expect(401);
  });

  it('streams server-sent events: the past ones, then one appended while connected', async () => {
    const { dir, app } = withLog();
    appendEvent(dir, ev('old'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const text = await new Promise<string>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port, path: '/api/events', headers: { ...auth, Accept: 'text/event-stream' } }, (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /text\/event-stream/);
          let got = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            got += c;
            if (got.includes('id: old\n') && !got.includes('id: new')) appendEvent(dir, ev('new', { type: 'deploy.failed' }));
            if (got.includes('id: new\n')) {
              req.destroy();
              resolve(got);
            }
          });
        });
        req.on('error', reject);
        setTimeout(() => reject(new Error('no new event within 5 s')), 5000).unref();
      });
      assert.match(text, /id: old\nevent: deploy\.succeeded\ndata: \{.*"id":"old"/);
      assert.match(text, /id: new\nevent: deploy\.failed\ndata: \{.*"id":"new"/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

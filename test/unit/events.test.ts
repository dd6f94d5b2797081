import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  backoffMs, deliveryHeaders, deployEventType, retryable, safeUrl, signature, verifySignature, wants,
  EVENT_TYPES, SIGNATURE_HEADER, type CloudEvent, type EventType,
} from '../../src/model/events.js';
import { filterEvents, formatEvent, matchesEvent } from '../../src/model/event-view.js';
import { appendEvent, eventLogPath, oldEventLogPath, readEvents } from '../../src/events/log.js';
import { followEvents } from '../../src/events/follow.js';
import { Notifier, type Webhook } from '../../src/events/notifier.js';
import { handOver, takeOver } from '../../src/events/outbox.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cmx-events-'));
const ev = (over: Partial<CloudEvent> = {}): CloudEvent => ({
  id: `e-${Math.random().toString(16).slice(2)}`, type: 'deploy.succeeded', time: '2026-12-02T10:00:00.000Z', message: 'ok', plan: 'p', app: 'web', ...over,
});

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('event signature', () => {
  it('is the HMAC-SHA256 of the raw body, and verifies only with the same secret and body', () => {
    // RFC 4231 test case 2
    assert.equal(signature('Jefe', 'what do ya want for nothing?'), 'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string({ minLength: 1 }), (secret, body, other) => {
      const sig = signature(secret, body);
      assert.ok(verifySignature(secret, body, sig));
      assert.equal(verifySignature(secret, body + other, sig), false);
      if (other !== secret) assert.equal(verifySignature(other, body, sig), false);
      assert.equal(verifySignature(secret, body, undefined), false);
    }));
  });

  it('headers carry the event id, type and a timestamp; unsigned without a secret', () => {
    const e = ev();
    const body = JSON.stringify(e);
    const h = deliveryHeaders(e, body, 1_700_000_000_123, 's3cret');
    assert.equal(h['X-Cloudmatrix-Event-Id'], e.id);
    assert.equal(h['X-Cloudmatrix-Event'], 'deploy.succeeded');
    assert.equal(h['X-Cloudmatrix-Timestamp'], '1700000000');
    assert.equal(h[SIGNATURE_HEADER], signature('s3cret', body));
    assert.ok(!JSON.stringify(h).includes('s3cret'));
    assert.equal(deliveryHeaders(e, body, 0)[SIGNATURE_HEADER], undefined);
  });
});

describe('retry policy', () => {
  it('backoff doubles from the base, never beyond the cap, jitter at most 20%', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 600_000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, base, cap, r) => {
      const d = backoffMs(n, base, cap, r);
      const raw = Math.min(cap, base * 2 ** (n - 1));
      assert.ok(d >= Math.min(raw, cap) - 0.5 && d <= cap && d <= raw * 1.2 + 0.5, `${n} ${base} ${cap} ${r}: ${d}`);
    }));
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n, 500, 60_000, 0)), [500, 1000, 2000, 4000]);
  });

  it('retries no answer, 408, 429 and 5xx; not other 4xx', () => {
    assert.deepEqual([null, 408, 429, 500, 503].map(retryable), [true, true, true, true, true]);
    assert.deepEqual([400, 401, 403, 404, 410].map(retryable), [false, false, false, false, false]);
  });

  it('webhook URLs are shown without path or query (they may be the secret)', () => {
    assert.equal(safeUrl('https://hooks.example.test/services/T0/B0/XXXXSECRET?token=abc'), 'https://hooks.example.test');
    assert.equal(safeUrl('not a url'), '(invalid URL)');
  });
});

describe('event types and filters', () => {
  it('a finished deploy maps to one type by kind and result', () => {
    assert.equal(deployEventType('deploy', 'ok'), 'deploy.succeeded');
    assert.equal(deployEventType('scale', 'ok'), 'deploy.succeeded');
    assert.equal(deployEventType('rollback', 'ok'), 'deploy.rolled_back');
    assert.equal(deployEventType('autoscale', 'ok'), 'autoscale.scaled');
    for (const k of ['deploy', 'rollback', 'autoscale']) {
      assert.equal(deployEventType(k, 'failed'), 'deploy.failed');
      assert.equal(deployEventType(k, 'partial'), 'deploy.failed');
    }
  });

  it('webhook event lists take exact types and prefixes', () => {
    for (const t of EVENT_TYPES) {
      assert.ok(wants(undefined, t) && wants([], t));
      assert.ok(wants([t], t));
      assert.equal(wants(['deploy.*'], t), t.startsWith('deploy.'));
    }
  });

  it('filters by type, plan and app (an app among a deploy\'s apps), newest `limit` kept in order', () => {
    const events = [ev({ app: 'a' }), ev({ app: undefined, apps: [{ app: 'a' }, { app: 'b' }] }), ev({ type: 'node.unreachable', plan: undefined, app: undefined, node: 'node2' }), ev({ plan: 'q', app: 'a' })];
    assert.deepEqual(filterEvents(events, { app: 'a' }), [events[0], events[1], events[3]]);
    assert.deepEqual(filterEvents(events, { app: 'a', plan: 'p' }), [events[0], events[1]]);
    assert.deepEqual(filterEvents(events, { type: 'node.*' }), [events[2]]);
    assert.deepEqual(filterEvents(events, { limit: 2 }), [events[2], events[3]]);
    fc.assert(fc.property(fc.array(fc.constantFrom(...EVENT_TYPES)), fc.nat(10), (types, limit) => {
      const list = types.map((type) => ev({ type }));
      const got = filterEvents(list, { type: 'deploy.*', limit });
      const all = list.filter((e) => e.type.startsWith('deploy.'));
      assert.deepEqual(got, all.slice(Math.max(0, all.length - limit)));
      assert.ok(got.every((e) => matchesEvent(e, { type: 'deploy.*' })));
    }));
    assert.match(formatEvent(events[2]!), /^2026-12-02 10:00:00 {2}node\.unreachable +node2 {2}ok$/);
  });
});

describe('event log', () => {
  it('appends one line per event, skips torn lines, rotates to one older file', () => {
    const d = dir();
    const a = ev();
    appendEvent(d, a);
    appendFileSync(eventLogPath(d), '{"id": "torn');
    appendFileSync(eventLogPath(d), '\n');
    const b = ev({ type: 'deploy.failed' });
    appendEvent(d, b, 1 << 20);
    assert.deepEqual(readEvents(d).map((e) => e.id), [a.id, b.id]);
    const c = ev();
    appendEvent(d, c, 10); // past 10 bytes: rotated first
    assert.ok(statSync(oldEventLogPath(d)).size > 0);
    assert.deepEqual(readEvents(d).map((e) => e.id), [a.id, b.id, c.id]);
    appendEvent(d, ev(), 10);
    assert.equal(readEvents(d).length, 2, 'bounded: the oldest file is dropped at the next rotation');
  });

  it('follow sees appended events (a line written in two parts once) and reads a rotated log from its start', async () => {
    const d = dir();
    appendEvent(d, ev({ id: 'before' }));
    const got: string[] = [];
    const stop = followEvents(d, (e) => got.push(e.id), 10);
    try {
      appendEvent(d, ev({ id: 'one' }));
      await until('one', () => got.includes('one'));
      const line = JSON.stringify(ev({ id: 'two', message: 'héllo' }));
      const cut = line.indexOf('é') + 1; // inside the two bytes of é
      const bytes = Buffer.from(`${line}\n`);
      appendFileSync(eventLogPath(d), bytes.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 50));
      appendFileSync(eventLogPath(d), bytes.subarray(cut));
      await until('two', () => got.includes('two'));
      appendEvent(d, ev({ id: 'three-rotated' }), 1); // rotates: a new file at the path
      await until('three-rotated', () => got.includes('three-rotated'));
      assert.deepEqual(got, ['one', 'two', 'three-rotated']);
    } finally {
      stop();
    }
  });
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

async function receiver(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      answer(got.length, req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/SECRETPATH`;
  return { got, url, close: () => { server.closeAllConnections(); server.close(); } };
}

const opts = (webhooks: Webhook[], over = {}) => ({ webhooks, timeoutMs: 2000, retries: 3, queue: 100, ...over });
const fastClock = { now: Date.now, random: () => 0 };

describe('notifier (a real receiver on loopback)', () => {
  it('delivers signed events; retries a 503 then succeeds; a 400 is not retried; warnings never name the path or secret', async () => {
    const r = await receiver((n, req, res) => res.writeHead(req.headers['x-cloudmatrix-event'] === 'deploy.failed' ? 400 : n === 1 ? 503 : 204).end());
    const warnings: string[] = [];
    try {
      const n = new Notifier(opts([{ url: r.url, secret: { env: 'X' } }]), () => 'k3y', (l) => warnings.push(l), fastClock);
      const e = ev();
      n.enqueue(e);
      assert.equal(n.size, 1, 'enqueue returns before anything is sent');
      await until('retried delivery', () => n.size === 0);
      assert.equal(r.got.length, 2);
      for (const g of r.got) {
        assert.equal(g.body, JSON.stringify(e));
        assert.ok(verifySignature('k3y', g.body, g.headers['x-cloudmatrix-signature'] as string));
        assert.equal(g.headers['x-cloudmatrix-event-id'], e.id);
      }
      n.enqueue(ev({ type: 'deploy.failed' }));
      await until('given up', () => n.size === 0);
      assert.equal(r.got.length, 3);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /not delivered after 1 attempt\(s\) \(HTTP 400\)/);
      assert.ok(!warnings.join().includes('SECRETPATH') && !warnings.join().includes('k3y'));
    } finally {
      r.close();
    }
  });

  it('webhooks get only the types they ask for; an unset secret means no delivery', async () => {
    const r = await receiver((_n, _req, res) => res.writeHead(200).end());
    const warnings: string[] = [];
    try {
      const n = new Notifier(opts([{ url: r.url, events: ['node.*'] }, { url: `${r.url}/2`, secret: { env: 'UNSET' } }]), (h) => (h.secret ? null : undefined), (l) => warnings.push(l), fastClock);
      n.enqueue(ev({ type: 'deploy.started' }));
      n.enqueue(ev({ type: 'node.unreachable' }));
      await until('settled', () => n.size === 0);
      assert.deepEqual(r.got.map((g) => g.headers['x-cloudmatrix-event']), ['node.unreachable']);
      assert.equal(r.got[0]!.headers['x-cloudmatrix-signature'], undefined);
      assert.equal(warnings.filter((w) => w.includes('secret is not set')).length, 2);
    } finally {
      r.close();
    }
  });

  it('the queue is bounded: beyond it the oldest is dropped and said', async () => {
    const warnings: string[] = [];
    const n = new Notifier(opts([{ url: 'http://127.0.0.1:9/' }], { queue: 3 }), () => undefined, (l) => warnings.push(l), fastClock);
    for (let i = 0; i < 5; i++) n.enqueue(ev({ id: `e${i}` }));
    assert.equal(n.size, 3);
    assert.deepEqual(warnings.map((w) => w.match(/e\d/)?.[0]), ['e0', 'e1']);
    await n.settle(0);
  });

  it('settle waits for quick deliveries, and returns at the grace what a receiver that never answers still holds', async () => {
    const hung: ServerResponse[] = [];
    const r = await receiver((_n, _req, res) => void hung.push(res));
    try {
      const n = new Notifier(opts([{ url: r.url }], { timeoutMs: 60_000 }), () => undefined, () => undefined, fastClock);
      const e = ev();
      n.enqueue(e);
      const t0 = Date.now();
      const left = await n.settle(300);
      assert.ok(Date.now() - t0 < 2000, 'bounded by the grace');
      assert.deepEqual(left, [{ event: e, url: r.url, attempt: 1 }]);
      assert.equal(n.size, 0);
      const d = dir();
      handOver(d, left);
      assert.deepEqual(takeOver(d), left);
      assert.deepEqual(takeOver(d), [], 'taken once');
    } finally {
      r.close();
    }
  });
});

// EventType is a closed list: a typo in an emit point is a compile error.
const _typed: EventType = 'job.failed';
void _typed;

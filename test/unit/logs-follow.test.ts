import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DockerEvent, EventStream, NodeEngines } from '../../src/adapters/docker.js';
import type { LogHandlers, LogOptions } from '../../src/adapters/docker/log-stream.js';
import { LogFollower } from '../../src/logs/follow.js';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import type { AppLogLine } from '../../src/model/logs/lines.js';

const T = (s: number) => `2026-12-02T01:00:${String(s).padStart(2, '0')}.000000000Z`;

/** A node's Docker as LogFollower uses it: event streams and log streams the test drives. */
class FakeNode {
  down = false;
  events: { filters: Record<string, string[]>; emit: (e: DockerEvent) => void; end: (why: string) => void; closed: boolean }[] = [];
  logs = new Map<string, { opts: LogOptions; h: LogHandlers; closed: boolean }[]>();
  containers: { Id: string; Names: string[] }[] = [];

  engine() {
    const self = this;
    return {
      async events(filters: Record<string, string[]>): Promise<EventStream> {
        if (self.down) throw new Error('docker events: no answer within 1 s');
        const onEvent: ((e: DockerEvent) => void)[] = [];
        const onEnd: ((why: string) => void)[] = [];
        const rec = { filters, emit: (e: DockerEvent) => onEvent.forEach((f) => f(e)), end: (why: string) => onEnd.forEach((f) => f(why)), closed: false };
        self.events.push(rec);
        const s: EventStream = {
          on: ((ev: string, cb: never) => ((ev === 'event' ? onEvent : onEnd).push(cb), s)) as EventStream['on'],
          close: () => void (rec.closed = true),
        };
        return s;
      },
      async listContainers() {
        if (self.down) throw new Error('list: no answer');
        return self.containers;
      },
      async streamLogs(id: string, opts: LogOptions, h: LogHandlers) {
        if (self.down) throw new Error('logs: no answer');
        const rec = { opts, h, closed: false };
        self.logs.set(id, [...(self.logs.get(id) ?? []), rec]);
        return { close: () => void (rec.closed = true) };
      },
    };
  }

  /** the open log stream of a container (the last one opened) */
  stream(id: string) {
    return this.logs.get(id)!.at(-1)!;
  }
}

async function settle(ms = 5): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls every 5 ms until `cond` holds, at most `ms`. */
async function until(what: string, cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await settle();
  }
}

describe('LogFollower', () => {
  it('follows the listed replicas with --tail, then the ones that start, and orders lines across them', async () => {
    const node = new FakeNode();
    const engines = { get: () => node.engine() } as unknown as NodeEngines;
    const lines: AppLogLine[] = [];
    const notes: string[] = [];
    const f = new LogFollower(engines, { app: 'web' }, { line: (l) => lines.push(l), note: (m) => notes.push(m) }, (t) => t.replace('s3cret', '[secret]'), { tail: 5, orderWindowMs: 20 });
    const stop = new AbortController();
    const done = f.run([{ name: 'node1', ip: '10.0.0.1' }], [{ node: 'node1', id: 'a', name: 'web-1' } as CloudContainer], [], stop.signal);
    await settle();
    assert.deepEqual(node.events[0]!.filters, { type: ['container'], event: ['start'], label: ['cloudmatrix.app=web'] });
    assert.deepEqual(node.stream('a').opts, { follow: true, since: undefined, tail: 5 });
    node.events[0]!.emit({ Action: 'start', Actor: { ID: 'b', Attributes: { name: 'web-2' } } });
    await settle();
    assert.deepEqual(node.stream('b').opts, { follow: true, since: undefined, tail: undefined }, 'a new replica from its first line');
    assert.deepEqual(notes, ['node1/web-2 started: following it']);
    node.stream('b').h.line({ stream: 'stdout', time: T(2), text: 'b two' });
    node.stream('a').h.line({ stream: 'stderr', time: T(1), text: 'a one s3cret' });
    await until('both lines out', () => lines.length === 2);
    assert.deepEqual(lines.map((l) => `${l.container} ${l.stream} ${l.text}`), ['web-1 stderr a one [secret]', 'web-2 stdout b two']);
    stop.abort();
    await done;
    assert.ok(node.stream('a').closed && node.events[0]!.closed, 'everything closed at the end');
  });

  it('a node that fails is said once, closed, retried quietly, and resumed from each replica\'s last line', async () => {
    const node = new FakeNode();
    const engines = { get: () => node.engine() } as unknown as NodeEngines;
    const lines: string[] = [];
    const notes: string[] = [];
    const f = new LogFollower(engines, { app: 'web' }, { line: (l) => lines.push(l.text), note: (m) => notes.push(m) }, (t) => t, { orderWindowMs: 1, retryMs: 10 });
    const stop = new AbortController();
    const done = f.run([{ name: 'node1', ip: '10.0.0.1' }], [{ node: 'node1', id: 'a', name: 'web-1' } as CloudContainer], [], stop.signal);
    await settle();
    node.stream('a').h.line({ stream: 'stdout', time: T(1), text: 'one' });
    node.down = true;
    node.events[0]!.end('failed its heartbeat: docker ping: no answer within 10 s');
    assert.ok(node.stream('a').closed);
    assert.match(notes[0]!, /^node1: not following it: its event stream failed its heartbeat: .*; its replicas' lines stop here; trying again in 0 s$/);
    await settle(60);
    assert.equal(notes.length, 1, 'quiet while it stays down');
    node.containers = [{ Id: 'a', Names: ['/web-1'] }];
    node.down = false;
    await until('answering again', () => notes.length === 2);
    assert.equal(notes[1], 'node1: answering again; following its replicas from their last line');
    const again = node.stream('a');
    assert.equal(again.opts.since, Date.parse(T(1)) / 1000);
    again.h.line({ stream: 'stdout', time: T(1), text: 'one' });
    again.h.line({ stream: 'stdout', time: T(2), text: 'two' });
    await until('the next line', () => lines.length === 2);
    await settle(20);
    assert.deepEqual(lines, ['one', 'two'], 'the line at since itself is not repeated');
    stop.abort();
    await done;
  });
});

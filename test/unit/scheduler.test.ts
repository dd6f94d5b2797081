import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobStore, type JobRun } from '../../src/adapters/store/jobs.js';
import { Scheduler, type DeployedJob } from '../../src/jobs/scheduler.js';
import { app, plan } from './helpers/cluster.js';

function setup(concurrency: 'forbid' | 'allow', schedule = '* * * * *') {
  const dir = mkdtempSync(join(tmpdir(), 'cmx-sched-'));
  const store = new JobStore(dir, () => undefined);
  const job: DeployedJob = { owner: { name: 'ops', plan: plan([]) }, app: app('tick', { schedule, concurrency, worker: true, port: 0, hosts: [], command: ['true'] }) };
  let now = new Date('2026-01-01T10:00:30Z');
  const logs: string[] = [];
  const finish: (() => void)[] = [];
  const started: { scheduledFor: string; id: string }[] = [];
  const s = new Scheduler({
    now: () => now, jobs: () => [job], store, log: (l) => logs.push(l),
    run: (_j, o) => {
      started.push({ scheduledFor: o.scheduledFor.toISOString(), id: o.id });
      const run: JobRun = { id: o.id, plan: 'ops', app: 'tick', trigger: 'schedule', scheduledFor: o.scheduledFor.toISOString(), state: 'succeeded', startedAt: now.toISOString() };
      return new Promise((resolve) => finish.push(() => resolve(run)));
    },
  });
  return { dir, store, s, logs, started, finish, at: (t: string) => (now = new Date(t)), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('scheduler: nothing at first sight; one run per time; forbid records the time as skipped while a run goes on', async () => {
  const t = setup('forbid');
  try {
    assert.equal(t.s.tick().length, 0);
    assert.equal(t.store.lastScheduled('ops/tick')?.toISOString(), '2026-01-01T10:00:30.000Z');
    t.at('2026-01-01T10:00:59Z');
    assert.equal(t.s.tick().length, 0);
    t.at('2026-01-01T10:01:00.200Z');
    const first = t.s.tick();
    assert.deepEqual(t.started.map((x) => x.scheduledFor), ['2026-01-01T10:01:00.000Z']);
    // the same minute again: nothing more
    assert.equal(t.s.tick().length, 0);
    t.at('2026-01-01T10:02:00.200Z');
    assert.equal(t.s.tick().length, 0);
    const skipped = t.store.runs('ops/tick');
    assert.equal(skipped.length, 1);
    assert.deepEqual({ state: skipped[0]!.state, for: skipped[0]!.scheduledFor }, { state: 'skipped', for: '2026-01-01T10:02:00.000Z' });
    assert.match(skipped[0]!.reason!, /still going \(concurrency: forbid\)/);
    t.finish.shift()!();
    await Promise.all(first);
    t.at('2026-01-01T10:03:00.200Z');
    assert.equal(t.s.tick().length, 1);
    assert.deepEqual(t.started.map((x) => x.scheduledFor), ['2026-01-01T10:01:00.000Z', '2026-01-01T10:03:00.000Z']);
    t.finish.shift()!();
  } finally {
    t.done();
  }
});

test('scheduler: allow starts overlapping runs', () => {
  const t = setup('allow');
  try {
    t.s.tick();
    t.at('2026-01-01T10:01:00Z');
    t.s.tick();
    t.at('2026-01-01T10:02:00Z');
    t.s.tick();
    assert.equal(t.started.length, 2);
    assert.equal(t.store.runs('ops/tick').length, 0);
    for (const f of t.finish) f();
  } finally {
    t.done();
  }
});

test('scheduler: after a manager restart, at most one missed time runs (the latest), the others are said', () => {
  const t = setup('forbid', '*/5 * * * *');
  try {
    t.s.tick();
    // the manager is down from 10:00:30 to 10:31:10: times 10:05 .. 10:30 passed
    t.at('2026-01-01T10:31:10Z');
    const again = new Scheduler({ now: () => new Date('2026-01-01T10:31:10Z'), jobs: () => [{ owner: { name: 'ops', plan: plan([]) }, app: app('tick', { schedule: '*/5 * * * *', worker: true, port: 0, hosts: [] }) }], store: t.store, log: (l) => t.logs.push(l), run: (_j, o) => {
      t.started.push({ scheduledFor: o.scheduledFor.toISOString(), id: o.id });
      return Promise.resolve({ id: o.id, plan: 'ops', app: 'tick', trigger: 'schedule', state: 'succeeded', startedAt: '' });
    } });
    assert.equal(again.tick().length, 1);
    assert.deepEqual(t.started.map((x) => x.scheduledFor), ['2026-01-01T10:30:00.000Z']);
    assert.match(t.logs.join('\n'), /ops\/tick: 5 scheduled time\(s\) passed while no scheduler ran; only the latest \(2026-01-01T10:30:00.000Z\) runs/);
  } finally {
    t.done();
  }
});

test('scheduler.run: waits while another holds the lock, ticks once it has it, stops on the signal', async () => {
  const t = setup('forbid');
  try {
    let tries = 0;
    const ticks: number[] = [];
    const s = new Scheduler({
      now: () => new Date('2026-01-01T10:00:30Z'), jobs: () => { ticks.push(tries); return []; }, store: t.store, log: (l) => t.logs.push(l),
      run: () => Promise.reject(new Error('no run expected')),
      lock: () => (++tries < 3 ? null : { holder: { pid: 1, host: 'h', command: 'c', startedAt: '' }, release: () => undefined }),
    });
    const stop = new AbortController();
    const sleeps: number[] = [];
    await s.run(stop.signal, async (ms) => {
      sleeps.push(ms);
      if (sleeps.length === 4) stop.abort();
    });
    assert.deepEqual(ticks, [3, 3]);
    assert.deepEqual(sleeps, [30_200, 30_200, 30_200, 30_200]);
    assert.deepEqual(t.logs, ['jobs: another scheduler holds the lock; this one waits']);
  } finally {
    t.done();
  }
});

test('JobStore.settleLost: a run left running by a process that is gone becomes failed, said why; a live one stays', () => {
  const t = setup('forbid');
  try {
    const base = { plan: 'ops', app: 'tick', trigger: 'schedule' as const, startedAt: '2026-01-01T10:00:00.000Z' };
    t.store.put({ ...base, id: 'a', state: 'running', pid: 111 });
    t.store.put({ ...base, id: 'b', state: 'running', pid: 222 });
    t.store.put({ ...base, id: 'c', state: 'succeeded', pid: 111 });
    assert.equal(t.store.settleLost((pid) => pid === 222, new Date('2026-01-01T11:00:00Z')), 1);
    const byId = new Map(t.store.runs('ops/tick').map((r) => [r.id, r]));
    assert.equal(byId.get('a')!.state, 'failed');
    assert.match(byId.get('a')!.reason!, /stopped meanwhile/);
    assert.equal(byId.get('a')!.finishedAt, '2026-01-01T11:00:00.000Z');
    assert.equal(byId.get('b')!.state, 'running');
    assert.equal(byId.get('c')!.state, 'succeeded');
  } finally {
    t.done();
  }
});

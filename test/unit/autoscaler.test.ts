import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Autoscaler, sampleEvery, type AutoscalerDeps, type ScaleAction } from '../../src/autoscale/autoscaler.js';
import { acquireLock, acquireLockWaiting } from '../../src/adapters/store/lock.js';
import { takeDeployLock } from '../../src/deploy/deploy-lock.js';
import type { ScaleEntries } from '../../src/model/scale-counts.js';
import { EnvError } from '../../src/errors.js';
import { app, plan } from './helpers/cluster.js';

const auto = { requestsPerSecond: 10, window: '4s', scaleDownDelay: '6s', windowMs: 4000, scaleDownDelayMs: 6000 };
/** what an action asks for: a count, or `=` (the same count, placed again) */
const asked = (a: ScaleAction) => (a.direction === 'repair' ? '=' : a.replicas);
const web = app('web', { replicas: 1, replicaRange: { min: 1, max: 4 }, autoscale: auto, maxPerNode: 2 });

/** A cluster in memory: `rps` requests per second reach web's backend; scaling changes the count at once. */
function fakeCluster(over: Partial<AutoscalerDeps> = {}) {
  let t = 0;
  let total = 0;
  let rps = 0;
  let entries: Record<string, { replicas: number; by: 'autoscale'; changedAt: string; pinned: boolean }> = {};
  const actions: ScaleAction[] = [];
  const deps: AutoscalerDeps = {
    plans: () => [{ name: 'p', plan: plan([{ ...web, replicas: entries['p/web']?.replicas ?? 1 }]) }],
    entries: () => entries as ScaleEntries,
    counters: { read: async () => new Map([[`VBE.cmx_1_abcdef01.be__web__node1__32768.req`, total]]) },
    lockHolder: () => null,
    scale: async (a) => {
      actions.push(a);
      if (a.direction !== 'repair') entries = { 'p/web': { replicas: a.replicas, by: 'autoscale', changedAt: new Date(t).toISOString(), pinned: false } };
      return true;
    },
    live: async () => ({ serving: entries['p/web']?.replicas ?? 1, capacity: 6, unreachable: [] }),
    writeRates: () => undefined,
    ...over,
  };
  const scaler = new Autoscaler(deps, { log: () => undefined, signal: new AbortController().signal, now: () => t, repairEveryMs: 1000 });
  /** advances the clock in 1 s readings */
  const run = async (seconds: number, r: number) => {
    rps = r;
    for (let i = 0; i < seconds; i++) {
      t += 1000;
      total += rps;
      await scaler.tick();
      await scaler.settled();
    }
  };
  return { run, actions, pin: () => (entries['p/web'] = { ...entries['p/web']!, pinned: true }), deps, now: () => t };
}

describe('autoscaler', () => {
  it('scales up at once above target, down after the delay, with the history note', async () => {
    const c = fakeCluster();
    await c.run(1, 0); // the baseline reading
    await c.run(2, 35);
    assert.deepEqual(c.actions.map((a) => [a.direction, asked(a)]), [['up', 4]]);
    assert.match(c.actions[0]!.note, /^autoscale web 1 -> 4: 35 req\/s over 4s, target 10\/replica$/);
    await c.run(5, 0);
    assert.equal(c.actions.length, 1, 'not down before scaleDownDelay');
    await c.run(8, 0);
    assert.deepEqual(c.actions.map((a) => [a.direction, asked(a)]), [['up', 4], ['down', 1]]);
  });

  it('leaves a pinned app alone, and places replicas lost with a node again with the same count', async () => {
    let lost = false;
    const count = () => c.deps.entries()['p/web']?.replicas ?? 1;
    const c: ReturnType<typeof fakeCluster> = fakeCluster({ live: async () => ({ serving: lost ? 1 : count(), capacity: 4, unreachable: lost ? ['node2'] : [] }) });
    await c.run(1, 0);
    await c.run(2, 25);
    assert.deepEqual(c.actions.map(asked), [3]);
    c.pin();
    await c.run(3, 80);
    assert.equal(c.actions.length, 1, 'pinned');
    lost = true;
    await c.run(1, 80);
    assert.equal(c.actions.length, 2);
    assert.equal(c.actions[1]!.direction, 'repair');
    assert.match(c.actions[1]!.note, /autoscale web 3 -> 3: 1 of 3 replicas serve \(node2 not answering\)/);
  });

  it('a failed or refused scaling changes nothing and is tried again later', async () => {
    let calls = 0;
    const c = fakeCluster({
      scale: async () => {
        calls++;
        throw new EnvError('another deploy holds the lock: pid 1 on h (deploy-plan x.yaml), started t');
      },
    });
    await c.run(1, 0);
    await c.run(3, 50);
    assert.equal(calls, 3, 'lock busy: decided again at each reading');
  });

  it('only one autoscaler acts: one that cannot take the autoscaler lock only routes', async () => {
    const lines: string[] = [];
    let reads = 0;
    const c = fakeCluster({ claim: async () => false, counters: { read: async () => (reads++, new Map()) } });
    const scaler = new Autoscaler(c.deps, { log: (l) => lines.push(l), signal: new AbortController().signal });
    assert.equal(await scaler.tick(), 30_000);
    assert.equal(await scaler.tick(), 30_000);
    assert.equal(reads, 0);
    assert.deepEqual(lines, ['autoscale: another watch (or serve --watch) runs the autoscaler; this one only routes']);
  });

  it('reads every 1/5 of the shortest window, 1 s to 5 s', () => {
    assert.equal(sampleEvery([30_000]), 5000);
    assert.equal(sampleEvery([5000, 30_000]), 1000);
    assert.equal(sampleEvery([2000]), 1000);
  });
});

describe('deploy lock while scaling', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'cmx-lockwait-'));

  it('a deploy waits for a scaling holder, without blocking the event loop', async () => {
    const path = join(dir(), 'deploy.lock');
    const held = acquireLock(path, 'autoscale web 1 -> 3: 40 req/s over 5s, target 10/replica');
    const lines: string[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    setTimeout(() => held.release(), 1500);
    try {
      const t0 = Date.now();
      const lock = await takeDeployLock(path, 'deploy-plan p.yaml', { waitMs: 10_000, log: (l) => lines.push(l), onStale: () => undefined });
      assert.ok(Date.now() - t0 >= 1400);
      assert.ok(ticks >= 5, `the event loop ran (${ticks} ticks)`);
      assert.match(lines[0]!, /^waiting for the deploy lock: autoscale web 1 -> 3/);
      lock.release();
    } finally {
      clearInterval(timer);
    }
  });

  it('another deploy is still refused at once; a wait that runs out is refused naming the holder', async () => {
    const path = join(dir(), 'deploy.lock');
    const held = acquireLock(path, 'deploy-plan a.yaml');
    try {
      await assert.rejects(takeDeployLock(path, 'deploy-plan b.yaml', { waitMs: 10_000, log: () => undefined, onStale: () => undefined }), /another deploy holds the lock: .*deploy-plan a\.yaml/);
      await assert.rejects(acquireLockWaiting(path, 'scale web 2', 1000), /another deploy holds the lock/);
    } finally {
      held.release();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deployApp, type AppDeployContext, type StatefulHooks } from '../../src/deploy/app-deploy.js';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import type { Action } from '../../src/model/types.js';
import { app } from './helpers/cluster.js';
import { MemoryEngine } from './helpers/memory-engine.js';

// deployApp for an app with volumes over an in-memory engine: stop-first, the backup before it,
// the old container back when the new one fails.
let healthy: Server;
let healthyPort: number;
before(async () => {
  healthy = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => healthy.once('listening', r));
  healthyPort = (healthy.address() as AddressInfo).port;
});
after(() => healthy.close());

const db = { ...app('db', { health: { path: '/', interval: '1s', timeout: '1s', intervalMs: 100, timeoutMs: 300 } }), volumes: { data: '/data' }, backupKeep: 5 };
const old: CloudContainer = {
  node: 'node1', id: 'old', name: 'p-db-0', app: 'db', plan: 'p', revision: 'r0', image: 'i', state: 'running', status: 'Up', containerPort: 8080, address: '127.0.0.1', port: 40000,
};
const actions: Action[] = [
  { kind: 'stop', app: 'db', node: 'node1', containerId: 'old', name: 'p-db-0', revision: 'r0', reason: 'outdated' },
  { kind: 'start', app: 'db', node: 'node1', revision: 'r1', image: 'img', slot: 1, name: 'p-db-1', port: 8080, hostPort: 40000 },
];

function context(engine: MemoryEngine, hooks: Partial<StatefulHooks>) {
  const events: string[] = [];
  const stateful: StatefulHooks = {
    mounts: async (_a, node) => (events.push(`mounts ${node}`), [{ source: 'p-db-data', target: '/data' }]),
    beforeReplace: async (_a, o) => void events.push(`backup ${o.containerId}`),
    ...hooks,
  };
  const ctx: AppDeployContext = {
    planName: 'p', engineOf: () => engine, nodes: new Map([['node1', { name: 'node1', ip: '127.0.0.1' }]]), containers: [old],
    isKnownGood: () => true, markKnownGood: () => undefined, pullAuth: {},
    images: new Map([['cloud/db:1.0', { ref: { registry: 'r:5000', repository: 'cloud/db', tag: '1.0', digest: 'sha256:abc' }, digest: 'sha256:abc' }]]),
    switchTo: async () => undefined, progress: (_a, _n, m) => void events.push(m), healthDeadlineMs: 800, drainMs: 0, exitPollMs: 50,
    signal: new AbortController().signal, stateful,
  };
  return { ctx, events };
}

describe('deployApp, an app with volumes', () => {
  it('backs up, stops the old one first, starts the new one on the volume, measures the gap', async () => {
    const engine = new MemoryEngine('node1', () => healthyPort);
    engine.boxes.set('old', { id: 'old', name: 'p-db-0', running: true, exitCode: 0, hostPort: 40000, containerPort: 8080 });
    const { ctx, events } = context(engine, {});
    const out = await deployApp(ctx, { ...db, image: 'cloud/db:1.0' }, 'db', actions);
    assert.equal(out.result, 'ok', out.error);
    assert.ok(typeof out.gapMs === 'number' && out.gapMs >= 0);
    assert.equal(events[0], 'backup old');
    const stopAt = engine.calls.indexOf('stop old');
    const createAt = engine.calls.findIndex((c) => c.startsWith('create p-db-1'));
    assert.ok(stopAt >= 0 && createAt > stopAt, `stop before create: ${engine.calls.join(', ')}`);
    assert.ok(events.some((e) => /stop-first gap \d+ ms/.test(e)));
  });

  it('a backup that fails stops the deploy before anything changes', async () => {
    const engine = new MemoryEngine('node1', () => healthyPort);
    const { ctx } = context(engine, { beforeReplace: async () => { throw new Error('ENOSPC: no space left on device'); } });
    const out = await deployApp(ctx, { ...db, image: 'cloud/db:1.0' }, 'db', actions);
    assert.equal(out.result, 'failed');
    assert.match(out.error!, /not replaced, nothing changed: ENOSPC/);
    assert.deepEqual(engine.calls, []);
  });

  it('a new container that does not turn healthy is removed and the old one starts again on its volume', async () => {
    const engine = new MemoryEngine('node1', () => 1);
    engine.boxes.set('old', { id: 'old', name: 'p-db-0', running: true, exitCode: 0, hostPort: 40000, containerPort: 8080 });
    const { ctx } = context(engine, {});
    const out = await deployApp(ctx, { ...db, image: 'cloud/db:1.0' }, 'db', actions);
    assert.equal(out.result, 'failed');
    assert.ok(engine.boxes.get('old')!.running, 'old container running again');
    assert.ok(engine.calls.includes('start old'));
    assert.equal([...engine.boxes.keys()].length, 1, 'the new container is gone');
  });
});

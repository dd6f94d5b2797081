import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { deployApp, type AppDeployContext } from '../../src/deploy/app-deploy.js';
import type { CloudContainer } from '../../src/model/cloud-container.js';
import type { RouteBackend } from '../../src/model/routing.js';
import type { Action, StopReason } from '../../src/model/types.js';
import { app } from './helpers/cluster.js';
import { MemoryEngine } from './helpers/memory-engine.js';

// deployApp over in-memory engines: the procedure (start, health, record, switch, drain, stop)
// and its failure paths, with a real HTTP server on loopback standing in for the healthy containers.
let healthy: Server;
let healthyPort: number;
const DEAD_PORT = 1; // nothing listens there

before(async () => {
  healthy = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => healthy.once('listening', r));
  healthyPort = (healthy.address() as AddressInfo).port;
});
after(() => healthy.close());

const web = app('web', { replicas: 2, health: { path: '/', interval: '1s', timeout: '1s', intervalMs: 100, timeoutMs: 500 } });
const old = (id: string, node: string, knownGood = true): CloudContainer => ({
  node, id, name: `hello-web-${id}`, app: 'web', plan: 'hello', revision: 'r0', image: 'i', state: 'running', status: 'Up',
  containerPort: 8080, address: '127.0.0.1', port: 40000, knownGood,
});
const start = (node: string, slot: number): Action => ({ kind: 'start', app: 'web', node, revision: 'r1', image: 'img', slot, name: `hello-web-${slot}`, port: 8080, hostPort: null });
const stop = (c: CloudContainer, reason: StopReason = 'outdated'): Action => ({ kind: 'stop', app: 'web', node: c.node, containerId: c.id, name: c.name, revision: c.revision, reason });

function context(engines: Map<string, MemoryEngine>, containers: CloudContainer[], over: Partial<AppDeployContext> = {}) {
  const events: string[] = [];
  const good = new Set(containers.filter((c) => c.knownGood !== false).map((c) => c.id));
  const ctx: AppDeployContext = {
    planName: 'hello',
    engineOf: (n) => engines.get(n)!,
    nodes: new Map([...engines.keys()].map((n) => [n, { name: n, ip: '127.0.0.1' }])),
    containers,
    isKnownGood: (id) => good.has(id),
    markKnownGood: (c) => {
      good.add(c.id);
      events.push(`good ${c.node}/${c.name}`);
    },
    pullAuth: {},
    images: new Map([['cloud/web:1.0', { ref: { registry: 'r:5000', repository: 'cloud/web', tag: '1.0', digest: 'sha256:abc' }, digest: 'sha256:abc' }]]),
    switchTo: async (a: string, backends: RouteBackend[]) => void events.push(`switch ${a} ${backends.map((b) => b.container).sort().join(',')}`),
    progress: () => undefined,
    healthDeadlineMs: 1500,
    drainMs: 0,
    exitPollMs: 50,
    signal: new AbortController().signal,
    ...over,
  };
  return { ctx, events };
}

describe('deployApp over the NodeEngine interface', () => {
  it('starts, records each new container as known-good before the switch, switches to kept + new, then removes the old', async () => {
    const engines = new Map([['node1', new MemoryEngine('node1', () => healthyPort)], ['node2', new MemoryEngine('node2', () => healthyPort)]]);
    const a = old('a', 'node1');
    const { ctx, events } = context(engines, [a]);
    const out = await deployApp(ctx, web, 'web', [start('node1', 1), start('node2', 0), stop(a)]);
    assert.equal(out.result, 'ok', out.error);
    assert.deepEqual(events.slice(0, 2).sort(), ['good node1/hello-web-1', 'good node2/hello-web-0']);
    assert.equal(events[2], 'switch web hello-web-0,hello-web-1');
    assert.ok(engines.get('node1')!.calls.includes('stop a') && engines.get('node1')!.calls.includes('remove a'));
  });

  it('never routes an orphan it keeps no record of: the switch names known-good containers only', async () => {
    const engines = new Map([['node1', new MemoryEngine('node1', () => healthyPort)]]);
    const good = old('a', 'node1');
    const orphan = old('o', 'node1', false);
    const { ctx, events } = context(engines, [good, orphan]);
    const out = await deployApp(ctx, web, 'web', [stop(orphan, 'orphan')]);
    assert.equal(out.result, 'ok');
    assert.deepEqual(events, ['switch web hello-web-a']);
  });

  it('a new container that never turns healthy: the app fails, what it created is removed, nothing is switched or recorded', async () => {
    const engines = new Map([['node1', new MemoryEngine('node1', () => DEAD_PORT)]]);
    const a = old('a', 'node1');
    const { ctx, events } = context(engines, [a]);
    const out = await deployApp(ctx, web, 'web', [start('node1', 1), stop(a)]);
    assert.equal(out.result, 'failed');
    assert.match(out.error!, /did not turn healthy.*last log lines: last words/);
    assert.deepEqual(events, []);
    assert.deepEqual([...engines.get('node1')!.boxes.keys()], [], 'the new container is removed');
    assert.ok(!engines.get('node1')!.calls.includes('stop a'), 'the old one was never touched');
  });

  it('a container that exits while it is checked fails at once, not at the health deadline', async () => {
    const engine = new MemoryEngine('node1', () => DEAD_PORT);
    const { ctx } = context(new Map([['node1', engine]]), [], { healthDeadlineMs: 20_000 });
    const t0 = Date.now();
    const pending = deployApp(ctx, web, 'web', [start('node1', 0)]);
    setTimeout(() => {
      for (const b of engine.boxes.values()) Object.assign(b, { running: false, exitCode: 3 });
    }, 100);
    const out = await pending;
    assert.equal(out.result, 'failed');
    assert.match(out.error!, /container exited with status 3/);
    assert.ok(Date.now() - t0 < 3000);
  });

  it('a node that stops answering while its container is checked: the app fails naming the node and the deadline; the leftover is said, not hidden', async () => {
    const engine = new MemoryEngine('node1', () => DEAD_PORT);
    const { ctx } = context(new Map([['node1', engine]]), [], { healthDeadlineMs: 20_000 });
    const pending = deployApp(ctx, web, 'web', [start('node1', 0)]);
    setTimeout(() => (engine.hang = true), 100);
    const out = await pending;
    assert.equal(out.result, 'failed');
    assert.match(out.error!, /node1: .*docker inspect .*no answer/);
    assert.match(out.error!, /not removed \(the next deploy removes it\)/);
  });

  it('a failed restore of a container stopped for its fixed host port is reported, not swallowed', async () => {
    const engine = new MemoryEngine('node1', () => DEAD_PORT);
    const a = old('a', 'node1');
    engine.boxes.set('a', { id: 'a', name: a.name, running: true, exitCode: 0, hostPort: 40000, containerPort: 8080 });
    const { ctx } = context(new Map([['node1', engine]]), [a]);
    const fixed = { ...start('node1', 1), hostPort: 8081 };
    const origStart = engine.startContainer.bind(engine);
    engine.startContainer = async (id: string) => {
      if (id === 'a') throw new Error('port is already allocated');
      return origStart(id);
    };
    const out = await deployApp(ctx, { ...web, hostPort: 8081 }, 'web', [stop(a), fixed]);
    assert.equal(out.result, 'failed');
    assert.match(out.error!, /could not start the old hello-web-a again: port is already allocated/);
  });
});

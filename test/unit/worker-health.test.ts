import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { deployApp, type AppDeployContext } from '../../src/deploy/app-deploy.js';
import { containerSpec } from '../../src/model/container-spec.js';
import { fromContainerInfo } from '../../src/model/cloud-container.js';
import { workerVerdict, type WorkerLook } from '../../src/model/worker-health.js';
import type { Action } from '../../src/model/types.js';
import type { ContainerInfo } from 'dockerode';
import { app } from './helpers/cluster.js';
import { MemoryEngine } from './helpers/memory-engine.js';

const up: WorkerLook = { gone: false, running: true, restarting: false, restartCount: 0 };

test('worker verdict: healthy after the start period without a restart; an exit, a restart or a removal fails at once', () => {
  const rule = { startPeriodMs: 5000 };
  assert.deepEqual(workerVerdict(0, up, 4999, rule), { kind: 'wait' });
  assert.deepEqual(workerVerdict(0, up, 5000, rule), { kind: 'healthy' });
  assert.deepEqual(workerVerdict(0, { ...up, restartCount: 1 }, 9000, rule), { kind: 'failed', reason: 'container restarted once (it exits: a worker must keep running)' });
  assert.deepEqual(workerVerdict(0, { ...up, restartCount: 3 }, 10, rule).kind, 'failed');
  assert.deepEqual(workerVerdict(0, { ...up, running: false, exitCode: 2 }, 10, rule), { kind: 'failed', reason: 'container exited with status 2 (a worker must keep running)' });
  assert.deepEqual(workerVerdict(0, { ...up, restarting: true }, 10, rule).kind, 'failed');
  assert.deepEqual(workerVerdict(0, { ...up, gone: true }, 10, rule), { kind: 'failed', reason: 'container was removed' });
});

test('worker verdict with health.command: healthy only when it exited 0, whatever the time; failures still at once', () => {
  const rule = (exitCode: number | null | undefined) => ({ startPeriodMs: 10, command: { exitCode } });
  assert.equal(workerVerdict(0, up, 60_000, rule(undefined)).kind, 'wait');
  assert.equal(workerVerdict(0, up, 60_000, rule(1)).kind, 'wait');
  assert.equal(workerVerdict(0, up, 60_000, rule(null)).kind, 'wait');
  assert.equal(workerVerdict(0, up, 0, rule(0)).kind, 'healthy');
  assert.equal(workerVerdict(0, { ...up, restartCount: 1 }, 0, rule(0)).kind, 'failed');
});

test('container spec: Cmd, Entrypoint, limits and their labels; a worker publishes nothing and lists as having no port', () => {
  const spec = containerSpec({
    name: 'hello-jobs-0', app: 'jobs', plan: 'hello', revision: 'r', image: 'img', containerPort: null, hostIp: '10.77.0.11', env: {},
    cmd: ['/bin/jobs', '--queue', 'a b'], entrypoint: ['/bin/busybox'], resources: { memory: 256 * 1024 ** 2, cpus: 0.5 },
  });
  assert.deepEqual(spec.Cmd, ['/bin/jobs', '--queue', 'a b']);
  assert.deepEqual(spec.Entrypoint, ['/bin/busybox']);
  assert.equal(spec.HostConfig!.Memory, 268435456);
  assert.equal(spec.HostConfig!.NanoCpus, 500_000_000);
  assert.equal(spec.ExposedPorts, undefined);
  assert.equal(spec.HostConfig!.PortBindings, undefined);
  assert.deepEqual(spec.Labels, {
    'cloudmatrix.app': 'jobs', 'cloudmatrix.plan': 'hello', 'cloudmatrix.revision': 'r', 'cloudmatrix.port': 'none',
    'cloudmatrix.memory': '268435456', 'cloudmatrix.cpus': '0.5',
  });
  const listed = fromContainerInfo({ name: 'node1', ip: '10.77.0.11' }, { Id: 'x', Names: ['/hello-jobs-0'], Image: 'img', State: 'running', Status: 'Up', Ports: [], Labels: spec.Labels } as unknown as ContainerInfo);
  assert.equal(listed.containerPort, null);
  assert.equal(listed.address, null);
  assert.deepEqual(listed.reserved, { memory: 268435456, nanoCpus: 500_000_000 });
  const plain = containerSpec({ name: 'w', app: 'w', plan: 'p', revision: 'r', image: 'i', containerPort: 8080, hostIp: '1.2.3.4', env: {} });
  assert.equal(plain.Cmd, undefined);
  assert.equal(plain.HostConfig!.Memory, undefined);
  assert.equal(plain.Labels!['cloudmatrix.memory'], undefined);
});

describe('deployApp with a worker', () => {
  const jobs = (over: Partial<ReturnType<typeof app>['health']> = {}) =>
    app('jobs', { port: 0, hosts: [], worker: true, command: ['/bin/jobs'], health: { path: '/', interval: '1s', timeout: '1s', intervalMs: 50, timeoutMs: 500, startPeriod: '200ms', startPeriodMs: 200, ...over } });
  const start: Action = { kind: 'start', app: 'jobs', node: 'node1', revision: 'r1', image: 'img', slot: 0, name: 'hello-jobs-0', port: 0, hostPort: null };
  const context = (engine: MemoryEngine) => {
    const events: string[] = [];
    const ctx: AppDeployContext = {
      planName: 'hello', engineOf: () => engine, nodes: new Map([['node1', { name: 'node1', ip: '127.0.0.1' }]]), containers: [],
      isKnownGood: () => true, markKnownGood: (c) => void events.push(`good ${c.name}`), pullAuth: {},
      images: new Map([['cloud/jobs:1.0', { ref: { registry: 'r:5000', repository: 'cloud/jobs', tag: '1.0', digest: 'sha256:abc' }, digest: 'sha256:abc' }]]),
      switchTo: async (a) => void events.push(`switch ${a}`), progress: () => undefined,
      healthDeadlineMs: 1500, drainMs: 0, exitPollMs: 50, signal: new AbortController().signal,
    };
    return { ctx, events };
  };

  it('is healthy after its start period, recorded as known-good, and never switched into Varnish', async () => {
    const engine = new MemoryEngine('node1', () => 1);
    const { ctx, events } = context(engine);
    const t0 = Date.now();
    const out = await deployApp(ctx, jobs(), 'jobs', [start]);
    assert.equal(out.result, 'ok', out.error);
    assert.ok(Date.now() - t0 >= 200);
    assert.deepEqual(events, ['good hello-jobs-0']);
  });

  it('with health.command: fails at the deadline while it exits non-zero, and its container is removed', async () => {
    const engine = new MemoryEngine('node1', () => 1);
    engine.execExit = 1;
    const { ctx, events } = context(engine);
    const out = await deployApp(ctx, jobs({ command: ['/bin/check'] }), 'jobs', [start]);
    assert.equal(out.result, 'failed');
    assert.match(out.error!, /did not turn healthy: not healthy within 1.5 s: health.command \["\/bin\/check"\] exited 1/);
    assert.deepEqual(events, []);
    assert.equal(engine.boxes.size, 0);
    assert.ok(engine.calls.some((c) => c.startsWith('exec node1-1 /bin/check')));
  });
});

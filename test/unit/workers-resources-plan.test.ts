import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlanError, parsePlan } from '../../src/model/plan.js';
import { appRevision } from '../../src/model/revision.js';
import { badCpus, badMemory, formatBytes, formatCpus, nanoCpus, parseMemory } from '../../src/model/sizes.js';

const plan = (app: string) => `apps:\n  web:\n    image: cloud/web:1\n${app}`;
const parsed = (app: string) => parsePlan(plan(app), 'p.yaml');
const errorsOf = (app: string) => parsed(app).errors.map(formatPlanError);
const web = (app: string) => {
  const p = parsed(app);
  assert.deepEqual(p.errors.map(formatPlanError), []);
  return p.plan!.apps[0]!;
};

test('memory sizes: K/M/G are 1024-based, lower case too, fractions, or whole bytes', () => {
  assert.equal(parseMemory('256M'), 256 * 1024 ** 2);
  assert.equal(parseMemory('1.5G'), 1.5 * 1024 ** 3);
  assert.equal(parseMemory('512k'), 512 * 1024);
  assert.equal(parseMemory(268435456), 268435456);
  assert.equal(parseMemory('268435456'), 268435456);
  for (const bad of ['256MB', '1T', '-1M', '1e9', '', ' 256M', 1.5, -5, '0x10', null, [256]]) assert.equal(parseMemory(bad), null, String(bad));
  assert.match(badMemory('4M')!, /at least 6M/);
  assert.equal(badMemory('6M'), null);
  assert.match(badMemory('2000G')!, /at most 1024G/);
  assert.equal(formatBytes(8 * 1024 ** 3), '8G');
  assert.equal(formatBytes(Math.floor(2.17 * 1024 ** 3)), '2.1G');
  assert.equal(formatBytes(256 * 1024 ** 2), '256M');
  assert.equal(formatBytes(100), '100B');
});

test('cpus: fractions from 0.01 to 1024; NanoCpus whole', () => {
  assert.equal(badCpus(0.5), null);
  assert.match(badCpus(0)!, /from 0.01/);
  assert.match(badCpus('1')!, /expected a number/);
  assert.equal(nanoCpus(0.1), 100_000_000);
  assert.equal(nanoCpus(0.3), 300_000_000);
  assert.equal(formatCpus(nanoCpus(1.25)), '1.25');
});

test('command, entrypoint and resources are read as given', () => {
  const a = web('    port: 8080\n    command: [/app/bin/server, --port, "8080"]\n    entrypoint: [/bin/busybox]\n    resources: { memory: 256M, cpus: 0.5 }\n');
  assert.deepEqual(a.command, ['/app/bin/server', '--port', '8080']);
  assert.deepEqual(a.entrypoint, ['/bin/busybox']);
  assert.deepEqual(a.resources, { memory: 256 * 1024 ** 2, cpus: 0.5 });
  assert.equal(a.worker, undefined);
  assert.equal(a.port, 8080);
});

test('a worker: no port with a command, or port: none; an app without either keeps port 8080', () => {
  const w = web('    command: [/bin/jobs]\n');
  assert.equal(w.worker, true);
  assert.equal(w.port, 0);
  assert.deepEqual(w.hosts, []);
  assert.equal(w.health.startPeriod, '5s');
  assert.equal(w.health.startPeriodMs, 5000);
  const n = web('    port: none\n    health: { startPeriod: 2s, command: [/bin/true] }\n');
  assert.equal(n.worker, true);
  assert.deepEqual(n.health.command, ['/bin/true']);
  const old = web('    replicas: 2\n');
  assert.equal(old.worker, undefined);
  assert.equal(old.port, 8080);
  assert.deepEqual(old.hosts, ['web.matrix.test']);
});

test('bad input: file:line:col and field', () => {
  assert.deepEqual(errorsOf('    resources: { memory: 256MB }\n'), [
    'p.yaml:4:18: apps.web.resources.memory: expected a memory size like 256M, 1.5G or 512K (K, M, G = 1024-based), or a whole number of bytes',
  ]);
  assert.deepEqual(errorsOf('    resources: { cpus: 0 }\n'), ['p.yaml:4:18: apps.web.resources.cpus: expected a number of CPUs from 0.01 to 1024, got 0']);
  assert.deepEqual(errorsOf('    resources: { memroy: 1G }\n'), ['p.yaml:4:18: apps.web.resources.memroy: unknown key (did you mean memory?)']);
  assert.deepEqual(errorsOf('    command: /bin/jobs\n'), [
    'p.yaml:4:5: apps.web.command: expected a non-empty list of strings (argv, no shell), e.g. [/app/bin/jobs, --queue, default], got "/bin/jobs"',
  ]);
  assert.match(errorsOf('    command: []\n')[0]!, /^p\.yaml:4:5: apps\.web\.command: expected a non-empty list/);
  assert.match(errorsOf('    port: nothing\n')[0]!, /apps\.web\.port: expected a port number 1-65535, or none for a worker/);
});

test('a worker with hosts, paths, hostPort, autoscale, tls or HTTP health is a plan error; worker health on a web app too', () => {
  assert.deepEqual(errorsOf('    command: [/bin/jobs]\n    hosts: [jobs.matrix.test]\n    paths: [/jobs/]\n'), [
    'p.yaml:5:5: apps.web.hosts: a worker (an app without a port) is never routed: it has no hosts (give it a port to route it)',
    'p.yaml:6:5: apps.web.paths: a worker (an app without a port) is never routed: it has no paths (give it a port to route it)',
  ]);
  assert.deepEqual(errorsOf('    port: none\n    replicas: { min: 1, max: 3 }\n    autoscale: { requestsPerSecond: 5 }\n'), [
    'p.yaml:6:5: apps.web.autoscale: a worker has no request rate to follow; give replicas a count (or set it with cloudmatrix scale)',
  ]);
  assert.match(errorsOf('    port: none\n    hostPort: 9000\n')[0]!, /p\.yaml:5:5: apps\.web\.hostPort: a worker/);
  assert.match(errorsOf('    port: none\n    tls: acme\n')[0]!, /apps\.web\.tls: a worker/);
  assert.match(errorsOf('    port: none\n    health: { path: /up }\n')[0]!, /p\.yaml:5:15: apps\.web\.health\.path: a worker has no HTTP health check/);
  assert.match(errorsOf('    health: { startPeriod: 2s }\n')[0]!, /p\.yaml:4:15: apps\.web\.health\.startPeriod: only for workers/);
  assert.match(errorsOf('    port: 8080\n    command: [/x]\n    health: { command: [/bin/true] }\n')[0]!, /apps\.web\.health\.command: only for workers/);
});

test('revision: the same for apps without the new fields; command, entrypoint, resources each change it', () => {
  const plain = web('    port: 8080\n    replicas: 2\n');
  // An app without command/entrypoint/resources hashes exactly as before this feature: the old formula.
  const old = JSON.stringify(['cloud/web:1', 'sha256:abc', 8080, null, [], ['/', '2s', '1s', null, null]]);
  const before = appRevision(plain, 'sha256:abc');
  assert.equal(before, createHash('sha256').update(old).digest('hex').slice(0, 12));
  const revs = new Set([
    before,
    appRevision(web('    port: 8080\n    replicas: 2\n    command: [/x]\n'), 'sha256:abc'),
    appRevision(web('    port: 8080\n    replicas: 2\n    command: [/y]\n'), 'sha256:abc'),
    appRevision(web('    port: 8080\n    replicas: 2\n    entrypoint: [/x]\n'), 'sha256:abc'),
    appRevision(web('    port: 8080\n    replicas: 2\n    resources: { memory: 64M }\n'), 'sha256:abc'),
    appRevision(web('    port: 8080\n    replicas: 2\n    resources: { memory: 64M, cpus: 0.5 }\n'), 'sha256:abc'),
    appRevision(web('    command: [/x]\n'), 'sha256:abc'),
    appRevision(web('    command: [/x]\n    health: { startPeriod: 1s }\n'), 'sha256:abc'),
  ]);
  assert.equal(revs.size, 8);
  // replicas, hosts and paths are not part of it
  assert.equal(appRevision(web('    port: 8080\n    replicas: 5\n    paths: [/w/]\n'), 'sha256:abc'), before);
});

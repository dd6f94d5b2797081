import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerInspectInfo } from 'dockerode';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import type { Config } from '../../src/config.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';
import { waitForAnswer } from './helpers/varnish-http.js';

// Names of this file only: plans wrtest and wrbig; apps wrjob, wrweb, wrbig1, wrbig2.
const dir = mkdtempSync(join(tmpdir(), 'cmx-workers-'));
const planFile = join(dir, 'wrtest.yaml');
const bigFile = join(dir, 'wrbig.yaml');
const MiB = 1024 * 1024;
let config: Config;

const plan = (jobCommand: string) => `domain: matrix.test
apps:
  wrjob:
    image: cloud/worker:1.0
    command: ${jobCommand}
    replicas: 2
    resources: { memory: 32M, cpus: 0.1 }
    health: { startPeriod: 2s }
    env: { WORKER_EVERY: "1" }
  wrweb:
    image: cloud/simplewebapp1:1.0
    port: 8080
    replicas: 2
    hosts: [wrweb.matrix.test]
    entrypoint: [/bin/busybox]
    command: [httpd, -f, -p, "8080", -h, /www]
    resources: { memory: 48M, cpus: 0.2 }
    health: { path: /, interval: 1s, timeout: 500ms }
`;
const GOOD = '[/bin/busybox, sh, /worker.sh]';
const GOOD2 = '[/bin/busybox, sh, -c, "echo second version; exec /bin/busybox sh /worker.sh"]';
const FAILING = '[/bin/busybox, sh, -c, "echo boom; exit 3"]';

interface Seen {
  node: string;
  id: string;
  app: string;
  running: boolean;
  info: ContainerInspectInfo;
}

/** Every cloudmatrix container on every node that answers (all plans), inspected; a lease left by a bigger lab earlier answers nothing. */
async function everything(filter = 'cloudmatrix.app'): Promise<Seen[]> {
  const engines = new NodeEngines(config);
  const out: Seen[] = [];
  try {
    for (const node of await listNodes(config)) {
      const e = engines.get(node);
      const listed = await e.listContainers({ all: true, filters: { label: [filter] } }).catch(() => null);
      for (const c of listed ?? []) {
        const info = (await e.inspectContainer(c.Id))!;
        out.push({ node: node.name, id: c.Id, app: c.Labels['cloudmatrix.app']!, running: info.State.Running, info });
      }
    }
  } finally {
    engines.closeAll();
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

const mine = async (app: string) => (await everything('cloudmatrix.plan=wrtest')).filter((c) => c.app === app);
const ids = async (app: string) => (await mine(app)).map((c) => c.id).sort();

async function statusOf(app: string): Promise<{ desired: number; healthy: number; running: number; worker?: boolean; revisions: string[] }> {
  const r = await cli(['status', '--json']);
  const row = (JSON.parse(r.stdout) as { apps: { plan: string; app: string }[] }).apps.find((a) => a.plan === 'wrtest' && a.app === app);
  assert.ok(row, `status lists wrtest/${app}: ${r.stdout}`);
  return row as never;
}

before(async () => {
  ({ config } = await ensureLab());
  for (const [dirName, name] of [['worker', 'worker'], ['simplewebapp1', 'simplewebapp1']]) {
    const b = await cli(['create-image', `images/${dirName}`, `${name}:1.0`]);
    assert.equal(b.code, 0, b.stderr);
    const r = await cli(['install-image', `${name}:1.0`]);
    assert.equal(r.code, 0, r.stderr);
  }
  await undeploy(config, 'wrtest').catch(() => undefined);
  await undeploy(config, 'wrbig').catch(() => undefined);
});

/** Removes the run-container test's container by name, wherever it is. */
async function removeManual(name: string): Promise<void> {
  const engines = new NodeEngines(config);
  try {
    for (const node of await listNodes(config)) await engines.get(node).removeContainer(name).catch(() => undefined);
  } finally {
    engines.closeAll();
  }
}

after(async () => {
  if (config) {
    await removeManual('wr-manual');
    await undeploy(config, 'wrtest').catch(() => undefined);
    await undeploy(config, 'wrbig').catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('workers and resources on the lab', () => {
  let firstJobs: string[] = [];
  let firstRevision = '';

  it('deploys a worker and a web app with limits: Cmd, Entrypoint, Memory, NanoCpus and reservation labels on the containers', async () => {
    writeFileSync(planFile, plan(GOOD));
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const jobs = await mine('wrjob');
    assert.equal(jobs.length, 2);
    for (const c of jobs) {
      assert.ok(c.running);
      assert.deepEqual(c.info.Config.Cmd, ['/bin/busybox', 'sh', '/worker.sh']);
      assert.equal(c.info.HostConfig.Memory, 32 * MiB);
      assert.equal(c.info.HostConfig.NanoCpus, 100_000_000);
      assert.equal(c.info.Config.Labels['cloudmatrix.port'], 'none');
      assert.equal(c.info.Config.Labels['cloudmatrix.memory'], String(32 * MiB));
      assert.equal(c.info.Config.Labels['cloudmatrix.cpus'], '0.1');
      assert.deepEqual(Object.keys(c.info.HostConfig.PortBindings ?? {}), [], 'a worker publishes no port');
    }
    assert.equal(new Set(jobs.map((c) => c.node)).size, 2, 'spread over two nodes');
    const webs = await mine('wrweb');
    assert.equal(webs.length, 2);
    for (const c of webs) {
      assert.deepEqual(c.info.Config.Entrypoint, ['/bin/busybox']);
      assert.deepEqual(c.info.Config.Cmd, ['httpd', '-f', '-p', '8080', '-h', '/www']);
      assert.equal(c.info.HostConfig.Memory, 48 * MiB);
      assert.equal(c.info.HostConfig.NanoCpus, 200_000_000);
    }
    assert.equal((await waitForAnswer('wrweb.matrix.test', (a) => a.status === 200)).status, 200);
    const job = await statusOf('wrjob');
    assert.equal(job.worker, true);
    assert.equal(job.healthy, 2);
    const routes = await cli(['routes', '--json']);
    assert.ok(!routes.stdout.includes('wrjob'), 'a worker is never routed');
    assert.ok(routes.stdout.includes('wrweb'));
    const listed = JSON.parse((await cli(['nodes', '--json'])).stdout) as { name: string; capacity: { memory: number; cpus: number } | null; reserved: { memory: number; cpus: number } }[];
    const nodes = listed.filter((n) => n.capacity);
    assert.ok(nodes.length >= 2, JSON.stringify(listed));
    const on = (n: string) => [...jobs, ...webs].filter((c) => c.node === n);
    for (const n of nodes) {
      assert.ok(n.capacity && n.capacity.memory > 0 && n.capacity.cpus >= 1, JSON.stringify(n));
      const want = on(n.name).reduce((s, c) => s + (c.app === 'wrjob' ? 32 : 48) * MiB, 0);
      assert.ok(n.reserved.memory >= want, `${n.name} reserves at least this plan's ${want}: ${JSON.stringify(n.reserved)}`);
    }
    firstJobs = jobs.map((c) => c.id).sort();
    firstRevision = jobs[0]!.info.Config.Labels['cloudmatrix.revision']!;
  });

  it('a command change replaces the worker (start-first); rollback puts the first revision back', async () => {
    writeFileSync(planFile, plan(GOOD2));
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /\[wrjob\].*healthy/);
    const second = await mine('wrjob');
    assert.equal(second.length, 2);
    assert.ok(second.every((c) => !firstJobs.includes(c.id) && c.running), 'both replaced');
    assert.ok(second.every((c) => (c.info.Config.Cmd ?? []).join(' ').includes('second version')));
    assert.notEqual(second[0]!.info.Config.Labels['cloudmatrix.revision'], firstRevision);
    const back = await cli(['rollback', 'wrjob']);
    assert.equal(back.code, 0, back.stdout + back.stderr);
    const third = await mine('wrjob');
    assert.equal(third.length, 2);
    assert.ok(third.every((c) => c.info.Config.Labels['cloudmatrix.revision'] === firstRevision && c.running));
    assert.deepEqual(third[0]!.info.Config.Cmd, ['/bin/busybox', 'sh', '/worker.sh']);
    assert.equal((await statusOf('wrjob')).healthy, 2);
  });

  it('a worker that exits at once fails its deploy; the previous version keeps running', async () => {
    const before = await ids('wrjob');
    const webBefore = await ids('wrweb');
    writeFileSync(planFile, plan(FAILING));
    const t0 = Date.now();
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr + r.stdout, /wrjob.*(restarted|exited)/);
    assert.match(r.stderr + r.stdout, /boom/, 'its last log lines are quoted');
    assert.ok(Date.now() - t0 < 60_000, 'fails fast, well before the health deadline');
    assert.deepEqual(await ids('wrjob'), before, 'the old worker containers are the ones left');
    assert.ok((await mine('wrjob')).every((c) => c.running));
    assert.deepEqual(await ids('wrweb'), webBefore, 'wrweb untouched');
    writeFileSync(planFile, plan(GOOD));
    const again = await cli(['deploy-plan', planFile]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /no changes/);
  });

  it('a plan over capacity is refused with exit 2, one line per app, and changes nothing on any node', async () => {
    const nodes = (JSON.parse((await cli(['nodes', '--json'])).stdout) as { capacity: { memory: number; cpus: number } | null }[])
      .filter((n): n is { capacity: { memory: number; cpus: number } } => n.capacity !== null);
    const memory = Math.min(...nodes.map((n) => n.capacity.memory));
    const cpus = Math.max(...nodes.map((n) => n.capacity.cpus));
    const big = Math.floor((memory * 0.6) / MiB);
    writeFileSync(bigFile, `domain: matrix.test
apps:
  wrbig1:
    image: cloud/simplewebapp1:1.0
    replicas: ${nodes.length + 1}
    maxPerNode: 2
    resources: { memory: ${big}M }
  wrbig2:
    image: cloud/simplewebapp1:1.0
    resources: { cpus: ${cpus + 1} }
`);
    const before = await everything();
    for (const args of [['deploy-plan', bigFile, '--dry-run'], ['deploy-plan', bigFile]]) {
      const r = await cli(args);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0]!, new RegExp(`wrbig\\.yaml:7:18: apps\\.wrbig1\\.resources\\.memory: ${nodes.length + 1} replicas of \\S+ do not fit: the most any node has free is \\S+ \\(room for ${nodes.length}\\)`));
      assert.match(lines[1]!, new RegExp(`wrbig\\.yaml:10:18: apps\\.wrbig2\\.resources\\.cpus: ${cpus + 1} CPUs is more than any node it may run on has \\(the most: ${cpus} CPUs? on node\\d\\)`));
    }
    const afterwards = await everything();
    assert.deepEqual(afterwards.map((c) => [c.id, c.running]), before.map((c) => [c.id, c.running]), 'the same containers, in the same states');
    const history = await cli(['history', '--json']);
    assert.ok(!history.stdout.includes('wrbig'), 'nothing recorded');
  });

  it('run-container --command, --memory, --cpus: set on the container; more than the node has free is exit 2 and starts nothing', async () => {
    await removeManual('wr-manual');
    const r = await cli(['run-container', 'node1', 'simplewebapp1:1.0', '--name', 'wr-manual', '--command', '/bin/busybox httpd -f -p 8080 -h /www', '--memory', '16M', '--cpus', '0.1']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const c = (await everything('cloudmatrix.plan=manual')).find((x) => x.info.Name === '/wr-manual');
    assert.ok(c?.running, 'wr-manual runs');
    assert.deepEqual(c.info.Config.Cmd, ['/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/www']);
    assert.equal(c.info.HostConfig.Memory, 16 * MiB);
    assert.equal(c.info.HostConfig.NanoCpus, 100_000_000);
    assert.equal(c.info.Config.Labels['cloudmatrix.memory'], String(16 * MiB));
    const big = await cli(['run-container', 'node1', 'simplewebapp1:1.0', '--name', 'wr-manual-big', '--memory', '1000G']);
    assert.equal(big.code, 2, big.stdout + big.stderr);
    assert.match(big.stderr, /--memory 1000G: node1 has \S+ free \(of \S+\)/);
    assert.equal((await everything('cloudmatrix.plan=manual')).filter((x) => x.info.Name === '/wr-manual-big').length, 0);
    const bad = await cli(['run-container', 'node1', 'simplewebapp1:1.0', '--cpus', 'half']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--cpus "half": expected a number of CPUs/);
    await removeManual('wr-manual');
  });

  it('health.command: healthy when it exits 0 inside the container; one that keeps failing fails the deploy at the deadline', async () => {
    const withCheck = (check: string) => plan(GOOD).replace('health: { startPeriod: 2s }', `health: { command: ${check}, interval: 1s, timeout: 1s }`);
    writeFileSync(planFile, withCheck('[/bin/busybox, test, -f, /worker.sh]'));
    const ok = await cli(['deploy-plan', planFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const checked = await ids('wrjob');
    writeFileSync(planFile, withCheck('[/bin/busybox, "false"]'));
    const bad = await cli(['deploy-plan', planFile, '--health-timeout', '4s']);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout + bad.stderr, /wrjob.*health\.command \["\/bin\/busybox","false"\] exited 1/);
    assert.deepEqual(await ids('wrjob'), checked, 'the previous version keeps running');
  });
});

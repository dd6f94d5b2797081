import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { acquireLock, readHolder } from '../../src/adapters/store/lock.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { ensureLab } from './helpers/lab.js';
import { cli, sh } from './helpers/exec.js';
import { loadLoop, viaVarnish, waitForAnswer } from './helpers/varnish-http.js';

let config: Config;
let lab: LabManifest;
const dir = mkdtempSync(join(tmpdir(), 'cmx-deploy-'));
const planFile = join(dir, 'dtest.yaml');

function writePlan(webImage: string, extra = ''): void {
  writeFileSync(
    planFile,
    `domain: matrix.test
apps:
  dweb:
    image: ${webImage}
    replicas: 2
    hosts: [dweb.matrix.test]
    health: { path: /, interval: 1s, timeout: 500ms }
  dinfo:
    image: cloud/hostinfo:1.0
    replicas: 2
    env: { GREETING: deploy test }
${extra}`,
  );
}

/** Container events (create/start/stop/destroy...) on every node's own daemon since `since` (seconds). */
async function dockerMutations(since: string): Promise<string[]> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const events: string[] = [];
  for (const n of lab.nodes) {
    const r = await sh('docker', ['events', '--since', since, '--until', String(until), '--filter', 'type=container', '--format', '{{.Action}} {{.Actor.Attributes.name}}'], { DOCKER_HOST: `unix://${n.dir}/docker.sock` });
    events.push(...r.stdout.split('\n').filter((l) => l && !l.startsWith('exec_') && !l.startsWith('health_status')).map((l) => `${n.name}: ${l}`));
  }
  return events;
}

async function imageOf(name: string, dockerfileCmd: string, tag: string): Promise<void> {
  const ctx = join(dir, name);
  mkdirSync(ctx, { recursive: true });
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM scratch\nCOPY busybox /bin/busybox\nCMD ${dockerfileCmd}\n`);
  assert.equal((await cli(['create-image', ctx, `${name}:${tag}`])).code, 0);
  const push = await cli(['install-image', `${name}:${tag}`]);
  assert.equal(push.code, 0, push.stderr);
}

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  for (const [app, tag] of [['simplewebapp1', '1.0'], ['simplewebapp2', '1.0'], ['hostinfo', '1.0']]) {
    await cli(['create-image', `images/${app}`, `${app}:${tag}`]);
    const r = await cli(['install-image', `${app}:${tag}`]);
    assert.equal(r.code, 0, r.stderr);
  }
  await undeploy(config, 'dtest').catch(() => undefined);
});

after(async () => {
  await undeploy(config, 'dtest').catch(() => undefined);
});

describe('deploy-plan', () => {
  it('prints the actions with --dry-run and changes nothing', async () => {
    writePlan('cloud/simplewebapp1:1.0');
    const since = (Date.now() / 1000).toFixed(3);
    const r = await cli(['deploy-plan', planFile, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\+ start node\d +dtest-dweb-0/);
    assert.match(r.stdout, /4 to start, 0 to stop, 0 unchanged/);
    assert.deepEqual(await dockerMutations(since), []);
  });

  it('deploys from nothing: every app answers through Varnish by host, spread over nodes', async () => {
    const r = await cli(['deploy-plan', planFile, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.result, 'ok');
    const web = await viaVarnish('dweb.matrix.test');
    assert.equal(web.status, 200);
    assert.match(web.body, /Hello world!/);
    const backends = new Set<string>();
    for (let i = 0; i < 6; i++) backends.add((await viaVarnish('dinfo.matrix.test')).backend);
    assert.equal(backends.size, 2, 'round robin over both dinfo replicas');
    const info = await viaVarnish('DINFO.matrix.test:6081');
    assert.match(info.body, /greeting: deploy test/);
    const ps = JSON.parse((await cli(['ps', '--json'])).stdout);
    const mine = ps.containers.filter((c: { plan: string }) => c.plan === 'dtest');
    assert.equal(mine.length, 4);
    const webNodes = mine.filter((c: { app: string }) => c.app === 'dweb').map((c: { node: string }) => c.node);
    assert.equal(new Set(webNodes).size, 2, 'at most one replica per node');
  });

  it('redeploys an unchanged plan with "no changes", no Docker mutation and no state file written', async () => {
    const since = (Date.now() / 1000).toFixed(3);
    const files = ['history.jsonl', 'history.json', 'known-good.json', 'plans/dtest.json'].map((f) => join(config.stateDir, f));
    const stamp = () => files.map((f) => (existsSync(f) ? `${f} ${statSync(f).ino} ${statSync(f).mtimeMs}` : `${f} none`));
    const before = stamp();
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no changes/);
    assert.deepEqual(await dockerMutations(since), []);
    assert.deepEqual(stamp(), before);
  });

  it('replaces an app whose image changed with zero failed requests, old containers gone', async () => {
    writePlan('cloud/simplewebapp2:1.0');
    const deploy = cli(['deploy-plan', planFile]);
    const load = await loadLoop('dweb.matrix.test', { rps: 100, until: deploy, maxMs: 60_000, maxRequests: 6000 });
    const r = await deploy;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(load.failed, 0, `${load.failed} of ${load.sent} failed: ${load.failures.join('; ')}`);
    assert.ok(load.sent > 20, `only ${load.sent} requests sent`);
    const web = await viaVarnish('dweb.matrix.test');
    assert.match(web.body, /Hello world 2!/);
    const ps = JSON.parse((await cli(['ps', '--json'])).stdout);
    const web2 = ps.containers.filter((c: { plan: string; app: string }) => c.plan === 'dtest' && c.app === 'dweb');
    assert.equal(web2.length, 2);
    assert.equal(new Set(web2.map((c: { revision: string }) => c.revision)).size, 1, 'only the new revision runs');
  });

  it('rolls back an app to its previous revision', async () => {
    const r = await cli(['rollback', 'dweb']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match((await viaVarnish('dweb.matrix.test')).body, /Hello world!/);
    const hist = JSON.parse((await cli(['history', 'dweb', '--json'])).stdout);
    assert.equal(hist.at(-1).kind, 'rollback');
    assert.equal(hist.at(-1).result, 'ok');
  });

  it('keeps the old version serving when the new one never turns healthy', async () => {
    await imageOf('dsleep', '["/bin/busybox", "sleep", "3600"]', '1');
    writePlan('cloud/dsleep:1');
    const r = await cli(['deploy-plan', planFile, '--health-timeout', '4s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /dweb.*node\d.*did not turn healthy/);
    assert.match((await viaVarnish('dweb.matrix.test')).body, /Hello world!/);
    const ps = JSON.parse((await cli(['ps', '--json'])).stdout);
    const web = ps.containers.filter((c: { plan: string; app: string }) => c.plan === 'dtest' && c.app === 'dweb');
    assert.equal(web.length, 2, 'the failed containers were removed');
    assert.ok(web.every((c: { image: string }) => !c.image.includes('dsleep')));
  });

  it('fails fast with the last log lines when the new container exits', async () => {
    await imageOf('dcrash', '["/bin/busybox", "sh", "-c", "echo boom: config missing >&2; exit 3"]', '1');
    writePlan('cloud/dcrash:1');
    const t0 = Date.now();
    const r = await cli(['deploy-plan', planFile, '--health-timeout', '30s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /exited with status 3/);
    assert.match(r.stdout + r.stderr, /boom: config missing/);
    assert.ok(Date.now() - t0 < 25_000, 'did not wait for the whole health timeout');
    assert.match((await viaVarnish('dweb.matrix.test')).body, /Hello world!/);
  });

  it('rejects a nodes: constraint naming an unknown node with exit 2, changing nothing', async () => {
    writePlan('cloud/simplewebapp1:1.0', '    nodes: [node1, nodeX]\n');
    const since = (Date.now() / 1000).toFixed(3);
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dtest\.yaml:\d+:\d+: apps\.dinfo\.nodes\[1\]: node nodeX is not in the inventory/);
    assert.deepEqual(await dockerMutations(since), []);
  });

  it('refuses a second deploy while one holds the lock, naming the holder', async () => {
    writePlan('cloud/simplewebapp1:1.0');
    const lock = acquireLock(join(config.stateDir, 'deploy.lock'), 'test holder');
    try {
      const r = await cli(['deploy-plan', planFile]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`pid ${process.pid}.*test holder.*started ${lock.holder.startedAt.slice(0, 16)}`));
    } finally {
      lock.release();
    }
    // A real deploy holding the lock: stopped (SIGSTOP) once it holds it, so the second one surely meets it.
    writePlan('cloud/simplewebapp2:1.0');
    const first = spawn(process.execPath, ['bin/cloudmatrix.js', 'deploy-plan', planFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let firstErr = '';
    first.stderr.on('data', (d) => (firstErr += d));
    const firstExit = new Promise<number | null>((done) => first.on('exit', (code) => done(code)));
    try {
      const lockPath = join(config.stateDir, 'deploy.lock');
      const deadline = Date.now() + 30_000;
      while (readHolder(lockPath)?.pid !== first.pid && Date.now() < deadline && first.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      assert.equal(readHolder(lockPath)?.pid, first.pid, `the first deploy took the lock: ${firstErr}`);
      first.kill('SIGSTOP');
      const second = await cli(['deploy-plan', planFile]);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`another deploy holds the lock: pid ${first.pid} `));
    } finally {
      first.kill('SIGCONT');
    }
    assert.equal(await firstExit, 0, firstErr);
  });

  it('scales down and removes apps dropped from the plan', async () => {
    writeFileSync(planFile, 'apps:\n  dweb:\n    image: cloud/simplewebapp2:1.0\n    replicas: 1\n    hosts: [dweb.matrix.test]\n');
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr);
    const ps = JSON.parse((await cli(['ps', '--json'])).stdout);
    const mine = ps.containers.filter((c: { plan: string }) => c.plan === 'dtest');
    assert.deepEqual(mine.map((c: { app: string }) => c.app), ['dweb']);
    assert.equal((await waitForAnswer('dinfo.matrix.test', (a) => a.status === 404)).status, 404);
  });
});

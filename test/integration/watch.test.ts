import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import type Docker from 'dockerode';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';
import { viaVarnish } from './helpers/varnish-http.js';

let config: Config;
const dir = mkdtempSync(join(tmpdir(), 'cmx-watch-'));
const planFile = join(dir, 'watchtest.yaml');
const plan = (greeting: string) => `apps:
  wta:
    image: cloud/simplewebapp1:1.0
    replicas: 2
    hosts: [wta.matrix.test]
    env: { GREETING: "${greeting}" }
    health: { path: /, interval: 1s, timeout: 500ms, window: 3, threshold: 2 }
`;

interface Listed { id: string; name: string; node: string; plan: string; app: string; state: string; port: number | null }
interface Routed { app: string; backends: { node: string; port: number }[] }

let watcher: ChildProcess | null = null;
let output = '';

async function mine(): Promise<Listed[]> {
  const ps = JSON.parse((await cli(['ps', '--json'])).stdout) as { containers: Listed[] };
  return ps.containers.filter((c) => c.plan === 'watchtest' && c.app === 'wta').sort((a, b) => a.node.localeCompare(b.node));
}

async function routedPorts(): Promise<string[]> {
  const routes = JSON.parse((await cli(['routes', '--json'])).stdout) as Routed[];
  return (routes.find((r) => r.app === 'wta')?.backends ?? []).map((b) => `${b.node}:${b.port}`).sort();
}

const runningPorts = async () => (await mine()).filter((c) => c.state === 'running').map((c) => `${c.node}:${c.port}`).sort();

/** Polls (at most maxMs) until Varnish routes exactly the running containers of the app. */
async function untilRoutedAsRunning(maxMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + maxMs;
  let routed: string[] = [];
  let running: string[] = [];
  while (Date.now() < deadline) {
    [routed, running] = await Promise.all([routedPorts(), runningPorts()]);
    if (routed.join() === running.join()) return routed;
    await sleep(250);
  }
  assert.fail(`after ${maxMs} ms Varnish routes ${routed.join(', ') || 'nothing'} but ${running.join(', ') || 'nothing'} runs\n${output}`);
}

async function onNode(node: string, fn: (docker: Docker) => Promise<unknown>): Promise<void> {
  const engines = new NodeEngines(config);
  try {
    await fn(engines.transport((await listNodes(config)).find((n) => n.name === node)!).docker);
  } finally {
    engines.closeAll();
  }
}

/** Polls (at most maxMs) until `re` matches the output of a child process (by default the watcher's). */
async function waitForOutput(re: RegExp, maxMs = 15_000, text = () => output): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!re.test(text())) {
    if (Date.now() > deadline) assert.fail(`no ${re} in the output within ${maxMs} ms:\n${text()}`);
    await sleep(100);
  }
}

before(async () => {
  ({ config } = await ensureLab());
  await cli(['create-image', 'images/simplewebapp1', 'simplewebapp1:1.0']);
  assert.equal((await cli(['install-image', 'simplewebapp1:1.0'])).code, 0);
  await undeploy(config, 'watchtest').catch(() => undefined);
  writeFileSync(planFile, plan('one'));
  const r = await cli(['deploy-plan', planFile]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

after(async () => {
  watcher?.kill('SIGKILL');
  await undeploy(config, 'watchtest').catch(() => undefined);
});

describe('watch: Varnish follows what runs, without a deploy', () => {
  it('starts, and a resync of an unchanged cluster changes nothing', async () => {
    watcher = spawn(process.execPath, ['bin/cloudmatrix.js', 'watch', '--interval', '60s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    watcher.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    watcher.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    await waitForOutput(/watching the nodes' cloudmatrix containers; full resync every 60 s/);
    const once = await cli(['watch', '--once']);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /routing unchanged/);
  });

  it('a container restarted on a new host port is routed there within seconds', async () => {
    const [first] = await mine();
    assert.ok(first?.port, 'a running wta container');
    await onNode(first.node, (docker) => docker.getContainer(first.id).restart({ t: 1 }));
    const after = (await mine()).find((c) => c.id === first.id)!;
    assert.notEqual(after.port, first.port, 'Docker published the restarted container on another port');
    const routed = await untilRoutedAsRunning();
    assert.ok(routed.includes(`${after.node}:${after.port}`), routed.join());
    await waitForOutput(new RegExp(`wta: \\+ ${after.node}/${after.name} [0-9.]+:${after.port}`));
    for (let i = 0; i < 6; i++) assert.equal((await viaVarnish('wta.matrix.test')).status, 200);
  });

  it('a container that stops is taken out of the routes; started again it comes back', async () => {
    const [, second] = await mine();
    assert.ok(second);
    await onNode(second.node, (docker) => docker.getContainer(second.id).stop({ t: 1 }));
    assert.deepEqual(await untilRoutedAsRunning(), [`${(await mine())[0]!.node}:${(await mine())[0]!.port}`]);
    for (let i = 0; i < 4; i++) assert.equal((await viaVarnish('wta.matrix.test')).status, 200);
    await onNode(second.node, (docker) => docker.getContainer(second.id).start());
    assert.equal((await untilRoutedAsRunning()).length, 2);
  });

  it('leaves routing to a deploy while it holds the lock; the deploy succeeds and the routes are its own', async () => {
    writeFileSync(planFile, plan('two'));
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    await waitForOutput(/routing left alone: deploy-plan .*watchtest\.yaml \(pid \d+\) holds the deploy lock/);
    assert.equal((await untilRoutedAsRunning()).length, 2);
    assert.equal((await viaVarnish('wta.matrix.test')).status, 200);
  });

  it('stops on SIGTERM with status 0', async () => {
    const w = watcher!;
    const exited = new Promise<number | null>((resolve) => w.once('exit', (code) => resolve(code)));
    w.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    assert.equal(code, 0, output);
    watcher = null;
  });

  it('serve --watch runs the same watcher inside the API process', async () => {
    let log = '';
    const serve = spawn(process.execPath, ['bin/cloudmatrix.js', 'serve', '--listen', '127.0.0.1:0', '--watch', '20s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    watcher = serve;
    serve.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
    serve.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    await waitForOutput(/watch: watching .* every 20 s/, 15_000, () => log);
    const [first] = await mine();
    await onNode(first!.node, (docker) => docker.getContainer(first!.id).restart({ t: 1 }));
    await untilRoutedAsRunning();
    assert.match(log, /watch: varnish: loaded \S+ \(\S+: \S+ \w+\)/);
    const url = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(log)?.[1];
    assert.ok(url, log);
    const token = readFileSync(config.api.tokenFile!, 'utf8').trim();
    const metrics = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) })).text();
    assert.ok(Number(/^cloudmatrix_watch_resyncs_total\{result="reloaded"\} (\d+)$/m.exec(metrics)?.[1]) >= 1, metrics);
    serve.kill('SIGTERM');
    assert.equal(await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]), 0, log);
    watcher = null;
  });

  it('rejects a bad --interval with one line and exit 2', async () => {
    for (const bad of ['0s', '2h', 'soon']) {
      const r = await cli(['watch', '--interval', bad]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /^cloudmatrix: --interval: expected .*\n$/);
    }
    const serve = await cli(['serve', '--listen', '127.0.0.1:0', '--watch', 'often']);
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /^cloudmatrix: --watch: expected a duration like 500ms, 30s or 2m, got "often"\n$/);
  });
});

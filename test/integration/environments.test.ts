import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { readToken } from '../../src/api/listen.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { History } from '../../src/adapters/store/history.js';
import { PlanStore } from '../../src/adapters/store/plans.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import type { Config } from '../../src/config.js';
import { ensureLab } from './helpers/lab.js';
import { pushExampleImages } from './helpers/images.js';
import { cli } from './helpers/exec.js';
import { waitForAnswer } from './helpers/varnish-http.js';

// Names of this file only: plans envprod, envstage, envclash; app envweb in both; user envdev.
const dir = mkdtempSync(join(tmpdir(), 'cmx-environments-'));
const prodFile = join(dir, 'envprod.yaml');
const stageFile = join(dir, 'envstage.yaml');
const clashFile = join(dir, 'envclash.yaml');
const PROD_HOST = 'envweb.envprod.test';
const STAGE_HOST = 'envweb.envstage.test';
const PLANS = ['envprod', 'envstage', 'envclash'];

const planText = (domain: string, image: string, greeting: string) => `# the ${greeting} copy of envweb
domain: ${domain}
apps:
  envweb:
    image: ${image}   # kept by promote
    port: 8080
    hosts: [envweb.${domain}]
    health: { path: /, interval: 1s, timeout: 500ms }
    env: { GREETING: ${greeting} }
`;
const PROD = planText('envprod.test', 'cloud/simplewebapp1:1.0', 'prod');

let config: Config;
let server: Server | undefined;
let base = '';

async function planContainers(plan: string): Promise<{ node: string; id: string; app: string; state: string }[]> {
  const engines = new NodeEngines(config);
  try {
    const out = [];
    for (const node of await listNodes(config)) {
      for (const c of await engines.get(node).listContainers({ all: true, filters: { label: [`cloudmatrix.plan=${plan}`] } })) {
        out.push({ node: node.name, id: c.Id, app: c.Labels['cloudmatrix.app']!, state: c.State });
      }
    }
    return out;
  } finally {
    engines.closeAll();
  }
}

/** Stops or starts every container of a plan (a real unhealthy source for promote). */
async function setRunning(plan: string, running: boolean): Promise<void> {
  const engines = new NodeEngines(config);
  try {
    const refs = await listNodes(config);
    for (const c of await planContainers(plan)) {
      const e = engines.get(refs.find((r) => r.name === c.node)!);
      await (running ? e.startContainer(c.id) : e.stopContainer(c.id, 1));
    }
  } finally {
    engines.closeAll();
  }
}

async function api(path: string, token: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

async function cleanup(): Promise<void> {
  for (const p of PLANS) await undeploy(config, p).catch(() => undefined);
  await cli(['user', 'rm', 'envdev']);
}

before(async () => {
  ({ config } = await ensureLab());
  await pushExampleImages('hostinfo', 'simplewebapp1');
  await cleanup();
  writeFileSync(prodFile, PROD);
  writeFileSync(stageFile, planText('envstage.test', 'cloud/hostinfo:1.0', 'stage'));
  // A third plan that claims staging's host for an app of another name.
  writeFileSync(clashFile, `domain: envclash.test\napps:\n  envother:\n    image: cloud/hostinfo:1.0\n    port: 8080\n    hosts: [${STAGE_HOST}]\n`);
});

after(async () => {
  server?.close();
  server?.closeAllConnections();
  if (config) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('environments: the same app in two plans on one cluster, and promotion', { timeout: 300_000 }, () => {
  it('two plans with an app of one name deploy side by side, each served by its own host', async () => {
    for (const f of [prodFile, stageFile]) {
      const r = await cli(['deploy-plan', f, '--health-timeout', '30s']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const prod = await waitForAnswer(PROD_HOST, (a) => a.status === 200);
    const stage = await waitForAnswer(STAGE_HOST, (a) => a.status === 200 && a.body.includes('greeting: stage'));
    assert.equal(prod.status, 200, prod.body);
    assert.ok(!prod.body.includes('greeting:'), 'prod serves simplewebapp1, not hostinfo');
    assert.match(stage.body, /greeting: stage/);
    const status = await cli(['status', '--json']);
    const rows = JSON.parse(status.stdout).apps.filter((a: { app: string }) => a.app === 'envweb');
    assert.deepEqual(rows.map((r: { plan: string; healthy: number }) => [r.plan, r.healthy]).sort(), [['envprod', 1], ['envstage', 1]]);
  });

  it('APP alone is ambiguous (exit 2 listing the plans); PLAN/APP works for logs, scale and history', async () => {
    for (const args of [['logs', 'envweb', '--tail', '1'], ['rollback', 'envweb'], ['scale', 'envweb', '2']]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /"envweb" is ambiguous: envprod\/envweb, envstage\/envweb; write PLAN\/APP/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const logs = await cli(['logs', 'envstage/envweb', '--tail', '5']);
    assert.equal(logs.code, 0, logs.stderr);
    // scale (what autoscale runs) changes only that plan's app
    const scaled = await cli(['scale', 'envstage/envweb', '2', '--health-timeout', '30s']);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
    const running = async (plan: string) => (await planContainers(plan)).filter((c) => c.state === 'running').length;
    assert.deepEqual([await running('envstage'), await running('envprod')], [2, 1]);
    const history = await cli(['history', 'envstage/envweb', '--json']);
    assert.ok(JSON.parse(history.stdout).every((r: { plan: string }) => r.plan === 'envstage'));
  });

  it('a host another deployed plan routes is refused (exit 2 naming both plans and the host); nothing changes', async () => {
    const r = await cli(['deploy-plan', clashFile]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /envclash\.yaml:\d+:\d+: apps\.envother\.hosts\[0\]: host "envweb\.envstage\.test" of plan "envclash" is already routed to app "envweb" of the deployed plan "envstage"/);
    assert.equal(new PlanStore(config.stateDir).get('envclash'), null);
    assert.deepEqual(await planContainers('envclash'), []);
    assert.match((await waitForAnswer(STAGE_HOST, (a) => a.status === 200)).body, /greeting: stage/);
  });

  it('promote is refused while the app is not healthy in the source plan, and nothing changes', async () => {
    await setRunning('envstage', false);
    try {
      const r = await cli(['promote', stageFile, 'envprod', 'envweb']);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /envstage\/envweb: not healthy \(0 of \d+ replicas known-good and answering their health check\): not promoted; nothing was changed/);
      assert.equal(readFileSync(prodFile, 'utf8'), PROD);
    } finally {
      await setRunning('envstage', true);
    }
  });

  it('promote carries the digest that runs healthy in staging into prod\'s file (comments kept), deploys prod and records it', async () => {
    // started again: the same known-good containers answer once their server is up
    await waitForAnswer(STAGE_HOST, (a) => a.status === 200, 20_000);
    const r = await cli(['promote', 'envstage', 'envprod', 'envweb', '--health-timeout', '30s']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const digest = new History(config.stateDir).revisions('envstage', 'envweb')[0]!.digest;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.match(r.stdout, new RegExp(`^-    image: cloud/simplewebapp1:1\\.0   # kept by promote$`, 'm'));
    assert.match(r.stdout, new RegExp(`^\\+    image: cloud/hostinfo@${digest}   # kept by promote$`, 'm'));
    assert.equal(readFileSync(prodFile, 'utf8'), PROD.replace('cloud/simplewebapp1:1.0', `cloud/hostinfo@${digest}`));
    const prod = await waitForAnswer(PROD_HOST, (a) => a.body.includes('greeting: prod'));
    assert.match(prod.body, /greeting: prod/, 'prod runs staging\'s image with its own env');
    assert.match((await waitForAnswer(STAGE_HOST, (a) => a.status === 200)).body, /greeting: stage/);
    const rec = new History(config.stateDir).list().filter((x) => x.kind === 'promote').at(-1)!;
    assert.equal(rec.plan, 'envprod');
    assert.deepEqual(rec.promotion && { from: rec.promotion.from, to: rec.promotion.to, digest: rec.promotion.apps[0]!.digest, deployed: rec.promotion.deployed }, { from: 'envstage', to: 'envprod', digest, deployed: true });
    assert.ok(rec.user && rec.result === 'ok', JSON.stringify(rec));
  });

  it('rollback addresses one plan\'s app: prod goes back, staging is untouched', async () => {
    const r = await cli(['rollback', 'envprod/envweb', '--health-timeout', '30s']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const prod = await waitForAnswer(PROD_HOST, (a) => a.status === 200 && !a.body.includes('greeting:'));
    assert.ok(!prod.body.includes('greeting:'), prod.body);
    assert.match((await waitForAnswer(STAGE_HOST, (a) => a.status === 200)).body, /greeting: stage/);
  });

  it('a deployer allowed staging/web only cannot deploy or roll back prod/web (API)', async () => {
    const add = await cli(['user', 'add', 'envdev', '--role', 'deployer', '--apps', 'envstage/envweb']);
    assert.equal(add.code, 0, add.stderr);
    const token = add.stdout.trim().split('\n').pop()!;
    server = createApp(liveDeps(config, readToken(config), 'test', () => undefined)).listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const changed = PROD.replace('GREETING: prod', 'GREETING: not-reviewed');
    const deploy = await api('/api/deploys', token, { method: 'POST', body: JSON.stringify({ name: 'envprod', plan: changed }) });
    assert.equal(deploy.status, 403, JSON.stringify(deploy.body));
    assert.match(deploy.body.error, /may not deploy app "envweb", which plan "envprod"/);
    const byPlan = await api('/api/apps/envprod%2Fenvweb/rollback', token, { method: 'POST', body: '{}' });
    assert.equal(byPlan.status, 403, JSON.stringify(byPlan.body));
    const ambiguous = await api('/api/apps/envweb/rollback', token, { method: 'POST', body: '{}' });
    assert.equal(ambiguous.status, 400, JSON.stringify(ambiguous.body));
    assert.match(ambiguous.body.error, /ambiguous: envprod\/envweb, envstage\/envweb/);
    const seen = await api('/api/apps', token);
    assert.deepEqual(seen.body.apps.map((a: { plan: string; app: string }) => `${a.plan}/${a.app}`), ['envstage/envweb']);
    assert.ok(existsSync(prodFile));
  });
});

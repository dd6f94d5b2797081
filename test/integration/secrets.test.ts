import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { readToken } from '../../src/api/listen.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import type { Config } from '../../src/config.js';
import { ensureLab } from './helpers/lab.js';
import { pushExampleImages } from './helpers/images.js';
import { cli, sh, type RunResult } from './helpers/exec.js';
import { waitForAnswer } from './helpers/varnish-http.js';

// Names of this file only: plan sectest, apps secweb, secother, secplain; secrets GREETING, SECTEST_TOKEN.
const dir = mkdtempSync(join(tmpdir(), 'cmx-secrets-'));
const planFile = join(dir, 'sectest.yaml');
const value = (tag: string) => `cmxsecret-${tag}-${randomBytes(8).toString('hex')}`;
const V1 = value('one');
const V2 = value('two');
const V3 = value('three');
const TOKEN_VALUE = value('token');
const ALL = [V1, V2, V3, TOKEN_VALUE];
let config: Config;
let apiToken: string;
let server: Server;
let base: string;
/** every text a client of cloudmatrix got: CLI outputs, API answers, SSE events */
const seen: { what: string; text: string }[] = [];

const PLAN = `domain: matrix.test
apps:
  secweb:
    image: cloud/hostinfo:1.0
    replicas: 2
    hosts: [secweb.matrix.test]
    secrets: [GREETING, SECTEST_TOKEN]
    health: { path: /, interval: 1s, timeout: 500ms }
  secother:
    image: cloud/hostinfo:1.0
    hosts: [secother.matrix.test]
    secrets: [SECTEST_TOKEN]
  secplain:
    image: cloud/simplewebapp1:1.0
    hosts: [secplain.matrix.test]
`;

function secretSet(name: string, v: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/cloudmatrix.js', 'secret', 'set', name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(`${v}\n`);
  });
}

async function run(args: string[]): Promise<RunResult> {
  const r = await cli(args);
  seen.push({ what: `cloudmatrix ${args.join(' ')}`, text: r.stdout + r.stderr });
  return r;
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${apiToken}`, 'Content-Type': 'application/json' }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  seen.push({ what: `API ${path}`, text });
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

function events(id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}/api/deploys/${id}/events`, { headers: { Authorization: `Bearer ${apiToken}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        seen.push({ what: `SSE ${id}`, text });
        resolve(text);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`deploy ${id}: events did not end within 120 s`)), 120_000);
    req.on('error', reject);
  });
}

/** container name -> {id, env, labels} of this plan's containers, from each node's Docker. */
async function containers(): Promise<Map<string, { id: string; app: string; env: string[]; labels: Record<string, string> }>> {
  const engines = new NodeEngines(config);
  const out = new Map<string, { id: string; app: string; env: string[]; labels: Record<string, string> }>();
  try {
    for (const node of await listNodes(config)) {
      const e = engines.get(node);
      for (const c of await e.listContainers({ all: true, filters: { label: ['cloudmatrix.plan=sectest'] } })) {
        const info = (await e.inspectContainer(c.Id))!;
        out.set(`${node.name}/${c.Names[0]!.slice(1)}`, { id: c.Id, app: c.Labels['cloudmatrix.app']!, env: info.Config.Env ?? [], labels: info.Config.Labels ?? {} });
      }
    }
  } finally {
    engines.closeAll();
  }
  return out;
}

const idsOf = async (app: string) => [...(await containers()).values()].filter((c) => c.app === app).map((c) => c.id).sort();

before(async () => {
  ({ config } = await ensureLab());
  await pushExampleImages('hostinfo', 'simplewebapp1');
  await undeploy(config, 'sectest').catch(() => undefined);
  await cli(['secret', 'rm', '--force', 'GREETING']);
  await cli(['secret', 'rm', '--force', 'SECTEST_TOKEN']);
  apiToken = readToken(config);
  server = createApp(liveDeps(config, apiToken, 'test', () => undefined)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.close();
  server?.closeAllConnections();
  if (config) await undeploy(config, 'sectest').catch(() => undefined);
  await cli(['secret', 'rm', '--force', 'GREETING']);
  await cli(['secret', 'rm', '--force', 'SECTEST_TOKEN']);
  rmSync(join(config?.stateDir ?? dir, 'uploads', 'sectest.yaml'), { force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets on the lab', () => {
  it('a plan naming a secret that is not set fails preflight with exit 2 and changes nothing', async () => {
    writeFileSync(planFile, PLAN);
    const r = await run(['deploy-plan', planFile]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /sectest\.yaml:7:15: apps\.secweb\.secrets\[0\]: secret GREETING is not set \(cloudmatrix secret set GREETING\)/);
    assert.match(r.stderr, /sectest\.yaml:12:15: apps\.secother\.secrets\[0\]: secret SECTEST_TOKEN is not set/);
    assert.equal((await containers()).size, 0);
  });

  it('values reach the containers as env vars; labels carry none', async () => {
    assert.equal((await secretSet('GREETING', V1)).code, 0);
    const t = await secretSet('SECTEST_TOKEN', TOKEN_VALUE);
    assert.equal(t.code, 0, t.stderr);
    const r = await run(['deploy-plan', planFile, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).result, 'ok');
    const all = await containers();
    assert.equal(all.size, 4);
    for (const [name, c] of all) {
      const want = c.app === 'secweb' ? [`GREETING=${V1}`, `SECTEST_TOKEN=${TOKEN_VALUE}`] : c.app === 'secother' ? [`SECTEST_TOKEN=${TOKEN_VALUE}`] : [];
      for (const w of want) assert.ok(c.env.includes(w), `${name}: env has ${w.split('=')[0]}`);
      if (c.app === 'secplain') assert.ok(!c.env.some((e) => e.startsWith('SECTEST_TOKEN=') || e.startsWith('GREETING=')));
      assert.ok(!JSON.stringify(c.labels).includes('cmxsecret-'), `${name}: no value in labels`);
    }
    const answer = await waitForAnswer('secweb.matrix.test', (a) => a.status === 200 && a.body.includes(V1));
    assert.match(answer.body, new RegExp(`greeting: ${V1}`), 'the app sees the value');
  });

  it('rotation replaces exactly the apps that use the changed secret', async () => {
    const before = { web: await idsOf('secweb'), other: await idsOf('secother'), plain: await idsOf('secplain') };
    const set = await secretSet('GREETING', V2);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /replaced secret GREETING; the next deploy replaces sectest\/secweb/);
    const r = await run(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const after = { web: await idsOf('secweb'), other: await idsOf('secother'), plain: await idsOf('secplain') };
    assert.equal(after.web.length, 2);
    assert.ok(after.web.every((id) => !before.web.includes(id)), 'every secweb container replaced');
    assert.deepEqual(after.other, before.other, 'secother (other secret) untouched');
    assert.deepEqual(after.plain, before.plain, 'secplain (no secret) untouched');
    assert.match((await waitForAnswer('secweb.matrix.test', (a) => a.body.includes(V2))).body, new RegExp(V2));
    const again = await run(['deploy-plan', planFile]);
    assert.match(again.stdout, /no changes/);
  });

  it('a rotation deployed through the API: SSE events and answers carry no value', async () => {
    assert.equal((await secretSet('GREETING', V3)).code, 0);
    const started = await api('/api/deploys', { method: 'POST', body: JSON.stringify({ name: 'sectest', plan: PLAN }) });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const text = await events(started.body.id);
    assert.match(text, /event: done/);
    assert.match(text, /\[secweb\]/);
    assert.match((await waitForAnswer('secweb.matrix.test', (a) => a.body.includes(V3))).body, new RegExp(V3));
    for (const path of ['/api/apps', '/api/deploys?limit=20', '/api/routes', '/api/nodes', `/api/deploys/${started.body.id}`, '/metrics']) {
      assert.equal((await api(path)).status, 200, path);
    }
  });

  it('no value in --json outputs, history, VCL, or anywhere in the state dir but the encrypted store', async () => {
    const vcl = join(dir, 'out.vcl');
    for (const args of [['ps', '--json'], ['status', '--json'], ['history', '--json'], ['history', 'secweb'], ['secret', 'list', '--json'], ['secret', 'list'],
      ['routes', '--json'], ['nodes', '--json'], ['plan', 'check', planFile, '--json'], ['deploy-plan', planFile, '--dry-run', '--json'],
      ['update-proxy', '--out', vcl, '--no-reload']]) {
      await run(args);
    }
    const list = JSON.parse((await cli(['secret', 'list', '--json'])).stdout);
    assert.deepEqual(list.filter((s: { name: string }) => ['GREETING', 'SECTEST_TOKEN'].includes(s.name)).map((s: { name: string; usedBy: string[] }) => [s.name, s.usedBy]),
      [['GREETING', ['sectest/secweb']], ['SECTEST_TOKEN', ['sectest/secother', 'sectest/secweb']]]);
    for (const { what, text } of seen) for (const v of ALL) assert.ok(!text.includes(v), `${what} shows a secret value`);
    // The nodes' dockerd data roots (docker/) and exec roots (exec/: containerd's OCI config.json) hold the
    // containers' env, where the values must be; nothing else may.
    for (const v of ALL) {
      const g = await sh('grep', ['-rlF', '--exclude=secrets.json', '--exclude-dir=docker', '--exclude-dir=exec', '--', v, config.stateDir, vcl]);
      assert.equal(g.stdout, '', `${v.slice(0, 14)}... found in ${g.stdout}`);
      assert.equal(g.code, 1, g.stderr);
    }
  });
});

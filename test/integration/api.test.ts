import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { get, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import { readToken } from '../../src/api/listen.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import type { Config } from '../../src/config.js';
import { ensureLab } from './helpers/lab.js';

// Names of this file only: plan apitest, app apiweb, host apiweb.matrix.test.
const PLAN = 'domain: matrix.test\napps:\n  apiweb:\n    image: cloud/simplewebapp1:1.0\n    port: 8080\n    replicas: 1\n    hosts: [apiweb.matrix.test]\n';
let config: Config;
let token: string;
let server: Server;
let base: string;

/** GET on the API with the token; JSON when the answer is JSON. */
async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, text };
}

/** The event stream of a deploy until it ends (bounded), as {event, data}. */
function follow(id: string, timeoutMs: number): Promise<{ event: string; data: string }[]> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}/api/deploys/${id}/events`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve(text.split('\n\n').filter((b) => b.includes('event: ')).map((b) => ({
          event: /event: (.*)/.exec(b)![1]!, data: b.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'),
        })));
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`deploy ${id}: no end of events within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', reject);
  });
}

/** GET through Varnish with a Host header, a few bounded tries while routes settle. */
async function viaVarnish(host: string, path = '/'): Promise<{ status: number; body: string }> {
  const [vhost, vport] = config.varnish.listen.split(':');
  let last = { status: 0, body: '' };
  for (let i = 0; i < 20; i++) {
    last = await new Promise((resolve, reject) => {
      const req = request({ host: vhost, port: Number(vport), path, headers: { Host: host }, timeout: 3000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
    if (last.status === 200) return last;
    await sleep(250);
  }
  return last;
}

/** Other test files deploy on the same lab: wait (bounded) while one of them holds the lock. */
async function whileLocked<T>(fn: () => Promise<T>, locked: (v: T) => boolean, ms = 180_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (!locked(v) || Date.now() > until) return v;
    await sleep(1000);
  }
}

/** Starts a deploy or rollback through the API and follows it to its end, again when a lock race lost it. */
async function throughApi(path: string, body: object): Promise<{ event: string; data: string }[]> {
  let events: { event: string; data: string }[] = [];
  // A deploy of another test may take the lock between our 202 and our deploy taking it.
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await whileLocked(() => api(path, { method: 'POST', body: JSON.stringify(body) }), (r) => r.status === 409);
    assert.equal(started.status, 202, started.text);
    events = await follow(started.body.id, 120_000);
    if (!(events.at(-1)?.event === 'error' && /holds the lock|taking the lock/.test(events.at(-1)!.data))) break;
  }
  const last = events.at(-1)!;
  assert.equal(last.event, 'done', `${path} ended with ${last.event}: ${last.data}`);
  return events;
}

before(async () => {
  ({ config } = await ensureLab());
  token = readToken(config);
  // The plans' images, built from images/ (the same content gives the same digest every time).
  for (const app of ['simplewebapp1', 'simplewebapp2']) {
    await createImage({ appDir: `images/${app}`, name: `${app}:1.0`, config, progress: () => undefined });
    await installImage({ name: `${app}:1.0`, config, progress: () => undefined });
  }
  server = createApp(liveDeps(config, token, 'test', () => undefined)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.close();
  server?.closeAllConnections();
  if (!config) return;
  const outcome = () => undeploy(config, 'apitest').then(() => 'done', (err: Error) => err.message);
  const last = await whileLocked(outcome, (m) => /holds the lock|taking the lock/.test(m));
  if (last !== 'done' && !/is not deployed/.test(last)) throw new Error(`cleanup: ${last}`);
  rmSync(join(config.stateDir, 'uploads', 'apitest.yaml'), { force: true });
});

describe('the API against the lab', () => {
  it('answers every read route with the lab token, and 401 without', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.match(await (await fetch(`${base}/`)).text(), /<title>cloudmatrix<\/title>/);
    assert.equal((await fetch(`${base}/api/nodes`)).status, 401);
    const nodes = await api('/api/nodes');
    assert.equal(nodes.status, 200);
    assert.ok(nodes.body.nodes.length >= 1);
    for (const n of nodes.body.nodes) {
      assert.equal(n.reachable, true, `${n.name} reachable`);
      assert.match(n.expiresAt, /^\d{4}-\d\d-\d\dT/);
    }
    const images = await api('/api/images');
    assert.ok(images.body.images.some((r: { repository: string }) => r.repository === 'cloud/simplewebapp1'));
    assert.ok(Array.isArray((await api('/api/apps')).body.apps));
    assert.ok(Array.isArray((await api('/api/routes')).body.routes));
    assert.ok(Array.isArray((await api('/api/deploys?limit=5')).body.deploys));
    assert.match((await api('/metrics')).text, /cloudmatrix_node_reachable\{node="node1"\} 1/);
  });

  it('checks a plan: 200 for a good one, 422 with positions for a bad one', async () => {
    const ok = await api('/api/plans/check', { method: 'POST', body: JSON.stringify({ name: 'apitest', plan: PLAN }) });
    assert.deepEqual([ok.status, ok.body.summary.apps], [200, 1]);
    const bad = await api('/api/plans/check', { method: 'POST', body: JSON.stringify({ plan: PLAN.replace('replicas: 1', 'replicas: many') }) });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].path, 'apps.apiweb.replicas');
  });

  it('deploys a plan through POST /api/deploys, streams it to done, and Varnish routes to it', async (t) => {
    const t0 = Date.now();
    const events = await throughApi('/api/deploys', { name: 'apitest', plan: PLAN });
    const last = events.at(-1)!;
    const report = JSON.parse(last.data);
    assert.equal(report.result, 'ok');
    assert.ok(events.some((e) => e.event === 'progress' && /\[apiweb\]/.test(e.data)));
    t.diagnostic(`deploy through the API: ${Date.now() - t0} ms, ${events.length - 1} progress lines`);
    const res = await viaVarnish('apiweb.matrix.test');
    assert.deepEqual(res, { status: 200, body: 'Hello world!\n' });
    await sleep(2100); // past the API's observation cache
    const app = (await api('/api/apps')).body.apps.find((a: { app: string }) => a.app === 'apiweb');
    assert.deepEqual([app.plan, app.desired, app.healthy], ['apitest', 1, 1]);
    // Scrapes are cached for 5 s: poll (bounded) until the new app shows.
    const healthy = /cloudmatrix_app_healthy_replicas\{plan="apitest",app="apiweb"\} 1/;
    let metrics = (await api('/metrics')).text;
    for (let i = 0; i < 15 && !healthy.test(metrics); i++) {
      await sleep(500);
      metrics = (await api('/metrics')).text;
    }
    assert.match(metrics, /cloudmatrix_api_deploys_total\{kind="deploy",result="ok"\} 1/);
    assert.match(metrics, healthy);
    const deploys = (await api('/api/deploys?app=apiweb&limit=1')).body.deploys;
    assert.equal(deploys[0].id, report.id);
  });

  it('rolls an app back through POST /api/apps/:app/rollback', async () => {
    await throughApi('/api/deploys', { name: 'apitest', plan: PLAN.replace('simplewebapp1', 'simplewebapp2') });
    assert.deepEqual(await viaVarnish('apiweb.matrix.test'), { status: 200, body: 'Hello world 2!\n' });
    const events = await throughApi('/api/apps/apiweb/rollback', {});
    assert.equal(JSON.parse(events.at(-1)!.data).result, 'ok');
    assert.deepEqual(await viaVarnish('apiweb.matrix.test'), { status: 200, body: 'Hello world!\n' });
    const rollback = (await api('/api/deploys?app=apiweb&limit=1')).body.deploys[0];
    assert.equal(rollback.kind, 'rollback');
    const missing = await api('/api/apps/no-such-app/rollback', { method: 'POST', body: '{}' });
    assert.deepEqual([missing.status, missing.body.error], [400, 'APP: no deployed app "no-such-app"']);
  });

  it('cloudmatrix serve listens, answers with the lab token, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/cloudmatrix.js', 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`serve did not start within 20 s: ${out}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) resolve((clearTimeout(timer), m[1]!));
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/api/nodes`)).status, 401);
      const res = await fetch(`${url}/api/nodes`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') child.kill('SIGKILL');
      assert.equal(code, 0);
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { deployPlan } from '../../src/deploy/deploy.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { emitEvent } from '../../src/events/emit.js';
import { handOver, takeOver } from '../../src/events/outbox.js';
import { verifySignature, type CloudEvent } from '../../src/model/events.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';
import { configCopy } from './helpers/config-copy.js';

// Plan itevents, app itev-web; receivers on loopback only.
const PLAN = 'itevents';
const SECRET_ENV = 'CMX_IT_EVENTS_HOOK_SECRET';
const SECRET = 'it-events-hook-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'cmx-it-events-'));
const planFile = join(dir, `${PLAN}.yaml`);
let labConfig: Config;

interface Hit { headers: IncomingMessage['headers']; body: string }

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/it-events` };
}

const live: Hit[] = [];
let liveHook: { server: Server; url: string };
/** requests the hanging receiver holds without answering, with whether the client closed it yet */
const held: { req: IncomingMessage; closed: boolean }[] = [];
let hangingHook: { server: Server; url: string };
let refusedUrl: string;

async function until<T>(what: string, get: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Each call a new revision (the env changes), so that every deploy changes something. */
let version = 0;
function writePlan(health = '/'): void {
  writeFileSync(planFile, `domain: matrix.test
apps:
  itev-web:
    image: cloud/simplewebapp1:1.0
    replicas: 1
    hosts: [itev-web.matrix.test]
    env: { RUN: "${++version}" }
    health: { path: ${health}, interval: 1s, timeout: 500ms }
`);
}

const eventsOf = (type: string) => live.map((h) => ({ h, e: JSON.parse(h.body) as CloudEvent })).filter((x) => x.e.plan === PLAN && x.e.type === type);

before(async () => {
  ({ config: labConfig } = await ensureLab());
  liveHook = await listen((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      live.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  hangingHook = await listen((req) => {
    const h = { req, closed: false };
    held.push(h);
    req.socket.on('close', () => (h.closed = true));
  });
  const gone = await listen(() => undefined);
  refusedUrl = gone.url;
  gone.server.close();
  await undeploy(labConfig, PLAN).catch(() => undefined);
});

after(async () => {
  try {
    await undeploy(labConfig, PLAN).catch(() => undefined);
  } finally {
    for (const s of [liveHook.server, hangingHook.server]) {
      s.closeAllConnections();
      s.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('events and webhooks', () => {
  it('a deploy sends deploy.started and deploy.succeeded to the webhook, signed with its secret', async () => {
    const { file } = configCopy(dir, { notify: { webhooks: [{ url: liveHook.url, secret: { env: SECRET_ENV } }] } });
    writePlan();
    const r = await cli(['deploy-plan', planFile], { CLOUDMATRIX_CONFIG: file, [SECRET_ENV]: SECRET });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
    // The CLI waits its grace for deliveries in flight: both are there when it has exited.
    const started = eventsOf('deploy.started');
    const done = eventsOf('deploy.succeeded');
    assert.equal(started.length, 1, live.map((h) => h.body).join('\n'));
    assert.equal(done.length, 1);
    for (const { h, e } of [...started, ...done]) {
      assert.ok(verifySignature(SECRET, h.body, h.headers['x-cloudmatrix-signature'] as string), 'HMAC-SHA256 of the raw body');
      assert.equal(verifySignature('another secret', h.body, h.headers['x-cloudmatrix-signature'] as string), false);
      assert.equal(h.headers['x-cloudmatrix-event-id'], e.id);
      assert.equal(h.headers['x-cloudmatrix-event'], e.type);
      assert.match(String(h.headers['x-cloudmatrix-timestamp']), /^[0-9]{10}$/);
      assert.ok(e.user);
    }
    const app = done[0]!.e.apps?.find((a) => a.app === 'itev-web');
    assert.match(app?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.match(app?.revision ?? '', /^[0-9a-f]{12}$/);
    const listed = await cli(['events', `${PLAN}/itev-web`, '--json', '--limit', '2']);
    assert.deepEqual(listed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as CloudEvent).id), [started[0]!.e.id, done[0]!.e.id]);
  });

  it('a failed deploy sends deploy.failed (signed) and the previous version keeps serving', async () => {
    const { file } = configCopy(dir, { notify: { webhooks: [{ url: liveHook.url, secret: { env: SECRET_ENV } }] } });
    writePlan('/no-such-page');
    const r = await cli(['deploy-plan', planFile, '--health-timeout', '4s'], { CLOUDMATRIX_CONFIG: file, [SECRET_ENV]: SECRET });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const failed = eventsOf('deploy.failed');
    assert.equal(failed.length, 1);
    assert.ok(verifySignature(SECRET, failed[0]!.h.body, failed[0]!.h.headers['x-cloudmatrix-signature'] as string));
    assert.match(failed[0]!.e.message, /itev-web/);
    assert.equal(failed[0]!.e.apps?.[0]?.result, 'failed');
  });

  it('dead receivers (refused, never answering) do not hold a deploy: it returns while the hung one still waits', async () => {
    const { config } = configCopy(dir, { notify: { webhooks: [{ url: refusedUrl }, { url: hangingHook.url }], timeoutMs: 60_000, graceMs: 300 } });
    writePlan();
    const before = held.length;
    const report = await deployPlan(config, { planFile, log: () => undefined, healthTimeoutMs: 30_000 });
    assert.equal(report.result, 'ok');
    // deploy.started reached the hung receiver at the start; the deploy finished without waiting on it.
    assert.ok(held.length > before, 'the hung receiver got a delivery');
    assert.equal(held[before]!.closed, false, 'its connection is still open when the deploy has returned');
  });

  it('the CLI leaves what a hung receiver holds to serve (outbox) after its short grace', async () => {
    const { file } = configCopy(dir, { notify: { webhooks: [{ url: hangingHook.url }], timeoutMs: 60_000, graceMs: 300 } });
    writePlan('/index.html');
    const r = await cli(['deploy-plan', planFile], { CLOUDMATRIX_CONFIG: file });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /webhook deliver(y|ies) still pending: left to `cloudmatrix serve`/);
    const taken = takeOver(labConfig.stateDir);
    const mine = taken.filter((d) => d.url === hangingHook.url && d.event.plan === PLAN);
    handOver(labConfig.stateDir, taken.filter((d) => !mine.includes(d)));
    assert.deepEqual(mine.map((d) => d.event.type).sort(), ['deploy.started', 'deploy.succeeded']);
  });

  it('events --follow prints an event logged after it started', async () => {
    const child = spawn(process.execPath, ['bin/cloudmatrix.js', 'events', `${PLAN}/itev-web`, '--follow', '--json', '--limit', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    try {
      await until('the past event printed', () => out.includes('\n'));
      const e = emitEvent(labConfig, { type: 'job.failed', plan: PLAN, app: 'itev-web', message: 'it-events follow probe' });
      await until('the new event', () => out.includes(e.id), 10_000);
      assert.equal((JSON.parse(out.trim().split('\n').at(-1)!) as CloudEvent).type, 'job.failed');
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });

  it('GET /api/events streams a new event as server-sent events', async () => {
    const token = 'it-events-token-0123456789abcdef';
    const server = createApp(liveDeps(labConfig, token, 'test', () => undefined)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    let req: ReturnType<typeof get> | undefined;
    try {
      const port = (server.address() as AddressInfo).port;
      let text = '';
      let probe: CloudEvent | undefined;
      req = get({ host: '127.0.0.1', port, path: `/api/events?plan=${PLAN}&limit=1`, headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          probe ??= emitEvent(labConfig, { type: 'job.failed', plan: PLAN, app: 'itev-web', message: 'it-events SSE probe' });
        });
      });
      const e = await until('the probe event on the stream', () => probe && text.includes(`id: ${probe.id}\n`) && probe);
      assert.match(text, new RegExp(`id: ${e.id}\\nevent: job\\.failed\\ndata: \\{.*it-events SSE probe`));
    } finally {
      req?.destroy();
      server.closeAllConnections();
      server.close();
    }
  });
});

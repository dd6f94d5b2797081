import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { readToken } from '../../src/api/listen.js';
import { liveSeriesSampler } from '../../src/api/series-live.js';
import type { SeriesSampler } from '../../src/api/series-sampler.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { deployPlan } from '../../src/deploy/deploy.js';
import type { Config } from '../../src/config.js';
import { addUser, removeUser } from '../../src/users/users.js';
import { ensureLab } from './helpers/lab.js';
import { undeployOtherPlans } from './helpers/cloud.js';
import { unlocked } from './helpers/deploy-lock.js';
import { viaVarnish } from './helpers/varnish-http.js';

// Debian's chromium (scripts/test-packages.txt); playwright-core never downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Screenshots: kept after the run (artifacts/ is ignored by git).
const ARTIFACTS = resolve('artifacts');
// Names of this file only: plan dashacts, app dashact, user dashactview.
const PLAN_NAME = 'dashacts';
const APP = 'dashact';
const HOST = `${APP}.matrix.test`;
const JOB = 'dashjob';
// A job that the test runs now (its schedule, once a year, never comes during the test; this server runs no scheduler anyway).
const plan = (greeting: string) =>
  `domain: matrix.test\napps:\n  ${APP}:\n    image: cloud/simplewebapp1:1.0\n    replicas: 1\n    env: { GREETING: ${greeting} }\n` +
  `  ${JOB}:\n    image: cloud/simplewebapp1:1.0\n    schedule: "0 0 1 1 *"\n    command: ["/bin/busybox", "echo", "dash job ran"]\n`;
const LOAD_REQUESTS = 200;
const LOAD_MAX_MS = 10_000;

let config: Config;
let token: string;
let server: Server;
let base: string;
let browser: Browser;
let sampler: SeriesSampler;
const sampling = new AbortController();
let running: Promise<void> = Promise.resolve();
const dir = mkdtempSync(join(tmpdir(), 'cmx-dash-act-'));
const planFile = join(dir, `${PLAN_NAME}.yaml`);
const revisions: string[] = [];


async function api<T>(path: string, who = token): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${who}` } });
  return { status: res.status, body: (await res.json()) as T };
}

async function revisionNow(): Promise<string[]> {
  const { body } = await api<{ apps: { app: string; revisions: string[] }[] }>('/api/apps');
  return body.apps.find((a) => a.app === APP)?.revisions ?? [];
}

/**
 * The app's one revision once the API shows one (its answers are cached 2 s and the sampler
 * reads them every second: a read during a switch sees both); bounded.
 */
async function settledRevision(want?: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await revisionNow();
    if (seen.length === 1 && (want === undefined || seen[0] === want)) return seen[0]!;
    await sleep(250);
  }
  assert.fail(`${APP}: revisions ${seen.join(' ') || 'none'}${want ? `, waiting for ${want}` : ''}`);
}

async function deploy(greeting: string): Promise<void> {
  writeFileSync(planFile, plan(greeting));
  const report = await unlocked(() => deployPlan(config, { planFile }));
  assert.ok(report.result === 'ok' || report.result === 'unchanged', JSON.stringify(report.apps));
}

/** The chart's recent requests/s as the page drew them (data-rps-recent), gaps left out. */
async function drawnRps(page: Page): Promise<number[]> {
  const attr = await page.locator(`figure.traffic[data-app="${APP}"]`).getAttribute('data-rps-recent');
  return (attr ?? '').split(',').filter((v) => v !== '').map(Number);
}

/** Polls `probe` until it gives a value, at most `ms`. */
async function waitFor<T>(probe: () => Promise<T | null>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(250);
  }
}

/** One request through Varnish with a method busybox httpd does not implement: the app answers 501. */
function unimplemented(): Promise<number> {
  return new Promise((res, rej) => {
    const req = httpRequest({ host: '127.0.0.1', port: 6081, path: '/', method: 'DELETE', headers: { Host: HOST } }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.setTimeout(3000, () => req.destroy(new Error('no answer within 3000 ms')));
    req.on('error', rej);
    req.end();
  });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`# screenshot: ${path}`);
}

before(async () => {
  const t0 = Date.now();
  ({ config } = await ensureLab());
  token = readToken(config);
  const deps = liveDeps(config, token, 'test', () => undefined);
  // serve's sampler, with a 1 s step so that the chart moves within the test's budget.
  sampler = liveSeriesSampler(config, deps, { stepMs: 1000 });
  deps.series = (visible) => sampler.view(visible);
  running = sampler.run(sampling.signal);
  server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The drain case drains the test app's node: other plans (the demo's) must not run there.
  await undeployOtherPlans(config, [PLAN_NAME], 'dashboard-actions');
  await createImage({ appDir: 'images/simplewebapp1', name: 'simplewebapp1:1.0', config, progress: () => undefined });
  await installImage({ name: 'simplewebapp1:1.0', config, progress: () => undefined });
  // Two revisions in the history: the rollback has one to go back to.
  await deploy('first');
  revisions.push(await settledRevision());
  await deploy('second');
  const deadline = Date.now() + 15_000;
  while ((await settledRevision()) === revisions[0] && Date.now() < deadline) await sleep(250);
  revisions.push(await settledRevision());
  assert.notEqual(revisions[0], revisions[1]);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  console.log(`# set up (two deploys) in ${Date.now() - t0} ms`);
});

after(async () => {
  const t0 = Date.now();
  await browser?.close();
  sampling.abort();
  await running;
  server?.close();
  server?.closeAllConnections();
  if (config) {
    try {
      removeUser(config.stateDir, 'dashactview');
    } catch {
      // never added
    }
    await unlocked(() => undeploy(config, PLAN_NAME)).catch((err: Error) => {
      if (!/is not deployed/.test(err.message)) throw err;
    });
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`# cleaned up in ${Date.now() - t0} ms`);
});

describe('the dashboard acts and shows traffic', () => {
  it('the traffic chart rises under a bounded load through Varnish', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const failed: string[] = [];
    page.on('pageerror', (e) => failed.push(e.message));
    try {
      await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { timeout: 15_000 });
      const figure = page.locator(`figure.traffic[data-app="${APP}"]`);
      // A few quiet points first: the sampler's baseline, then rates of (nearly) nothing.
      await page.waitForFunction((app) => {
        const f = document.querySelector(`figure.traffic[data-app="${app}"]`);
        return f !== null && (f.getAttribute('data-rps-recent') ?? '').split(',').filter((v) => v !== '').length >= 2;
      }, APP, { timeout: 20_000 });
      const quiet = Math.max(...(await drawnRps(page)));
      assert.ok(quiet < 5, `before the load the chart shows ${quiet} req/s`);

      const t0 = Date.now();
      let sent = 0;
      let ok = 0;
      // 10 clients, 200 requests in all, stopped at 10 s whatever happens.
      await Promise.all(Array.from({ length: 10 }, async () => {
        while (sent < LOAD_REQUESTS && Date.now() - t0 < LOAD_MAX_MS) {
          sent++;
          const a = await viaVarnish(HOST).catch(() => null);
          if (a?.status === 200) ok++;
          await sleep(20);
        }
      }));
      const loadMs = Date.now() - t0;
      assert.equal(ok, sent, `all ${sent} requests answered 200`);
      const expected = (ok / (loadMs / 1000)) / 4;
      // The page redraws every 5 s and the sampler steps every 1 s (later on a loaded machine): bounded wait for the rise.
      await page.waitForFunction(({ app, min }) => {
        const f = document.querySelector(`figure.traffic[data-app="${app}"]`);
        const v = (f?.getAttribute('data-rps-recent') ?? '').split(',').filter((x) => x !== '').map(Number);
        return v.length > 0 && Math.max(...v) >= min;
      }, { app: APP, min: Math.max(5, expected) }, { timeout: 30_000 });
      const drawn = await drawnRps(page);
      console.log(`# load: ${ok} requests in ${loadMs} ms; drawn req/s (last points): ${drawn.join(' ')}`);
      assert.ok(Math.max(...drawn) > quiet, 'the series rose');
      assert.equal(await figure.getAttribute('data-replicas-last'), '1');
      assert.equal(await page.locator(`figure.traffic[data-app="${JOB}"]`).count(), 0, 'a job (no port) takes no traffic: no chart');
      assert.ok(Number(await figure.getAttribute('data-deploys')) >= 2, 'both deploys marked on the time axis');
      // 5xx: none so far (varnishncsa runs); then 20 answers 501 from the app, and the 5xx series rises.
      const { body } = await api<{ errorsCounted: boolean; apps: { app: string; points: (number | null)[][] }[] }>('/api/series');
      assert.equal(body.errorsCounted, true);
      const errs = body.apps.find((a) => a.app === APP)!.points.slice(-5).map((p) => p[2]);
      assert.ok(errs.every((e) => e === 0 || e === null) && errs.some((e) => e === 0), `5xx/s: ${errs.join(' ')}`);
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(await unimplemented());
      assert.deepEqual([...new Set(statuses)], [501]);
      await page.waitForFunction((app) => {
        const f = document.querySelector(`figure.traffic[data-app="${app}"]`);
        return (f?.getAttribute('data-errors-recent') ?? '').split(',').some((x) => x !== '' && Number(x) > 0);
      }, APP, { timeout: 15_000 });
      console.log(`# drawn 5xx/s (last points): ${await figure.getAttribute('data-errors-recent')}`);
      await shot(page, 'dashboard-traffic.png');
      assert.deepEqual(failed, []);
    } finally {
      await page.close();
    }
  });

  it('a rollback started from the page, confirmed in its dialog, completes with its progress shown', async () => {
    await settledRevision(revisions[1]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { timeout: 15_000 });
      const button = page.locator(`#apps button[data-action="rollback"][data-app="${APP}"]`);
      await button.click({ timeout: 20_000 });
      await page.waitForSelector('#confirm[open]', { timeout: 5000 });
      assert.match((await page.textContent('#confirm-title'))!, new RegExp(`Roll back ${APP}\\?`));
      // Cancel changes nothing; then again, and confirm.
      await page.click('#confirm-cancel');
      await page.waitForFunction(() => !(document.getElementById('confirm') as HTMLDialogElement).open, null, { timeout: 5000 });
      assert.equal(await page.locator('#activity-state').getAttribute('data-state'), null, 'nothing started');
      await button.click();
      await page.click('#confirm-ok');
      await page.waitForSelector('#activity-state[data-state="running"]', { timeout: 5000 });
      await shot(page, 'dashboard-rollback-running.png');
      await page.waitForSelector('#activity-state[data-state="ok"], #activity-state[data-state="bad"]', { timeout: 60_000 });
      const state = await page.textContent('#activity-state');
      assert.equal(state, `rollback ${APP}: ok`);
      const lines = await page.locator('#activity-out .line').allTextContents();
      assert.ok(lines.some((l) => l.includes(`back to revision ${revisions[0]}`)), lines.join('\n'));
      assert.ok(lines.length >= 4, `progress lines shown: ${lines.length}`);
      await settledRevision(revisions[0]);
      // The Events panel (admins) followed the event log live: the rollback is in it without a reload.
      await page.locator('#events .line[data-type="deploy.rolled_back"]', { hasText: APP }).first().waitFor({ timeout: 10_000 });
      await shot(page, 'dashboard-rollback-done.png');
    } finally {
      await page.close();
    }
  });

  it('run now from the Scheduled jobs panel; undrain of an open node from the Nodes panel; both confirmed, both shown', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { timeout: 15_000 });
      const run = page.locator(`#jobs button[data-action="run-job"][data-app="${JOB}"]`);
      await run.click({ timeout: 20_000 });
      assert.match((await page.textContent('#confirm-title'))!, new RegExp(`Run ${JOB} now\\?`));
      await page.click('#confirm-ok');
      await page.waitForFunction((j) => /: /.test(document.getElementById('activity-state')!.textContent ?? '') &&
        (document.getElementById('activity-state')!.textContent ?? '').startsWith(`run ${j}: `) &&
        document.getElementById('activity-state')!.dataset.state !== 'running', JOB, { timeout: 60_000 });
      assert.equal(await page.textContent('#activity-state'), `run ${JOB}: succeeded (exit 0)`);
      assert.match((await page.locator('#activity-out .line.ok').last().textContent())!, new RegExp(`^run ${JOB}: succeeded \\(exit 0\\) in `));
      const { body: job } = await api<{ runs: { state: string; trigger: string; exitCode?: number; logs?: string[] }[] }>(`/api/jobs/${JOB}`);
      assert.equal(job.runs[0]!.state, 'succeeded');
      assert.equal(job.runs[0]!.trigger, 'manual');
      // The panel shows the run once it redraws (an action redraws at once).
      await page.locator('#jobs tr', { hasText: JOB }).locator('.ok', { hasText: 'succeeded exit 0' }).waitFor({ timeout: 15_000 });

      // Undrain an open node: the node action's path end to end, with nothing moved.
      const { body: nodes } = await api<{ nodes: { name: string; cordoned: boolean }[] }>('/api/nodes');
      const open = nodes.nodes.find((n) => !n.cordoned)!;
      assert.equal(await page.locator('#nodes button[data-action="drain"]').count(), nodes.nodes.filter((n) => !n.cordoned).length);
      await page.locator(`#nodes button[data-action="drain"][data-node="${open.name}"]`).waitFor({ timeout: 5000 });
      await page.evaluate((node) => {
        // No undrain button on an open node: press one made like the page makes them.
        const b = document.createElement('button');
        Object.assign(b.dataset, { action: 'undrain', node });
        b.id = 'test-undrain';
        document.getElementById('nodes')!.append(b);
      }, open.name);
      await page.click('#test-undrain');
      await page.click('#confirm-ok');
      await page.waitForFunction((n) => document.getElementById('activity-state')!.textContent === `undrain ${n}: ok`, open.name, { timeout: 15_000 });
      const lines = await page.locator('#activity-out .line').allTextContents();
      assert.ok(lines.includes(`${open.name} was not cordoned`), lines.join('\n'));
      await shot(page, 'dashboard-job-run.png');
    } finally {
      await page.close();
    }
  });

  it('drain from the page moves the test app off its node, then undrain opens it again', async (t) => {
    type AppRow = { plan: string; app: string; nodes: string[] };
    const { body: apps } = await api<{ apps: AppRow[] }>('/api/apps');
    const node = apps.apps.find((a) => a.app === APP)!.nodes[0]!;
    // A drain moves every plan's replicas off the node: only when nothing but this test's plan runs there.
    const others = apps.apps.filter((a) => a.plan !== PLAN_NAME && a.nodes.includes(node));
    if (others.length) return void t.skip(`${node} also runs ${others.map((a) => `${a.plan}/${a.app}`).join(', ')}: not drained from a test`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { timeout: 15_000 });
      await page.locator(`#nodes button[data-action="drain"][data-node="${node}"]`).click({ timeout: 20_000 });
      assert.match((await page.textContent('#confirm-text'))!, /moves to other nodes/);
      await page.click('#confirm-ok');
      await page.waitForFunction((n) => (document.getElementById('activity-state')!.textContent ?? '').startsWith(`drain ${n}: `) &&
        document.getElementById('activity-state')!.dataset.state !== 'running', node, { timeout: 60_000 });
      assert.equal(await page.textContent('#activity-state'), `drain ${node}: ok`);
      const moved = await waitFor(async () => {
        const { body } = await api<{ apps: AppRow[] }>('/api/apps');
        const nodes = body.apps.find((a) => a.app === APP)?.nodes ?? [];
        return nodes.length === 1 && nodes[0] !== node ? nodes[0] : null;
      }, 15_000, `${APP} off ${node}`);
      console.log(`# drained ${node}: ${APP} now on ${moved}`);
      // The page redraws after the action: the node offers undrain now.
      await page.locator(`#nodes button[data-action="undrain"][data-node="${node}"]`).click({ timeout: 15_000 });
      await page.click('#confirm-ok');
      await page.waitForFunction((n) => document.getElementById('activity-state')!.textContent === `undrain ${n}: ok`, node, { timeout: 15_000 });
      await page.locator(`#nodes button[data-action="drain"][data-node="${node}"]`).waitFor({ timeout: 15_000 });
      await shot(page, 'dashboard-drain.png');
    } finally {
      await page.close();
      // Never leave a node of the shared lab cordoned.
      await fetch(`${base}/api/nodes/${node}/undrain`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    }
    const { body: nodes } = await api<{ nodes: { name: string; cordoned: boolean }[] }>('/api/nodes');
    assert.equal(nodes.nodes.find((n) => n.name === node)!.cordoned, false);
  });

  it('a viewer sees the chart but no action, and the API refuses the rollback anyway', async () => {
    const { token: mine } = await addUser(config.stateDir, { name: 'dashactview', role: 'viewer', apps: APP });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${base}/#token=${encodeURIComponent(mine)}`, { timeout: 15_000 });
      await page.waitForSelector(`figure.traffic[data-app="${APP}"]`, { timeout: 20_000 });
      await page.waitForSelector('#jobs .empty', { timeout: 10_000 });
      assert.deepEqual(await page.locator('figure.traffic').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-app'))), [APP]);
      assert.equal(await page.locator('button[data-action]').count(), 0);
      const res = await fetch(`${base}/api/apps/${APP}/rollback`, { method: 'POST', headers: { Authorization: `Bearer ${mine}`, 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 403);
      assert.deepEqual(await revisionNow(), [revisions[0]], 'nothing changed');
    } finally {
      await page.close();
      removeUser(config.stateDir, 'dashactview');
    }
  });
});

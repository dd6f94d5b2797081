import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { readToken } from '../../src/api/listen.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { deployPlan } from '../../src/deploy/deploy.js';
import type { Config } from '../../src/config.js';
import { addUser, removeUser } from '../../src/users/users.js';
import { ensureLab } from './helpers/lab.js';
import { unlocked } from './helpers/deploy-lock.js';

// Debian's chromium (scripts/test-packages.txt); playwright-core never downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let config: Config;
let token: string;
let server: Server;
let base: string;
let browser: Browser;
// Names of this file only: plan dashtest, app dashweb.
const dir = mkdtempSync(join(tmpdir(), 'cmx-dash-'));
const planFile = join(dir, 'dashtest.yaml');
const PLAN = 'domain: matrix.test\napps:\n  dashweb:\n    image: cloud/simplewebapp1:1.0\n    replicas: 1\n    paths: [/dashweb/]\n';


before(async () => {
  ({ config } = await ensureLab());
  token = readToken(config);
  server = createApp(liveDeps(config, token, 'test', () => undefined)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await createImage({ appDir: 'images/simplewebapp1', name: 'simplewebapp1:1.0', config, progress: () => undefined });
  await installImage({ name: 'simplewebapp1:1.0', config, progress: () => undefined });
  writeFileSync(planFile, PLAN);
  const report = await unlocked(() => deployPlan(config, { planFile }));
  assert.equal(report.result === 'ok' || report.result === 'unchanged', true, JSON.stringify(report.apps));
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  server?.closeAllConnections();
  if (!config) return;
  await unlocked(() => undeploy(config, 'dashtest')).catch((err: Error) => {
    if (!/is not deployed/.test(err.message)) throw err;
  });
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in a headless browser', () => {
  it('asks for the token, then shows the lab nodes, apps, routes and deploys', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const failed: string[] = [];
    page.on('pageerror', (e) => failed.push(e.message));
    await page.goto(`${base}/`, { timeout: 15_000 });
    await page.waitForSelector('#login:not([hidden])', { timeout: 10_000 });
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => /refused/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 10_000 });
    await page.fill('#token', token);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#nodes table', { timeout: 20_000 });
    await page.waitForSelector('#apps table', { timeout: 20_000 });

    const nodesText = await page.textContent('#nodes');
    for (const n of await listNodes(config)) assert.ok(nodesText!.includes(n.name) && nodesText!.includes(n.ip), `node ${n.name} shown`);
    // capacity and reservations per node (docker info, the containers' reservation labels): reserved / total
    assert.match(nodesText!, /CPUs reserved.*memory reserved/);
    assert.match(nodesText!, /\d+(\.\d+)?[KMGB] \/ \d+(\.\d+)?G/);
    const row = page.locator('#apps tr', { hasText: 'dashweb' });
    assert.match((await row.textContent())!, /dashweb\s*dashtest\s*1 \/ 1/);
    assert.equal(await row.locator('a[href="http://127.0.0.1:6081/dashweb/"]').count(), 1);
    // Varnish's probes may need a round after the switch; the page refreshes by itself.
    await page.locator('#routes tr', { hasText: 'dashweb' }).locator('.badge.ok').waitFor({ timeout: 20_000 });
    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: 'artifacts/dashboard.png', fullPage: true });
    assert.equal(await page.evaluate(() => localStorage.getItem('cloudmatrix.token')) === token, true);
    assert.deepEqual(failed, []);
    await page.close();
  });

  it('takes #token= once, drops it from the address, and refreshes without a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { timeout: 15_000 });
    await page.waitForSelector('#apps table', { timeout: 20_000 });
    assert.equal(new URL(page.url()).hash, '');
    const first = await page.textContent('#status');
    await page.waitForFunction((t) => document.getElementById('status')!.textContent !== t, first, { timeout: 15_000 });
    assert.match((await page.textContent('#status'))!, /^updated /);
    await page.click('#forget');
    await page.waitForSelector('#login:not([hidden])', { timeout: 5000 });
    assert.equal(await page.evaluate(() => localStorage.getItem('cloudmatrix.token')), null);
    await page.close();
  });

  it('a viewer signs in with their own token and sees who they are and only their app, no nodes', async () => {
    try {
      removeUser(config.stateDir, 'dashviewer');
    } catch {
      // not there: a clean start
    }
    const { token: mine } = await addUser(config.stateDir, { name: 'dashviewer', role: 'viewer', apps: 'dashweb' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${base}/#token=${encodeURIComponent(mine)}`, { timeout: 15_000 });
      await page.waitForSelector('#apps table', { timeout: 20_000 });
      assert.equal(await page.textContent('#who'), 'dashviewer (viewer: dashweb)');
      const apps = (await page.locator('#apps tbody tr').allTextContents());
      assert.equal(apps.length, 1);
      assert.match(apps[0]!, /^dashweb/);
      assert.equal(await page.locator('#nodes').evaluate((e) => (e.closest('section') as HTMLElement).hidden), true);
      for (const row of await page.locator('#routes tbody tr').allTextContents()) assert.match(row, /^dashweb/);
      await page.screenshot({ path: 'artifacts/dashboard-viewer.png', fullPage: true });
    } finally {
      await page.close();
      removeUser(config.stateDir, 'dashviewer');
    }
  });
});

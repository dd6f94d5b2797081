import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCcCommand, createVarnish, VarnishCli, VclCompileError, type Varnish } from '../../src/adapters/varnish.js';
import { varnishdsUnderTest } from '../../src/adapters/varnish/builds.js';
import { DEFAULT_TEMPLATES_DIR, readVclTemplates } from '../../src/adapters/vcl-templates.js';
import { renderVcl as render, type VclTemplates } from '../../src/model/vcl.js';
import { renderSplitVcl, vclHash8 } from '../../src/model/vcl-split.js';
import type { RouteApp, RoutingTable } from '../../src/model/routing.js';

// A private varnishd on loopback, with node:http backends in this process, once per Varnish under
// test (Debian's and the built 4.1/6.0: src/adapters/varnish/builds.ts). Set CMX_KEEP=1 to keep
// its directory (varnishd.log, the secret, the work dir) after the run.
const { found, missing } = varnishdsUnderTest();
const renderVcl = (table: RoutingTable, templates: VclTemplates = readVclTemplates()) => render(table, templates);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function backend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.setHeader('X-Server', name);
    res.end(name);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };
function get(port: number, host: string, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

for (const m of missing) it(`Varnish adapter against a private varnishd [varnish ${m}]`, { skip: `varnish ${m}: adapter tests skipped` }, () => {});

for (const v of found) describe(`Varnish adapter against a private varnishd [varnish ${v.label}]`, () => {
  let dir = '';
  let varnishd: ChildProcess | undefined;
  let varnish: Varnish;
  let httpPort = 0;
  let adminAddr = '';
  let secretFile = '';
  const servers: { server: Server; port: number }[] = [];
  const health = { path: '/health', intervalMs: 200, timeoutMs: 100, window: 3, threshold: 2 };
  const app = (name: string, ports: number[], over: Partial<RouteApp> = {}): RouteApp => ({
    name,
    hosts: [`${name}.test`],
    paths: [],
    director: 'round_robin',
    health,
    backends: ports.map((port, i) => ({ container: `${name}-${i}`, node: `node${i + 1}`, address: '127.0.0.1', port })),
    ...over,
  });
  let table: RoutingTable;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmx-varnish-'));
    chmodSync(dir, 0o755); // varnishd's unprivileged user reads the boot VCL
    secretFile = join(dir, 'secret');
    writeFileSync(secretFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'boot.vcl'), 'vcl 4.0;\nbackend default { .host = "127.0.0.1"; .port = "9"; }\n', { mode: 0o644 });
    for (const name of ['b1', 'b2', 'b3', 'b4']) servers.push(await backend(name));
    table = {
      apps: [app('alpha', [servers[0]!.port, servers[1]!.port]), app('beta', [servers[2]!.port]), app('gamma', [servers[3]!.port, servers[2]!.port], { director: 'fallback' })],
    };
    httpPort = await freePort();
    adminAddr = `127.0.0.1:${await freePort()}`;
    const log = createWriteStream(join(dir, 'varnishd.log'));
    // The child compiles every vcl.inline; at its default -O2 -g, 50 reloads take over a minute.
    const cc = ['-p', `cc_command=${checkCcCommand(v.version)}`];
    varnishd = spawn(v.varnishd, [...cc, '-F', '-a', `127.0.0.1:${httpPort}`, '-T', adminAddr, '-S', secretFile, '-n', join(dir, 'work'), '-f', join(dir, 'boot.vcl'), '-s', 'malloc,64m'], { stdio: ['ignore', 'pipe', 'pipe'] });
    varnishd.stdout!.pipe(log);
    varnishd.stderr!.pipe(log);
    varnish = createVarnish({ admin: adminAddr, secretFile, varnishd: v.varnishd, timeoutMs: 60_000 });
    for (let i = 0; ; i++) {
      if (varnishd.exitCode !== null || i >= 100) throw new Error(`varnishd did not start: ${readFileSync(join(dir, 'varnishd.log'), 'utf8').slice(-2000)}`);
      try {
        if ((await varnish.vclList()).some((v) => v.status === 'active')) break;
      } catch {
        varnish.close();
      }
      await sleep(100);
    }
  });

  after(async () => {
    varnish?.close();
    for (const s of servers) s.server.closeAllConnections(), s.server.close();
    if (varnishd && varnishd.exitCode === null) {
      const exited = new Promise((r) => varnishd!.once('exit', r));
      varnishd.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (varnishd.exitCode === null) varnishd.kill('SIGKILL');
    }
    if (dir && !process.env.CMX_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('the admin CLI names the version, and it is the binary\'s', async () => {
    assert.equal((varnish as unknown as VarnishCli).version?.text, v.version?.text);
    assert.ok(v.version, `${v.varnishd} -V names a version`);
  });

  it('reload routes two apps by Host and alternates replicas', async () => {
    const r = await varnish.reload(renderVcl(table));
    assert.equal(r.changed, true);
    assert.match(r.name, /^cmx_\d+_[0-9a-f]{8}$/);
    assert.equal(r.previous, 'boot');
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await get(httpPort, 'alpha.test', `/page${i}`);
      assert.equal(a.status, 200);
      assert.equal(a.headers['x-cloudmatrix-app'], 'alpha');
      seen.push(String(a.headers['x-cloudmatrix-backend']));
    }
    assert.deepEqual(new Set(seen), new Set(['be__alpha__node1__' + servers[0]!.port, 'be__alpha__node2__' + servers[1]!.port]));
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `replicas alternate: ${seen.join(' ')}`);
    const same = await Promise.all([get(httpPort, 'alpha.test', '/same'), get(httpPort, 'alpha.test', '/same')]);
    assert.ok(same.every((a) => a.status === 200));
    const b = await get(httpPort, 'BETA.test:80', '/');
    assert.equal(b.status, 200);
    assert.equal(b.body, 'b3');
    assert.equal((await get(httpPort, 'nobody.test')).status, 404);
  });

  it('unchanged routing is a no-op', async () => {
    const before = await varnish.vclList();
    const r = await varnish.reload(renderVcl(structuredClone(table)));
    assert.equal(r.changed, false);
    assert.deepEqual(await varnish.vclList(), before);
  });

  it('backendList shows health, and a dead replica turns sick and stops getting traffic', async () => {
    const list = await varnish.backendList();
    const active = (await varnish.vclList()).find((v) => v.status === 'active')!.name;
    const alpha = list.filter((b) => b.vcl === active && b.name.startsWith('be__alpha__'));
    assert.equal(alpha.length, 2);
    assert.ok(alpha.every((b) => b.healthy && b.probe?.window === 3), JSON.stringify(alpha));
    const dead = servers[3]!;
    dead.server.closeAllConnections();
    await new Promise((r) => dead.server.close(r));
    let sick = false;
    for (let i = 0; i < 50 && !sick; i++) {
      await sleep(100);
      sick = (await varnish.backendList('be__gamma__node1__*')).some((b) => !b.healthy);
    }
    assert.ok(sick, 'gamma node1 turned sick within 5 s');
    for (let i = 0; i < 3; i++) assert.equal((await get(httpPort, 'gamma.test', `/g${i}`)).body, 'b3', 'fallback to the healthy one');
  });

  it('a VCL that does not compile leaves the old one active and traffic flowing', async () => {
    const activeBefore = (await varnish.vclList()).find((v) => v.status === 'active')!.name;
    const broken = join(dir, 'broken-templates');
    cpSync(DEFAULT_TEMPLATES_DIR, broken, { recursive: true });
    const file = join(broken, 'routing.vcl.mustache');
    writeFileSync(file, readFileSync(file, 'utf8').replace('call cmx_route_host;', 'call cmx_route_host'));
    const vcl = renderVcl(table, readVclTemplates(broken));
    await assert.rejects(varnish.reload(vcl), (err: unknown) => err instanceof VclCompileError && /^VCL does not compile: line \d+:\d+: .* at: /.test(err.message));
    // Without the local pre-check, vcl.inline itself refuses it.
    const noPrecheck = createVarnish({ admin: adminAddr, secretFile, varnishd: v.varnishd, precheck: false });
    try {
      await assert.rejects(noPrecheck.reload(vcl), (err: unknown) => err instanceof VclCompileError && err.errors[0]!.text === vcl.split('\n')[err.errors[0]!.line - 1]);
    } finally {
      noPrecheck.close();
    }
    const after = await varnish.vclList();
    assert.equal(after.find((v) => v.status === 'active')!.name, activeBefore);
    assert.equal((await get(httpPort, 'alpha.test')).status, 200);
  });

  it('50 reloads in a row, under traffic, leave at most 2 cloudmatrix VCLs loaded', async () => {
    let reloading = true;
    const answers: number[] = [];
    const traffic = (async () => {
      for (let i = 0; reloading && i < 20_000; i++) answers.push((await get(httpPort, 'alpha.test', `/t${i}`).catch(() => ({ status: 0 }))).status);
    })();
    const fast = createVarnish({ admin: adminAddr, secretFile, varnishd: v.varnishd, precheck: false });
    try {
      for (let i = 0; i < 50; i++) {
        const t = structuredClone(table);
        t.apps[0]!.hosts.push(`extra${i}.test`);
        assert.equal((await fast.reload(renderVcl(t))).changed, true);
      }
    } finally {
      fast.close();
      reloading = false;
      await traffic;
    }
    const ours = (await varnish.vclList()).filter((v) => v.name.startsWith('cmx_') && v.status !== 'discarded');
    assert.ok(ours.length <= 2, `loaded: ${ours.map((v) => v.name).join(' ')}`);
    assert.ok(answers.length > 0);
    assert.deepEqual(answers.filter((s) => s !== 200), [], `${answers.length} requests during reloads`);
  });

  it('rollback switches to the previous cloudmatrix VCL', async () => {
    const list = await varnish.vclList();
    const prev = list.filter((v) => v.status === 'available' && v.name.startsWith('cmx_')).map((v) => v.name)[0]!;
    assert.equal(await varnish.rollback(), prev);
    assert.equal((await varnish.vclList()).find((v) => v.status === 'active')!.name, prev);
    assert.equal((await get(httpPort, 'alpha.test')).status, 200);
  });

  const labels = !!v.version && v.version.major >= 5;
  const split = (t: RoutingTable) => renderSplitVcl(t, readVclTemplates())!;
  const noLabels = labels ? false : `varnish ${v.label} has no VCL labels: the single VCL only`;
  const appHealth = async (pattern: string) => (await varnish.backendList(pattern)).filter((b) => b.vcl !== 'boot');

  it('one VCL per app under labels routes like the single VCL; a switch compiles only the app it touches, untouched apps keep their probes\' health', { skip: noLabels }, async () => {
    assert.equal(await varnish.supportsLabels(), true);
    const r = await varnish.reloadSplit(split(table));
    assert.deepEqual(r.apps, ['alpha', 'beta', 'gamma']);
    const a = await get(httpPort, 'alpha.test', '/x');
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-cloudmatrix-app'], 'alpha');
    assert.match(String(a.headers['x-cloudmatrix-backend']), /^be__alpha__node[12]__\d+$/);
    assert.equal((await get(httpPort, 'BETA.test:80')).body, 'b3');
    const unknown = await get(httpPort, 'nobody.test');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['x-cloudmatrix-app'], undefined);
    assert.match(unknown.body, /404 Unknown host/);
    // gamma's node1 is dead (an earlier case): its probe in gamma's own VCL turns it sick.
    let sick = false;
    for (let i = 0; i < 50 && !sick; i++) {
      await sleep(100);
      sick = (await appHealth('*.be__gamma__node1__*')).some((b) => !b.healthy);
    }
    assert.ok(sick, 'gamma node1 turned sick within 5 s');
    const t = structuredClone(table);
    t.apps[1]!.backends = [{ container: 'beta-9', node: 'node1', address: '127.0.0.1', port: servers[0]!.port }];
    const r2 = await varnish.reloadSplit(split(t));
    assert.deepEqual(r2.apps, ['beta']);
    assert.equal(r2.name, r.name, 'the dispatch VCL did not change');
    assert.equal((await get(httpPort, 'beta.test')).body, 'b1');
    assert.ok((await appHealth('*.be__gamma__node1__*')).every((b) => !b.healthy), 'gamma was not reloaded: still sick');
    assert.equal((await varnish.reloadSplit(split(t))).changed, false);
    table = t;
  });

  it('a VCL that does not compile in the middle of a multi-app switch changes nothing', { skip: noLabels }, async () => {
    const before = (await varnish.vclList()).filter((x) => x.status !== 'discarded');
    const t = structuredClone(table);
    t.apps[0]!.hosts.push('alpha2.test');
    t.apps[1]!.backends = [{ container: 'beta-8', node: 'node1', address: '127.0.0.1', port: servers[1]!.port }];
    t.apps[2]!.backends.reverse();
    const s = split(t);
    const bad = s.apps[1]!.vcl.replace('call cmx_tls_host;', 'call cmx_tls_host');
    s.apps[1] = { ...s.apps[1]!, vcl: bad, hash: vclHash8(bad) };
    await assert.rejects(varnish.reloadSplit(s), (err: Error) => err instanceof VclCompileError && /^app beta \(label cmx-default-beta\): VCL does not compile: line \d+/.test(err.message));
    assert.deepEqual((await varnish.vclList()).filter((x) => x.status !== 'discarded'), before);
    assert.equal((await get(httpPort, 'beta.test')).body, 'b1');
    assert.equal((await get(httpPort, 'alpha2.test')).status, 404);
  });

  it('an app\'s VCL compiled ahead routes nothing, outlives other reloads while kept, and its switch only labels it', { skip: noLabels }, async () => {
    const t = structuredClone(table);
    t.apps[1]!.backends = [{ container: 'beta-7', node: 'node1', address: '127.0.0.1', port: servers[2]!.port }];
    const s = split(t);
    const ahead = await varnish.prepareApp(s.apps[1]!);
    assert.equal(ahead.loaded, true);
    assert.equal((await varnish.prepareApp(s.apps[1]!)).loaded, false, 'asked again: compiled once');
    assert.equal((await get(httpPort, 'beta.test')).body, 'b1', 'still the running VCL');
    // Another switch (alpha gets a host) before beta's: the compiled-ahead VCL is kept when held, not otherwise.
    const other = structuredClone(table);
    other.apps[0]!.hosts.push('alpha3.test');
    await varnish.reloadSplit(split(other), new Set([ahead.name]));
    assert.ok((await varnish.vclList()).some((x) => x.name === ahead.name && x.status !== 'discarded'), 'kept while held');
    t.apps[0]!.hosts.push('alpha3.test');
    const r = await varnish.reloadSplit(split(t));
    assert.deepEqual(r.apps, ['beta']);
    const label = (await varnish.vclList()).find((x) => x.name === 'cmx-default-beta');
    assert.equal(label?.label, ahead.name, 'the switch labelled the VCL compiled ahead');
    assert.equal((await get(httpPort, 'beta.test')).body, 'b3');
    // One compiled ahead for a switch that never comes goes with the next reload that does not hold it.
    const t2 = structuredClone(t);
    t2.apps[1]!.backends = [{ container: 'beta-6', node: 'node1', address: '127.0.0.1', port: servers[1]!.port }];
    const unused = await varnish.prepareApp(split(t2).apps[1]!);
    await varnish.reloadSplit(split(t));
    assert.ok(!(await varnish.vclList()).some((x) => x.name === unused.name && x.status !== 'discarded'), 'discarded when no longer held');
    // Back to the routing the later cases start from.
    await varnish.reloadSplit(split(table));
    assert.equal((await get(httpPort, 'beta.test')).body, 'b1');
  });

  it('an app removed: no longer routed, its label and VCL go once no dispatch VCL refers to them; back to the single VCL leaves none', { skip: noLabels }, async () => {
    const t = structuredClone(table);
    t.apps.pop();
    await varnish.reloadSplit(split(t));
    assert.equal((await get(httpPort, 'gamma.test')).status, 404);
    // A discarded dispatch VCL still referenced by a worker thread holds the label: Varnish lets go
    // of it when that worker takes new work (or after 60 s idle), and a later switch takes it.
    const poke = (tag: string) => Promise.all(Array.from({ length: 8 }, (_, k) => get(httpPort, 'alpha.test', `/${tag}-${k}`)));
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await poke(`r${i}`);
      await varnish.reloadSplit(split(t));
      gone = !(await varnish.vclList()).some((x) => x.name === 'cmx-default-gamma');
      if (!gone) await sleep(100);
    }
    assert.ok(gone, 'the label of the removed app is discarded within 10 s');
    const names = (await varnish.vclList()).filter((x) => x.status !== 'discarded').map((x) => x.name);
    assert.equal(names.filter((n) => n.startsWith('cmxa_')).length, 2, names.join(' '));
    assert.equal(names.filter((n) => n.startsWith('cmxt_')).length, 1, names.join(' '));
    const back = await varnish.reload(renderVcl(t));
    assert.equal(back.changed, true);
    assert.equal((await get(httpPort, 'beta.test')).body, 'b1');
    // The dispatch VCL may still be busy in a worker: a request lets go of it, the next (no-op) reload takes the rest.
    const splitLeft = async () => (await varnish.vclList()).filter((x) => x.status !== 'discarded').map((x) => x.name).filter((n) => /^cmx(a_|t_|-)/.test(n));
    let left = await splitLeft();
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await poke(`back${i}`);
      assert.equal((await varnish.reload(renderVcl(t))).changed, false);
      left = await splitLeft();
      if (left.length) await sleep(100);
    }
    assert.deepEqual(left, [], 'no app VCL or label left within 10 s');
    table = t;
  });

  it('a wrong secret is refused without echoing it', async () => {
    const bad = join(dir, 'bad-secret');
    writeFileSync(bad, 'not-the-secret');
    const cli = new VarnishCli({ admin: adminAddr, secretFile: bad, timeoutMs: 5000 });
    try {
      await assert.rejects(cli.vclList(), (err: Error) => /authentication failed/.test(err.message) && !err.message.includes('not-the-secret'));
    } finally {
      cli.close();
    }
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { createApp } from '../../src/api/app.js';
import { liveDeps } from '../../src/api/live-deps.js';
import { readToken } from '../../src/api/listen.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import type { Config } from '../../src/config.js';
import { ensureLab } from './helpers/lab.js';
import { cli, sh, type RunResult } from './helpers/exec.js';
import { removeApps } from './helpers/cloud.js';
import { fastConfig, pidOf, whileStopped } from './faults/helpers.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { keeperPaths } from '../../src/adapters/docker/keeper.js';

// Names of this file only: plan logsexec, app lxweb, secret LXTEST_TOKEN.
const dir = mkdtempSync(join(tmpdir(), 'cmx-logsexec-'));
const planFile = join(dir, 'logsexec.yaml');
const SECRET = `lxsecret-${randomBytes(8).toString('hex')}`;
const tag = randomBytes(3).toString('hex');
const plan = (round: number) => `domain: matrix.test
apps:
  lxweb:
    image: cloud/hostinfo:1.0
    replicas: 3
    hosts: [lxweb.matrix.test]
    env: { ROUND: "${round}" }
    secrets: [LXTEST_TOKEN]
    health: { path: /, interval: 1s, timeout: 500ms }
`;
// The example images have no sh on PATH: busybox is /bin/busybox.
const SH = ['/bin/busybox', 'sh', '-c'];
/** Writes a line into the container's log: PID 1's stdout is the pipe Docker reads. */
const say = (text: string) => [...SH, `echo '${text}' > /proc/1/fd/1`];
const LINE = /^(\S+)\/(\S+) +\| (.*)$/;
let config: Config;
let lab: LabManifest;
let nodes: string[] = [];
let apiToken: string;
let server: Server;
let base: string;
const children = new Set<ChildProcess>();

function secretSet(name: string, v: string): Promise<RunResult> {
  return run(['secret', 'set', name], `${v}\n`);
}

/** The CLI with stdin given (or closed at once). */
function run(args: string[], stdin = '', env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/cloudmatrix.js', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A long-running CLI process whose output is collected; killed in after() if a test did not end it. */
function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/cloudmatrix.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => {
    children.delete(child);
    r(code);
  }));
  return { child, out: () => stdout, err: () => stderr, exited };
}

/** Polls `check` every 200 ms until it holds or `ms` passes; the last value either way. */
async function until<T>(what: string, ms: number, probe: () => Promise<T> | T, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await probe();
  while (!check(v)) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms / 1000} s; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
    v = await probe();
  }
  return v;
}

/** node -> container name of lxweb's running replicas, from ps --json. */
async function replicas(): Promise<Map<string, string>> {
  const r = await cli(['ps', '--json']);
  const rows = JSON.parse(r.stdout).containers as { node: string; name: string; app: string; state: string }[];
  return new Map(rows.filter((c) => c.app === 'lxweb' && c.state === 'running').map((c) => [c.node, c.name]));
}

async function sayOn(node: string, text: string, env: Record<string, string> = {}): Promise<void> {
  const r = await run(['exec', 'lxweb', '--node', node, '--', ...say(text)], '', env);
  assert.equal(r.code, 0, r.stderr);
}

/** The lines of `logs` output that carry this run's markers, as [node, container, text]. */
const marked = (out: string, prefix: string) => out.split('\n').map((l) => LINE.exec(l)).filter((m) => m && m[3]!.startsWith(prefix)).map((m) => [m![1]!, m![2]!, m![3]!]);

function sse(path: string, stopWhen?: (text: string) => boolean, ms = 20_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = get(`${base}${path}`, { headers: { Authorization: `Bearer ${apiToken}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (stopWhen?.(text)) {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, text });
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`${path}: not done within ${ms / 1000} s`)), ms);
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
  });
}

const lineEvents = (text: string) =>
  text.split('\n\n').filter((b) => b.startsWith('event: line')).map((b) => JSON.parse(b.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { node: string; container: string; text: string; time: string });

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  await cli(['create-image', 'images/hostinfo', 'hostinfo:1.0']);
  const i = await cli(['install-image', 'hostinfo:1.0']);
  assert.equal(i.code, 0, i.stderr);
  await undeploy(config, 'logsexec').catch(() => undefined);
  assert.equal((await secretSet('LXTEST_TOKEN', SECRET)).code, 0);
  writeFileSync(planFile, plan(1));
  const d = await cli(['deploy-plan', planFile]);
  assert.equal(d.code, 0, d.stdout + d.stderr);
  nodes = [...(await replicas()).keys()].sort();
  assert.equal(nodes.length, 3, 'one replica on each of 3 nodes');
  // The commands below go through the SSH keeper the first ones started, as a user's do (exec's
  // stdin ending while its output still comes crosses it half-open).
  if (process.env.CMX_SSH_KEEPER !== '0') {
    const keeper = keeperPaths(config);
    for (let i = 0; i < 200 && !existsSync(keeper.pid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(keeper.pid), 'a keeper runs');
  }
  apiToken = readToken(config);
  server = createApp(liveDeps(config, apiToken, 'test', () => undefined)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  server?.close();
  server?.closeAllConnections();
  if (config) {
    await undeploy(config, 'logsexec').catch(() => undefined);
    await removeApps(config, ['lxweb']).catch(() => undefined);
  }
  await cli(['secret', 'rm', '--force', 'LXTEST_TOKEN']);
  rmSync(dir, { recursive: true, force: true });
});

describe('logs and exec on the lab', () => {
  it('logs: every replica, prefixed node/container, in time order, secret values redacted', async () => {
    const m = `lx1-${tag}`;
    const order: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const node of nodes) {
        const text = `${m} ${round} ${node}`;
        await sayOn(node, text);
        order.push(text);
      }
    }
    const lastWritten = Date.now();
    const reps = await replicas();
    const r1 = await run(['exec', 'lxweb', '--node', nodes[0]!, '--', ...SH, 'echo "token=$LXTEST_TOKEN" > /proc/1/fd/1']);
    assert.equal(r1.code, 0, r1.stderr);
    const t0 = Date.now();
    const r = await run(['logs', 'lxweb']);
    const took = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    const got = marked(r.stdout, m);
    assert.deepEqual(got.map((g) => g[2]), order, 'merged in the order written');
    for (const [node, container, text] of got) assert.equal(reps.get(node), container, `${text}: prefixed by its own replica`);
    assert.ok(!r.stdout.includes(SECRET), 'no secret value');
    assert.match(r.stdout, /token=\[secret\]/);
    console.log(`# logs lxweb (3 replicas, whole logs): ${took} ms for the whole command`);

    const one = await run(['logs', 'lxweb', '--node', nodes[1]!, '--tail', '3', '--timestamps']);
    assert.equal(one.code, 0, one.stderr);
    const lines = one.stdout.trim().split('\n');
    assert.ok(lines.length <= 3 && lines.every((l) => l.startsWith(`${nodes[1]}/`)), one.stdout);
    assert.match(lines.at(-1)!, /\| \d{4}-\d\d-\d\dT[\d:.]+Z /);
    // The marked lines must be more than 1 s old for --since 1s to leave them out (commands that
    // reuse kept SSH connections can get here sooner): the condition is the clock itself.
    while (Date.now() - lastWritten < 1500) await new Promise((r) => setTimeout(r, Math.max(10, 1500 - (Date.now() - lastWritten))));
    const since = await run(['logs', 'lxweb', '--since', '1s']);
    assert.equal(marked(since.stdout, m).length, 0, '--since 1s: none of the older lines');
  });

  it('logs: unknown app and bad flag values exit 2 naming them', async () => {
    const u = await run(['logs', 'nosuchapp']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown app "nosuchapp" \(known: .*lxweb/);
    const t = await run(['logs', 'lxweb', '--tail', 'many']);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /--tail: expected a whole number/);
    const s = await run(['logs', 'lxweb', '--since', 'tuesday']);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /--since: expected a duration/);
    const n = await run(['logs', 'lxweb', '--node', 'node99']);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /unknown node "node99"/);
  });

  it('logs | head: the reader going away ends it quietly', async () => {
    const r = await sh('bash', ['-c', 'set -o pipefail; node bin/cloudmatrix.js logs lxweb | head -1; echo "status ${PIPESTATUS[0]}"']);
    assert.match(r.stdout, /status 0/, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Error/);
  });

  it('logs --follow across a redeploy: the new replicas are followed as they start', async () => {
    const m = `lx2-${tag}`;
    const f = start(['logs', 'lxweb', '--follow', '--tail', '0']);
    try {
      // --tail 0: only what comes after it attached, so the marker is written until it shows (bounded).
      await until('a line of an old replica', 15_000, async () => {
        if (!f.out().includes(`${m} before`)) await sayOn(nodes[0]!, `${m} before`);
        return f.out();
      }, (o) => o.includes(`${m} before`));
      const old = await replicas();
      writeFileSync(planFile, plan(2));
      const d = await cli(['deploy-plan', planFile]);
      assert.equal(d.code, 0, d.stdout + d.stderr);
      const fresh = await replicas();
      for (const node of nodes) assert.notEqual(fresh.get(node), old.get(node), `${node}: replaced`);
      for (const node of nodes) await sayOn(node, `${m} after ${node}`);
      const out = await until('lines of every new replica', 20_000, () => f.out(), (o) => nodes.every((n) => o.includes(`${m} after ${n}`)));
      for (const [node, container, text] of marked(out, `${m} after`)) assert.equal(container, fresh.get(node), text);
      assert.match(f.err(), /started: following it/);
      f.child.kill('SIGINT');
      const code = await Promise.race([f.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
      assert.equal(code, 0, `Ctrl-C ends it cleanly: ${f.err()}`);
    } finally {
      f.child.kill('SIGKILL');
    }
  });

  it('a node whose dockerd hangs: logs ends within the deadline naming it; --follow says so, goes on with the others, and resumes', async () => {
    const m = `lx5-${tag}`;
    const DEADLINE_MS = 2000;
    const env = { CLOUDMATRIX_CONFIG: fastConfig(dir, { dockerCallMs: DEADLINE_MS, dockerHeartbeatMs: 1000 }) };
    const hung = nodes[2]!;
    const f = start(['logs', 'lxweb', '--follow', '--tail', '0'], env);
    try {
      // each try says a line of its own (#k): a slow first one may arrive after a second was said
      let said = 0;
      for (const node of nodes) {
        await until(`${node} followed`, 20_000, async () => {
          if (!f.out().includes(`${m} up ${node}`)) await sayOn(node, `${m} up ${node} #${++said}`, env);
          return f.out();
        }, (o) => o.includes(`${m} up ${node}`));
      }
      const pid = pidOf(join(lab.nodes.find((n) => n.name === hung)!.dir, 'docker.pid'));
      await whileStopped(pid, async () => {
        const t0 = Date.now();
        const r = await run(['logs', 'lxweb'], '', env);
        const took = Date.now() - t0;
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`cloudmatrix: ${hung}: .*no answer within 2 s`));
        assert.ok(marked(r.stdout, `${m} up`).length >= 2, 'the other replicas are printed');
        assert.ok(took < DEADLINE_MS + 8000, `logs ended in ${took} ms`);
        const noted = await until('the hung node noted while following', 15_000, () => f.err(), (e) => e.includes(`${hung}: not following it`));
        assert.match(noted, /its replicas' lines stop here; trying again in \d+ s/);
        console.log(`# logs with ${hung} hung: ended in ${took} ms (deadline ${DEADLINE_MS} ms), exit 1; --follow noted it within ${Date.now() - t0} ms`);
        await sayOn(nodes[0]!, `${m} during`, env);
        await until('lines of the others go on', 10_000, () => f.out(), (o) => o.includes(`${m} during`));
      });
      await until('the node answers again', 45_000, () => f.err(), (e) => e.includes(`${hung}: answering again`));
      await sayOn(hung, `${m} back`, env);
      const out = await until('its lines again', 15_000, () => f.out(), (o) => o.includes(`${m} back`));
      const ups = out.split('\n').filter((l) => l.includes(`${m} up ${hung} #`));
      assert.ok(ups.length >= 1, out);
      assert.equal(new Set(ups).size, ups.length, `no line repeated after the resume:\n${ups.join('\n')}`);
    } finally {
      f.child.kill('SIGKILL');
    }
  });

  it('API: GET /api/apps/:app/logs as SSE that ends, and ?follow=1 that follows', async () => {
    const m = `lx3-${tag}`;
    await sayOn(nodes[2]!, `${m} api`);
    const done = await sse('/api/apps/lxweb/logs?tail=20');
    assert.equal(done.status, 200);
    assert.match(done.text, /event: end\ndata: \{"errors":\[\]\}/);
    const mine = lineEvents(done.text).filter((l) => l.text === `${m} api`);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.node, nodes[2]);
    assert.ok(!done.text.includes(SECRET));

    // tail=0: only what comes after the stream opened, so the marker is written until it shows (bounded).
    let seen = '';
    const following = sse('/api/apps/lxweb/logs?follow=1&tail=0', (text) => (seen = text).includes(`${m} live`));
    await until('a live line through the follow stream', 20_000, async () => {
      if (!seen.includes(`${m} live`)) await sayOn(nodes[1]!, `${m} live`);
      return seen;
    }, (text) => text.includes(`${m} live`));
    const live = await following;
    assert.equal(lineEvents(live.text).find((l) => l.text === `${m} live`)?.node, nodes[1]);
    assert.equal((await sse('/api/apps/nosuchapp/logs')).status, 404);
    assert.equal((await sse('/api/apps/lxweb/logs?tail=x')).status, 400);
  });

  it('exec without a TTY: output and exit status passed through; stdin piped; unknown app exit 2', async () => {
    const t0 = Date.now();
    const r = await run(['exec', 'lxweb', '--', ...SH, 'echo hi; exit 3']);
    const took = Date.now() - t0;
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.code, 3, r.stderr);
    console.log(`# exec round trip (CLI start to exit, sh -c 'echo hi; exit 3'): ${took} ms`);
    const e = await run(['exec', 'lxweb', '--node', nodes[1]!, '--', ...SH, 'echo oops >&2; hostname']);
    assert.equal(e.code, 0);
    assert.equal(e.stderr, 'oops\n');
    assert.ok(e.stdout.trim().length > 0, 'the container hostname');
    const piped = await run(['exec', 'lxweb', '--', ...SH, 'cat; echo done'], 'from stdin\n');
    assert.equal(piped.stdout, 'from stdin\ndone\n', piped.stderr);
    const big = 'x'.repeat(200_000);
    const wc = await run(['exec', '-i', 'lxweb', '--', '/bin/busybox', 'wc', '-c'], big);
    assert.equal(wc.stdout.trim(), String(big.length));
    const u = await run(['exec', 'nosuchapp', '--', 'true']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown app "nosuchapp"/);
  });

  it('exec -it: a TTY in the container, its window size passed, exit status through', async (t) => {
    if (!existsSync('/usr/bin/script')) return t.skip('no script(1) from util-linux');
    const cmd = (inner: string) => `stty rows 33 cols 77; exec node bin/cloudmatrix.js exec -it lxweb -- ${inner}`;
    const tty = await sh('script', ['-qec', cmd('/bin/busybox tty'), '/dev/null']);
    assert.equal(tty.code, 0, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\/dev\/pts\/\d+/);
    // Docker 20.10 (API 1.41) takes the size only by a resize after the start, which can come a
    // moment after the process began: the command polls for it (bounded), as a shell gets SIGWINCH.
    const poll = `i=0; while [ "$(/bin/busybox stty size)" != "33 77" ] && [ $i -lt 50 ]; do i=$((i+1)); /bin/busybox sleep 0.1; done; /bin/busybox stty size`;
    const size = await sh('script', ['-qec', cmd(`/bin/busybox sh -c '${poll}'`), '/dev/null']);
    assert.match(size.stdout, /33 77/);
    const status = await sh('script', ['-qec', cmd("/bin/busybox sh -c 'exit 7'"), '/dev/null']);
    assert.equal(status.code, 7);
  });

  it('dashboard: an app picked in the logs panel shows its recent lines and follows new ones', async (t) => {
    if (!existsSync('/usr/bin/chromium')) return t.skip('no chromium');
    const m = `lx4-${tag}`;
    await sayOn(nodes[0]!, `${m} recent`);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], timeout: 30_000 });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/#token=${encodeURIComponent(apiToken)}`);
      await page.waitForSelector('#logs-app option[value="lxweb"]', { state: 'attached', timeout: 15_000 });
      await page.selectOption('#logs-app', 'lxweb');
      await page.waitForFunction((text) => document.getElementById('logs-out')!.textContent!.includes(text), `${m} recent`, { timeout: 15_000 });
      await sayOn(nodes[2]!, `${m} live`);
      await page.waitForFunction((text) => document.getElementById('logs-out')!.textContent!.includes(text), `${m} live`, { timeout: 15_000 });
      const text = await page.textContent('#logs-out');
      assert.match(text!, new RegExp(`${nodes[2]}/logsexec-lxweb-\\d+ \\| ${m} live`));
      assert.ok(!text!.includes(SECRET));
    } finally {
      await browser.close();
    }
  });
});

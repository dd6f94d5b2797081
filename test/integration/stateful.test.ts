import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { ensureLab } from './helpers/lab.js';
import { cli, type RunResult } from './helpers/exec.js';
import { loadLoop, viaVarnish, waitForAnswer } from './helpers/varnish-http.js';

// Names of this file only: plan stful, apps scache (Redis with a volume) and sweb (the counter), host sweb.matrix.test.
const dir = mkdtempSync(join(tmpdir(), 'cmx-stateful-'));
const planFile = join(dir, 'stful.yaml');
const HOST = 'sweb.matrix.test';
let config: Config;

function plan(opts: { cacheGen?: string; webGen?: string; keep?: number } = {}): string {
  return `domain: matrix.test
apps:
  scache:
    image: cloud/redis:7
    port: 6379
    expose: tcp
    volumes: { data: /data }
    backup: { keep: ${opts.keep ?? 3} }
    env: { GEN: "${opts.cacheGen ?? '1'}" }
  sweb:
    image: cloud/counter:1.0
    replicas: 2
    hosts: [${HOST}]
    health: { path: /healthz, interval: 1s, timeout: 500ms }
    env:
      REDIS_HOST: \${scache.host}
      REDIS_PORT: \${scache.port}
      GEN: "${opts.webGen ?? '1'}"
`;
}

interface Row { plan: string; app: string; node: string; state: string; id: string; address: string | null; port: number | null }
async function running(app: string): Promise<Row[]> {
  const ps = JSON.parse((await cli(['ps', '--json'])).stdout) as { containers: Row[] };
  return ps.containers.filter((c) => c.plan === 'stful' && c.app === app && c.state === 'running');
}

async function deploy(text: string): Promise<{ r: RunResult; report: { result: string; apps: { app: string; result: string; gapMs?: number; error?: string }[] } | null }> {
  writeFileSync(planFile, text);
  const r = await cli(['deploy-plan', planFile, '--json', '--health-timeout', '30s']);
  let report = null;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    /* a refused deploy prints no report */
  }
  return { r, report };
}

/** The counter as Redis has it (GET, not INCR). */
async function peek(): Promise<number> {
  const a = await waitForAnswer(HOST, (x) => x.status === 200 && /counter: \d+/.test(x.body), 15_000, '/?peek');
  const m = /counter: (\d+)/.exec(a.body);
  assert.ok(m, `no counter in ${a.status} ${a.body}`);
  return Number(m[1]);
}

async function incr(n: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < n; i++) {
    const a = await viaVarnish(HOST);
    assert.equal(a.status, 200, a.body);
    last = Number(/counter: (\d+)/.exec(a.body)![1]);
  }
  return last;
}

before(async () => {
  ({ config } = await ensureLab());
  for (const [dirName, image] of [['images/redis', 'redis:7'], ['images/counter', 'counter:1.0']]) {
    const c = await cli(['create-image', dirName!, image!]);
    assert.equal(c.code, 0, c.stderr);
    const i = await cli(['install-image', image!]);
    assert.equal(i.code, 0, i.stderr);
  }
  await undeploy(config, 'stful', () => undefined, { deleteVolumes: true }).catch(() => undefined);
});

after(async () => {
  await undeploy(config, 'stful', () => undefined, { deleteVolumes: true }).catch(() => undefined);
  rmSync(join(config.stateDir, 'backups', 'stful'), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('stateful services', () => {
  it('deploys the referenced TCP service first; web finds it by ${scache.host}:${scache.port}; its volume is listed', async () => {
    const { r, report } = await deploy(plan());
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(report!.result, 'ok');
    const [cache] = await running('scache');
    assert.ok(cache, 'scache runs');
    assert.equal((await running('sweb')).length, 2);
    const first = await incr(3);
    assert.ok(first >= 3, `counter ${first}`);
    const vols = JSON.parse((await cli(['volumes', '--json'])).stdout) as { volumes: { plan: string; app: string; node: string; name: string; pinned: boolean }[] };
    const mine = vols.volumes.filter((v) => v.plan === 'stful');
    assert.deepEqual(mine.map((v) => [v.app, v.node, v.name, v.pinned]), [['scache', cache.node, 'stful-scache-data', true]]);
    // Not routed by Varnish: no host of its own.
    assert.equal((await viaVarnish('scache.matrix.test')).status, 404);
  });

  it('a rolling redeploy of web keeps counting with zero failed requests', async () => {
    const before = await peek();
    const deploying = deploy(plan({ webGen: '2' }));
    const load = await loadLoop(HOST, { rps: 20, until: deploying, maxMs: 60_000, maxRequests: 1200, ok: (a) => a.status === 200 && /counter: \d+/.test(a.body) });
    const { r } = await deploying;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(load.failed, 0, `${load.failed} of ${load.sent} failed: ${load.failures.join(' | ')}`);
    assert.ok(load.sent > 10, `only ${load.sent} requests`);
    assert.ok((await peek()) >= before + load.sent, 'every request counted');
  });

  it('a replacement of the cache is stop-first on the same volume: data kept, same address, web untouched, gap measured', async () => {
    const [oldCache] = await running('scache');
    const webBefore = (await running('sweb')).map((c) => c.id).sort();
    const value = await incr(1);
    const { r, report } = await deploy(plan({ webGen: '2', cacheGen: '2' }));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const cacheOutcome = report!.apps.find((a) => a.app === 'scache')!;
    assert.equal(cacheOutcome.result, 'ok');
    assert.ok(typeof cacheOutcome.gapMs === 'number' && cacheOutcome.gapMs > 0, JSON.stringify(cacheOutcome));
    console.log(`# stop-first gap of the Redis replacement: ${cacheOutcome.gapMs} ms`);
    const [newCache] = await running('scache');
    assert.notEqual(newCache!.id, oldCache!.id);
    assert.equal(newCache!.node, oldCache!.node);
    assert.equal(newCache!.port, oldCache!.port, 'the new container took over the host port');
    assert.deepEqual((await running('sweb')).map((c) => c.id).sort(), webBefore, 'web keeps its containers');
    assert.equal(await peek(), value, 'the counter survived the replacement');
    assert.match(r.stderr, /backup \S+ .* before the replacement/);
  });

  it('a backup that cannot be written stops the cache deploy and changes nothing', async () => {
    const [cache] = await running('scache');
    const appDir = join(config.stateDir, 'backups', 'stful', 'scache');
    const aside = `${appDir}.aside`;
    rmSync(aside, { recursive: true, force: true });
    // A file where the backups' directory must be: the archive cannot be written.
    const { renameSync } = await import('node:fs');
    mkdirSync(appDir, { recursive: true });
    renameSync(appDir, aside);
    writeFileSync(appDir, 'not a directory');
    try {
      const { r, report } = await deploy(plan({ webGen: '2', cacheGen: '3' }));
      assert.notEqual(r.code, 0);
      const o = report!.apps.find((a) => a.app === 'scache')!;
      assert.equal(o.result, 'failed');
      assert.match(o.error!, /not replaced, nothing changed: backup of scache .* failed/);
      const [still] = await running('scache');
      assert.equal(still!.id, cache!.id, 'the old container keeps serving');
    } finally {
      rmSync(appDir, { force: true });
      renameSync(aside, appDir);
    }
  });

  it('backup, overwrite, restore brings the data back; retention keeps exactly backup.keep', async () => {
    const saved = await peek();
    const b = await cli(['backup', 'create', 'scache', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const record = JSON.parse(b.stdout) as { id: string; volumes: { bytes: number; sha256: string }[] };
    assert.ok(record.volumes[0]!.bytes > 0);
    assert.ok((await incr(5)) >= saved + 5);
    const r = await cli(['backup', 'restore', 'scache', record.id]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await peek(), saved, 'the counter is back to its value at the backup');
    for (let i = 0; i < 4; i++) assert.equal((await cli(['backup', 'create', 'scache'])).code, 0);
    const list = JSON.parse((await cli(['backup', 'list', 'scache', '--json'])).stdout) as { id: string }[];
    assert.equal(list.length, 3, `kept ${list.map((x) => x.id).join(', ')}`);
    // The restore made fresh volumes and removed the replaced ones.
    const vols = JSON.parse((await cli(['volumes', '--json'])).stdout) as { volumes: { plan: string; pinned: boolean }[] };
    assert.deepEqual(vols.volumes.filter((v) => v.plan === 'stful').map((v) => v.pinned), [true]);
  });

  it('move carries the data to another node; web follows the new address', async () => {
    const [cache] = await running('scache');
    const value = await incr(2);
    const nodes = JSON.parse((await cli(['nodes', '--json'])).stdout) as { name: string }[] | { nodes: { name: string }[] };
    const names = (Array.isArray(nodes) ? nodes : nodes.nodes).map((n) => n.name);
    const target = names.find((n) => n !== cache!.node)!;
    const r = await cli(['move', 'scache', target]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [moved] = await running('scache');
    assert.equal(moved!.node, target);
    assert.equal(await peek(), value);
    assert.equal(await incr(1), value + 1);
  });

  it('undeploy keeps the volume (a new deploy finds the data); --delete-volumes removes it', async () => {
    const value = await peek();
    const u = await cli(['undeploy', 'stful']);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /1 volume\(s\) kept/);
    const { r } = await deploy(plan({ webGen: '2', cacheGen: '3' }));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await peek(), value, 'the redeployed cache found its volume');
    const d = await cli(['undeploy', 'stful', '--delete-volumes']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /1 volume\(s\) removed/);
    const vols = JSON.parse((await cli(['volumes', '--json'])).stdout) as { volumes: { plan: string }[] };
    assert.equal(vols.volumes.filter((v) => v.plan === 'stful').length, 0);
  });

  it('bad references are plan errors at file:line:col, exit 2, nothing deployed', async () => {
    const bad = join(dir, 'stbad.yaml');
    mkdirSync(dir, { recursive: true });
    writeFileSync(bad, 'apps:\n  sbweb:\n    image: cloud/counter:1.0\n    env: { R: "${nope.host}" }\n');
    const r = await cli(['deploy-plan', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stbad\.yaml:4:12: apps\.sbweb\.env\.R: \$\{nope\.host\}: no app nope in this plan/);
  });
});

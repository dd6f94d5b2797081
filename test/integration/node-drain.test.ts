import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { CordonStore } from '../../src/adapters/store/cordons.js';
import { ensureLab } from './helpers/lab.js';
import { undeployOtherPlans } from './helpers/cloud.js';
import { cli } from './helpers/exec.js';
import { loadLoop, waitForAnswer } from './helpers/varnish-http.js';

// Names of this file only: plan drn, apps drweb (2 replicas, routed) and drdb (a volume, pinned), host drweb.matrix.test.
const dir = mkdtempSync(join(tmpdir(), 'cmx-drain-'));
const planFile = join(dir, 'drn.yaml');
const HOST = 'drweb.matrix.test';
let config: Config;
/** three nodes that hold no other plan's container: a drain must never move another test's apps */
let A = '';
let B = '';
let C = '';

const plan = (o: { gen?: string; replicas?: number; dbNodes?: string[] } = {}) => `domain: matrix.test
apps:
  drweb:
    image: cloud/simplewebapp1:1.0
    replicas: ${o.replicas ?? 2}
    hosts: [${HOST}]
    nodes: [${A}, ${B}, ${C}]
    health: { path: /, interval: 1s, timeout: 500ms }
    env: { GEN: "${o.gen ?? '1'}" }
  drdb:
    image: cloud/simplewebapp1:1.0
    hosts: [drdb.matrix.test]
    volumes: { data: /data }
    nodes: [${(o.dbNodes ?? [C]).join(', ')}]
    health: { path: /, interval: 1s, timeout: 500ms }
`;

interface Row { plan: string; app: string; node: string; state: string }
async function containers(): Promise<Row[]> {
  const r = await cli(['ps', '--json']);
  return (JSON.parse(r.stdout) as { containers: Row[] }).containers;
}
const mine = async (app: string) => (await containers()).filter((c) => c.plan === 'drn' && c.app === app && c.state === 'running').map((c) => c.node).sort();
const cordoned = async (): Promise<Record<string, boolean>> =>
  Object.fromEntries((JSON.parse((await cli(['nodes', '--json'])).stdout) as { name: string; cordoned?: boolean }[]).map((n) => [n.name, n.cordoned === true]));

async function deploy(text: string): Promise<void> {
  writeFileSync(planFile, text);
  const r = await cli(['deploy-plan', planFile, '--health-timeout', '30s']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

before(async () => {
  ({ config } = await ensureLab());
  const b = await cli(['create-image', 'images/simplewebapp1', 'simplewebapp1:1.0']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await cli(['install-image', 'simplewebapp1:1.0'])).code, 0);
  await undeploy(config, 'drn', () => undefined, { deleteVolumes: true }).catch(() => undefined);
  // A drain refuses when a replica has nowhere to go: the test needs three nodes to itself.
  await undeployOtherPlans(config, ['drn'], 'node-drain');
  const busy = new Set((await containers()).filter((c) => c.plan !== 'drn').map((c) => c.node));
  const nodes = Object.keys(await cordoned()).filter((n) => !busy.has(n) && !new CordonStore(config.stateDir).has(n)).sort();
  assert.ok(nodes.length >= 3, `three lab nodes without other plans' containers are needed, free: ${nodes.join(', ') || 'none'}`);
  [A, B, C] = nodes;
});

after(async () => {
  if (config) {
    // never leave a node cordoned for the next test
    for (const n of [A, B, C]) if (n) new CordonStore(config.stateDir).remove(n);
    await undeploy(config, 'drn', () => undefined, { deleteVolumes: true }).catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('node drain on the lab', () => {
  it('drains a node under a client loop through Varnish: 0 failed requests, the node left empty and cordoned', async () => {
    await deploy(plan());
    assert.deepEqual(await mine('drweb'), [A, B].sort());
    assert.deepEqual(await mine('drdb'), [C]);
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200)).status, 200);
    const drain = cli(['node', 'drain', A, '--json', '--health-timeout', '30s']);
    const load = await loadLoop(HOST, { rps: 25, until: drain, maxMs: 60_000, maxRequests: 1500 });
    const r = await drain;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; cordoned: boolean; left: unknown[] };
    assert.deepEqual({ ok: report.ok, cordoned: report.cordoned, left: report.left }, { ok: true, cordoned: true, left: [] });
    console.log(`# drain under load: ${load.sent} requests sent through Varnish, ${load.failed} failed`);
    assert.ok(load.sent >= 25, `the loop ran during the drain (${load.sent} sent)`);
    assert.equal(load.failed, 0, `failed requests: ${load.failures.join('; ')}`);
    assert.deepEqual(await mine('drweb'), [B, C].sort());
    assert.ok(!(await containers()).some((c) => c.plan === 'drn' && c.node === A), `nothing of drn left on ${A}`);
    assert.equal((await cordoned())[A], true);
  });

  it('refuses, changing nothing, a drain that leaves a replica nowhere or would take an app with volumes from its data', async () => {
    const same = async () => JSON.stringify((await containers()).map((c) => [c.plan, c.app, c.node, c.state, (c as unknown as { id: string }).id]));
    const before = await same();
    const full = await cli(['node', 'drain', B]);
    assert.equal(full.code, 2, full.stdout + full.stderr);
    assert.match(full.stderr, new RegExp(`^cloudmatrix: cannot drain ${B}, nothing was changed: drn/drweb would run 1 of 2 replicas`));
    const pinned = await cli(['node', 'drain', C]);
    assert.equal(pinned.code, 2, pinned.stdout + pinned.stderr);
    assert.match(pinned.stderr, new RegExp(`apps with volumes pinned to ${C}: drn/drdb .*--move-stateful`));
    assert.equal(await same(), before);
    const c = await cordoned();
    assert.deepEqual([c[A], c[B], c[C]], [true, false, false]);
  });

  it('places nothing new on the cordoned node until undrain; then it is placeable again', async () => {
    await deploy(plan({ gen: '2' }));
    assert.deepEqual(await mine('drweb'), [B, C].sort());
    const u = await cli(['node', 'undrain', A]);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, new RegExp(`${A} undrained`));
    assert.equal((await cordoned())[A], false);
    await deploy(plan({ gen: '2', replicas: 3 }));
    assert.deepEqual(await mine('drweb'), [A, B, C].sort());
  });

  it('--move-stateful carries an app with volumes to another node it may use (cloudmatrix move), then drains', async () => {
    // drdb may now also run on A; its pin keeps it on C until it is moved
    await deploy(plan({ gen: '2', replicas: 2, dbNodes: [C, A] }));
    assert.deepEqual(await mine('drdb'), [C]);
    const r = await cli(['node', 'drain', C, '--move-stateful', '--json', '--health-timeout', '30s']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`moving drn/drdb \\(volumes\\) to ${A}`));
    assert.deepEqual(await mine('drdb'), [A]);
    assert.ok(!(await containers()).some((c) => c.plan === 'drn' && c.node === C), `nothing of drn left on ${C}`);
    assert.equal((await waitForAnswer('drdb.matrix.test', (a) => a.status === 200)).status, 200);
    assert.equal((await cli(['node', 'undrain', C])).code, 0);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../src/config.js';
import type { LabManifest } from '../../../src/lab/manifest.js';
import { undeploy } from '../../../src/deploy/undeploy.js';
import { ensureLab } from '../helpers/lab.js';
import { cli } from '../helpers/exec.js';
import { waitForAnswer } from '../helpers/varnish-http.js';

// Names of this file only: plan slost, apps slcache and slweb.
let config: Config;
let lab: LabManifest;
const dir = mkdtempSync(join(tmpdir(), 'cmx-slost-'));
const planFile = join(dir, 'slost.yaml');
const HOST = 'slweb.matrix.test';

interface Row { plan: string; app: string; node: string; state: string }
async function running(app: string): Promise<Row[]> {
  const ps = JSON.parse((await cli(['ps', '--json'])).stdout) as { containers: Row[] };
  return ps.containers.filter((c) => c.plan === 'slost' && c.app === app && c.state === 'running');
}
const counter = async () => Number(/counter: (\d+)/.exec((await waitForAnswer(HOST, (a) => a.status === 200, 20_000, '/?peek')).body)?.[1]);

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  for (const [d, image] of [['images/redis', 'redis:7'], ['images/counter', 'counter:1.0']]) {
    assert.equal((await cli(['create-image', d!, image!])).code, 0);
    assert.equal((await cli(['install-image', image!])).code, 0);
  }
  await undeploy(config, 'slost', () => undefined, { deleteVolumes: true }).catch(() => undefined);
  writeFileSync(planFile, `apps:
  slcache:
    image: cloud/redis:7
    port: 6379
    expose: tcp
    volumes: { data: /data }
  slweb:
    image: cloud/counter:1.0
    hosts: [${HOST}]
    health: { path: /healthz }
    env: { REDIS_HOST: "\${slcache.host}", REDIS_PORT: "\${slcache.port}" }
`);
});

after(async () => {
  await ensureLab();
  await undeploy(config, 'slost', () => undefined, { deleteVolumes: true }).catch(() => undefined);
  rmSync(join(config.stateDir, 'backups', 'slost'), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('a node holding a pinned app is lost', () => {
  it('the app is reported down, not re-created empty elsewhere; when the node is back, its data is there', async () => {
    assert.ok(lab.nodes.length >= 3, 'needs 3 nodes');
    assert.equal((await cli(['deploy-plan', planFile])).code, 0);
    const [cache] = await running('slcache');
    for (let i = 0; i < 3; i++) assert.equal((await waitForAnswer(HOST, (a) => a.status === 200)).status, 200);
    const value = await counter();
    assert.ok(value >= 3);
    const victim = lab.nodes.find((n) => n.name === cache!.node)!;
    try {
      process.kill(Number(readFileSync(join(victim.dir, 'docker.pid'), 'utf8')), 'SIGKILL');
      const r = await cli(['deploy-plan', planFile, '--json']);
      assert.notEqual(r.code, 0, 'a deploy that cannot run the pinned app fails');
      const report = JSON.parse(r.stdout) as { apps: { app: string; result: string; error?: string }[] };
      const o = report.apps.find((a) => a.app === 'slcache')!;
      assert.equal(o.result, 'failed');
      assert.match(o.error!, new RegExp(`pinned to ${victim.name} \\(its volumes are there\\), which is unreachable`));
      assert.deepEqual(await running('slcache'), [], 'not re-created on another node');
    } finally {
      const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
      assert.equal(up.code, 0, up.stderr);
    }
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [back] = await running('slcache');
    assert.equal(back!.node, victim.name);
    assert.ok((await counter()) >= value, 'the data survived on its node');
  });
});

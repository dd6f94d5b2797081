import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../src/config.js';
import type { LabManifest } from '../../../src/lab/manifest.js';
import { undeploy } from '../../../src/deploy/undeploy.js';
import { ensureLab } from '../helpers/lab.js';
import { cli } from '../helpers/exec.js';
import { viaVarnish } from '../helpers/varnish-http.js';

let config: Config;
let lab: LabManifest;
const planFile = join(mkdtempSync(join(tmpdir(), 'cmx-nlost-')), 'nlost.yaml');

interface Row { plan: string; app: string; node: string; state: string }
async function replicas(): Promise<Row[]> {
  const ps = JSON.parse((await cli(['ps', '--json'])).stdout);
  return ps.containers.filter((c: Row) => c.plan === 'nlost' && c.state === 'running');
}

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  assert.equal((await cli(['create-image', 'images/hostinfo', 'hostinfo:1.0'])).code, 0);
  assert.equal((await cli(['install-image', 'hostinfo:1.0'])).code, 0);
  await undeploy(config, 'nlost').catch(() => undefined);
  writeFileSync(planFile, 'apps:\n  nlweb:\n    image: cloud/hostinfo:1.0\n    replicas: 2\n    hosts: [nlweb.matrix.test]\n');
});

after(async () => {
  await ensureLab();
  await undeploy(config, 'nlost').catch(() => undefined);
});

describe('a node lost', { skip: false }, () => {
  it('moves the replicas of a node whose dockerd died to the other nodes', async () => {
    assert.ok(lab.nodes.length >= 3, 'needs 3 nodes');
    assert.equal((await cli(['deploy-plan', planFile])).code, 0);
    const before = await replicas();
    assert.equal(before.length, 2);
    const victim = lab.nodes.find((n) => n.name === before[0]!.node)!;
    process.kill(Number(readFileSync(join(victim.dir, 'docker.pid'), 'utf8')), 'SIGKILL');

    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`${victim.name} is unreachable`));
    const now = await replicas();
    assert.equal(now.length, 2);
    assert.ok(now.every((c) => c.node !== victim.name), `still on ${victim.name}: ${JSON.stringify(now)}`);
    assert.equal(new Set(now.map((c) => c.node)).size, 2);
    for (let i = 0; i < 4; i++) assert.equal((await viaVarnish('nlweb.matrix.test')).status, 200);
  });

  it('after the node comes back, a deploy returns to the planned count', async () => {
    const up = await cli(['lab', 'up', '--nodes', String(lab.nodes.length)]);
    assert.equal(up.code, 0, up.stderr);
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((await replicas()).length, 2);
    assert.equal((await viaVarnish('nlweb.matrix.test')).status, 200);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { PlanStore } from '../../src/adapters/store/plans.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { ensureLab } from './helpers/lab.js';
import { cli, sh } from './helpers/exec.js';
import { httpGet } from './helpers/cloud.js';
import { viaVarnish } from './helpers/varnish-http.js';

let config: Config;
let lab: LabManifest;
let helloWasDeployed = false;
const FOREIGN = 'not-cloudmatrix-legacytest';

const onNode = (name: string) => ({ DOCKER_HOST: `unix://${lab.nodes.find((n) => n.name === name)!.dir}/docker.sock` });

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  // The legacy format has no tag: its apps run cloud/<app>:latest.
  for (const app of ['simplewebapp1', 'simplewebapp2']) {
    assert.equal((await cli(['create-image', `images/${app}`, `${app}:latest`])).code, 0);
    assert.equal((await cli(['install-image', `${app}:latest`])).code, 0);
  }
  // Its apps and hosts are the hello plan's: take hello out of service meanwhile.
  helloWasDeployed = new PlanStore(config.stateDir).get('hello') !== null;
  if (helloWasDeployed) await undeploy(config, 'hello');
  await undeploy(config, 'applications').catch(() => undefined);
  // A container cloudmatrix did not start, on a node the plan uses.
  await sh('docker', ['rm', '-f', FOREIGN], onNode('node1'));
  const login = ['--config', join(lab.lab, 'docker-cli')];
  const run = await sh('docker', [...login, 'run', '-d', '--name', FOREIGN, `${config.registry}/cloud/simplewebapp1:latest`], onNode('node1'));
  assert.equal(run.code, 0, run.stderr);
});

after(async () => {
  await undeploy(config, 'applications').catch(() => undefined);
  await sh('docker', ['rm', '-f', FOREIGN], onNode('node1'));
  if (helloWasDeployed) await cli(['deploy-plan', 'plans/hello.yaml']);
});

describe('the legacy plan format', () => {
  it('deploys plans/applications.plan pinned to its nodes on its fixed host ports', async () => {
    const r = await cli(['deploy-plan', 'plans/applications.plan']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const node1 = lab.nodes.find((n) => n.name === 'node1')!;
    const node2 = lab.nodes.find((n) => n.name === 'node2')!;
    assert.match((await httpGet(`http://${node1.ip}:8081/`)).body, /Hello world!/);
    assert.match((await httpGet(`http://${node2.ip}:8082/`)).body, /Hello world 2!/);
    assert.match((await viaVarnish('simplewebapp1.matrix.test')).body, /Hello world!/);
    assert.match((await viaVarnish('127.0.0.1', '/simplewebapp2/')).body, /Hello world 2!/);
  });

  it('redeploys unchanged with no changes', async () => {
    const r = await cli(['deploy-plan', 'plans/applications.plan']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no changes/);
  });

  it('never touches containers that cloudmatrix did not start', async () => {
    await undeploy(config, 'applications');
    const ps = await sh('docker', ['ps', '--filter', `name=${FOREIGN}`, '--format', '{{.Names}} {{.State}}'], onNode('node1'));
    assert.match(ps.stdout, new RegExp(`${FOREIGN} running`));
  });
});

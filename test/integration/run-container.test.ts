import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { findNode } from '../../src/adapters/nodes.js';
import { createImage } from '../../src/images/create.js';
import { installImage } from '../../src/images/install.js';
import { listCloudContainers, ps } from '../../src/deploy/cluster.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { runContainer } from '../../src/containers/run.js';
import { UserError } from '../../src/errors.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';
import { httpGet, removeApps } from './helpers/cloud.js';

// Apps (image names) of this file only: it-run-*.
const APPS = ['it-run-web', 'it-run-info', 'it-run-missing'];
let config: Config;
let engines: NodeEngines;
const quiet = () => undefined;

before(async () => {
  ({ config } = await ensureLab());
  engines = new NodeEngines(config);
  await removeApps(config, APPS);
  await createImage({ appDir: 'images/simplewebapp1', name: 'it-run-web:1', config, progress: quiet });
  await installImage({ name: 'it-run-web:1', config, progress: quiet });
  await createImage({ appDir: 'images/hostinfo', name: 'it-run-info:1', config, progress: quiet });
  await installImage({ name: 'it-run-info:1', config, progress: quiet });
});

after(async () => {
  engines.closeAll();
  await removeApps(config, APPS);
});

async function containersOf(app: string, node = 'node2') {
  const docker = engines.get(await findNode(config, node));
  return docker.listContainers({ all: true, filters: { label: [`cloudmatrix.app=${app}`] } });
}

describe('run-container', () => {
  it('runs the image on node2, answers on the printed address, labelled, listed by ps', async () => {
    const r = await runContainer({ node: 'node2', image: 'it-run-web:1', config, engines, progress: quiet });
    assert.equal(r.outcome, 'started');
    assert.equal(r.address, '10.77.0.202');
    assert.equal((await httpGet(`http://${r.address}:${r.port}/`)).body, 'Hello world!\n');
    assert.equal((await httpGet(`http://${r.address}:${r.port}/simplewebapp1/`)).body, 'Hello world!\n');

    const info = (await engines.get(await findNode(config, 'node2')).inspectContainer(r.id))!;
    assert.deepEqual(info.Config.Labels, {
      'cloudmatrix.app': 'it-run-web', 'cloudmatrix.plan': 'manual', 'cloudmatrix.revision': r.revision, 'cloudmatrix.port': '8080',
    });
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
    assert.match(info.Config.Image, /^10\.77\.0\.1:5000\/cloud\/it-run-web:1@sha256:[0-9a-f]{64}$/);

    const listed = (await ps(config)).containers.filter((c) => c.app === 'it-run-web');
    assert.deepEqual(listed.map((c) => [c.node, c.name, c.state, c.address, c.port]), [
      ['node2', r.name, 'running', '10.77.0.202', r.port],
    ]);
  });

  it('ps still lists the other nodes when one cannot be reached', async () => {
    const nodes = [...(await listNodes(config)), { name: 'ghost', ip: '127.0.0.1' }];
    const r = await listCloudContainers(nodes, engines);
    assert.deepEqual(r.errors.map((e) => e.node), ['ghost']);
    assert.ok(r.containers.some((c) => c.app === 'it-run-web' && c.node === 'node2'));
  });

  it('the same command twice starts no second container', async () => {
    const again = await runContainer({ node: 'node2', image: 'it-run-web:1', config, engines, progress: quiet });
    assert.equal(again.outcome, 'already-running');
    assert.equal((await containersOf('it-run-web')).length, 1);
  });

  it('the same name with other options is refused, nothing started', async () => {
    const [first] = await containersOf('it-run-web');
    const name = first!.Names[0]!.slice(1);
    await assert.rejects(
      runContainer({ node: 'node2', image: 'it-run-web:1', name, env: { X: '1' }, config, engines, progress: quiet }),
      (err: unknown) => err instanceof UserError && /already exists and runs revision/.test(err.message),
    );
    assert.equal((await containersOf('it-run-web')).length, 1);
  });

  it('passes --env and a fixed host port; the dynamic app shows them', async () => {
    const r = await runContainer({
      node: 'node2', image: 'it-run-info:1', hostPort: 18081, env: { GREETING: 'hello from the test' }, config, engines, progress: quiet,
    });
    assert.equal(r.name, 'it-run-info-node2-18081');
    assert.equal(r.port, 18081);
    const page = (await httpGet(`http://10.77.0.202:18081/hostinfo/`)).body;
    assert.match(page, /greeting: hello from the test/);
    assert.match(page, /hostname: [0-9a-f]{12}/);
  });

  it('an image that is not in the registry is a clear error and starts nothing', async () => {
    await assert.rejects(
      runContainer({ node: 'node2', image: 'it-run-missing:1', config, engines, progress: quiet }),
      (err: unknown) => err instanceof UserError && err.message === '10.77.0.1:5000/cloud/it-run-missing:1 is not in the registry 10.77.0.1:5000',
    );
    await assert.rejects(
      runContainer({ node: 'node2', image: 'it-run-web:2', config, engines, progress: quiet }),
      /it-run-web:2 is not in the registry .* \(tags: 1\)/,
    );
    assert.equal((await containersOf('it-run-missing')).length, 0);
  });

  it('through the CLI: prints "node address:port", exit 2 for a missing image or unknown node', async () => {
    const res = await cli(['run-container', 'node3', 'it-run-web:1', '--name', 'it-run-web-cli']);
    assert.equal(res.code, 0, res.stderr);
    const m = /^node3 10\.77\.0\.203:(\d+)\n$/.exec(res.stdout);
    assert.ok(m, res.stdout);
    assert.equal((await httpGet(`http://10.77.0.203:${m[1]}/`)).body, 'Hello world!\n');
    const twice = await cli(['run-container', 'node3', 'it-run-web:1', '--name', 'it-run-web-cli']);
    assert.equal(twice.code, 0, twice.stderr);
    assert.equal(twice.stdout, res.stdout);
    assert.match(twice.stderr, /already running/);
    for (const args of [['node3', 'it-run-missing:1'], ['node9', 'it-run-web:1'], ['node3', 'it-run-web:1', 'notaport']]) {
      const bad = await cli(['run-container', ...args]);
      assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
    }
    const psOut = await cli(['ps', '--json']);
    assert.equal(psOut.code, 0, psOut.stderr);
    const names = (JSON.parse(psOut.stdout).containers as { name: string }[]).map((c) => c.name);
    assert.ok(names.includes('it-run-web-cli'));
  });
});

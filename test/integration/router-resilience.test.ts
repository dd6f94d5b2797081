import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Config } from '../../src/config.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { closedLoop, showFailures } from '../../bench/router-load.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';
import { viaVarnish, waitForAnswer } from './helpers/varnish-http.js';

// Two replicas behind Varnish; one is killed under load, then all are stopped, then one is
// started again. A fixed hostPort keeps a restarted container on the port Varnish knows.
const PLAN = 'rres';
const HOST = 'rres.matrix.test';
const dir = mkdtempSync(join(tmpdir(), 'cmx-rres-'));
const planFile = join(dir, `${PLAN}.yaml`);
let config: Config;
let engines: NodeEngines;

interface Replica {
  node: string;
  id: string;
  docker: Docker;
}

async function replicas(): Promise<Replica[]> {
  const nodes = await listNodes(config);
  const out: Replica[] = [];
  for (const node of nodes) {
    const docker = engines.transport(node).docker;
    const list = await docker.listContainers({ all: true, filters: { label: [`cloudmatrix.plan=${PLAN}`] } });
    out.push(...list.map((c) => ({ node: node.name, id: c.Id, docker })));
  }
  return out;
}

before(async () => {
  ({ config } = await ensureLab());
  engines = new NodeEngines(config);
  await cli(['create-image', 'images/simplewebapp1', 'simplewebapp1:1.0']);
  const push = await cli(['install-image', 'simplewebapp1:1.0']);
  assert.equal(push.code, 0, push.stderr);
  await cli(['undeploy', PLAN]);
  writeFileSync(planFile, [
    'domain: matrix.test', 'apps:', '  rres:', '    image: cloud/simplewebapp1:1.0', '    replicas: 2', `    hosts: [${HOST}]`,
    '    hostPort: 18431', '    timeouts: { connect: 1s }', '',
  ].join('\n'));
  const r = await cli(['deploy-plan', planFile]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

after(async () => {
  try {
    const r = await cli(['undeploy', PLAN]);
    if (r.code !== 0) process.stderr.write(`undeploy ${PLAN}: ${r.stderr}\n`);
    for (const c of await replicas()) await c.docker.getContainer(c.id).remove({ force: true }).catch(() => undefined);
  } finally {
    engines.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('router resilience', () => {
  it('loses no request when one of two replicas is killed under load', async () => {
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200)).status, 200);
    const [victim] = await replicas();
    assert.ok(victim);
    const load = await closedLoop({ host: '127.0.0.1', port: 6081, hostHeader: HOST }, {
      connections: 4, maxRequests: 4000, maxMs: 8000,
      during: async () => {
        await sleep(2000);
        await victim.docker.getContainer(victim.id).kill();
      },
    });
    assert.ok(load.sent > 200, `only ${load.sent} requests sent`);
    assert.equal(load.failed, 0, `${load.failed} of ${load.sent} failed: ${showFailures(load)}`);
  });

  it('answers 503 naming the app when every replica is stopped, and 200 again when one is back', async () => {
    const all = await replicas();
    assert.equal(all.length, 2);
    await Promise.all(all.map((c) => c.docker.getContainer(c.id).stop({ t: 1 }).catch(() => undefined)));
    const down = await viaVarnish(HOST);
    assert.equal(down.status, 503);
    assert.match(down.body, /No replica of app rres could answer/);
    assert.doesNotMatch(down.body, /be__/);
    assert.equal(down.backend, '');
    await all[0]!.docker.getContainer(all[0]!.id).start();
    const back = await waitForAnswer(HOST, (a) => a.status === 200, 30_000);
    assert.equal(back.status, 200, `last answer: ${back.status} ${back.body.slice(0, 120)}`);
  });
});

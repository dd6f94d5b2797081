import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

  it('loses no request when a replica dies for good under load while watch runs, and watch unroutes it', async () => {
    const all = await replicas();
    await Promise.all(all.map((c) => c.docker.getContainer(c.id).start().catch(() => undefined)));
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200, 30_000)).status, 200);
    const watch = spawn(process.execPath, ['bin/cloudmatrix.js', 'watch', '--interval', '30s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watch.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const settled = Date.now() + 15_000;
      while (!/watching/.test(out) && Date.now() < settled) await sleep(100);
      // The replicas restarted above may have new ports: wait until watch routes both (two
      // distinct backends answer; a stale backend never does, its requests are retried elsewhere).
      const seen = new Set<string>();
      const routed = Date.now() + 20_000;
      while (seen.size < 2 && Date.now() < routed) {
        const a = await viaVarnish(HOST).catch(() => null);
        if (a?.status === 200) seen.add(a.backend);
        else await sleep(100);
      }
      assert.equal(seen.size, 2, `both replicas routed before the stop: ${[...seen].join(', ')}\n${out}`);
      const [victim] = await replicas();
      let killedAt = 0;
      const load = await closedLoop({ host: '127.0.0.1', port: 6081, hostHeader: HOST }, {
        connections: 4, maxRequests: 4000, maxMs: 8000,
        during: async () => {
          await sleep(2000);
          killedAt = Date.now();
          // Stopped with no grace (SIGKILL), so its restart policy leaves it down: watch must unroute it.
          await victim!.docker.getContainer(victim!.id).stop({ t: 0 });
        },
      });
      assert.equal(load.failed, 0, `${load.failed} of ${load.sent} failed: ${showFailures(load)}`);
      const unrouted = new RegExp(`- ${victim!.node}/${PLAN}-rres-\\d`);
      const until = Date.now() + 10_000;
      while (!unrouted.test(out) && Date.now() < until) await sleep(100);
      assert.match(out, unrouted, out);
      const at = /^(\S+) varnish: loaded/m.exec(out.slice(out.search(/varnish: loaded/) - 30));
      console.log(`# a replica stopped under load with watch running: ${load.sent} requests, 0 failed; unrouted ${at ? Date.parse(at[1]!) - killedAt : '?'} ms after the stop`);
    } finally {
      watch.kill('SIGTERM');
      await once(watch, 'exit').catch(() => undefined);
    }
  });
});

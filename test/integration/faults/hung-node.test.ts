import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../src/config.js';
import type { LabManifest } from '../../../src/lab/manifest.js';
import { NodeEngines } from '../../../src/adapters/docker.js';
import { listNodes } from '../../../src/adapters/nodes.js';
import { ps } from '../../../src/deploy/cluster.js';
import { undeploy } from '../../../src/deploy/undeploy.js';
import { cli } from '../helpers/exec.js';
import { ensureLab } from '../helpers/lab.js';
import { removeApps } from '../helpers/cloud.js';
import { loadLoop, waitForAnswer } from '../helpers/varnish-http.js';
import { busyboxImage, end, fastConfig, pidOf, start, waitForOutput, whileStopped } from './helpers.js';

// A node's dockerd that stops answering (SIGSTOP) must never hang the tool: every Docker call
// has a deadline (3 s here), the node is reported unreachable, and the rest goes on.
const DEADLINE_MS = 3000;
const HOST = 'fhung.matrix.test';
let config: Config;
let lab: LabManifest;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'cmx-fault-hung-'));
const planFile = join(dir, 'faulthung.yaml');
const dockerdPid = (node: string) => pidOf(join(lab.nodes.find((n) => n.name === node)!.dir, 'docker.pid'));

function writePlan(tag: string, replicas: number): void {
  writeFileSync(planFile, `domain: matrix.test
apps:
  fhung:
    image: cloud/faulthung:${tag}
    replicas: ${replicas}
    hosts: [${HOST}]
    health: { path: /, interval: 1s, timeout: 500ms }
`);
}

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  env = { CLOUDMATRIX_CONFIG: fastConfig(dir, { dockerCallMs: DEADLINE_MS, dockerHeartbeatMs: 1000, dockerIdleMs: 5000 }) };
  await undeploy(config, 'faulthung').catch(() => undefined);
  await removeApps(config, ['fhung']);
  await busyboxImage('faulthung', '1');
  // Version 2 answers only 6 s after its start: a deploy of it waits for health long enough to stop a node meanwhile.
  await busyboxImage('faulthung', '2', 6);
});

after(async () => {
  await undeploy(config, 'faulthung').catch(() => undefined);
  await removeApps(config, ['fhung']);
});

describe('a node whose dockerd hangs', () => {
  it('before a deploy: the deploy ends within the deadline + 10 s, placing the replicas on the nodes that answer', async () => {
    writePlan('1', 2);
    const r = await whileStopped(dockerdPid('node3'), async () => {
      const t0 = Date.now();
      const res = await cli(['deploy-plan', planFile], env);
      return { ...res, ms: Date.now() - t0 };
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.ms < DEADLINE_MS + 10_000, `the deploy took ${r.ms} ms`);
    assert.match(r.stdout, /node3 is unreachable: node3: docker (ping|list containers): no answer within 3 s/);
    const mine = (await ps(config)).containers.filter((c) => c.app === 'fhung');
    assert.deepEqual(mine.map((c) => c.node).sort(), ['node1', 'node2']);
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200, 10_000)).status, 200);
    console.log(`# deploy with node3's dockerd hung: ${r.ms} ms (deadline ${DEADLINE_MS} ms)`);
  });

  it('during a deploy (while it waits for health): the app fails naming the node within the deadline, the old version serves throughout', async () => {
    writePlan('2', 3);
    const deploy = start(['deploy-plan', planFile, '--health-timeout', '60s'], env);
    let load;
    let stoppedFor = 0;
    try {
      assert.ok(await waitForOutput(deploy, /started faulthung-fhung-\d on 10\.77\.0\.203/, 30_000), deploy.output());
      const t0 = Date.now();
      load = await whileStopped(dockerdPid('node3'), async () => {
        const during = await loadLoop(HOST, { rps: 20, until: deploy.exited, maxMs: 40_000, maxRequests: 1000 });
        stoppedFor = Date.now() - t0;
        return during;
      });
    } finally {
      await end(deploy);
    }
    const done = await deploy.exited;
    assert.equal(done.code, 1, deploy.output());
    assert.match(deploy.output(), /fhung: .*node3.*no answer within 3 s/);
    assert.ok(stoppedFor < 6000 + DEADLINE_MS + 10_000, `the deploy ended ${stoppedFor} ms after node3 hung`);
    assert.equal(load.failed, 0, `requests failed while the deploy failed: ${load.failures.join('; ')}`);
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200)).body.trim(), 'faulthung 1');
  });

  it('during ps: ps answers within the deadline with the other nodes, names the hung one, exits 1', async () => {
    const r = await whileStopped(dockerdPid('node2'), async () => {
      const t0 = Date.now();
      const res = await cli(['ps'], env);
      return { ...res, ms: Date.now() - t0 };
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.ms < DEADLINE_MS + 5000, `ps took ${r.ms} ms`);
    assert.match(r.stderr, /node2: .*no answer within 3 s/);
    assert.match(r.stdout, /node1/);
  });

  it('during watch: watch keeps re-routing the other nodes', async () => {
    writePlan('1', 2);
    assert.equal((await cli(['deploy-plan', planFile], env)).code, 0);
    const onNode1 = (await ps(config)).containers.find((c) => c.app === 'fhung' && c.node === 'node1')!;
    assert.ok(onNode1, 'a replica on node1');
    const watch = start(['watch', '--interval', '2s'], env);
    try {
      assert.ok(await waitForOutput(watch, /watching/, 10_000), watch.output());
      await whileStopped(dockerdPid('node3'), async () => {
        const engines = new NodeEngines(config);
        try {
          const node1 = (await listNodes(config)).find((n) => n.name === 'node1')!;
          await engines.transport(node1).docker.getContainer(onNode1.id).restart({ t: 1 });
        } finally {
          engines.closeAll();
        }
        // Docker gives the restarted container a new host port: watch must route it (in its
        // first resync or a later one, as a "+" line or in the first "routed to" list).
        const moved = new RegExp(`node1/${onNode1.name} 10\\.77\\.0\\.201:(?!${onNode1.port}\\b)\\d+`);
        assert.ok(await waitForOutput(watch, moved, 20_000), watch.output());
      });
    } finally {
      await end(watch);
    }
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200)).status, 200);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../src/config.js';
import { loadConfig } from '../../../src/config.js';
import { DeadlineError, NodeEngines } from '../../../src/adapters/docker.js';
import { ensureImage } from '../../../src/adapters/docker/node-image.js';
import { listNodes } from '../../../src/adapters/nodes.js';
import { RegistryClient } from '../../../src/adapters/registry.js';
import { pullEndpoint } from '../../../src/adapters/registry-access.js';
import { ps } from '../../../src/deploy/cluster.js';
import { undeploy } from '../../../src/deploy/undeploy.js';
import type { LabManifest } from '../../../src/lab/manifest.js';
import { cli } from '../helpers/exec.js';
import { ensureLab } from '../helpers/lab.js';
import { removeApps } from '../helpers/cloud.js';
import { busyboxImage, fastConfig, pidOf, whileStopped } from './helpers.js';

// A registry that stops answering (SIGSTOP) fails a deploy in preflight, with nothing changed,
// and a pull that makes no progress is given up on: nothing waits forever.
let config: Config;
let lab: LabManifest;
const dir = mkdtempSync(join(tmpdir(), 'cmx-fault-registry-'));
const planFile = join(dir, 'faultreg.yaml');
const registryPid = () => pidOf(join(lab.lab, 'registry.pid'));

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  await undeploy(config, 'faultreg').catch(() => undefined);
  await busyboxImage('faultreg', '1');
  writeFileSync(planFile, 'domain: matrix.test\napps:\n  freg:\n    image: cloud/faultreg:1\n    replicas: 2\n');
});

after(async () => {
  await undeploy(config, 'faultreg').catch(() => undefined);
  await removeApps(config, ['freg']);
});

describe('a registry that hangs', () => {
  it('during preflight: the deploy fails within 30 s (default deadlines), naming the registry, and nothing changes', async () => {
    const before = (await ps(config)).containers.map((c) => c.id).sort();
    const r = await whileStopped(registryPid(), async () => {
      const t0 = Date.now();
      const res = await cli(['deploy-plan', planFile]);
      return { ...res, ms: Date.now() - t0 };
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /registry 10\.77\.0\.1:5000 is unreachable/);
    assert.ok(r.ms < 30_000, `the deploy took ${r.ms} ms to fail`);
    assert.deepEqual((await ps(config)).containers.map((c) => c.id).sort(), before, 'no container was started or stopped');
    console.log(`# deploy with the registry hung: failed after ${r.ms} ms`);
  });

  it('during a pull: the pull that makes no progress fails with a deadline error within the idle deadline', async () => {
    const tag = `p${Date.now()}`;
    await busyboxImage('faultpull', tag);
    const digest = await new RegistryClient(config.registry, pullEndpoint(config)).digest('cloud/faultpull', tag);
    assert.ok(digest);
    const ref = { registry: config.registry, repository: 'cloud/faultpull', tag, digest };
    const fast = loadConfig(fastConfig(dir, { dockerIdleMs: 4000, dockerCallMs: 5000 }));
    const engines = new NodeEngines(fast);
    try {
      const node = (await listNodes(config)).find((n) => n.name === 'node1')!;
      const r = await whileStopped(registryPid(), async () => {
        const t0 = Date.now();
        const err = await ensureImage(engines.get(node), ref, () => undefined).then(() => null, (e: unknown) => e);
        return { err, ms: Date.now() - t0 };
      });
      assert.ok(r.err instanceof DeadlineError, String(r.err));
      assert.match((r.err as Error).message, /node1: docker pull \S*cloud\/faultpull \(no progress\): no answer within 4 s/);
      assert.ok(r.ms < 4000 + 3000, `the pull was given up after ${r.ms} ms`);
      console.log(`# pull with the registry hung: given up after ${r.ms} ms (idle deadline 4000 ms)`);
    } finally {
      engines.closeAll();
    }
  });
});

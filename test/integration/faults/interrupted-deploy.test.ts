import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../src/config.js';
import { undeploy } from '../../../src/deploy/undeploy.js';
import { ps } from '../../../src/deploy/cluster.js';
import { cli } from '../helpers/exec.js';
import { ensureLab } from '../helpers/lab.js';
import { removeApps } from '../helpers/cloud.js';
import { loadLoop, waitForAnswer } from '../helpers/varnish-http.js';
import { busyboxImage, end, start, waitForOutput } from './helpers.js';

// A deploy killed (SIGKILL: a reboot, an OOM kill, a lost SSH session) while its new containers
// wait for health leaves containers that never passed a check. They must never take traffic, and
// the next deploy must neither keep them nor remove the healthy old ones before its switch.
const HOST = 'fkill.matrix.test';
let config: Config;
const dir = mkdtempSync(join(tmpdir(), 'cmx-fault-kill-'));
const planFile = join(dir, 'faultkill.yaml');

function writePlan(port: number): void {
  writeFileSync(planFile, `domain: matrix.test
apps:
  fkill:
    image: cloud/faultweb:1
    port: ${port}
    replicas: 2
    hosts: [${HOST}]
    health: { path: /, interval: 1s, timeout: 500ms }
`);
}

const appContainers = async () => (await ps(config)).containers.filter((c) => c.app === 'fkill');
const load = (maxRequests: number) => loadLoop(HOST, { rps: 25, until: new Promise(() => undefined), maxMs: (maxRequests / 25) * 1000 + 5000, maxRequests });

before(async () => {
  ({ config } = await ensureLab());
  await undeploy(config, 'faultkill').catch(() => undefined);
  await removeApps(config, ['fkill']);
  await busyboxImage('faultweb', '1');
  writePlan(8080);
  const r = await cli(['deploy-plan', planFile]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await waitForAnswer(HOST, (a) => a.status === 200, 10_000)).status, 200);
});

after(async () => {
  await undeploy(config, 'faultkill').catch(() => undefined);
  await removeApps(config, ['fkill']);
});

describe('a deploy SIGKILLed while it waits for health', () => {
  it('leaves orphans that watch never routes, status shows, and the next deploys remove after their switch: 0 failed requests', async () => {
    const good = (await appContainers()).map((c) => c.id).sort();
    assert.equal(good.length, 2);
    // Nothing listens on 9999: the new revision never turns healthy.
    writePlan(9999);
    const deploy = start(['deploy-plan', planFile, '--health-timeout', '60s']);
    try {
      assert.ok(await waitForOutput(deploy, /started faultkill-fkill-\d[\s\S]*started faultkill-fkill-\d/, 30_000), deploy.output());
    } finally {
      await end(deploy);
    }
    assert.equal((await deploy.exited).signal, 'SIGKILL');
    const orphans = (await appContainers()).filter((c) => !good.includes(c.id));
    assert.equal(orphans.length, 2, 'the killed deploy left its two new containers');

    const watch = await cli(['watch', '--once']);
    assert.equal(watch.code, 0, watch.stdout + watch.stderr);
    const afterWatch = await load(60);
    assert.equal(afterWatch.failed, 0, `requests failed after watch --once: ${afterWatch.failures.join('; ')}`);

    const status = await cli(['status', '--json']);
    const row = (JSON.parse(status.stdout) as { apps: { app: string; orphans: number; healthy: number }[] }).apps.find((a) => a.app === 'fkill')!;
    assert.deepEqual([row.orphans, row.healthy], [2, 2]);

    // The same broken plan again: the orphans are not "at the desired revision" for it; new
    // containers fail their health check, and the old ones serve throughout.
    const again = start(['deploy-plan', planFile, '--health-timeout', '4s']);
    const during = await loadLoop(HOST, { rps: 25, until: again.exited, maxMs: 60_000, maxRequests: 2000 });
    const second = await again.exited;
    assert.equal(second.code, 1, again.output());
    assert.equal(during.failed, 0, `requests failed during the second broken deploy: ${during.failures.join('; ')}`);
    assert.deepEqual((await appContainers()).filter((c) => good.includes(c.id)).map((c) => c.id).sort(), good, 'the healthy old containers stay');

    // The good plan again: nothing new to start, the orphans go, the old ones keep serving.
    writePlan(8080);
    const fix = start(['deploy-plan', planFile]);
    const fixing = await loadLoop(HOST, { rps: 25, until: fix.exited, maxMs: 60_000, maxRequests: 2000 });
    assert.equal((await fix.exited).code, 0, fix.output());
    assert.match(fix.output(), /orphan/);
    assert.equal(fixing.failed, 0, `requests failed while the orphans were removed: ${fixing.failures.join('; ')}`);
    assert.deepEqual((await appContainers()).map((c) => c.id).sort(), good, 'only the known-good containers are left');
  });
});

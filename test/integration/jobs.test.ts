import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../src/config.js';
import { NodeEngines } from '../../src/adapters/docker.js';
import { listNodes } from '../../src/adapters/nodes.js';
import { JobStore, type JobRun } from '../../src/adapters/store/jobs.js';
import { acquireLock } from '../../src/adapters/store/lock.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import { runJob } from '../../src/jobs/run-job.js';
import { deployedJobs, Scheduler } from '../../src/jobs/scheduler.js';
import { ensureLab } from './helpers/lab.js';
import { cli } from './helpers/exec.js';

// Names of this file only: plan jbs, jobs jbtick, jbfail, jbslow; their containers are labelled cloudmatrix.job=jbs/...
const dir = mkdtempSync(join(tmpdir(), 'cmx-jobs-'));
const planFile = join(dir, 'jbs.yaml');
const KEYS = ['jbs/jbtick', 'jbs/jbfail', 'jbs/jbslow'];
let config: Config;
let store: JobStore;

const plan = (tickSchedule = '"* * * * *"') => `domain: matrix.test
apps:
  jbtick:
    image: cloud/simplewebapp1:1.0
    schedule: ${tickSchedule}
    command: [/bin/busybox, sh, -c, "echo tick from $GEN; echo done"]
    env: { GEN: jobs-test }
  jbfail:
    image: cloud/simplewebapp1:1.0
    schedule: "0 3 * * *"
    command: [/bin/busybox, sh, -c, "echo about to fail; exit 3"]
  jbslow:
    image: cloud/simplewebapp1:1.0
    schedule: "*/30 * * * *"
    concurrency: forbid
    command: [/bin/busybox, sh, -c, "echo slow start; /bin/busybox sleep 4; echo slow end"]
`;

/** Every container of this file's jobs, on every node that answers. */
async function jobContainers(): Promise<{ node: string; name: string; state: string }[]> {
  const engines = new NodeEngines(config);
  const out: { node: string; name: string; state: string }[] = [];
  try {
    for (const node of await listNodes(config)) {
      const list = await engines.get(node).listContainers({ all: true, filters: { label: ['cloudmatrix.job'] } }).catch(() => []);
      for (const c of list) if ((c.Labels['cloudmatrix.job'] ?? '').startsWith('jbs/')) out.push({ node: node.name, name: c.Names[0]!.slice(1), state: c.State });
    }
  } finally {
    engines.closeAll();
  }
  return out;
}

async function removeJobContainers(): Promise<void> {
  const engines = new NodeEngines(config);
  try {
    const nodes = await listNodes(config);
    for (const c of await jobContainers()) await engines.get(nodes.find((n) => n.name === c.node)!).removeContainer(c.name).catch(() => undefined);
  } finally {
    engines.closeAll();
  }
}

before(async () => {
  ({ config } = await ensureLab());
  store = new JobStore(config.stateDir);
  const b = await cli(['create-image', 'images/simplewebapp1', 'simplewebapp1:1.0']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await cli(['install-image', 'simplewebapp1:1.0'])).code, 0);
  await undeploy(config, 'jbs').catch(() => undefined);
  for (const k of KEYS) store.forget(k);
});

after(async () => {
  if (config) {
    await undeploy(config, 'jbs').catch(() => undefined);
    await removeJobContainers();
    for (const k of KEYS) store.forget(k);
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('scheduled jobs on the lab', () => {
  it('refuses a schedule that is not five cron fields with file:line:col, exit 2, nothing deployed', async () => {
    writeFileSync(planFile, plan('"*/15 * * *"'));
    const r = await cli(['deploy-plan', planFile]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /jbs\.yaml:5:5: apps\.jbtick\.schedule: expected five cron fields .*got 4/);
    assert.equal((await cli(['jobs', '--json'])).stdout.includes('"jbs"'), false);
  });

  it('deploys jobs without starting a container; runs one at the next minute from the real timer; jobs run, forbid overlap (test clock)', async () => {
    writeFileSync(planFile, plan());
    const d = await cli(['deploy-plan', planFile]);
    assert.equal(d.code, 0, d.stdout + d.stderr);
    assert.deepEqual(await jobContainers(), []);
    const ps = JSON.parse((await cli(['ps', '--json'])).stdout) as { containers: { plan: string }[] };
    assert.equal(ps.containers.filter((c) => c.plan === 'jbs').length, 0);

    // The real scheduler, real clock, real timer: it waits for the next whole minute of `* * * * *`.
    const stop = new AbortController();
    const logs: string[] = [];
    const lock = acquireLock(join(config.stateDir, 'scheduler.lock'), 'jobs.test');
    lock.release();
    const real = new Scheduler({
      now: () => new Date(), store, log: (l) => logs.push(l),
      jobs: () => deployedJobs(config.stateDir).filter((j) => j.owner.name === 'jbs' && j.app.name === 'jbtick'),
      // as liveScheduler runs it: forbid also looks for a run still going on the nodes
      run: (j, o) => runJob(config, j.owner, j.app, { trigger: 'schedule', scheduledFor: o.scheduledFor, id: o.id, signal: stop.signal, forbidOverlap: true }),
      lock: () => acquireLock(join(config.stateDir, 'scheduler.lock'), `scheduler (jobs.test, pid ${process.pid})`),
    });
    const startedAt = Date.now();
    console.log(`# scheduler started ${60 - new Date().getUTCSeconds()} s before the next minute`);
    const scheduling = real.run(stop.signal);
    try {
      // jobs run: waits, prints the run; exit 1 when the job fails
      const ok = await cli(['jobs', 'run', 'jbs/jbtick']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^jbs\/jbtick: run \S+ succeeded \(exit 0\) on node\S* in [0-9.]+ s\n {2}tick from jobs-test\n {2}done/);
      const bad = await cli(['jobs', 'run', 'jbfail']);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /failed \(exit 3\)[^\n]*\n {2}about to fail/);
      const shown = JSON.parse((await cli(['jobs', 'jbs/jbfail', '--json'])).stdout) as { runs: JobRun[]; next: string };
      assert.deepEqual({ state: shown.runs[0]!.state, exit: shown.runs[0]!.exitCode, trigger: shown.runs[0]!.trigger, logs: shown.runs[0]!.logs }, { state: 'failed', exit: 3, trigger: 'manual', logs: ['about to fail'] });
      assert.match(shown.next, /T03:00:00\.000Z$/);

      // forbid, with a test clock: the second time comes while the first run (4 s) still goes
      let now = new Date('2026-01-01T10:00:30Z');
      const slow = new Scheduler({
        now: () => now, store, log: () => undefined,
        jobs: () => deployedJobs(config.stateDir).filter((j) => j.owner.name === 'jbs' && j.app.name === 'jbslow').map((j) => ({ ...j, app: { ...j.app, schedule: '* * * * *' } })),
        run: (j, o) => runJob(config, j.owner, j.app, { trigger: 'schedule', scheduledFor: o.scheduledFor, id: o.id }),
      });
      slow.tick();
      now = new Date('2026-01-01T10:01:00.200Z');
      const [first] = slow.tick();
      now = new Date('2026-01-01T10:02:00.200Z');
      assert.equal(slow.tick().length, 0);
      const done = await first!;
      assert.equal(done.state, 'succeeded', JSON.stringify(done));
      assert.deepEqual(done.logs, ['slow start', 'slow end']);
      assert.ok(done.durationMs! >= 4000, `${done.durationMs} ms`);
      const runs = store.runs('jbs/jbslow');
      // newest recorded first: the skip was recorded while the run went on
      assert.deepEqual(runs.map((r) => [r.state, r.scheduledFor]), [['skipped', '2026-01-01T10:02:00.000Z'], ['succeeded', '2026-01-01T10:01:00.000Z']]);

      // the real timer's run, polled for (bounded: the next minute boundary plus the run)
      const deadline = startedAt + 75_000;
      let scheduled: JobRun | undefined;
      while (Date.now() < deadline) {
        scheduled = store.runs('jbs/jbtick').find((r) => r.trigger === 'schedule' && r.state !== 'running');
        if (scheduled) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(scheduled, `no scheduled run of jbtick within 75 s; scheduler said: ${logs.join(' | ')}`);
      assert.equal(scheduled.state, 'succeeded', JSON.stringify(scheduled));
      assert.equal(scheduled.exitCode, 0);
      assert.deepEqual(scheduled.logs, ['tick from jobs-test', 'done']);
      assert.match(scheduled.scheduledFor!, /:00\.000Z$/);
      assert.ok(Date.parse(scheduled.startedAt) - Date.parse(scheduled.scheduledFor!) < 5000, `started on time: ${scheduled.startedAt} for ${scheduled.scheduledFor}`);
    } finally {
      stop.abort();
      await scheduling;
    }
    // finished runs' containers are kept for their logs (at most 5 per job), never running
    const left = await jobContainers();
    assert.ok(left.length >= 1 && left.every((c) => c.state === 'exited'), JSON.stringify(left));
  });

  it('undeploy removes the containers of its jobs\' runs and forgets their schedule (no catch-up on a later deploy)', async () => {
    const u = await cli(['undeploy', 'jbs']);
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.deepEqual(await jobContainers(), []);
    assert.equal(store.lastScheduled('jbs/jbtick'), null);
    assert.equal((JSON.parse((await cli(['jobs', '--json'])).stdout) as { jobs: { plan: string }[] }).jobs.some((j) => j.plan === 'jbs'), false);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/config.js';
import { History } from '../../src/adapters/store/history.js';
import { ScaleStore } from '../../src/adapters/store/scale-state.js';
import { ps } from '../../src/deploy/cluster.js';
import { undeploy } from '../../src/deploy/undeploy.js';
import type { LabManifest } from '../../src/lab/manifest.js';
import { cli } from './helpers/exec.js';
import { removeApps } from './helpers/cloud.js';
import { ensureLab } from './helpers/lab.js';
import { viaVarnish, waitForAnswer } from './helpers/varnish-http.js';
import { busyboxImage, end, fastConfig, start, waitForOutput, type Running } from './faults/helpers.js';

// One app autoscaled between 1 and 4 replicas (2 per node at most) on a 10 req/s target, a
// 5 s window and a 10 s scale-down delay; `watch` runs the autoscaler. Its replicas answer
// 3 s after their start, so a scaling holds the deploy lock long enough for a deploy to meet it.
const PLAN = 'autoscl';
const APP = 'ascale';
const HOST = 'ascale.matrix.test';
const TARGET = 10;
const LOAD_RPS = 35;
const DEADLINE_MS = 3000;
const dir = mkdtempSync(join(tmpdir(), 'cmx-autoscale-'));
const planFile = join(dir, `${PLAN}.yaml`);
let config: Config;
/** the lab's config with 3 s Docker deadlines (a node cut off is given up on quickly) */
let fast: Config;
let lab: LabManifest;
let env: Record<string, string>;
let watch: Running | null = null;

const count = () => new ScaleStore(config.stateDir).entries()[`${PLAN}/${APP}`];
const running = async () => (await ps(fast)).containers.filter((c) => c.app === APP && c.state === 'running');

/** Polls `check` every 250 ms until it holds or `maxMs` pass; returns whether it held. */
async function until(check: () => Promise<boolean> | boolean, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

interface Load {
  sent: number;
  failed: number;
  failures: string[];
  /** when each backend answered first (ms since epoch) */
  firstSeen: Map<string, number>;
}

/**
 * A fixed rate through Varnish on loopback until `stop` says so, never longer than maxMs nor
 * more than maxRequests. Records every failure and when each backend first answered.
 */
function load(rps: number, maxMs: number): { stop: () => void; done: Promise<Load>; result: Load } {
  const result: Load = { sent: 0, failed: 0, failures: [], firstSeen: new Map() };
  let stopped = false;
  const maxRequests = Math.ceil((rps * maxMs) / 1000);
  const done = (async () => {
    const stopAt = Date.now() + maxMs;
    const inflight: Promise<void>[] = [];
    const t0 = Date.now();
    while (!stopped && Date.now() < stopAt && result.sent < maxRequests) {
      result.sent++;
      inflight.push(viaVarnish(HOST, '/', 5000).then(
        (a) => {
          if (a.status !== 200) {
            result.failed++;
            if (result.failures.length < 5) result.failures.push(`${a.status} ${a.body.slice(0, 80)}`);
          } else if (!result.firstSeen.has(a.backend)) result.firstSeen.set(a.backend, Date.now());
        },
        (e: Error) => {
          result.failed++;
          if (result.failures.length < 5) result.failures.push(e.message);
        },
      ));
      // paced on the clock, not on the gaps, so the rate holds
      const next = t0 + (result.sent * 1000) / rps;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    await Promise.all(inflight);
    return result;
  })();
  return { stop: () => (stopped = true), done, result };
}

function writePlan(): void {
  writeFileSync(planFile, [
    'domain: matrix.test', 'apps:', `  ${APP}:`, '    image: cloud/autoscale:1', '    replicas: { min: 1, max: 4 }', '    maxPerNode: 2',
    `    autoscale: { requestsPerSecond: ${TARGET}, window: 5s, scaleDownDelay: 10s }`, `    hosts: [${HOST}]`,
    '    health: { path: /, interval: 1s, timeout: 500ms }', '    timeouts: { connect: 1s }', '',
  ].join('\n'));
}

function link(node: string, state: 'up' | 'down'): void {
  const veth = lab.nodes.find((n) => n.name === node)!.veth;
  const r = spawnSync('ip', ['link', 'set', veth, state], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip link set ${veth} ${state}: ${r.stderr}`);
}

before(async () => {
  ({ config, manifest: lab } = await ensureLab());
  env = { CLOUDMATRIX_CONFIG: fastConfig(dir, { dockerCallMs: DEADLINE_MS, dockerHeartbeatMs: 1000 }) };
  fast = loadConfig(env.CLOUDMATRIX_CONFIG);
  await undeploy(config, PLAN).catch(() => undefined);
  await removeApps(config, [APP]);
  await busyboxImage('autoscale', '1', 3);
  writePlan();
  const r = await cli(['deploy-plan', planFile], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

after(async () => {
  try {
    if (watch) writeFileSync(join(tmpdir(), 'cmx-autoscale-watch.log'), watch.output());
    if (watch) {
      watch.child.kill('SIGTERM');
      await Promise.race([watch.exited, new Promise((r) => setTimeout(r, 30_000))]);
      await end(watch);
    }
  } finally {
    await undeploy(config, PLAN).catch((e: Error) => process.stderr.write(`undeploy ${PLAN}: ${e.message}\n`));
    await removeApps(config, [APP]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('autoscale', () => {
  it('scale APP N: bad input changes nothing (exit 2, one line); a count by hand pins until the next deploy-plan', async () => {
    assert.equal(count()?.replicas, 1);
    for (const args of [[APP, '9'], [APP, 'two'], ['nosuchapp', '1']]) {
      const r = await cli(['scale', ...args], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^cloudmatrix: (N|APP): /);
    }
    assert.equal((await running()).length, 1);
    // Baseline for the closing note: the deploy path alone, from the command to the second replica serving.
    const t0 = Date.now();
    const up = await cli(['scale', APP, '2'], env);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const baselineMs = Date.now() - t0;
    assert.deepEqual({ replicas: count()?.replicas, pinned: count()?.pinned }, { replicas: 2, pinned: true });
    assert.equal((await running()).length, 2);
    assert.equal((await cli(['scale', APP, '1'], env)).code, 0);
    const redeploy = await cli(['deploy-plan', planFile], env);
    assert.equal(redeploy.code, 0, redeploy.stdout + redeploy.stderr);
    assert.deepEqual({ replicas: count()?.replicas, pinned: count()?.pinned }, { replicas: 1, pinned: false });
    const hist = await cli(['history', APP], env);
    assert.match(hist.stdout, /scale +autoscl .*\n {4}scale ascale 1 -> 2 \(pinned until the next deploy-plan of autoscl\)/);
    console.log(`# baseline: cloudmatrix scale ${APP} 2 (deploy path, replicas healthy after 3 s): ${baselineMs} ms to the second replica serving`);
  });

  it('follows the load: 1 -> at least 3 replicas under load, back to 1 after the delay; no request fails', async () => {
    watch = start(['watch', '--interval', '30s'], env);
    assert.ok(await waitForOutput(watch, /watching/, 15_000), watch.output());
    assert.equal((await waitForAnswer(HOST, (a) => a.status === 200)).status, 200);
    const first = (await viaVarnish(HOST)).backend;
    const mark = watch.output().length;
    const t0 = Date.now();
    const busy = load(LOAD_RPS, 60_000);
    let scaledUp = false;
    try {
      scaledUp = await until(() => busy.result.firstSeen.size >= 3, 45_000);
    } finally {
      busy.stop();
    }
    const high = await busy.done;
    const stoppedAt = Date.now();
    assert.ok(scaledUp, `only ${high.firstSeen.size} backend(s) answered; watch said:\n${watch.output()}`);
    assert.equal(high.failed, 0, `${high.failed} of ${high.sent} failed: ${high.failures.join('; ')}`);
    const firstNew = Math.min(...[...high.firstSeen].filter(([b]) => b !== first).map(([, t]) => t)) - t0;
    const decided = Date.parse(/^(\S+) autoscale ascale 1 -> /m.exec(watch.output().slice(mark))?.[1] ?? '') - t0;
    // the count is written when the deploy that routed them ends (after its switch, the plan save and the history)
    assert.ok(await until(() => (count()?.replicas ?? 0) >= 3, 15_000), JSON.stringify(count()));

    // A trickle well under the target: the count must come down after the delay, still without a failure.
    const trickle = load(5, 60_000);
    let down = false;
    try {
      down = await until(async () => count()?.replicas === 1 && (await running()).length === 1, 50_000);
    } finally {
      trickle.stop();
    }
    const low = await trickle.done;
    const downMs = Date.now() - stoppedAt;
    assert.ok(down, `still ${count()?.replicas} replicas; watch said:\n${watch.output()}`);
    assert.equal(low.failed, 0, `${low.failed} of ${low.sent} failed during the scale-down: ${low.failures.join('; ')}`);
    const records = new History(config.stateDir).list(APP).filter((r) => r.kind === 'autoscale');
    const upNote = records.find((r) => /^autoscale ascale 1 -> [234]: [\d.]+ req\/s over 5s, target 10\/replica$/.test(r.note ?? ''));
    const downRec = records.find((r) => / -> 1: /.test(r.note ?? '') && r.startedAt > new Date(stoppedAt).toISOString());
    assert.ok(upNote && downRec, JSON.stringify(records.map((r) => r.note)));
    const downDone = Date.parse(downRec.finishedAt) - stoppedAt;
    console.log(`# load ${LOAD_RPS} req/s (target ${TARGET}/replica): ${high.sent} requests, 0 failed; decided ${decided} ms and first new replica serving ${firstNew} ms after the load started; ${upNote.note}`);
    console.log(`# load stopped: scale-down to 1 finished ${downDone} ms later (window 5 s + scaleDownDelay 10 s), seen by the test after ${downMs} ms; ${low.sent} requests at 5 req/s meanwhile, 0 failed`);
  });

  it('a deploy-plan during a scaling waits for the lock and keeps the autoscaled count', async () => {
    assert.ok(watch);
    const mark = watch.output().length;
    const busy = load(LOAD_RPS, 90_000);
    let deploy;
    try {
      const saw = await until(() => /autoscale ascale 1 -> \d/.test(watch!.output().slice(mark)), 30_000);
      assert.ok(saw, watch.output().slice(mark));
      deploy = await cli(['deploy-plan', planFile], env);
      // the autoscaler goes on after the deploy: the count is written when its switch is done
      assert.ok(await until(async () => (count()?.replicas ?? 0) >= 3 && (await running()).length >= 3, 30_000), watch.output().slice(mark));
    } finally {
      busy.stop();
    }
    const r = await busy.done;
    assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
    assert.match(deploy.stdout, /waiting for the deploy lock: autoscale ascale 1 -> \d/);
    assert.doesNotMatch(deploy.stdout, /\(excess\)/, 'the deploy removed autoscaled replicas');
    const kept = count()?.replicas ?? 0;
    assert.ok(kept >= 3, `the deploy reset the count to ${kept}`);
    assert.equal(r.failed, 0, `${r.failed} of ${r.sent} failed: ${r.failures.join('; ')}`);
    console.log(`# deploy-plan during an autoscale: waited for the lock, count kept at ${kept}; ${r.sent} requests, 0 failed`);
  });

  it('a node lost while scaled up: the replicas run within range on the other nodes', async () => {
    assert.ok(watch);
    const busy = load(LOAD_RPS, 120_000);
    let placed = false;
    let t0 = 0;
    let before: Awaited<ReturnType<typeof running>> = [];
    let victim = '';
    let mark = 0;
    try {
      // under load the count stays at max: 4 replicas, 2 per node at most
      assert.ok(await until(async () => count()?.replicas === 4 && (before = await running()).length === 4, 40_000), watch.output());
      victim = before.map((c) => c.node).sort().find((n) => n !== 'node1') ?? before[0]!.node;
      mark = watch.output().length;
      t0 = Date.now();
      link(victim, 'down');
      try {
        // the other two nodes hold 4 (2 each): the autoscaler must have placed the lost ones again
        placed = await until(async () => {
          const mine = (await ps(fast).catch(() => ({ containers: [] }))).containers.filter((c) => c.app === APP && c.state === 'running' && c.node !== victim);
          return mine.length === 4;
        }, 60_000);
      } finally {
        link(victim, 'up');
      }
    } finally {
      busy.stop();
    }
    const r = await busy.done;
    const took = Date.now() - t0;
    const log = watch.output().slice(mark);
    const at = (re: RegExp) => Date.parse(re.exec(log)?.[1] ?? '') - t0;
    const repairAt = at(/^(\S+) autoscale ascale \d -> \d: \d of \d replicas serve/m);
    const routedAt = at(/replicas serve[\s\S]*?^(\S+) +\[ascale\] varnish now routes to/m);
    assert.ok(placed, `not placed on the others; watch said:\n${watch.output().slice(mark)}`);
    assert.match(watch.output().slice(mark), new RegExp(`autoscale ascale \\d -> \\d: \\d of \\d replicas serve \\(${victim}`));
    const c = count()?.replicas ?? 0;
    assert.ok(c >= 1 && c <= 4, `count ${c}`);
    console.log(`# ${victim} cut off (link down) with ${before.length} replicas: repair decided after ${repairAt} ms, the replacements routed after ${routedAt} ms, seen by the test after ${took} ms; ${r.sent} requests, ${r.failed} failed${r.failed ? ` (${r.failures.join('; ')})` : ''}`);
    assert.equal(r.failed, 0, `${r.failed} of ${r.sent} failed: ${r.failures.join('; ')}`);
  });
});

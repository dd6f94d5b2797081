import { spawnSync } from 'node:child_process';
import { CHECK_CC_COMMAND } from '../src/adapters/varnish.js';
import { startPrivateVarnishd } from './private-varnishd.js';
import { readVclTemplates } from '../src/adapters/vcl-templates.js';
import type { RoutingTable } from '../src/model/routing.js';
import { renderVcl } from '../src/model/vcl.js';
import { renderSplitVcl } from '../src/model/vcl-split.js';
import { median, type BenchResult } from './lib.js';

// #24 part 3: the switch of one app in a 1,000-app cluster, one VCL per app under labels against
// the single VCL, each on its own private varnishd (Debian's, loopback), in the same run and with
// the same cc_command (the lab's: -O0 -g0). CMX_BENCH_APPS changes the size.

const APPS = Number(process.env.CMX_BENCH_APPS ?? 1000);
const health = { path: '/health', intervalMs: 3_600_000, timeoutMs: 1000 };

function table(n: number, port0: number): RoutingTable {
  return {
    apps: Array.from({ length: n }, (_, i) => ({
      name: `app${i}`,
      plan: 'bench',
      hosts: [`app${i}.bench.test`],
      paths: [],
      director: 'round_robin' as const,
      health,
      // port 9 on loopback addresses: probes (an hour apart) fail fast and load nothing
      backends: [0, 1, 2].map((k) => ({ container: `app${i}-${k}`, node: `node${k + 1}`, address: `127.0.${k}.${(i % 250) + 1}`, port: i === 0 && k === 0 ? port0 : 9 })),
    })),
  };
}

function startVarnishd() {
  return startPrivateVarnishd({ args: ['-p', `cc_command=${CHECK_CC_COMMAND}`, '-p', 'cli_limit=4m', '-p', 'max_vcl_handling=0'], precheck: false });
}

/** Resident memory of varnishd's child (the cache process), in MiB. */
function childRssMiB(parent: number): number {
  const kids = spawnSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  let kb = 0;
  for (const k of kids) kb += Number(/VmRSS:\s+(\d+)/.exec(spawnSync('cat', [`/proc/${k}/status`], { encoding: 'utf8' }).stdout)?.[1] ?? 0);
  return kb / 1024;
}

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

export async function run(): Promise<BenchResult[]> {
  if (spawnSync('varnishd', ['-V']).error) {
    console.error('vcl-switch.bench: varnishd is not installed; skipped');
    return [];
  }
  const templates = readVclTemplates();
  const single = await startVarnishd();
  const split = await startVarnishd();
  try {
    const rounds = 3;
    const singleTimes: number[] = [];
    const splitTimes: number[] = [];
    // Both start from the whole cluster routed.
    const first = { single: await time(() => single.varnish.reload(renderVcl(table(APPS, 1000), templates))) };
    const firstSplit = await time(() => split.varnish.reloadSplit(renderSplitVcl(table(APPS, 1000), templates)!));
    console.error(`vcl-switch: first load of ${APPS} apps: single VCL ${first.single.toFixed(0)} ms, one VCL per app ${firstSplit.toFixed(0)} ms`);
    // The switch: app0's first backend moves to another port (a deploy of app0); alternate so drift hits both.
    for (let r = 0; r < rounds; r++) {
      const t = table(APPS, 2000 + r);
      singleTimes.push(await time(() => single.varnish.reload(renderVcl(t, templates))));
      splitTimes.push(await time(async () => {
        const res = await split.varnish.reloadSplit(renderSplitVcl(t, templates)!);
        if (res.apps.length !== 1 || res.apps[0] !== 'app0') throw new Error(`expected only app0 to change, got ${res.apps.join(',')}`);
      }));
    }
    // A new app: its VCL and the top.
    const added = table(APPS + 1, 3000);
    const addSplit = await time(() => split.varnish.reloadSplit(renderSplitVcl(added, templates)!));
    const addSingle = await time(() => single.varnish.reload(renderVcl(added, templates)));
    const s = median(splitTimes);
    const b = median(singleTimes);
    return [
      {
        name: `switch of one app, ${APPS} apps routed (Varnish ${(await split.varnish.supportsLabels()) ? '5+' : '4'}): one VCL per app under labels`,
        value: s,
        unit: 'ms',
        baseline: { name: 'the single VCL', value: b },
        ratio: s / b,
        goal: '< 500 ms',
        ok: s < 500,
      },
      { name: `add one app to ${APPS} (its VCL + the dispatch VCL)`, value: addSplit, unit: 'ms', baseline: { name: 'the single VCL', value: addSingle }, ratio: addSplit / addSingle, goal: 'recorded', ok: true },
      { name: `first load of ${APPS} apps, one VCL per app`, value: firstSplit, unit: 'ms', baseline: { name: 'the single VCL', value: first.single }, ratio: firstSplit / first.single, goal: 'recorded', ok: true },
      { name: `varnishd cache process RSS, ${APPS} apps, one VCL per app`, value: childRssMiB(split.pid), unit: 'MiB', baseline: { name: 'the single VCL', value: childRssMiB(single.pid) }, ratio: childRssMiB(split.pid) / childRssMiB(single.pid), goal: 'recorded', ok: true },
    ];
  } finally {
    await single.stop();
    await split.stop();
  }
}

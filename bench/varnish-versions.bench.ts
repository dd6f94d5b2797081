// Per Varnish version (Debian's on PATH and the 4.1.11 / 6.0.16 that scripts/build-varnish.sh
// builds): a 1,000-app reload (compile check + vcl.inline + vcl.use, as update-proxy does it) on a
// private varnishd of that version, beside the system Varnish's figure from the same run; and what
// the build costs (first build, recorded by the build script; a cached run, measured here).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCcCommand, type Varnish } from '../src/adapters/varnish.js';
import { BUILT_VERSIONS, varnishCacheDir, varnishdsUnderTest, type Varnishd } from '../src/adapters/varnish/builds.js';
import { readVclTemplates } from '../src/adapters/vcl-templates.js';
import type { RoutingTable } from '../src/model/routing.js';
import { renderVcl } from '../src/model/vcl.js';
import { median, timeRuns, type BenchResult } from './lib.js';
import { startPrivateVarnishd } from './private-varnishd.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-varnish.sh', import.meta.url));

/** 1,000 apps x 3 backends on loopback port 9 (nothing answers); probes an hour apart. */
function table(n: number, extraHost: string): RoutingTable {
  return {
    apps: Array.from({ length: n }, (_, i) => ({
      name: `app${i}`,
      hosts: [`app${i}.bench.test`, ...(i === 0 ? [extraHost] : [])],
      paths: [],
      director: 'round_robin' as const,
      health: { path: '/health', intervalMs: 3_600_000, timeoutMs: 1000 },
      backends: [0, 1, 2].map((k) => ({ container: `app${i}-${k}`, node: `node${k + 1}`, address: `127.0.${k}.${(i % 250) + 1}`, port: 9 })),
    })),
  };
}

/** A private varnishd of that version on loopback, its child compiling with the fast cc_command of its version. */
async function withVarnishd<T>(v: Varnishd, fn: (varnish: Varnish) => Promise<T>): Promise<T> {
  const p = await startPrivateVarnishd({ varnishd: v.varnishd, args: ['-p', `cc_command=${checkCcCommand(v.version)}`] });
  try {
    return await fn(p.varnish);
  } finally {
    await p.stop();
  }
}

/** Median ms of a 1,000-app reload with its compile check, 3 runs, each a VCL not loaded before. */
async function reload1000(v: Varnishd): Promise<number> {
  let n = 0;
  return withVarnishd(v, async (varnish) => {
    const fresh = () => renderVcl(table(1000, `v${n++}.bench.test`), readVclTemplates());
    return median(await timeRuns(async () => {
      const r = await varnish.reload(fresh());
      if (!r.changed) throw new Error('reload changed nothing');
    }, 3, 0));
  });
}

export async function run(): Promise<BenchResult[]> {
  const { found, missing } = varnishdsUnderTest();
  for (const m of missing) console.error(`varnish-versions.bench: varnish ${m}: skipped`);
  const system = found.find((v) => !v.varnishd.includes('/'));
  const results: BenchResult[] = [];
  const times = new Map<string, number>();
  for (const v of found) times.set(v.label, await reload1000(v));
  const base = system ? times.get(system.label) : undefined;
  for (const v of found) {
    const value = times.get(v.label)!;
    const isBase = v === system;
    results.push({
      name: `reload 1,000 apps (check + load + use), Varnish ${v.label}${isBase ? ' (system)' : ''}`,
      value,
      unit: 'ms',
      ...(base !== undefined && !isBase ? { baseline: { name: `Varnish ${system!.label}`, value: base }, ratio: value / base } : {}),
      goal: 'recorded',
      ok: true,
    });
  }
  for (const version of BUILT_VERSIONS) {
    const prefix = join(varnishCacheDir(), version);
    if (!existsSync(join(prefix, '.complete'))) continue;
    const first = existsSync(join(prefix, '.build-seconds')) ? Number(readFileSync(join(prefix, '.build-seconds'), 'utf8')) : NaN;
    const cached = median(await timeRuns(() => {
      const r = spawnSync(BUILD_SCRIPT, [version], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`build-varnish.sh ${version}: ${r.stderr}`);
    }, 3, 0));
    results.push({
      name: `build-varnish.sh ${version}, cached run`,
      value: cached,
      unit: 'ms',
      ...(Number.isFinite(first) ? { baseline: { name: 'first build', value: first * 1000 }, ratio: cached / (first * 1000) } : {}),
      goal: 'recorded',
      ok: true,
    });
  }
  return results;
}

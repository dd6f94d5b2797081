// The varnishd binaries the tests and benchmarks run against: Debian's (on PATH) and the older
// lines that scripts/build-varnish.sh builds into a cache dir outside the checkout.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseVarnishVersion, type VarnishVersion } from './version.js';

/** Versions built from ../shared/vendor and tested beside the system's Varnish. */
export const BUILT_VERSIONS = ['4.1.11', '6.0.16'] as const;

export const varnishCacheDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.CMX_VARNISH_CACHE || '/var/cache/cloudmatrix/varnish';

export type Varnishd = {
  /** What tests print: the version, e.g. "4.1.11". */
  label: string;
  varnishd: string;
  /** varnishtest of the same build (or the one on PATH for the system's varnishd). */
  varnishtest: string;
  /** PATH for child processes, so that varnishtest starts the varnishd of its own build. */
  path: string;
  version: VarnishVersion | null;
};

export type VarnishdSearch = { found: Varnishd[]; missing: string[] };

function describe(varnishd: string, env: NodeJS.ProcessEnv): Varnishd | null {
  const r = spawnSync(varnishd, ['-V'], { encoding: 'utf8' });
  if (r.error) return null;
  const version = parseVarnishVersion(`${r.stderr}${r.stdout}`);
  const onPath = !varnishd.includes('/');
  const sbin = dirname(varnishd);
  const bin = join(dirname(sbin), 'bin');
  const varnishtest = !onPath && existsSync(join(bin, 'varnishtest')) ? join(bin, 'varnishtest') : 'varnishtest';
  const path = onPath ? (env.PATH ?? '') : [sbin, bin, env.PATH ?? ''].join(':');
  return { label: version?.text ?? varnishd, varnishd, varnishtest, path, version };
}

/**
 * CMX_VARNISHD (paths separated by ":" or ","; "varnishd" means the one on PATH) names them exactly.
 * Otherwise: the varnishd on PATH and every finished build of BUILT_VERSIONS in the cache dir; a
 * version not built yet is named in `missing` (scripts/test.sh builds them before the tests).
 */
export function varnishdsUnderTest(env: NodeJS.ProcessEnv = process.env): VarnishdSearch {
  if (env.CMX_VARNISHD) {
    const found: Varnishd[] = [];
    const missing: string[] = [];
    for (const p of env.CMX_VARNISHD.split(/[:,]/).filter(Boolean)) {
      const d = describe(p, env);
      if (d) found.push(d);
      else missing.push(p);
    }
    return { found, missing };
  }
  const found: Varnishd[] = [];
  const missing: string[] = [];
  const system = describe('varnishd', env);
  if (system) found.push(system);
  else missing.push('varnishd on PATH');
  for (const v of BUILT_VERSIONS) {
    const prefix = join(varnishCacheDir(env), v);
    const complete = existsSync(join(prefix, '.complete')) && readFileSync(join(prefix, '.complete'), 'utf8').trim() !== '';
    const d = complete ? describe(join(prefix, 'sbin', 'varnishd'), env) : null;
    if (d) found.push(d);
    else missing.push(`${v} (not built: scripts/build-varnish.sh ${v})`);
  }
  return { found, missing };
}

import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseVarnishVersion } from '../adapters/varnish/version.js';
import { UserError } from '../errors.js';

export type LabVarnishd = { path: string; version: string };

/**
 * `lab up --varnish PATH`: the varnishd binary the lab's router runs, checked before anything
 * starts (a file, executable, and `-V` names a Varnish version). Absent: "varnishd" on PATH.
 */
export function varnishdOption(raw: string | undefined): LabVarnishd {
  if (raw === undefined || raw === 'varnishd') return { path: 'varnishd', version: 'on PATH' };
  const path = resolve(raw);
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    accessSync(path, constants.X_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message === 'not a file' ? 'not a file' : 'not executable';
    throw new UserError(`--varnish: ${path}: ${why}`);
  }
  const r = spawnSync(path, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const version = parseVarnishVersion(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  if (!version) throw new UserError(`--varnish: ${path} -V names no Varnish version; expected a varnishd binary`);
  return { path, version: version.text };
}

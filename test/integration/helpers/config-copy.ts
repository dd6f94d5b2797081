import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configPath, loadConfig, type Config } from '../../../src/config.js';

/**
 * The lab's config with some fields changed, in `dir`: for commands run with CLOUDMATRIX_CONFIG
 * pointing at it (the state dir stays the lab's, so routes and history stay shared).
 */
export function configCopy(dir: string, change: Record<string, unknown>): { file: string; config: Config } {
  const raw = JSON.parse(readFileSync(configPath(), 'utf8')) as Record<string, unknown>;
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...raw, ...change }, null, 2), { mode: 0o600 });
  return { file, config: loadConfig(file) };
}

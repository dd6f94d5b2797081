import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes a file so that readers see the old or the new content, never a part (fsync before the rename). */
export function writeAtomic(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Where a store's complaints go (a corrupt file set aside); the CLI prints them, the API logs them. */
export type StoreWarn = (message: string) => void;
export const warnOnStderr: StoreWarn = (m) => process.stderr.write(`cloudmatrix: warning: ${m}\n`);

/**
 * A JSON state file, or `fallback` when there is none. A file that does not parse is never a
 * crash: it is moved aside (its path and the new name are told to `warn`) and `fallback` is used.
 */
export function readJson<T>(path: string, fallback: T, warn: StoreWarn = warnOnStderr): T {
  if (!existsSync(path)) return fallback;
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    try {
      renameSync(path, aside);
      warn(`${path} is corrupt (${(err as Error).message}); set aside as ${aside}`);
    } catch {
      warn(`${path} is corrupt (${(err as Error).message}) and could not be set aside`);
    }
    return fallback;
  }
}

/** The object under `field` of a JSON state file (`{"<field>": {...}}`), or `{}` when there is none or it is no object. */
export function readJsonRecord<T>(path: string, field: string, warn: StoreWarn = warnOnStderr): Record<string, T> {
  const f = readJson<Record<string, unknown> | null>(path, null, warn);
  const inner = f && typeof f === 'object' ? f[field] : undefined;
  return inner && typeof inner === 'object' ? (inner as Record<string, T>) : {};
}

export function writeJson(path: string, value: unknown): void {
  writeAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** writeJson, but only when the file does not hold that text already; true when it wrote. */
export function writeJsonIfChanged(path: string, value: unknown): boolean {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    if (readFileSync(path, 'utf8') === text) return false;
  } catch {
    // no file yet (or unreadable): write it
  }
  writeAtomic(path, text);
  return true;
}

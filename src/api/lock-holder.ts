import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LockHolder } from '../adapters/store/lock.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who holds the deploy lock, when a live process does; a stale lock (holder gone on this host)
 * is no conflict, since the next deploy takes it over. Read-only: acquireLock decides for real.
 */
export function liveLockHolder(path: string): LockHolder | null {
  let holder: LockHolder;
  try {
    holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return null;
  }
  if (typeof holder?.pid !== 'number') return null;
  return holder.host !== hostname() || alive(holder.pid) ? holder : null;
}

import { hostname } from 'node:os';
import { alive, readHolder, type LockHolder } from '../adapters/store/lock.js';

/**
 * Who holds the deploy lock, when a live process does; a stale lock (holder gone on this host)
 * is no conflict, since the next deploy takes it over. Read-only: acquireLock decides for real.
 */
export function liveLockHolder(path: string): LockHolder | null {
  const holder = readHolder(path);
  if (typeof holder?.pid !== 'number') return null;
  return holder.host !== hostname() || alive(holder.pid) ? holder : null;
}

import { acquireLock, acquireLockWaiting, readHolder, type Lock, type LockHolder } from '../adapters/store/lock.js';
import { EnvError } from '../errors.js';

/** Lock holders that change only replica counts, and finish within a health timeout: worth waiting for. */
export const SCALING_HOLDER = /^(autoscale|scale) /;

/**
 * Takes the deploy lock. A holder that is only scaling (the autoscaler, `cloudmatrix scale`) is
 * waited for, up to `waitMs`; any other holder refuses at once, as before.
 */
export async function takeDeployLock(
  path: string, command: string, opts: { waitMs: number; log: (line: string) => void; onStale: (h: LockHolder) => void },
): Promise<Lock> {
  try {
    return acquireLock(path, command, opts.onStale);
  } catch (err) {
    const h = readHolder(path);
    if (!(err instanceof EnvError) || opts.waitMs <= 0 || !h || !SCALING_HOLDER.test(h.command)) throw err;
    opts.log(`waiting for the deploy lock: ${h.command} (pid ${h.pid}) holds it since ${h.startedAt}`);
    return acquireLockWaiting(path, command, opts.waitMs, opts.onStale);
  }
}

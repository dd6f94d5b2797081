import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { EnvError } from '../../errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export interface Lock {
  holder: LockHolder;
  release(): void;
}

/** Whether a process of this host still runs (EPERM: it does, under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

export function readHolder(path: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return null;
  }
}

/**
 * Takes the deploy lock (a file created with O_EXCL). A lock whose holder process is gone on
 * this host is taken over, and `onStale` is told so; a live holder makes this throw with its
 * pid, command and start time.
 */
export function acquireLock(path: string, command: string, onStale: (h: LockHolder) => void = () => {}): Lock {
  mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      let released = false;
      return {
        holder,
        release() {
          if (released) return;
          released = true;
          if (readHolder(path)?.pid === process.pid) unlinkSync(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = readHolder(path);
    if (!current && Date.now() - mtimeMs(path) < 2000) {
      throw new EnvError(`another deploy is taking the lock ${path} right now`);
    }
    if (current && (current.host !== holder.host || alive(current.pid))) {
      throw new EnvError(
        `another deploy holds the lock: pid ${current.pid} on ${current.host} (${current.command}), started ${current.startedAt}`,
      );
    }
    // Stale (holder gone) or unreadable: move it aside atomically; only one taker wins the rename.
    try {
      renameSync(path, `${path}.stale-${process.pid}`);
      unlinkSync(`${path}.stale-${process.pid}`);
      if (current) onStale(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new EnvError(`could not take the deploy lock ${path}`);
}

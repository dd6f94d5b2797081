import { spawn, spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
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

export function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h?.pid === 'number' ? h : null;
  } catch {
    return null;
  }
}

/**
 * flock(2) on an open file, through util-linux's flock(1) on an inherited descriptor: the lock
 * belongs to the open file description, so it stays ours after flock(1) exits and the kernel
 * drops it when our process dies, however it dies. No stale lock can outlive its holder, and
 * no two processes can both take one over.
 */
function flock(fd: number, mode: '-x' | '-s', waitSeconds: number): boolean {
  const r = spawnSync('flock', [mode, '-w', String(waitSeconds), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  if (r.error) throw new EnvError(`cannot run flock(1) (util-linux): ${r.error.message}`);
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  throw new EnvError(`flock(1) failed: ${r.stderr.toString().trim() || `exit ${r.status}`}`);
}

/**
 * Runs `fn` holding an exclusive flock on `path`, waiting up to `waitSeconds` for another holder:
 * for short read-modify-write updates of a state file, so that two writers never lose one's update.
 */
export function withFileLock<T>(path: string, waitSeconds: number, fn: () => T): T {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a+', 0o600);
  try {
    if (!flock(fd, '-x', waitSeconds)) throw new EnvError(`${path}: still locked by another cloudmatrix process after ${waitSeconds} s`);
    return fn();
  } finally {
    closeSync(fd);
  }
}

function busyError(path: string): EnvError {
  const h = readHolder(path);
  return new EnvError(
    h
      ? `another deploy holds the lock: pid ${h.pid} on ${h.host} (${h.command}), started ${h.startedAt}`
      : `another deploy is taking the lock ${path} right now`,
  );
}

/**
 * Takes the deploy lock: an exclusive flock on `path`, whose content names the holder. A holder
 * that died left its name in the file but not its lock: that is a stale lock, taken over, and
 * `onStale` is told whose it was. A live holder makes this throw with its pid, command and start time.
 */
export function acquireLock(path: string, command: string, onStale: (h: LockHolder) => void = () => {}): Lock {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a+', 0o644);
  try {
    // A short wait covers a reader's brief shared lock (liveLockHolder), never a real holder.
    if (!flock(fd, '-x', 1)) throw busyError(path);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return held(path, fd, command, onStale);
}

/** flock(1) in the background, so that the event loop runs while it waits. */
function flockAsync(fd: number, waitSeconds: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-x', '-w', String(waitSeconds), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new EnvError(`cannot run flock(1) (util-linux): ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === 1) resolve(false);
      else reject(new EnvError(`flock(1) failed: ${err.trim() || `exit ${code}`}`));
    });
  });
}

/**
 * Like acquireLock, but waits up to `waitMs` for a live holder to finish (without blocking the
 * event loop); then throws as acquireLock does.
 */
export async function acquireLockWaiting(path: string, command: string, waitMs: number, onStale: (h: LockHolder) => void = () => {}): Promise<Lock> {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a+', 0o644);
  try {
    if (!(await flockAsync(fd, Math.max(1, Math.ceil(waitMs / 1000))))) throw busyError(path);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return held(path, fd, command, onStale);
}

function held(path: string, fd: number, command: string, onStale: (h: LockHolder) => void): Lock {
  const holder: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  const previous = readHolder(path);
  ftruncateSync(fd, 0);
  writeSync(fd, JSON.stringify(holder), 0);
  if (previous) onStale(previous);
  let released = false;
  return {
    holder,
    release() {
      if (released) return;
      released = true;
      ftruncateSync(fd, 0);
      closeSync(fd);
    },
  };
}

/**
 * Who holds the lock now, or null when nobody does (a dead holder's name left in the file is
 * no holder). Read-only: takes a shared lock for an instant only when the named holder looks alive.
 */
export function liveLockHolder(path: string): LockHolder | null {
  const named = readHolder(path);
  if (!named) return null;
  if (named.host === hostname() && !alive(named.pid)) return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return flock(fd, '-s', 0) ? null : (readHolder(path) ?? named);
  } finally {
    closeSync(fd);
  }
}

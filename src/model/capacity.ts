import type { AppSpec } from './plan.js';
import { nanoCpus } from './sizes.js';

/** Memory (bytes) and CPUs (Docker's NanoCpus) of a node, or reserved by containers. */
export interface Resources {
  memory: number;
  nanoCpus: number;
}

export const NOTHING: Resources = { memory: 0, nanoCpus: 0 };

/** What one replica of the app reserves on its node (nothing without resources). */
export function needOf(app: Pick<AppSpec, 'resources'>): Resources {
  const r = app.resources;
  return { memory: r?.memory ?? 0, nanoCpus: r?.cpus === undefined ? 0 : nanoCpus(r.cpus) };
}

export const isNothing = (r: Resources): boolean => r.memory === 0 && r.nanoCpus === 0;
export const plus = (a: Resources, b: Resources, times = 1): Resources => ({ memory: a.memory + b.memory * times, nanoCpus: a.nanoCpus + b.nanoCpus * times });
export const minus = (a: Resources, b: Resources): Resources => ({ memory: a.memory - b.memory, nanoCpus: a.nanoCpus - b.nanoCpus });

/** A stopped (exited, dead) container holds nothing; any other state may run and does. */
export function reservesNow(state: string): boolean {
  return state !== 'exited' && state !== 'dead';
}

/** How many replicas needing `need` fit into `free` (no limit when it needs nothing). */
export function fitCount(free: Resources, need: Resources): number {
  let n = Number.POSITIVE_INFINITY;
  if (need.memory > 0) n = Math.min(n, Math.floor(Math.max(0, free.memory) / need.memory));
  if (need.nanoCpus > 0) n = Math.min(n, Math.floor(Math.max(0, free.nanoCpus) / need.nanoCpus));
  return n;
}

/** Whether `used` stays within `capacity` in both dimensions. */
export function within(used: Resources, capacity: Resources): boolean {
  return used.memory <= capacity.memory && used.nanoCpus <= capacity.nanoCpus;
}

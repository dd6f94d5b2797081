import { clamp } from './autoscale.js';
import type { AppSpec } from './plan.js';

/** What changes an app's count: a deploy of the plan file, a rollback, the autoscaler, `cloudmatrix scale`. */
export type ScaleKind = 'deploy' | 'rollback' | 'autoscale' | 'scale';

/** The count an app runs with when it is not simply the plan's number (kept under the state dir). */
export interface ScaleEntry {
  replicas: number;
  by: ScaleKind;
  /** ISO time of the last change */
  changedAt: string;
  /** set by `cloudmatrix scale`: the autoscaler leaves the app alone until the next deploy of its plan */
  pinned: boolean;
}

export type ScaleEntries = Readonly<Record<string, ScaleEntry>>;

export const scaleKey = (plan: string, app: string): string => `${plan}/${app}`;

/**
 * The count each app of a plan is deployed with, and what is kept for next time:
 * - the app being scaled (`set`) gets the count asked for; by `scale` it is pinned;
 * - an app with a range keeps its current count, moved into the (possibly new) range; min when it has none;
 *   a deploy of the plan file unpins it;
 * - an app with a fixed count gets the plan's number from a deploy of the plan file, and otherwise
 *   keeps a count `scale` gave it.
 * Entries of apps no longer in the plan are dropped.
 */
export function scaledApps(
  plan: string, apps: readonly AppSpec[], entries: ScaleEntries, kind: ScaleKind, now: string, set?: ScaleSet,
): { apps: AppSpec[]; entries: Record<string, ScaleEntry>; applied: boolean } {
  const kept: Record<string, ScaleEntry> = {};
  const target = set ? apps.find((a) => a.name === set.app) : undefined;
  const current = target ? entries[scaleKey(plan, target.name)] : undefined;
  // The autoscaler decided from an earlier reading: a count pinned or changed since then wins.
  const stale = !!target && kind === 'autoscale' && (!!current?.pinned || (set!.from !== undefined && (current?.replicas ?? target.replicas) !== set!.from));
  const applied = !!target && !stale;
  const out = apps.map((app) => {
    const key = scaleKey(plan, app.name);
    const e = entries[key];
    const range = app.replicaRange;
    if (applied && set!.app === app.name) {
      kept[key] = { replicas: set!.replicas, by: kind, changedAt: now, pinned: kind === 'scale' };
      return { ...app, replicas: set!.replicas };
    }
    if (range) {
      const replicas = clamp(e?.replicas ?? range.min, range.min, range.max);
      const moved = !e || replicas !== e.replicas;
      kept[key] = {
        replicas, by: moved ? kind : e.by, changedAt: moved ? now : e.changedAt, pinned: kind === 'deploy' ? false : (e?.pinned ?? false),
      };
      return { ...app, replicas };
    }
    if (e && kind !== 'deploy') {
      kept[key] = e;
      return { ...app, replicas: e.replicas };
    }
    return app;
  });
  return { apps: out, entries: kept, applied };
}

/** The count asked for one app; `from`: the count the autoscaler decided from. */
export interface ScaleSet {
  app: string;
  replicas: number;
  from?: number;
}

/** The history line of an autoscale change: `autoscale web 2 -> 5: 231 req/s over 30s, target 50/replica`. */
export function autoscaleNote(app: string, from: number, to: number, rate: number, window: string, target: number): string {
  const shown = rate >= 10 ? Math.round(rate).toString() : rate.toFixed(1);
  return `autoscale ${app} ${from} -> ${to}: ${shown} req/s over ${window}, target ${target}/replica`;
}

/** What `cloudmatrix scale APP N` accepts for an app: its range, or 0 to what its nodes hold for a fixed count. */
export function scaleBounds(app: AppSpec, capacity: number): { min: number; max: number } {
  return app.replicaRange ? { ...app.replicaRange } : { min: 0, max: capacity };
}

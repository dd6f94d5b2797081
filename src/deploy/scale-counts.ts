import { ScaleStore } from '../adapters/store/scale-state.js';
import { scaledApps, scaleKey, type ScaleEntry, type ScaleKind, type ScaleSet } from '../model/scale-counts.js';
import type { AppOutcome } from './app-deploy.js';
import type { CheckedPlan } from './preflight.js';

export interface CountedPlan {
  checked: CheckedPlan;
  /** what the state dir keeps for the plan once the deploy is done */
  entries: Record<string, ScaleEntry>;
  previous: Readonly<Record<string, ScaleEntry>>;
  kind: ScaleKind;
  /** the count asked for, when it was applied (an autoscale decided from a stale reading is not) */
  set?: ScaleSet;
}

/** The plan with each app's count as it is to run now (read under the deploy lock: see scaledApps). */
export function countedPlan(stateDir: string, checked: CheckedPlan, kind: ScaleKind, set?: ScaleSet): CountedPlan {
  const previous = new ScaleStore(stateDir).entries();
  const { apps, entries, applied } = scaledApps(checked.name, checked.plan.apps, previous, kind, new Date().toISOString(), set);
  return { checked: { ...checked, plan: { ...checked.plan, apps } }, entries, previous, kind, ...(set && applied ? { set } : {}) };
}

/** Keeps the counts the deploy reached; an app that failed keeps the count it had. */
export function keepCounts(stateDir: string, counted: CountedPlan, outcomes: readonly AppOutcome[]): void {
  const plan = counted.checked.name;
  const entries = { ...counted.entries };
  for (const o of outcomes.filter((x) => x.result === 'failed')) {
    const key = scaleKey(plan, o.app);
    const before = counted.previous[key];
    if (before) entries[key] = before;
    else delete entries[key];
  }
  const set = counted.set;
  const from = set && counted.checked.plan.apps.find((a) => a.name === set.app) && (counted.previous[scaleKey(plan, set.app)]?.replicas ?? null);
  const done = set && outcomes.find((o) => o.app === set.app)?.result !== 'failed';
  const decision = counted.kind === 'autoscale' && set && done && typeof from === 'number' && from !== set.replicas
    ? { app: set.app, direction: set.replicas > from ? 'up' as const : 'down' as const } : undefined;
  new ScaleStore(stateDir).replacePlan(plan, entries, decision);
}

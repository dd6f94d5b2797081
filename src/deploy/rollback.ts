import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { History, type AppDeployRecord } from '../adapters/store/history.js';
import { deployedApp } from '../plans/deployed-app.js';
import type { AppSpec, PlanSource } from '../model/plan.js';
import type { CheckedPlan } from './preflight.js';

/** The deployed plan with the app (`APP` or `PLAN/APP`) put back to an earlier revision from the history. */
export function rollbackPlan(config: Config, ref: string, to?: string): { checked: CheckedPlan; target: AppDeployRecord } {
  const { owner, id } = deployedApp(config.stateDir, ref);
  const app = id.app;
  const revisions = new History(config.stateDir).revisions(owner.name, app);
  if (revisions.length === 0) throw new UserError(`no successful deploy of "${app}" in the history`);
  const target = to ? revisions.find((r) => r.revision.startsWith(to)) : revisions[1];
  if (!target) {
    const known = revisions.map((r) => r.revision).join(', ');
    throw new UserError(to ? `revision "${to}" of "${app}" is not in the history (known: ${known})` : `"${app}" has no earlier revision to roll back to (known: ${known})`);
  }
  const spec = target.spec as AppSpec;
  const plan = { ...owner.plan, apps: owner.plan.apps.map((a) => (a.name === app ? spec : a)) };
  const source: PlanSource = { file: owner.plan.file, locate: () => ({ line: 1, col: 1 }) };
  return { checked: { file: owner.plan.file, name: owner.name, plan, hash: `rollback-${target.revision}`, source }, target };
}

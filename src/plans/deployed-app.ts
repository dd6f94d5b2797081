import { PlanStore } from '../adapters/store/plans.js';
import { appIdsOf, parseAppRef, resolveAppRef, type AppId } from '../model/app-ref.js';
import type { AppSpec } from '../model/plan.js';
import type { NamedPlan } from '../model/routes.js';

export interface DeployedApp {
  id: AppId;
  owner: NamedPlan;
  spec: AppSpec;
}

/**
 * The deployed app a user named (`APP` or `PLAN/APP`), with its plan as last deployed; exit 2
 * when no deployed plan has it or when `APP` alone is in two plans (listing them).
 */
export function deployedApp(stateDir: string, text: string, what = 'APP'): DeployedApp {
  const plans = new PlanStore(stateDir).list();
  const id = resolveAppRef(parseAppRef(text, what), appIdsOf(plans), what);
  const owner = plans.find((p) => p.name === id.plan)!;
  return { id, owner, spec: owner.plan.apps.find((a) => a.name === id.app)! };
}

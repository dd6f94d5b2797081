import type { NamedPlan } from '../routes.js';
import { planError, type PlanError, type PlanSource } from './types.js';

/**
 * Two deployed plans may each have an app of one name (staging and production), but a host or a
 * path goes to one app only: every host and path of `current` that an app of another deployed
 * plan claims, as an error on the field naming both plans.
 */
export function crossPlanClashes(current: NamedPlan, source: PlanSource, deployed: readonly NamedPlan[]): PlanError[] {
  const errors: PlanError[] = [];
  const others = deployed.filter((o) => o.name !== current.name);
  for (const app of current.plan.apps) {
    for (const field of ['hosts', 'paths'] as const) {
      app[field].forEach((value, j) => {
        for (const o of others) {
          const clash = o.plan.apps.find((a) => a[field].includes(value));
          if (!clash) continue;
          const what = field === 'hosts' ? 'host' : 'path';
          errors.push(planError(source, ['apps', app.name, field, j],
            `${what} "${value}" of plan "${current.name}" is already routed to app "${clash.name}" of the deployed plan "${o.name}"`));
        }
      });
    }
  }
  return errors;
}

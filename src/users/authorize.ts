import { Forbidden } from '../errors.js';
import type { Plan } from '../model/plan.js';
import { appsTouched, firstForbidden, type Principal } from '../model/users/permissions.js';

/** Throws Forbidden naming the first app `next` (the plan `planName`) adds, changes or removes over `deployed` that the user may not deploy. */
export function refuseForeignApps(user: Principal, deployed: Plan | null, next: Plan, planName?: string): void {
  const app = firstForbidden(user, appsTouched(deployed, next), planName);
  const shown = planName === undefined ? app : `${planName}/${app}`;
  if (app !== null) throw new Forbidden(`forbidden: user ${user.name} (${user.role}) may not deploy app "${shown}", which this plan adds, changes or removes; nothing was changed`);
}

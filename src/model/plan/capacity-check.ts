import { planError, type Plan, type PlanError, type PlanSource } from './types.js';

/**
 * Deploy-time check: a range's max fits on the nodes the app may use (maxPerNode per node, one
 * with a fixed host port), so autoscale never asks for replicas that cannot be placed.
 */
export function checkPlanCapacity(plan: Plan, source: PlanSource, inventory: readonly string[]): PlanError[] {
  const errors: PlanError[] = [];
  for (const app of plan.apps) {
    if (!app.replicaRange) continue;
    const allowed = app.nodes ? new Set(app.nodes.map((n) => n.toLowerCase())) : null;
    const nodes = inventory.filter((n) => allowed === null || allowed.has(n.toLowerCase())).length;
    const perNode = app.hostPort !== undefined ? 1 : app.maxPerNode;
    const capacity = nodes * perNode;
    if (app.replicaRange.max > capacity) {
      const message = `${app.replicaRange.max} exceeds the capacity of ${capacity} (${nodes} node${nodes === 1 ? '' : 's'} x ${perNode} per node)`;
      errors.push(planError(source, ['apps', app.name, 'replicas', 'max'], message));
    }
  }
  return errors;
}

import { hint } from './did-you-mean.js';
import { planError, type Plan, type PlanError, type PlanSource } from './types.js';

/** Deploy-time check: every `nodes:` entry names a node of the inventory (case-insensitive). */
export function checkPlanNodes(plan: Plan, source: PlanSource, inventory: readonly string[]): PlanError[] {
  const known = new Set(inventory.map((n) => n.toLowerCase()));
  const list = inventory.length === 0 ? 'none' : [...inventory].sort().join(', ');
  const errors: PlanError[] = [];
  for (const app of plan.apps) {
    app.nodes?.forEach((node, i) => {
      if (known.has(node.toLowerCase())) return;
      const message = `node ${node} is not in the inventory${hint(node, inventory)} (known: ${list})`;
      errors.push(planError(source, ['apps', app.name, 'nodes', i], message));
    });
  }
  return errors;
}

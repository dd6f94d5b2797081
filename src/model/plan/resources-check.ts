import { needOf } from '../capacity.js';
import type { Shortfall } from '../placement.js';
import { formatBytes, formatCpus } from '../sizes.js';
import type { LiveNode } from '../types.js';
import { planError, type Plan, type PlanError, type PlanSource } from './types.js';

const amount = (dimension: 'memory' | 'cpus', n: number): string => (dimension === 'memory' ? formatBytes(n) : `${formatCpus(n)} CPU${n === 1e9 ? '' : 's'}`);

/**
 * Deploy-time check of resources against the nodes' capacity: one replica larger than every node
 * the app may use (its cpus above their CPU count, its memory above their memory), then the apps
 * whose replicas do not fit in what the nodes have free (placement's shortfalls). One error per app.
 */
export function checkResources(plan: Plan, source: PlanSource, nodes: readonly LiveNode[], shortfalls: readonly Shortfall[]): PlanError[] {
  const errors: PlanError[] = [];
  const told = new Set<string>();
  for (const app of plan.apps) {
    if (!app.resources) continue;
    const allowed = app.nodes ? new Set(app.nodes.map((n) => n.toLowerCase())) : null;
    const known = nodes.filter((n) => n.reachable && n.capacity && (allowed === null || allowed.has(n.name.toLowerCase())));
    if (known.length === 0) continue;
    const need = needOf(app);
    for (const [dimension, key] of [['cpus', 'nanoCpus'], ['memory', 'memory']] as const) {
      const most = known.reduce((best, n) => (n.capacity![key] > best.capacity![key] ? n : best));
      if (need[key] > most.capacity![key] && !told.has(app.name)) {
        told.add(app.name);
        const message = `${amount(dimension, need[key])} is more than any node it may run on has (the most: ${amount(dimension, most.capacity![key])} on ${most.name})`;
        errors.push(planError(source, ['apps', app.name, 'resources', dimension], message));
      }
    }
  }
  for (const s of shortfalls) {
    if (told.has(s.app)) continue;
    const free = s.mostFree === null ? 'no node it may run on reported its capacity (docker info)' : `the most any node has free is ${amount(s.dimension, s.mostFree)}`;
    const message = `${s.replicas} replica${s.replicas === 1 ? '' : 's'} of ${amount(s.dimension, s.need)} do${s.replicas === 1 ? 'es' : ''} not fit: ${free} (room for ${s.room})`;
    errors.push(planError(source, ['apps', s.app, 'resources', s.dimension], message));
  }
  return errors;
}

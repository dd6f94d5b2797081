import { fitCount, minus, needOf, NOTHING, plus, reservesNow, type Resources } from './capacity.js';
import type { AppSpec } from './plan.js';
import type { LiveNode, RunningContainer } from './types.js';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The node a job's run goes to: reachable, not cordoned, allowed by `nodes:`, with room for its
 * resources (what the cloudmatrix containers there reserve counted); the least busy, then by name.
 * Null with the reason when none fits.
 */
export function jobNode(app: Pick<AppSpec, 'nodes' | 'resources'>, nodes: readonly LiveNode[], containers: readonly RunningContainer[]): { node: string } | { node: null; why: string } {
  const need = needOf(app);
  const used = new Map<string, Resources>();
  const busy = new Map<string, number>();
  for (const c of containers) {
    if (!reservesNow(c.state)) continue;
    busy.set(c.node, (busy.get(c.node) ?? 0) + 1);
    if (c.reserved) used.set(c.node, plus(used.get(c.node) ?? NOTHING, c.reserved));
  }
  const allowed = nodes.filter((n) => !app.nodes || app.nodes.some((x) => same(x, n.name)));
  const usable = allowed.filter((n) => n.reachable && !n.cordoned);
  const fits = usable.filter((n) => (need.memory === 0 && need.nanoCpus === 0) || (n.capacity !== undefined && fitCount(minus(n.capacity, used.get(n.name) ?? NOTHING), need) >= 1));
  fits.sort((a, b) => (busy.get(a.name) ?? 0) - (busy.get(b.name) ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (fits[0]) return { node: fits[0].name };
  if (allowed.length === 0) return { node: null, why: `no node allowed by its nodes: (${app.nodes?.join(', ')})` };
  if (usable.length === 0) return { node: null, why: `every node it may use is unreachable or cordoned (${allowed.map((n) => `${n.name}: ${!n.reachable ? 'unreachable' : 'cordoned'}`).join(', ')})` };
  return { node: null, why: 'no node has room for its resources' };
}

import type { AppSpec, Plan } from './plan.js';
import type { LiveNode, RunningContainer, StopReason } from './types.js';

export interface PlacementInput {
  plan: Plan;
  /** value of the cloudmatrix.plan label; containers of other plans are never touched */
  planName: string;
  nodes: readonly LiveNode[];
  containers: readonly RunningContainer[];
  /** app name -> revision (appRevision) */
  revisions: ReadonlyMap<string, string>;
}

export interface Stop {
  container: RunningContainer;
  reason: StopReason;
}

export interface AppPlacement {
  app: AppSpec;
  revision: string;
  keep: RunningContainer[];
  /** one entry per container to start, node names in order */
  start: string[];
  stop: Stop[];
}

export interface Placement {
  apps: AppPlacement[];
  /** containers of this plan whose app is no longer in it */
  orphans: Stop[];
  warnings: string[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byContainer = (a: RunningContainer, b: RunningContainer): number => cmp(a.name, b.name) || cmp(a.id, b.id);

/** Why a container of the app cannot stay where it is, or null when it may. */
function unfit(c: RunningContainer, node: LiveNode | undefined, allowed: boolean, revision: string): StopReason | null {
  if (!node) return 'node-gone';
  if (!node.reachable) return 'node-unreachable';
  if (!allowed) return 'not-allowed';
  if (c.state !== 'running') return 'not-running';
  if (c.knownGood === false) return 'orphan';
  if (c.revision !== revision) return 'outdated';
  return null;
}

function placeApp(
  app: AppSpec, revision: string, mine: RunningContainer[], nodes: Map<string, LiveNode>, load: Map<string, number>,
  warnings: string[],
): AppPlacement {
  const allowed = app.nodes ? new Set(app.nodes.map((n) => n.toLowerCase())) : null;
  const isAllowed = (n: LiveNode) => allowed === null || allowed.has(n.name.toLowerCase());
  const eligible = [...nodes.values()].filter((n) => n.reachable && isAllowed(n));
  const cap = app.hostPort !== undefined ? 1 : app.maxPerNode;
  const out: AppPlacement = { app, revision, keep: [], start: [], stop: [] };
  const keepable = new Map<string, RunningContainer[]>();
  for (const c of [...mine].sort(byContainer)) {
    const node = nodes.get(c.node);
    const reason = unfit(c, node, node !== undefined && isAllowed(node), revision);
    if (reason) out.stop.push({ container: c, reason });
    else {
      const list = keepable.get(c.node);
      if (list) list.push(c);
      else keepable.set(c.node, [c]);
    }
  }
  const total = Math.min(app.replicas, eligible.length * cap);
  if (total < app.replicas) {
    warnings.push(`app ${app.name}: ${app.replicas} replicas wanted, ${total} placed (${eligible.length} eligible node${eligible.length === 1 ? '' : 's'}, at most ${cap} per node)`);
  }
  const held = (n: LiveNode) => keepable.get(n.name)?.length ?? 0;
  // Nodes that already hold containers take the larger shares, so that nothing moves needlessly.
  eligible.sort((a, b) => held(b) - held(a) || (load.get(a.name) ?? 0) - (load.get(b.name) ?? 0) || cmp(a.name, b.name));
  const base = eligible.length === 0 ? 0 : Math.floor(total / eligible.length);
  const extra = eligible.length === 0 ? 0 : total % eligible.length;
  eligible.forEach((node, i) => {
    const target = base + (i < extra ? 1 : 0);
    const have = keepable.get(node.name) ?? [];
    out.keep.push(...have.slice(0, target));
    for (const c of have.slice(target)) out.stop.push({ container: c, reason: 'excess' });
    for (let k = have.length; k < target; k++) out.start.push(node.name);
    load.set(node.name, (load.get(node.name) ?? 0) + target);
  });
  out.start.sort(cmp);
  return out;
}

/**
 * Where each app's replicas go: spread evenly over the reachable nodes it may use, at most
 * maxPerNode (1 with a fixed host port) per node, keeping containers that already match.
 * Deterministic: apps by name, nodes by held containers, then load, then name.
 */
export function place(input: PlacementInput): Placement {
  const nodes = new Map([...input.nodes].sort((a, b) => cmp(a.name, b.name)).map((n) => [n.name, n]));
  const ours = input.containers.filter((c) => c.plan === input.planName);
  const byApp = new Map<string, RunningContainer[]>();
  for (const c of ours) {
    const list = byApp.get(c.app);
    if (list) list.push(c);
    else byApp.set(c.app, [c]);
  }
  const load = new Map<string, number>();
  const warnings: string[] = [];
  const apps = [...input.plan.apps].sort((a, b) => cmp(a.name, b.name)).map((app) => {
    const revision = input.revisions.get(app.name);
    if (revision === undefined) throw new Error(`no revision for app ${app.name}`);
    return placeApp(app, revision, byApp.get(app.name) ?? [], nodes, load, warnings);
  });
  const planned = new Set(input.plan.apps.map((a) => a.name));
  const orphans = ours
    .filter((c) => !planned.has(c.app))
    .sort((a, b) => cmp(a.app, b.app) || byContainer(a, b))
    .map((container) => ({ container, reason: 'removed-from-plan' as const }));
  return { apps, orphans, warnings };
}

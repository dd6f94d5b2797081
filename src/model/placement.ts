import { fitCount, isNothing, minus, needOf, NOTHING, plus, reservesNow, type Resources } from './capacity.js';
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

/** An app whose replicas the nodes' free memory or CPUs cannot hold (more than maxPerNode and nodes: allow). */
export interface Shortfall {
  app: string;
  replicas: number;
  /** how many would fit */
  room: number;
  /** the dimension that runs out first */
  dimension: 'memory' | 'cpus';
  /** one replica's need in that dimension (bytes or NanoCpus) */
  need: number;
  /** the most any eligible node has free in that dimension (null: no eligible node's capacity is known) */
  mostFree: number | null;
}

export interface Placement {
  apps: AppPlacement[];
  /** apps with resources that do not fit: a deploy refuses the plan (nothing is changed) */
  shortfalls: Shortfall[];
  /** containers of this plan whose app is no longer in it */
  orphans: Stop[];
  warnings: string[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byContainer = (a: RunningContainer, b: RunningContainer): number => cmp(a.name, b.name) || cmp(a.id, b.id);

/** Why a container of the app cannot stay where it is, or null when it may. */
function unfit(c: RunningContainer, node: LiveNode | undefined, allowed: boolean, revision: string, cordoned: boolean): StopReason | null {
  if (!node) return 'node-gone';
  if (!node.reachable) return 'node-unreachable';
  if (!allowed) return 'not-allowed';
  if (cordoned) return 'cordoned';
  if (c.state !== 'running') return 'not-running';
  if (c.knownGood === false) return 'orphan';
  if (c.revision !== revision) return 'outdated';
  return null;
}

/** Fills the nodes in order one replica at a time, each up to its slots: an even spread where slots allow. */
function spread(total: number, slots: readonly number[]): number[] {
  const targets = slots.map(() => 0);
  let left = total;
  while (left > 0) {
    let placed = false;
    for (let i = 0; i < slots.length && left > 0; i++) {
      if (targets[i]! < slots[i]!) {
        targets[i]!++;
        left--;
        placed = true;
      }
    }
    if (!placed) break;
  }
  return targets;
}

function shortfallOf(app: AppSpec, room: number, need: Resources, free: (Resources | null)[], cap: number): Shortfall {
  const only = (r: Resources) => free.reduce((n, f) => n + (f ? Math.min(cap, fitCount(f, r)) : 0), 0);
  const memoryRoom = need.memory > 0 ? only({ memory: need.memory, nanoCpus: 0 }) : Number.POSITIVE_INFINITY;
  const cpuRoom = need.nanoCpus > 0 ? only({ memory: 0, nanoCpus: need.nanoCpus }) : Number.POSITIVE_INFINITY;
  const dimension = memoryRoom <= cpuRoom ? 'memory' : 'cpus';
  const key = dimension === 'memory' ? 'memory' : 'nanoCpus';
  const known = free.filter((f): f is Resources => f !== null).map((f) => Math.max(0, f[key]));
  return { app: app.name, replicas: app.replicas, room, dimension, need: need[key], mostFree: known.length ? Math.max(...known) : null };
}

/**
 * An app with volumes that may run on this one node only (its pin, or a one-node `nodes:`): a
 * cordon does not take it down; `node drain` moves it (--move-stateful) or refuses.
 */
function pinnedThere(app: AppSpec, n: LiveNode): boolean {
  return app.volumes !== undefined && app.nodes?.length === 1 && app.nodes[0]!.toLowerCase() === n.name.toLowerCase();
}

function placeApp(
  app: AppSpec, revision: string, mine: RunningContainer[], nodes: Map<string, LiveNode>, load: Map<string, number>,
  used: Map<string, Resources>, warnings: string[], shortfalls: Shortfall[],
): AppPlacement {
  const allowed = app.nodes ? new Set(app.nodes.map((n) => n.toLowerCase())) : null;
  const isAllowed = (n: LiveNode) => allowed === null || allowed.has(n.name.toLowerCase());
  const isCordoned = (n: LiveNode) => n.cordoned === true && !pinnedThere(app, n);
  const eligible = [...nodes.values()].filter((n) => n.reachable && isAllowed(n) && !isCordoned(n));
  const cap = app.hostPort !== undefined ? 1 : app.maxPerNode;
  const out: AppPlacement = { app, revision, keep: [], start: [], stop: [] };
  const keepable = new Map<string, RunningContainer[]>();
  for (const c of [...mine].sort(byContainer)) {
    const node = nodes.get(c.node);
    const reason = unfit(c, node, node !== undefined && isAllowed(node), revision, node !== undefined && isCordoned(node));
    if (reason) out.stop.push({ container: c, reason });
    else {
      const list = keepable.get(c.node);
      if (list) list.push(c);
      else keepable.set(c.node, [c]);
    }
  }
  const byCount = Math.min(app.replicas, eligible.length * cap);
  if (byCount < app.replicas) {
    warnings.push(`app ${app.name}: ${app.replicas} replicas wanted, ${byCount} placed (${eligible.length} eligible node${eligible.length === 1 ? '' : 's'}, at most ${cap} per node)`);
  }
  const held = (n: LiveNode) => keepable.get(n.name)?.length ?? 0;
  // Nodes that already hold containers take the larger shares, so that nothing moves needlessly.
  eligible.sort((a, b) => held(b) - held(a) || (load.get(a.name) ?? 0) - (load.get(b.name) ?? 0) || cmp(a.name, b.name));
  // With resources, a node takes what its free capacity holds (what runs there of other apps and
  // plans, and what this plan placed before this app); never fewer than it keeps already.
  const need = needOf(app);
  const free = eligible.map((n) => (n.capacity ? minus(n.capacity, used.get(n.name) ?? NOTHING) : null));
  const slots = eligible.map((n, i) => (isNothing(need) ? cap : free[i] ? Math.min(cap, Math.max(held(n), fitCount(free[i]!, need))) : 0));
  const room = slots.reduce((a, b) => a + b, 0);
  if (room < byCount) shortfalls.push(shortfallOf(app, room, need, free, cap));
  const targets = spread(Math.min(byCount, room), slots);
  eligible.forEach((node, i) => {
    const target = targets[i]!;
    const have = keepable.get(node.name) ?? [];
    out.keep.push(...have.slice(0, target));
    for (const c of have.slice(target)) out.stop.push({ container: c, reason: 'excess' });
    for (let k = have.length; k < target; k++) out.start.push(node.name);
    load.set(node.name, (load.get(node.name) ?? 0) + target);
    used.set(node.name, plus(used.get(node.name) ?? NOTHING, need, target));
  });
  out.start.sort(cmp);
  return out;
}

/**
 * Where each app's replicas go: spread evenly over the reachable nodes it may use, at most
 * maxPerNode (1 with a fixed host port) per node, keeping containers that already match.
 * Deterministic: apps by name, nodes by held containers, then load, then name.
 * A cordoned node (drained) gets nothing new, and what runs there is stopped once placed elsewhere.
 *
 * Resources: a replica of an app with `resources` goes only where the node's capacity, less what
 * the other cloudmatrix containers there reserve, holds it. This plan's own containers do not count:
 * the ones kept are counted again as placed, and the ones replaced go away with this deploy (so a
 * start-first replacement may briefly run new beside old). An app that does not fit is a shortfall.
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
  const used = new Map<string, Resources>();
  for (const c of input.containers) {
    if (c.plan !== input.planName && c.reserved && reservesNow(c.state)) used.set(c.node, plus(used.get(c.node) ?? NOTHING, c.reserved));
  }
  const warnings: string[] = [];
  const shortfalls: Shortfall[] = [];
  const apps = [...input.plan.apps].sort((a, b) => cmp(a.name, b.name)).map((app) => {
    const revision = input.revisions.get(app.name);
    if (revision === undefined) throw new Error(`no revision for app ${app.name}`);
    return placeApp(app, revision, byApp.get(app.name) ?? [], nodes, load, used, warnings, shortfalls);
  });
  const planned = new Set(input.plan.apps.map((a) => a.name));
  const orphans = ours
    .filter((c) => !planned.has(c.app))
    .sort((a, b) => cmp(a.app, b.app) || byContainer(a, b))
    .map((container) => ({ container, reason: 'removed-from-plan' as const }));
  return { apps, orphans, warnings, shortfalls };
}

import { place } from './placement.js';
import type { AppSpec, Plan } from './plan.js';
import type { NamedPlan } from './routes.js';
import { pinnedPlan } from './stateful.js';
import type { LiveNode, RunningContainer } from './types.js';

export interface DrainInput {
  node: string;
  /** the deployed plans */
  plans: readonly NamedPlan[];
  /** every node, with the cordons already in force */
  nodes: readonly LiveNode[];
  /** every cloudmatrix container (knownGood set) */
  containers: readonly RunningContainer[];
  /** `plan/app` -> node, for apps with volumes */
  pins: ReadonlyMap<string, string>;
}

export interface StatefulOnNode {
  plan: string;
  app: string;
  /** where --move-stateful carries it, or null when no other node may take it */
  target: string | null;
}

export interface Unplaceable {
  plan: string;
  app: string;
  /** replicas placed now, and with the node cordoned */
  now: number;
  drained: number;
  why: string;
}

export interface DrainPlan {
  /** plans with replicas on the node that placement moves (each is redeployed) */
  plans: string[];
  /** apps with volumes pinned to the node: they block the drain unless moved */
  stateful: StatefulOnNode[];
  /** replicas that would have nowhere to go: the drain is refused */
  unplaceable: Unplaceable[];
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
export const isJob = (a: Pick<AppSpec, 'schedule'>): boolean => a.schedule !== undefined;

/** The plan as a deploy places it: jobs left out, apps with volumes narrowed to their pins. */
function placedPlan(p: NamedPlan, pins: ReadonlyMap<string, string>, nodes: readonly LiveNode[]): Plan {
  const own = new Map([...pins].filter(([k]) => k.startsWith(`${p.name}/`)).map(([k, n]) => [k.slice(p.name.length + 1), n]));
  return pinnedPlan({ ...p.plan, apps: p.plan.apps.filter((a) => !isJob(a)) }, own, nodes).plan;
}

/** How many replicas of each app placement keeps or starts. */
function placedCounts(plan: Plan, planName: string, nodes: readonly LiveNode[], containers: readonly RunningContainer[]) {
  // Revisions as they run: the question is where replicas go, not whether they are up to date.
  const revisions = new Map(plan.apps.map((a) => [a.name, containers.find((c) => c.plan === planName && c.app === a.name && c.knownGood !== false)?.revision ?? '-']));
  const placement = place({ plan, planName, nodes, containers, revisions });
  const counts = new Map(placement.apps.map((p) => [p.app.name, p.keep.length + p.start.length]));
  return { counts, placement };
}

function whyShort(app: string, placement: ReturnType<typeof place>): string {
  const s = placement.shortfalls.find((x) => x.app === app);
  if (s) return `not enough ${s.dimension === 'memory' ? 'memory' : 'CPUs'} on the other nodes (room for ${s.room} of ${s.replicas})`;
  const w = placement.warnings.find((x) => x.startsWith(`app ${app}:`));
  return w ? w.slice(`app ${app}: `.length) : 'no other node may run it';
}

/** The node another node's worth of this app may go to: reachable, not cordoned, allowed; the least busy first. */
function moveTarget(app: AppSpec, node: string, nodes: readonly LiveNode[], containers: readonly RunningContainer[]): string | null {
  const allowed = (n: LiveNode) => !app.nodes || app.nodes.some((x) => same(x, n.name));
  const load = (n: LiveNode) => containers.filter((c) => c.node === n.name && c.state === 'running').length;
  const options = nodes.filter((n) => n.reachable && !n.cordoned && !same(n.name, node) && allowed(n));
  options.sort((a, b) => load(a) - load(b) || (a.name < b.name ? -1 : 1));
  return options[0]?.name ?? null;
}

/**
 * What draining `node` does: every deployed plan placed again with the node cordoned. A plan
 * whose replicas on the node find room elsewhere is redeployed; an app that would run fewer
 * replicas than now refuses the whole drain (nothing changes); an app with volumes pinned there
 * must be moved with its data first.
 */
export function planDrain(input: DrainInput): DrainPlan {
  const cordoned = input.nodes.map((n) => (same(n.name, input.node) ? { ...n, cordoned: true } : n));
  const out: DrainPlan = { plans: [], stateful: [], unplaceable: [] };
  for (const p of input.plans) {
    const here = input.containers.filter((c) => c.plan === p.name && same(c.node, input.node));
    const pinnedHere = p.plan.apps.filter((a) => a.volumes && !isJob(a) && same(input.pins.get(`${p.name}/${a.name}`) ?? '', input.node));
    for (const a of pinnedHere) out.stateful.push({ plan: p.name, app: a.name, target: moveTarget(a, input.node, input.nodes, input.containers) });
    const moving = here.filter((c) => !pinnedHere.some((a) => a.name === c.app));
    if (moving.length === 0) continue;
    const before = placedCounts(placedPlan(p, input.pins, input.nodes), p.name, input.nodes, input.containers);
    const after = placedCounts(placedPlan(p, input.pins, cordoned), p.name, cordoned, input.containers);
    for (const app of [...new Set(moving.map((c) => c.app))].sort()) {
      const now = before.counts.get(app);
      const drained = after.counts.get(app);
      // Not in the plan any more: the next deploy removes it anyway.
      if (now === undefined || drained === undefined) continue;
      if (drained < now) out.unplaceable.push({ plan: p.name, app, now, drained, why: whyShort(app, after.placement) });
    }
    out.plans.push(p.name);
  }
  return out;
}

/** The one-line refusal of a drain that cannot go ahead, or null. */
export function drainRefusal(node: string, plan: DrainPlan, moveStateful: boolean): string | null {
  const problems: string[] = [];
  for (const u of plan.unplaceable) problems.push(`${u.plan}/${u.app} would run ${u.drained} of ${u.now} replicas: ${u.why}`);
  const stuck = plan.stateful.filter((s) => !moveStateful || s.target === null);
  if (stuck.length) {
    const names = stuck.map((s) => `${s.plan}/${s.app}`).join(', ');
    problems.push(moveStateful
      ? `no other node may take ${names} (apps with volumes)`
      : `apps with volumes pinned to ${node}: ${names} (their data is there; --move-stateful moves them with it, as cloudmatrix move does)`);
  }
  return problems.length ? `cannot drain ${node}, nothing was changed: ${problems.join('; ')}` : null;
}

import type { Config } from '../config.js';
import type { NodeEngines } from '../adapters/docker.js';
import { findNode, listNodes, type NodeRef } from '../adapters/nodes.js';
import { KnownGoodStore } from '../adapters/store/known-good.js';
import { PlanStore } from '../adapters/store/plans.js';
import { listCloudContainers } from '../deploy/cluster.js';
import { UserError } from '../errors.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { LABELS } from '../model/container-spec.js';
import { parseAppRef, resolveAppRef } from '../model/app-ref.js';

/** An app named on the command line or in a URL: `APP`, or `PLAN/APP` where two plans have an app of that name. */
export interface AppTarget {
  app: string;
  plan?: string;
}

/** No deployed plan has the app and no container carries its label: exit 2, or 404 in the API. */
export class UnknownApp extends UserError {
  constructor(readonly target: string, known: readonly string[]) {
    super(`unknown app "${target}" (known: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownApp';
  }
}

export function parseTarget(text: string): AppTarget {
  return parseAppRef(text);
}

const matches = (t: AppTarget, plan: string, app: string): boolean => app === t.app && (t.plan === undefined || plan === t.plan);

/** Docker's label filters for the target's containers (events, listings). */
export function targetLabels(t: AppTarget): string[] {
  return [`${LABELS.app}=${t.app}`, ...(t.plan === undefined ? [] : [`${LABELS.plan}=${t.plan}`])];
}

export interface Replicas {
  target: AppTarget;
  /** the nodes asked (one with --node) */
  nodes: NodeRef[];
  /** the target's containers on them, in any state, sorted by node and name */
  containers: CloudContainer[];
  /** nodes that did not answer the listing where the manager records a known-good replica of the app: lines are missing */
  errors: { node: string; message: string }[];
  /** nodes that did not answer the listing with no replica of the app recorded there (a stale lease, a node being set up) */
  silent: { node: string; message: string }[];
}

/** The nodes where the manager's record has a known-good replica of the target. */
export function recordedNodes(stateDir: string, target: AppTarget): Set<string> {
  const store = new KnownGoodStore(stateDir);
  const out = new Set<string>();
  for (const id of store.ids()) {
    const e = store.get(id);
    if (e && matches(target, e.plan, e.app)) out.add(e.node);
  }
  return out;
}

/**
 * The containers of an app on every node (or one, or only `among` of the inventory), each node
 * within its deadline. An app that neither a deployed plan nor any listed container has is a
 * UserError naming it and the known ones.
 */
export async function findReplicas(config: Config, engines: NodeEngines, target: AppTarget, node?: string, among?: ReadonlySet<string>): Promise<Replicas> {
  const nodes = node !== undefined ? [await findNode(config, node)] : (await listNodes(config)).filter((n) => !among || among.has(n.name));
  const listed = await listCloudContainers(nodes, engines);
  const planned = new PlanStore(config.stateDir).list().flatMap(({ name, plan }) => plan.apps.map((a) => ({ plan: name, app: a.name })));
  const known = [...planned, ...listed.containers.map((c) => ({ plan: c.plan, app: c.app }))];
  if (!known.some((k) => matches(target, k.plan, k.app))) {
    const names = [...new Set(known.map((k) => k.app))].sort();
    throw new UnknownApp(target.plan === undefined ? target.app : `${target.plan}/${target.app}`, names);
  }
  // `APP` alone that two plans have is ambiguous (exit 2 listing them): one app's lines, never two mixed.
  if (target.plan === undefined) target = resolveAppRef(target, known);
  const recorded = listed.errors.length ? recordedNodes(config.stateDir, target) : new Set<string>();
  return {
    target,
    nodes,
    containers: listed.containers.filter((c) => matches(target, c.plan, c.app)),
    errors: listed.errors.filter((e) => recorded.has(e.node)),
    silent: listed.errors.filter((e) => !recorded.has(e.node)),
  };
}

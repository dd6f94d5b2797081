import { formatRef, resolveImage } from './image-ref.js';
import { containerName, slotOf } from './names.js';
import { place, type AppPlacement, type Shortfall, type Stop } from './placement.js';
import type { Plan } from './plan.js';
import { appRevision } from './revision.js';
import type { Action, KeepAction, LiveNode, RunningContainer, StartAction, StopAction } from './types.js';

export interface DiffInput {
  plan: Plan;
  planName: string;
  nodes: readonly LiveNode[];
  containers: readonly RunningContainer[];
  /** image digest by the app's image reference as in the plan (AppSpec.image) */
  digests: ReadonlyMap<string, string>;
  /** host:port of the private registry; start actions then carry the resolved image */
  registry?: string;
  /** secret name -> fingerprint (secretFingerprint), for the apps' revisions */
  secrets?: ReadonlyMap<string, string>;
}

export interface Diff {
  actions: Action[];
  warnings: string[];
  /** apps whose resources do not fit on the nodes: the plan is refused before anything changes */
  shortfalls: Shortfall[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function stopAction({ container: c, reason }: Stop): StopAction {
  return { kind: 'stop', app: c.app, node: c.node, containerId: c.id, name: c.name, revision: c.revision, reason };
}

function keepAction(c: RunningContainer): KeepAction {
  return { kind: 'keep', app: c.app, node: c.node, containerId: c.id, name: c.name, revision: c.revision };
}

function startActions(p: AppPlacement, input: DiffInput, image: string): StartAction[] {
  const used = new Map<string, Set<number>>();
  for (const c of [...p.keep, ...p.stop.map((s) => s.container)]) {
    const slots = used.get(c.node) ?? new Set<number>();
    slots.add(slotOf(c.name, input.planName, c.app));
    used.set(c.node, slots);
  }
  return p.start.map((node) => {
    const slots = used.get(node) ?? new Set<number>();
    let slot = 0;
    while (slots.has(slot)) slot++;
    slots.add(slot);
    used.set(node, slots);
    return {
      kind: 'start', app: p.app.name, node, revision: p.revision, image, slot,
      name: containerName(input.planName, p.app.name, slot), port: p.app.port, hostPort: p.app.hostPort ?? null,
    };
  });
}

/**
 * Per app: starts before stops, so that deploy can start, check health, switch Varnish, then
 * stop. A fixed host port cannot be bound twice on a node: there the old container stops first.
 */
function appActions(p: AppPlacement, input: DiffInput): Action[] {
  const image = input.registry ? formatRef(resolveImage(p.app.image, input.registry)) : p.app.image;
  const starts = startActions(p, input, image);
  const stops = p.stop.map(stopAction).sort((a, b) => cmp(a.node, b.node) || cmp(a.name, b.name));
  const keeps = p.keep.map(keepAction).sort((a, b) => cmp(a.node, b.node) || cmp(a.name, b.name));
  if (p.app.hostPort === undefined) return [...starts, ...stops, ...keeps];
  const startNodes = new Set(starts.map((s) => s.node));
  const first = stops.filter((s) => startNodes.has(s.node));
  return [...first, ...starts, ...stops.filter((s) => !startNodes.has(s.node)), ...keeps];
}

/** Desired placement against the running containers, as ordered actions (apps by name). */
export function diff(input: DiffInput): Diff {
  const revisions = new Map(input.plan.apps.map((a) => [a.name, appRevision(a, input.digests.get(a.image), input.secrets)]));
  const placement = place({ ...input, revisions });
  const groups = new Map<string, Action[]>();
  for (const p of placement.apps) groups.set(p.app.name, appActions(p, input));
  for (const o of placement.orphans) {
    const list = groups.get(o.container.app) ?? [];
    list.push(stopAction(o));
    groups.set(o.container.app, list);
  }
  const actions = [...groups.keys()].sort(cmp).flatMap((app) => groups.get(app)!);
  return { actions, warnings: placement.warnings, shortfalls: placement.shortfalls };
}

const SIGN = { start: '+', stop: '-', keep: '=' } as const;

/** The actions for --dry-run, grouped by app, with a count line at the end. */
export function formatActions(actions: readonly Action[]): string {
  if (actions.length === 0) return 'nothing to do';
  const lines: string[] = [];
  let app = '';
  for (const a of actions) {
    if (a.app !== app) lines.push((app = a.app));
    const what =
      a.kind === 'start'
        ? `${a.name}  ${a.image}${a.hostPort === null ? '' : `  host port ${a.hostPort}`}  rev ${a.revision}`
        : a.kind === 'stop'
          ? `${a.name}  (${a.reason})`
          : `${a.name}  rev ${a.revision}`;
    lines.push(`  ${SIGN[a.kind]} ${a.kind.padEnd(5)} ${a.node}  ${what}`);
  }
  const count = (k: Action['kind']) => actions.filter((a) => a.kind === k).length;
  lines.push(`${count('start')} to start, ${count('stop')} to stop, ${count('keep')} unchanged`);
  return lines.join('\n');
}

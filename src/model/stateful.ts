import type { AppSpec, Plan } from './plan.js';
import type { Action, LiveNode, StartAction } from './types.js';

/** Labels of a volume cloudmatrix made (besides cloudmatrix.plan and cloudmatrix.app). */
export const VOLUME_LABEL = 'cloudmatrix.volume';

const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');

/** `<plan>-<app>-<volume>`, and `-<generation>` for one a restore or a move made. */
export function volumeName(plan: string, app: string, volume: string, generation?: string): string {
  return `${safe(plan)}-${safe(app)}-${volume}${generation ? `-${generation}` : ''}`;
}

/**
 * Keeps each app with volumes on the node it is pinned to (`pins`: app -> node) by narrowing its
 * `nodes` to that one. An app pinned to a node that is unreachable or gone is `down`: it is not
 * placed anywhere else, where it would start on empty volumes. A `nodes:` list in the plan that
 * leaves the pinned node out wins (it is said in `notes`).
 */
export function pinnedPlan(plan: Plan, pins: ReadonlyMap<string, string>, nodes: readonly LiveNode[]): { plan: Plan; down: Map<string, string>; notes: string[] } {
  const down = new Map<string, string>();
  const notes: string[] = [];
  const apps = plan.apps.map((app): AppSpec => {
    const pin = pins.get(app.name);
    if (!app.volumes || pin === undefined || app.replicas === 0) return app;
    if (app.nodes && !app.nodes.some((n) => n.toLowerCase() === pin.toLowerCase())) {
      notes.push(`app ${app.name}: its volumes are on ${pin}, but nodes: leaves ${pin} out: it starts on volumes of its new node (cloudmatrix move carries data)`);
      return app;
    }
    const node = nodes.find((n) => n.name.toLowerCase() === pin.toLowerCase());
    if (!node?.reachable) {
      down.set(app.name, `pinned to ${pin} (its volumes are there), which is ${node ? 'unreachable' : 'gone'}: down until ${pin} answers again or cloudmatrix move ${app.name} NODE`);
    }
    return { ...app, nodes: [node?.name ?? pin] };
  });
  return { plan: { ...plan, apps }, down, notes };
}

/**
 * The actions of an app with volumes, stop-first: two containers must never write one volume.
 * A start on the node where a container stops takes over that container's host port, so the
 * address that other apps reference stays the same.
 */
export function stopFirst(actions: readonly Action[], hostPortOf: (containerId: string) => number | null): Action[] {
  const stops = actions.filter((a) => a.kind === 'stop');
  const freed = new Map<string, number[]>();
  for (const s of stops) {
    const port = hostPortOf(s.containerId);
    if (port !== null) freed.set(s.node, [...(freed.get(s.node) ?? []), port]);
  }
  const starts = actions.filter((a): a is StartAction => a.kind === 'start').map((a) => {
    if (a.hostPort !== null) return a;
    const port = freed.get(a.node)?.shift();
    return port === undefined ? a : { ...a, hostPort: port };
  });
  return [...stops, ...starts, ...actions.filter((a) => a.kind === 'keep')];
}

/** The node of the one running container of each app with volumes, to pin it there. */
export function pinsAfter(apps: readonly AppSpec[], running: readonly { app: string; node: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const app of apps) {
    if (!app.volumes) continue;
    const here = running.filter((c) => c.app === app.name);
    if (here.length === 1) out.set(app.name, here[0]!.node);
  }
  return out;
}

/** Backups to delete so that `keep` remain: the oldest first (ids sort by time). */
export function retentionVictims(ids: readonly string[], keep: number): string[] {
  const sorted = [...ids].sort();
  return sorted.slice(0, Math.max(0, sorted.length - keep));
}

/** A backup id from its time: `20260102T030405123Z` (UTC, sortable, a valid file name). */
export function backupId(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('.', '');
}

import type { RouteApp, RoutingTable } from './routing.js';

// What changed between two routing tables, as lines a person reads in `cloudmatrix watch`'s log:
// `web: + node1/web-1 10.77.0.201:32771, - node1/web-1 10.77.0.201:32768`.

const where = (b: RouteApp['backends'][number]) => `${b.node}/${b.container} ${b.address}:${b.port}`;

/** Apps are told apart by name and hosts (two plans may each have an app `web`). */
const appKey = (a: RouteApp) => `${a.name} ${a.hosts.join(',')} ${a.paths.join(',')}`;

/** One line per app whose backends changed, was added or was removed; none when the tables route alike. */
export function routeChanges(before: RoutingTable | null, after: RoutingTable): string[] {
  const old = new Map((before?.apps ?? []).map((a) => [appKey(a), a]));
  const lines: string[] = [];
  for (const app of after.apps) {
    const prev = old.get(appKey(app));
    old.delete(appKey(app));
    const was = new Set((prev?.backends ?? []).map(where));
    const now = new Set(app.backends.map(where));
    const added = [...now].filter((b) => !was.has(b)).map((b) => `+ ${b}`);
    const removed = [...was].filter((b) => !now.has(b)).map((b) => `- ${b}`);
    if (!prev) lines.push(`${app.name}: routed to ${app.backends.length ? [...now].join(', ') : 'no backend (503)'}`);
    else if (added.length || removed.length) {
      lines.push(`${app.name}: ${[...added, ...removed].join(', ')}${now.size === 0 ? ' (no backend left: 503)' : ''}`);
    }
  }
  for (const gone of old.values()) lines.push(`${gone.name}: no longer routed`);
  return lines;
}

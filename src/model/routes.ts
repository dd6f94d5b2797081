import type { CloudContainer } from './cloud-container.js';
import type { AppSpec, Plan } from './plan.js';
import type { RouteApp, RouteBackend, RoutingTable } from './routing.js';

/** A plan together with the name its containers carry in the cloudmatrix.plan label. */
export interface NamedPlan {
  name: string;
  plan: Plan;
}

export const routeKey = (plan: string, app: string): string => `${plan}\0${app}`;

/** A container that can take traffic: running and published on an address. */
export function routable(c: CloudContainer): boolean {
  return c.state === 'running' && c.address !== null && c.port !== null;
}

export function backendOf(c: CloudContainer): RouteBackend {
  return { container: c.name, node: c.node, address: c.address!, port: c.port! };
}

function routeApp(plan: string, app: AppSpec, backends: RouteBackend[]): RouteApp {
  const { path, intervalMs, timeoutMs, window, threshold } = app.health;
  return {
    name: app.name,
    plan,
    hosts: app.hosts,
    paths: app.paths,
    director: app.director,
    ...(app.hashBy ? { hashBy: app.hashBy } : {}),
    health: { path, intervalMs, timeoutMs, ...(window ? { window } : {}), ...(threshold ? { threshold } : {}) },
    ...(app.timeouts ? { timeouts: { connectMs: app.timeouts.connectMs, firstByteMs: app.timeouts.firstByteMs, betweenBytesMs: app.timeouts.betweenBytesMs } } : {}),
    ...(app.maxConnections ? { maxConnections: app.maxConnections } : {}),
    ...(app.tls && app.https === 'redirect' ? { httpsRedirect: true } : {}),
    ...(app.tls === 'acme' ? { acmeChallenge: true } : {}),
    backends,
  };
}

/**
 * What Varnish must route: every app of every plan, to its running known-good containers (never
 * an orphan a crashed deploy left), or to the set that `overrides` names for it (a deploy
 * switching an app to its new containers).
 */
export function routingTable(
  plans: readonly NamedPlan[],
  containers: readonly CloudContainer[],
  knownGood: (id: string) => boolean,
  overrides: ReadonlyMap<string, RouteBackend[]> = new Map(),
): RoutingTable {
  const apps: RouteApp[] = [];
  for (const { name: plan, plan: p } of [...plans].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    for (const app of p.apps) {
      // A TCP service is reached at its node's address, never through Varnish.
      if (app.expose === 'tcp') continue;
      if (app.worker) continue; // a worker (no port) is never routed
      const key = routeKey(plan, app.name);
      const backends =
        overrides.get(key) ??
        containers.filter((c) => c.plan === plan && c.app === app.name && routable(c) && knownGood(c.id)).map(backendOf);
      backends.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.container < b.container ? -1 : 1));
      apps.push(routeApp(plan, app, backends));
    }
  }
  return { apps };
}

/** The routeKey of every app of a table. */
export function routeKeys(table: RoutingTable): Set<string> {
  return new Set(table.apps.map((a) => routeKey(a.plan ?? '', a.name)));
}

/**
 * The table a deploy's switch routes: an app new to routing (not in `routedBefore`, the keys of
 * the table as the deploy found it) stays out until its own switch (`switched`, by routeKey), so
 * its hosts answer as they did before the deploy rather than 503, and no VCL is compiled for it
 * without backends. Every app routed before stays, switched or not.
 */
export function untilSwitched(table: RoutingTable, routedBefore: ReadonlySet<string>, switched: Pick<ReadonlySet<string>, 'has'>): RoutingTable {
  const apps = table.apps.filter((a) => {
    const key = routeKey(a.plan ?? '', a.name);
    return routedBefore.has(key) || switched.has(key);
  });
  return apps.length === table.apps.length ? table : { ...table, apps };
}

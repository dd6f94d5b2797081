import { createHash } from 'node:crypto';
import Mustache from 'mustache';
import { UserError } from '../errors.js';
import { EDGE_DEFAULTS, HEALTH_DEFAULTS, ROUTE_TIMEOUT_DEFAULTS, validateRoutingTable, type RouteApp, type RouteTimeouts, type RoutingTable } from './routing.js';

/** The first backend is Varnish's default; it is never routed to. Its prefix is not one of ours. */
export const PLACEHOLDER_BACKEND = 'cmx_unrouted';

/** cloudmatrix's HTTP-01 responder on the manager; declared only when an app uses it (an unused backend does not compile). */
export const ACME_BACKEND = 'cmx_acme';

/** The templates as data (read by adapters/vcl-templates.ts); `source` names them in errors. */
export type VclTemplates = { source: string; main: string; partials: Record<string, string> };

/** Varnish's default max_retries: a `return (retry)` beyond it fails the fetch without our page. */
export const MAX_RETRIES = 4;

export type VclView = {
  routingHash: string;
  placeholder: string;
  probes: { name: string; url: string; interval: string; timeout: string; window: number; threshold: number; initial: number }[];
  backends: {
    name: string; app: string; container: string; node: string; host: string; port: string; probe: string;
    connectTimeout: string; firstByteTimeout: string; betweenBytesTimeout: string; maxConnections: number | null;
  }[];
  directors: { name: string; app: string; kind: string; members: { backend: string; weight: string | null }[] }[];
  /** apps with two backends or more: where a failed fetch may go next */
  retries: { keyword: 'if' | 'elsif'; app: string; backends: { keyword: 'if' | 'elsif'; name: string }[] }[];
  maxRetries: number;
  hostTree: HostNode;
  pathRoutes: PathRoute[];
  proxyPort: number;
  /** `:6443` in the lab, empty on 443 */
  httpsPortSuffix: string;
  acmeBackend: string;
  /** the responder, when an app has `tls: acme` */
  acme: { host: string; port: string } | null;
  /** apps with TLS: HTTP-01 challenges to the responder (acme), plain HTTP redirected (redirect) */
  tlsApps: { keyword: 'if' | 'elsif'; app: string; acme: boolean; redirect: boolean }[];
};
type Target = { app: string; select: string };
export type HostRoute = Target & { keyword: 'if' | 'elsif'; host: string };
export type PathRoute = Target & { keyword: 'if' | 'elsif'; regex: string };
/** Both keys on every node: mustache would otherwise find a parent's `split` and recurse forever. */
export type HostNode = { split: { regex: string; yes: HostNode; no: HostNode } | null; leaf: HostRoute[] };

const LEAF_SIZE = 8;

/**
 * Host routes as a binary tree of one-character tests (`^...[chars]`: k dots) with at most LEAF_SIZE
 * exact comparisons at each leaf: O(log n) header reads per request instead of one per host.
 * The tests only narrow down; the exact `==` at the leaf decides, so an unknown host matches nothing.
 */
export function hostTree(routes: (Target & { host: string })[]): HostNode {
  let k = 0;
  while (k < 256 && routes.every((r) => r.host[k] === routes[0]!.host[k])) k++;
  if (routes.length <= LEAF_SIZE || k === 256) {
    return { split: null, leaf: routes.map((r, i) => ({ ...r, keyword: i === 0 ? 'if' : 'elsif' })) };
  }
  const groups = new Map<string, typeof routes>();
  for (const r of routes) {
    const c = r.host[k] ?? '';
    if (!groups.has(c)) groups.set(c, []);
    groups.get(c)!.push(r);
  }
  // Shorter hosts (no character at k) never match the test, so they always go to `no`.
  const chars = [...groups.keys()].filter((c) => c !== '').sort();
  let best = 1;
  let yes = 0;
  let bestYes = groups.get(chars[0]!)!.length;
  for (let j = 1; j < chars.length; j++) {
    yes += groups.get(chars[j - 1]!)!.length;
    if (Math.abs(routes.length / 2 - yes) < Math.abs(routes.length / 2 - bestYes)) [best, bestYes] = [j, yes];
  }
  const yesSet = chars.slice(0, best);
  // In a character class `.` is literal; `-` must come first.
  const cls = [...yesSet.filter((c) => c === '-'), ...yesSet.filter((c) => c !== '-')].join('');
  return {
    split: {
      regex: `^${'.'.repeat(k)}[${cls}]`,
      yes: hostTree(yesSet.flatMap((c) => groups.get(c)!)),
      no: hostTree(routes.filter((r) => !yesSet.includes(r.host[k] ?? ''))),
    },
    leaf: [],
  };
}

const MAX_PART = { plan: 20, app: 24, node: 16 } as const;

/**
 * How the VCL knows each app (X-Cloudmatrix-App, comments, retries): its name, or `plan/name`
 * when two plans route an app of that name. A table whose names are unique renders as before.
 */
export function routeIds(apps: readonly Pick<RouteApp, 'name' | 'plan'>[]): string[] {
  const count = new Map<string, number>();
  for (const a of apps) count.set(a.name, (count.get(a.name) ?? 0) + 1);
  return apps.map((a) => (count.get(a.name)! > 1 ? `${a.plan ?? ''}/${a.name}` : a.name));
}

/** The identifier parts of an app: its name, preceded by its plan when the name is shared. */
export function appIdentParts(a: Pick<RouteApp, 'name' | 'plan'>, id: string): [string, number][] {
  return id === a.name ? [[a.name, MAX_PART.app]] : [[a.plan ?? '', MAX_PART.plan], [a.name, MAX_PART.app]];
}

/** One part of an identifier: lowercase (Varnish ignores case), runs of other characters become one `_`. */
export function identPart(s: string, max: number): { part: string; cut: boolean } {
  const clean = s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'x';
  const part = clean.slice(0, max).replace(/_+$/, '');
  return { part, cut: part !== clean };
}

const hash8 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 8);

/**
 * Gives each key a Varnish identifier `prefix__part__part...`. Parts never contain `__`, so
 * distinct part lists give distinct names; a name whose parts were cut, or that collides with
 * another (e.g. `Web` and `web`), gets `__<hash8 of its key>` so the result is stable and unique.
 */
export function assignIdentifiers(items: { key: string; prefix: string; parts: [string, number][] }[]): string[] {
  const bases = items.map(({ prefix, parts }) => {
    const cut = parts.map(([s, max]) => identPart(s, max));
    return { name: [prefix, ...cut.map((c) => c.part)].join('__'), cut: cut.some((c) => c.cut) };
  });
  const count = new Map<string, number>();
  for (const b of bases) count.set(b.name, (count.get(b.name) ?? 0) + 1);
  const names = bases.map((b, i) => (b.cut || count.get(b.name)! > 1 ? `${b.name}__${hash8(items[i]!.key)}` : b.name));
  if (new Set(names).size !== names.length) throw new Error('VCL identifier collision after hashing');
  return names;
}

const ms = (n: number): string => `${Math.round(n)}ms`;
const real = (w: number): string => (Number.isInteger(w) ? w.toFixed(1) : String(w));

/** `/app/` matches `/app/...`; `/app` matches `/app`, `/app/...`, `/app?...` but not `/apple`. */
export function pathRegex(path: string): string {
  const esc = path.replace(/[.$()*+]/g, '\\$&');
  return path.endsWith('/') ? `^${esc}` : `^${esc}(/|\\?|$)`;
}

/** The template view: every value is already validated or built from validated parts. */
export function vclView(table: RoutingTable): VclView {
  validateRoutingTable(table);
  const apps = table.apps;
  const ids = routeIds(apps);
  // Probe and director of an app share its identifier tail: `pr__web`, `dr__web` (`pr__staging__web` when two plans have a web).
  const probeIds = assignIdentifiers(apps.map((a, i) => ({ key: ids[i]!, prefix: 'pr', parts: appIdentParts(a, ids[i]!) })));
  const directorOf = (i: number) => `dr${probeIds[i]!.slice(2)}`;
  const flat = apps.flatMap((a, i) => a.backends.map((b) => ({ a, i, b })));
  const beIds = assignIdentifiers(
    flat.map(({ a, i, b }) => ({
      key: JSON.stringify([ids[i], b.node, b.address, b.port, b.container]),
      prefix: 'be',
      parts: [...appIdentParts(a, ids[i]!), [b.node, MAX_PART.node], [String(b.port), 5]],
    })),
  );

  const probes: VclView['probes'] = [];
  apps.forEach((a, i) => {
    const threshold = a.health.threshold ?? HEALTH_DEFAULTS.threshold;
    const window = a.health.window ?? HEALTH_DEFAULTS.window;
    // An unused probe does not compile, so an app without backends gets none.
    if (a.backends.length === 0) return;
    probes.push({ name: probeIds[i]!, url: a.health.path, interval: ms(a.health.intervalMs), timeout: ms(a.health.timeoutMs), window, threshold, initial: threshold });
  });
  const backends = flat.map(({ a, i, b }, k) => {
    const t: RouteTimeouts = a.timeouts ?? ROUTE_TIMEOUT_DEFAULTS;
    return {
      name: beIds[k]!,
      app: ids[i]!,
      container: b.container,
      node: b.node,
      host: b.address,
      port: String(b.port),
      probe: probeIds[i]!,
      connectTimeout: ms(t.connectMs),
      firstByteTimeout: ms(t.firstByteMs),
      betweenBytesTimeout: ms(t.betweenBytesMs),
      maxConnections: a.maxConnections ?? null,
    };
  });
  const directors: VclView['directors'] = apps.map((a, i) => ({ name: directorOf(i), app: ids[i]!, kind: a.director, members: [] }));
  flat.forEach(({ a, i, b }, k) => {
    const weighted = a.director === 'random' || a.director === 'hash';
    directors[i]!.members.push({ backend: beIds[k]!, weight: weighted ? real(b.weight ?? 1) : null });
  });

  const select = (i: number): string => selectExpr(apps[i]!, directorOf(i));
  const hosts = apps.flatMap((a, i) => a.hosts.map((host) => ({ host, app: ids[i]!, select: select(i) })));
  // Longest prefix first, so `/a/b/` wins over `/a/`.
  const paths = apps.flatMap((a, i) => a.paths.map((path) => ({ path, i })));
  paths.sort((x, y) => y.path.length - x.path.length || (x.path < y.path ? -1 : 1));
  const pathRoutes: PathRoute[] = paths.map(({ path, i }, k) => ({
    keyword: k === 0 ? 'if' : 'elsif',
    app: ids[i]!,
    select: select(i),
    regex: pathRegex(path),
  }));
  const retries = retryView(directors);
  const edge = table.edge ?? EDGE_DEFAULTS;
  const tlsApps = apps
    .map((a, i) => ({ a, id: ids[i]! }))
    .filter(({ a }) => a.httpsRedirect || a.acmeChallenge)
    .map(({ a, id }, k) => ({ keyword: (k === 0 ? 'if' : 'elsif') as 'if' | 'elsif', app: id, acme: !!a.acmeChallenge, redirect: !!a.httpsRedirect }));
  return {
    routingHash: routingHash(table), placeholder: PLACEHOLDER_BACKEND, probes, backends, directors, hostTree: hostTree(hosts), pathRoutes,
    retries, maxRetries: MAX_RETRIES, proxyPort: edge.proxyPort, httpsPortSuffix: edge.httpsPort === 443 ? '' : `:${edge.httpsPort}`,
    acmeBackend: ACME_BACKEND, acme: tlsApps.some((a) => a.acme) ? { host: edge.acmeHost, port: String(edge.acmePort) } : null, tlsApps,
  };
}

/** How a request picks a backend of the app's director. */
export function selectExpr(app: Pick<RouteApp, 'director' | 'hashBy'>, director: string): string {
  if (app.director !== 'hash') return `${director}.backend()`;
  return `${director}.backend(${app.hashBy === 'url' ? 'req.url' : 'client.identity'})`;
}

/** Backends in director order (fallback's order matters): a retry takes the first healthy one not tried yet. */
function retryView(directors: VclView['directors']): VclView['retries'] {
  const kw = (k: number) => (k === 0 ? 'if' : 'elsif') as 'if' | 'elsif';
  return directors
    .filter((d) => d.members.length > 1)
    .map((d, k) => ({ keyword: kw(k), app: d.app, backends: d.members.map((m, j) => ({ keyword: kw(j), name: m.backend })) }));
}

/** Mustache escapes for HTML; VCL needs none, but a value must never open or close a string or block. */
export function vclEscape(value: unknown): string {
  const s = String(value);
  if (/["{}\r\n\0]/.test(s)) throw new Error(`refusing to put ${JSON.stringify(s)} into VCL`);
  return s;
}

export function renderVcl(table: RoutingTable, templates: VclTemplates): string {
  const view = vclView(table);
  try {
    return Mustache.render(templates.main, view, templates.partials, { escape: vclEscape });
  } catch (err) {
    throw new UserError(`${templates.source}: cannot render VCL: ${(err as Error).message}`);
  }
}

/** A stable content hash of what routing means: app, host and path order do not matter; backend order does (fallback). */
export function routingHash(table: RoutingTable): string {
  const sorted = (xs: string[]) => [...xs].sort();
  const ids = routeIds(table.apps);
  const apps = table.apps
    .map((a, i) => {
      const h = a.health;
      const backends = a.backends.map((b) => [b.container, b.node, b.address, b.port, b.weight ?? null]);
      const t = a.timeouts ?? ROUTE_TIMEOUT_DEFAULTS;
      return [
        ids[i]!, sorted(a.hosts), sorted(a.paths), a.director, a.hashBy ?? null, [h.path, h.intervalMs, h.timeoutMs, h.window ?? null, h.threshold ?? null],
        backends, [t.connectMs, t.firstByteMs, t.betweenBytesMs, a.maxConnections ?? null],
        // Only when set, so that the hash of a table without TLS stays what it was.
        ...(a.httpsRedirect || a.acmeChallenge ? [[!!a.httpsRedirect, !!a.acmeChallenge]] : []),
      ];
    })
    .sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(table.edge ? [apps, table.edge] : apps)).digest('hex');
}

import { UserError } from '../errors.js';

/** What Varnish must route: the input to VCL rendering, independent of the plan format. */
export type RoutingTable = { apps: RouteApp[]; edge?: RouteEdge };

/**
 * Where TLS and ACME meet Varnish on the manager: hitch sends TLS connections to Varnish's PROXY
 * listener on `proxyPort`; plain HTTP is redirected to `httpsPort`; HTTP-01 challenges go to the
 * responder at `acmeHost:acmePort`.
 */
export type RouteEdge = { proxyPort: number; httpsPort: number; acmeHost: string; acmePort: number };

/** The lab's and the provisioning's ports: hitch -> Varnish PROXY listener, the HTTP-01 responder. */
export const EDGE_DEFAULTS: RouteEdge = { proxyPort: 6086, httpsPort: 6443, acmeHost: '127.0.0.1', acmePort: 8702 };

/** The edge a config describes (`tls.listen`, `acme.responder`); defaults for what it leaves out. */
export function edgeOf(config: { tls?: { listen: string }; acme?: { responder: string } }): RouteEdge {
  const port = (hp: string | undefined) => (hp === undefined ? undefined : Number(hp.slice(hp.lastIndexOf(':') + 1)));
  const responder = config.acme?.responder;
  return {
    proxyPort: EDGE_DEFAULTS.proxyPort,
    httpsPort: port(config.tls?.listen) ?? EDGE_DEFAULTS.httpsPort,
    acmeHost: responder ? responder.slice(0, responder.lastIndexOf(':')) : EDGE_DEFAULTS.acmeHost,
    acmePort: port(responder) ?? EDGE_DEFAULTS.acmePort,
  };
}

export type DirectorKind = 'round_robin' | 'fallback' | 'random' | 'hash';

export type RouteApp = {
  name: string;
  /** the plan the app belongs to: with the name, the app's identity (its VCL label on Varnish 5+) */
  plan?: string;
  hosts: string[];
  paths: string[];
  director: DirectorKind;
  hashBy?: 'client' | 'url';
  health: { path: string; intervalMs: number; timeoutMs: number; window?: number; threshold?: number };
  /** per backend; ROUTE_TIMEOUT_DEFAULTS when absent */
  timeouts?: RouteTimeouts;
  /** per backend; Varnish's default (no limit) when absent */
  maxConnections?: number;
  /** plain HTTP to one of its hosts gets a 301 to https (`tls` with `https: redirect`) */
  httpsRedirect?: boolean;
  /** `/.well-known/acme-challenge/` on its hosts goes to the HTTP-01 responder (`tls: acme`) */
  acmeChallenge?: boolean;
  backends: RouteBackend[];
};

export type RouteTimeouts = { connectMs: number; firstByteMs: number; betweenBytesMs: number };

export type RouteBackend = {
  container: string;
  node: string;
  address: string;
  port: number;
  weight?: number;
};

export const DIRECTORS: readonly DirectorKind[] = ['round_robin', 'fallback', 'random', 'hash'];

export const ROUTE_TIMEOUT_DEFAULTS: RouteTimeouts = { connectMs: 2000, firstByteMs: 30_000, betweenBytesMs: 30_000 };

/** Probe window and threshold when the app gives none: a dead backend turns sick after 3 probes. */
export const HEALTH_DEFAULTS = { window: 5, threshold: 3 } as const;

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 3986 path characters minus `?` and `#`; every `%` starts a valid escape.
const ROUTE_PATH = /^\/([A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const HEALTH_PATH = /^\/([A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PRINTABLE = /^[\x21-\x7e]{1,253}$/;

export function isHostName(s: string): boolean {
  return s.length <= 253 && s.split('.').every((label) => HOST_LABEL.test(label));
}

export function isRoutePath(s: string): boolean {
  return s.length <= 1024 && ROUTE_PATH.test(s);
}

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

const isInt = (n: unknown, min: number, max: number): boolean =>
  typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/**
 * Rejects every value that could break or inject into the VCL, and ambiguous routes
 * (a host or path claimed twice). Collects all problems, then throws one UserError.
 */
export function validateRoutingTable(table: RoutingTable): void {
  const problems: string[] = [];
  if (!table || !Array.isArray(table.apps)) throw new UserError('routing: apps must be a list');
  const names = new Set<string>();
  const hostOwner = new Map<string, string>();
  const pathOwner = new Map<string, string>();
  table.apps.forEach((app, i) => {
    const where = typeof app?.name === 'string' && APP_NAME.test(app.name) ? `app "${app.name}"` : `apps[${i}]`;
    const bad = (field: string, why: string) => problems.push(`${where}: ${field}: ${why}`);
    if (!app || typeof app !== 'object') return bad('(app)', 'not an object');
    if (typeof app.name !== 'string' || !APP_NAME.test(app.name)) {
      bad('name', `${show(app.name)} must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    } else if (names.has(`${app.plan ?? ''}/${app.name}`)) bad('name', 'duplicate app name');
    else names.add(`${app.plan ?? ''}/${app.name}`);
    // Two plans may each have an app of one name: a host or a path still goes to one of them.
    const shown = typeof app.plan === 'string' && app.plan !== '' ? `${app.plan}/${app.name}` : app.name;

    const hosts = Array.isArray(app.hosts) ? app.hosts : (bad('hosts', 'must be a list'), []);
    hosts.forEach((h, j) => {
      if (typeof h !== 'string' || !isHostName(h)) return bad(`hosts[${j}]`, `${show(h)} is not a lowercase RFC 1123 host name`);
      const owner = hostOwner.get(h);
      if (owner !== undefined) return bad(`hosts[${j}]`, `"${h}" is already routed to app "${owner}"`);
      hostOwner.set(h, shown);
    });
    const paths = Array.isArray(app.paths) ? app.paths : (bad('paths', 'must be a list'), []);
    paths.forEach((p, j) => {
      if (typeof p !== 'string' || !isRoutePath(p)) {
        return bad(`paths[${j}]`, `${show(p)} must start with "/" and hold only URL path characters (no quotes, braces, backslash, space, "?" or "#")`);
      }
      const owner = pathOwner.get(p);
      if (owner !== undefined) return bad(`paths[${j}]`, `"${p}" is already routed to app "${owner}"`);
      pathOwner.set(p, shown);
    });
    if (hosts.length === 0 && paths.length === 0) bad('hosts', 'an app needs at least one host or path');

    if (!DIRECTORS.includes(app.director)) bad('director', `${show(app.director)} is not one of ${DIRECTORS.join(', ')}`);
    if (app.hashBy !== undefined) {
      if (app.hashBy !== 'client' && app.hashBy !== 'url') bad('hashBy', `${show(app.hashBy)} is not "client" or "url"`);
      else if (app.director !== 'hash') bad('hashBy', 'only applies to director "hash"');
    }
    validateHealth(app.health, bad);
    validateLimits(app, bad);
    validateBackends(app.backends, bad);
  });
  if (table.edge !== undefined) validateEdge(table.edge, (field, why) => problems.push(`edge: ${field}: ${why}`));
  if (problems.length > 0) throw new UserError(`routing: ${problems.join('; ')}`);
}

function validateEdge(edge: RouteEdge, bad: Bad): void {
  if (!edge || typeof edge !== 'object') return bad('(edge)', 'not an object');
  for (const k of ['proxyPort', 'httpsPort', 'acmePort'] as const) {
    if (!isInt(edge[k], 1, 65535)) bad(k, `${show(edge[k])} must be an integer from 1 to 65535`);
  }
  if (typeof edge.acmeHost !== 'string' || !isIPv4(edge.acmeHost)) bad('acmeHost', `${show(edge.acmeHost)} is not an IPv4 address`);
}

type Bad = (field: string, why: string) => void;

function validateHealth(health: RouteApp['health'], bad: Bad): void {
  if (!health || typeof health !== 'object') return bad('health', 'must be an object');
  const { path, intervalMs, timeoutMs, window = HEALTH_DEFAULTS.window, threshold = HEALTH_DEFAULTS.threshold } = health;
  if (typeof path !== 'string' || path.length > 1024 || !HEALTH_PATH.test(path)) {
    bad('health.path', `${show(path)} must start with "/" and hold only URL characters`);
  }
  if (!isInt(intervalMs, 100, 3_600_000)) bad('health.intervalMs', `${show(intervalMs)} must be an integer from 100 to 3600000`);
  if (!isInt(timeoutMs, 1, 3_600_000)) bad('health.timeoutMs', `${show(timeoutMs)} must be an integer from 1 to 3600000`);
  else if (typeof intervalMs === 'number' && timeoutMs > intervalMs) bad('health.timeoutMs', 'must not exceed health.intervalMs');
  if (!isInt(window, 1, 64)) bad('health.window', `${show(window)} must be an integer from 1 to 64`);
  if (!isInt(threshold, 1, 64)) bad('health.threshold', `${show(threshold)} must be an integer from 1 to 64`);
  else if (typeof window === 'number' && threshold > window) bad('health.threshold', 'must not exceed health.window');
}

function validateLimits(app: RouteApp, bad: Bad): void {
  if (app.timeouts !== undefined) {
    if (!app.timeouts || typeof app.timeouts !== 'object') bad('timeouts', 'must be an object');
    else {
      for (const k of ['connectMs', 'firstByteMs', 'betweenBytesMs'] as const) {
        if (!isInt(app.timeouts[k], 1, 3_600_000)) bad(`timeouts.${k}`, `${show(app.timeouts[k])} must be an integer from 1 to 3600000`);
      }
    }
  }
  const max = app.maxConnections;
  if (max !== undefined && !isInt(max, 1, 1_000_000)) bad('maxConnections', `${show(max)} must be an integer from 1 to 1000000`);
}

function validateBackends(backends: RouteBackend[], bad: Bad): void {
  if (!Array.isArray(backends)) return bad('backends', 'must be a list');
  const seen = new Set<string>();
  backends.forEach((b, k) => {
    const at = `backends[${k}]`;
    if (!b || typeof b !== 'object') return bad(at, 'not an object');
    if (typeof b.container !== 'string' || !PRINTABLE.test(b.container)) bad(`${at}.container`, `${show(b.container)} must be a printable name or id`);
    if (typeof b.node !== 'string' || !PRINTABLE.test(b.node)) bad(`${at}.node`, `${show(b.node)} must be a printable node name`);
    if (typeof b.address !== 'string' || !isIPv4(b.address)) bad(`${at}.address`, `${show(b.address)} is not an IPv4 address`);
    if (!isInt(b.port, 1, 65535)) bad(`${at}.port`, `${show(b.port)} must be an integer from 1 to 65535`);
    const w = b.weight;
    if (w !== undefined && !(typeof w === 'number' && Number.isFinite(w) && w >= 0.001 && w <= 1_000_000)) {
      bad(`${at}.weight`, `${show(w)} must be a number from 0.001 to 1000000`);
    }
    const endpoint = `${b.address}:${b.port}`;
    if (seen.has(endpoint)) bad(at, `${endpoint} is listed twice`);
    seen.add(endpoint);
  });
}

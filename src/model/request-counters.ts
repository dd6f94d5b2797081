import { identPart } from './vcl.js';

/**
 * Varnish's per-backend request counters (`VBE.<vcl>.<backend>.req` of `varnishstat -j`), turned
 * into requests per second per app. Pure: the adapter runs varnishstat, the sensor keeps the state.
 */

/** `VBE.<vcl>.<backend>.req` -> its value; one entry per backend of every loaded VCL. */
export type Counters = ReadonlyMap<string, number>;

/** What varnishstat -j printed: 6.0+ `{version, timestamp, counters: {...}}`, 4.1 and 5.x flat `{timestamp, "NAME": {...}}`. */
export function parseBackendRequests(json: string): Map<string, number> {
  const doc = JSON.parse(json) as Record<string, unknown>;
  const counters = (typeof doc.counters === 'object' && doc.counters !== null ? doc.counters : doc) as Record<string, unknown>;
  const out = new Map<string, number>();
  for (const [name, entry] of Object.entries(counters)) {
    if (!name.startsWith('VBE.') || !name.endsWith('.req')) continue;
    const value = (entry as { value?: unknown } | null)?.value;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) out.set(name, value);
  }
  return out;
}

/** The backend's name in `VBE.<vcl>.<backend>.req` (VCL and backend names carry no dot). */
export function backendOfCounter(name: string): string | null {
  const parts = name.split('.');
  return parts.length === 4 && parts[0] === 'VBE' && parts[3] === 'req' ? parts[2]! : null;
}

/** The app part of its backends' names, for a route id of vcl.ts routeIds (`web`, or `staging/web` when two plans have a web). */
function appPart(id: string): string {
  const slash = id.indexOf('/');
  if (slash < 0) return identPart(id, 24).part;
  return `${identPart(id.slice(0, slash), 20).part}__${identPart(id.slice(slash + 1), 24).part}`;
}

/**
 * Which app a backend serves. Our backends are named `be__<app part>__<node>__<port>[__hash]`
 * (vcl.ts): the app part is the app's name lowercased, `-` as `_`, cut at 24 characters, and the
 * plan's part before it when two plans route an app of that name (`apps` are then route ids,
 * `plan/app`). The longest matching part wins; two apps that share it (`my-app` and `my_app`)
 * are told apart by `known` (names from the routing the caller rendered); a backend still
 * ambiguous, or not ours, belongs to no app.
 */
export function appResolver(apps: readonly string[], known: ReadonlyMap<string, string> = new Map()): (backend: string) => string | null {
  const parts = apps.map((app) => ({ app, prefix: `be__${appPart(app)}__` }));
  return (backend) => {
    const lower = backend.toLowerCase();
    const exact = known.get(lower);
    if (exact !== undefined) return apps.includes(exact) ? exact : null;
    const owners = parts.filter((p) => lower.startsWith(p.prefix));
    const longest = Math.max(0, ...owners.map((o) => o.prefix.length));
    const best = owners.filter((o) => o.prefix.length === longest);
    return best.length === 1 ? best[0]!.app : null;
  };
}

/**
 * Requests per app between two readings. A counter that went down was reset (varnishd restarted)
 * and counts from zero; one that is new belongs to a VCL loaded since (its backends start at
 * zero); one that vanished was discarded with its VCL. So no delta is ever negative.
 */
export function requestDeltas(prev: Counters, cur: Counters, appOf: (backend: string) => string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of cur) {
    const backend = backendOfCounter(name);
    const app = backend === null ? null : appOf(backend);
    if (app === null) continue;
    const before = prev.get(name);
    const delta = before === undefined || value < before ? value : value - before;
    out.set(app, (out.get(app) ?? 0) + delta);
  }
  return out;
}

/** One reading's worth of requests per app, over [from, to] (ms). */
export interface RequestInterval {
  from: number;
  to: number;
  requests: ReadonlyMap<string, number>;
}

/** The intervals still needed for a window of `keepMs` ending at `now`. */
export function trimIntervals(intervals: readonly RequestInterval[], now: number, keepMs: number): RequestInterval[] {
  return intervals.filter((i) => i.to > now - keepMs);
}

/**
 * The app's requests per second over the last `windowMs`: the requests of every interval that
 * ends inside the window, over the time from the first one's start to `now`. null until there is
 * an interval (a first reading only sets the baseline).
 */
export function requestRate(intervals: readonly RequestInterval[], app: string, now: number, windowMs: number): number | null {
  const inside = intervals.filter((i) => i.to > now - windowMs && i.to <= now);
  if (inside.length === 0) return null;
  const from = Math.min(...inside.map((i) => i.from));
  const span = now - from;
  if (span <= 0) return null;
  const requests = inside.reduce((n, i) => n + (i.requests.get(app) ?? 0), 0);
  return (requests * 1000) / span;
}

import type { AppSpec, Plan } from '../plan/types.js';

export const ROLES = ['admin', 'deployer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request or a push is: a user of the store, or the built-in admin of api.tokenFile. */
export interface Principal {
  name: string;
  role: Role;
  /** the apps a deployer or viewer may see (and a deployer change); ignored for admins */
  apps: readonly string[];
}

/** What the `api.tokenFile` token is: an admin that no user can be named like (parentheses). */
export const BUILTIN_ADMIN: Principal = { name: '(api.tokenFile)', role: 'admin', apps: [] };

export type Action = 'read' | 'deploy' | 'admin';

/**
 * Whether an entry of a user's apps covers the app: `app` covers that app in every plan,
 * `plan/app` only that plan's. With no plan known (an `APP` not resolved yet: a git repository, a
 * URL before the route resolves it) any entry naming the app covers it; the deploy or the route
 * checks again once the plan is known.
 */
export function covers(entry: string, app: string, plan?: string): boolean {
  const slash = entry.indexOf('/');
  if (slash < 0) return entry === app;
  if (entry.slice(slash + 1) !== app) return false;
  return plan === undefined || entry.slice(0, slash) === plan;
}

/** viewer: read its apps; deployer: also deploy, roll back, scale, push its apps; admin: everything. */
export function can(p: Principal, action: Action, app?: string, plan?: string): boolean {
  if (p.role === 'admin') return true;
  if (action === 'admin' || app === undefined) return false;
  if (!p.apps.some((e) => covers(e, app, plan))) return false;
  return action === 'read' || p.role === 'deployer';
}

/** Whether the principal sees every app (lists are not filtered). */
export const seesAll = (p: Principal): boolean => p.role === 'admin';

/**
 * What a route needs. `filtered`: any signed-in user, the answer is cut to the apps they may
 * read; `job`: the job's owner (or an admin). Anything not named here needs an admin, so a route
 * added later is closed until it is given a rule.
 */
export type RouteRule =
  | { need: 'signed-in' }
  | { need: 'filtered' }
  | { need: 'job' }
  | { need: 'plan-deploy' }
  | { need: Action; app: string; plan?: string }
  | { need: 'admin' };

// Jobs are apps too: reading one needs read, running one (POST /api/jobs/:app/run) deploy.
const APP_SEGMENT = /^\/api\/(?:apps|jobs)\/([^/]+)(\/.*)?$/;

export function routeRule(method: string, path: string): RouteRule {
  const m = method.toUpperCase();
  const read = m === 'GET' || m === 'HEAD';
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (read && (p === '/api/info' || p === '/api/me')) return { need: 'signed-in' };
  if (m === 'POST' && p === '/api/plans/check') return { need: 'signed-in' };
  if (read && ['/api/apps', '/api/routes', '/api/deploys', '/api/images', '/api/series', '/api/jobs'].includes(p)) return { need: 'filtered' };
  if (read && /^\/api\/deploys\/[^/]+(\/events)?$/.test(p)) return { need: 'job' };
  if (m === 'POST' && p === '/api/deploys') return { need: 'plan-deploy' };
  const app = APP_SEGMENT.exec(p);
  if (app) {
    let name: string;
    try {
      name = decodeURIComponent(app[1]!);
    } catch {
      return { need: 'admin' };
    }
    // `PLAN/APP` names one plan's app; `APP` alone is checked again once the route resolved it.
    const slash = name.lastIndexOf('/');
    const need = read ? 'read' : 'deploy';
    return slash < 0 ? { need, app: name } : { need, app: name.slice(slash + 1), plan: name.slice(0, slash) };
  }
  return { need: 'admin' };
}

/** Whether the principal passes a rule that needs no more than the request line. */
export function allowedByRule(p: Principal, rule: RouteRule): boolean {
  switch (rule.need) {
    case 'signed-in':
    case 'filtered':
    case 'job':
    case 'plan-deploy':
      return true; // decided by the route, with what it reads
    case 'admin':
      return p.role === 'admin';
    default:
      return can(p, rule.need, rule.app, rule.plan);
  }
}

/** An app's spec as a comparable string; an autoscaled app's current count is not part of what the plan says. */
function specKey(a: AppSpec): string {
  const { replicas, ...rest } = a;
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(canonical(a.replicaRange ? rest : { ...rest, replicas }));
}

/** The apps a deploy of `next` over the deployed `previous` (same plan name) adds, changes or removes, by name. */
export function appsTouched(previous: Plan | null, next: Plan): string[] {
  const before = new Map((previous?.apps ?? []).map((a) => [a.name, specKey(a)]));
  const after = new Map(next.apps.map((a) => [a.name, specKey(a)]));
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

/** The first app of `touched` (apps of the plan `plan`) the principal may not deploy, or null. */
export function firstForbidden(p: Principal, touched: readonly string[], plan?: string): string | null {
  return touched.find((app) => !can(p, 'deploy', app, plan)) ?? null;
}

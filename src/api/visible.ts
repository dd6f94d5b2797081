import type { DeployRecord } from '../adapters/store/history.js';
import type { AppStatus, RouteRow } from '../deploy/observe.js';
import type { RegistryRepo } from '../images/list.js';
import { can, seesAll, type Principal } from '../model/users/permissions.js';

/** What of the read routes' answers a user sees: only the apps they may read (admins: all). */
export const readable = (p: Principal) => (app: string): boolean => can(p, 'read', app);

export function visibleApps(p: Principal, view: { apps: AppStatus[]; unreachable: { node: string; message: string }[] }) {
  if (seesAll(p)) return view;
  return { apps: view.apps.filter((a) => can(p, 'read', a.app, a.plan)), unreachable: [] };
}

export const visibleRoutes = (p: Principal, rows: RouteRow[]): RouteRow[] => (seesAll(p) ? rows : rows.filter((r) => can(p, 'read', r.app, r.plan)));

/** Records that touched one of the user's apps, each cut to those apps. */
export function visibleHistory(p: Principal, records: DeployRecord[]): DeployRecord[] {
  if (seesAll(p)) return records;
  return records.map((r) => ({ ...r, apps: r.apps.filter((a) => can(p, 'read', a.app, r.plan)) })).filter((r) => r.apps.length > 0);
}

/** Repositories `cloud/<app>` of the user's apps. */
// heldBy names the plans and apps that use an image, others' included: admins only.
export const visibleImages = (p: Principal, repos: RegistryRepo[]): RegistryRepo[] =>
  seesAll(p) ? repos : repos
    .filter((r) => can(p, 'read', r.repository.slice(r.repository.lastIndexOf('/') + 1)))
    .map((r) => ({ ...r, tags: r.tags.map(({ heldBy: _held, ...t }) => t) }));

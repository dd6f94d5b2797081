import { createHash } from 'node:crypto';
import Mustache from 'mustache';
import { UserError } from '../errors.js';
import { identPart, pathRegex, routeIds, selectExpr, vclEscape, vclView, hostTree, type HostNode, type VclTemplates, type VclView } from './vcl.js';
import type { RouteApp, RoutingTable } from './routing.js';

// On Varnish 5.0+ the routing is one small VCL per app, each under a label, and a dispatch VCL
// (the "top") that sends each request to its app's label with `return (vcl(LABEL))`. A switch then
// compiles only the apps whose VCL changed, and the top only when hosts, paths or labels change.

/** The templates the split needs besides the single VCL's partials. */
export const SPLIT_TEMPLATES = ['top', 'app', 'top-host-tree', 'forwarded', 'delivery'] as const;

export type AppVcl = { key: string; app: string; label: string; vcl: string; hash: string };
export type SplitVcl = { top: { vcl: string; hash: string }; apps: AppVcl[] };

export const vclHash8 = (vcl: string): string => createHash('sha256').update(vcl).digest('hex').slice(0, 8);

/** The app's identity: its plan and its name. */
export const appKey = (a: Pick<RouteApp, 'name' | 'plan'>): string => JSON.stringify([a.plan ?? '', a.name]);

const MAX_LABEL_PART = { plan: 20, app: 24 } as const;

/**
 * Varnish VCL and label names share one namespace and take a letter first, then letters, digits,
 * `-` and `_` (VCT_invalid_name). Labels are `cmx-<plan>-<app>`, the parts lowercased with other
 * runs of characters as one `_` (so `-` only ever separates them, and no label looks like one of
 * our VCL names `cmx_<t>_<hash>`); a part that was cut, or a name that two apps would share (case,
 * `.` against `_`), gets `-<hash8 of the key>`. At most 4 + 20 + 1 + 24 + 9 = 58 characters.
 */
export function labelNames(apps: readonly Pick<RouteApp, 'name' | 'plan'>[]): string[] {
  const bases = apps.map((a) => {
    const p = identPart(a.plan ?? 'default', MAX_LABEL_PART.plan);
    const n = identPart(a.name, MAX_LABEL_PART.app);
    return { name: `cmx-${p.part}-${n.part}`, cut: p.cut || n.cut };
  });
  const count = new Map<string, number>();
  for (const b of bases) count.set(b.name, (count.get(b.name) ?? 0) + 1);
  const names = bases.map((b, i) => (b.cut || count.get(b.name)! > 1 ? `${b.name}-${vclHash8(appKey(apps[i]!))}` : b.name));
  if (new Set(names).size !== names.length) throw new Error('VCL label collision after hashing');
  return names;
}

export const LABEL = /^cmx-[a-z0-9_]+-[a-z0-9_]+(-[0-9a-f]{8})?$/;

type TopTarget = { app: string; select: string; label: string };
export type TopView = {
  placeholder: string;
  hostTree: HostNode;
  pathRoutes: { keyword: 'if' | 'elsif'; app: string; regex: string; label: string }[];
  httpsPortSuffix: string;
};

export type AppView = Omit<VclView, 'hostTree' | 'pathRoutes' | 'tlsApps' | 'routingHash'> & {
  app: string;
  label: string;
  select: string;
  /** the app's own hosts, when it has TLS rules: a request for one of them was routed by host */
  tls: { acme: boolean; redirect: boolean; hosts: { or: string; host: string }[] } | null;
};

/** The dispatch view and one view per app, from the same identifiers as the single VCL (same backend names, same counters). */
export function splitViews(table: RoutingTable): { top: TopView; apps: (AppView & { key: string })[] } {
  const full = vclView(table);
  const labels = labelNames(table.apps);
  const ids = routeIds(table.apps);
  const apps = table.apps.map((a, i) => {
    const director = full.directors[i]!;
    const backends = full.backends.filter((b) => b.app === ids[i]);
    const probeNames = new Set(backends.map((b) => b.probe));
    const hosts = a.hosts.map((host, k) => ({ or: k === 0 ? '' : '|| ', host }));
    const tls = (a.httpsRedirect || a.acmeChallenge) && hosts.length > 0 ? { acme: !!a.acmeChallenge, redirect: !!a.httpsRedirect, hosts } : null;
    const retries = full.retries.filter((r) => r.app === ids[i]).map((r) => ({ ...r, keyword: 'if' as const }));
    return {
      key: appKey(a),
      app: ids[i]!,
      label: labels[i]!,
      select: selectExpr(a, director.name),
      placeholder: full.placeholder,
      probes: full.probes.filter((p) => probeNames.has(p.name)),
      backends,
      directors: [director],
      retries,
      maxRetries: full.maxRetries,
      proxyPort: full.proxyPort,
      httpsPortSuffix: full.httpsPortSuffix,
      acmeBackend: full.acmeBackend,
      // An unused backend does not compile: the responder only where a request can reach it.
      acme: tls?.acme ? full.acme : null,
      tls,
    };
  });
  const target = (i: number): TopTarget => ({ app: ids[i]!, select: '', label: labels[i]! });
  const hosts = table.apps.flatMap((a, i) => a.hosts.map((host) => ({ host, ...target(i) })));
  const paths = table.apps.flatMap((a, i) => a.paths.map((path) => ({ path, i })));
  // Longest prefix first, as in the single VCL.
  paths.sort((x, y) => y.path.length - x.path.length || (x.path < y.path ? -1 : 1));
  const top: TopView = {
    placeholder: full.placeholder,
    hostTree: hostTree(hosts),
    pathRoutes: paths.map(({ path, i }, k) => ({ keyword: k === 0 ? 'if' : 'elsif', app: ids[i]!, regex: pathRegex(path), label: labels[i]! })),
    httpsPortSuffix: full.httpsPortSuffix,
  };
  return { top, apps };
}

export function hasSplitTemplates(templates: VclTemplates): boolean {
  return SPLIT_TEMPLATES.every((t) => typeof templates.partials[t] === 'string');
}

/** The top and every app's VCL, each with its content hash; null when the templates have no top/app (a custom dir from before). */
export function renderSplitVcl(table: RoutingTable, templates: VclTemplates): SplitVcl | null {
  if (!hasSplitTemplates(templates)) return null;
  const views = splitViews(table);
  const render = (main: string, view: object) => {
    try {
      return Mustache.render(main, view, templates.partials, { escape: vclEscape });
    } catch (err) {
      throw new UserError(`${templates.source}: cannot render VCL: ${(err as Error).message}`);
    }
  };
  const top = render(templates.partials.top!, views.top);
  return {
    top: { vcl: top, hash: vclHash8(top) },
    apps: views.apps.map(({ key, ...view }) => {
      const vcl = render(templates.partials.app!, view);
      return { key, app: view.app, label: view.label, vcl, hash: vclHash8(vcl) };
    }),
  };
}

import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { httpStatus } from '../adapters/http-health.js';
import { listNodes } from '../adapters/nodes.js';
import { PlanStore } from '../adapters/store/plans.js';
import { createVarnish } from '../adapters/varnish.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { routable, routingTable, type NamedPlan } from '../model/routes.js';
import { routeIds, vclView } from '../model/vcl.js';
import { readCluster, type Cluster } from './cluster.js';
import { knownGoodOf } from './known-good.js';

/**
 * The deployed plans and the live cluster, read once; what status, routes and the API show.
 * Each container says whether it is known-good (an orphan of an interrupted deploy is not).
 */
export async function observe(config: Config): Promise<{ plans: NamedPlan[]; cluster: Cluster }> {
  const engines = new NodeEngines(config);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    const { isGood } = knownGoodOf(config.stateDir, cluster.containers);
    for (const c of cluster.containers) c.knownGood = isGood(c.id);
    return { plans: new PlanStore(config.stateDir).list(), cluster };
  } finally {
    engines.closeAll();
  }
}

export interface AppStatus {
  plan: string;
  app: string;
  desired: number;
  running: number;
  healthy: number;
  /** containers of the app that never passed a health check under a deploy: never routed, removed by the next deploy */
  orphans: number;
  nodes: string[];
  revisions: string[];
  hosts: string[];
  paths: string[];
  /** set (true) for an app without a port: never routed, healthy by running */
  worker?: boolean;
  containers: { node: string; name: string; state: string; address: string | null; port: number | null; healthy: boolean; knownGood: boolean; revision: string }[];
}

const isKnownGood = (c: CloudContainer): boolean => c.knownGood !== false;

/** Healthy means known-good and answering its health check now; a worker (no port): known-good and running. */
async function probe(c: CloudContainer, path: string, worker: boolean): Promise<boolean> {
  if (worker) return c.state === 'running' && isKnownGood(c);
  if (!routable(c) || !isKnownGood(c)) return false;
  try {
    const s = await httpStatus({ address: c.address!, port: c.port!, path }, 1500);
    return s >= 200 && s < 400;
  } catch {
    return false;
  }
}

/** Per app: desired vs running replicas, health (checked from the manager), nodes, revisions. */
export async function appStatus(plans: readonly NamedPlan[], containers: readonly CloudContainer[]): Promise<AppStatus[]> {
  const rows = plans.flatMap(({ name: plan, plan: p }) => p.apps.map((app) => ({ plan, app })));
  return Promise.all(
    rows.map(async ({ plan, app }) => {
      const mine = containers.filter((c) => c.plan === plan && c.app === app.name);
      const health = await Promise.all(mine.map((c) => probe(c, app.health.path, app.worker === true)));
      const list = mine.map((c, i) => ({ node: c.node, name: c.name, state: c.state, address: c.address, port: c.port, healthy: health[i]!, knownGood: isKnownGood(c), revision: c.revision }));
      return {
        // a job (schedule) keeps no replica running: its runs are in `cloudmatrix jobs`
        plan, app: app.name, desired: app.schedule !== undefined ? 0 : app.replicas, running: mine.filter((c) => c.state === 'running').length,
        healthy: health.filter(Boolean).length, orphans: mine.filter((c) => !isKnownGood(c)).length, nodes: [...new Set(mine.map((c) => c.node))].sort(),
        revisions: [...new Set(mine.map((c) => c.revision))], hosts: app.hosts, paths: app.paths, ...(app.worker ? { worker: true } : {}), containers: list,
      };
    }),
  );
}

export interface RouteRow {
  app: string;
  plan?: string;
  hosts: string[];
  paths: string[];
  director: string;
  backends: { name: string; node: string; address: string; port: number; healthy: boolean | null; probe: string | null }[];
}

/** Hostname/path -> backends, with the health Varnish's probes see right now (backend.list). */
export async function liveRoutes(config: Config, plans: readonly NamedPlan[], containers: readonly CloudContainer[]): Promise<RouteRow[]> {
  const table = routingTable(plans, containers, (id) => containers.find((c) => c.id === id)?.knownGood !== false);
  const view = vclView(table);
  const varnish = createVarnish({ admin: config.varnish.admin, secretFile: config.varnish.secretFile, varnishd: config.varnish.varnishd });
  let live: Awaited<ReturnType<typeof varnish.backendList>> = [];
  try {
    const vcls = await varnish.vclList();
    const active = vcls.find((v) => v.status === 'active')?.name;
    // One VCL per app (Varnish 5.0+): the backends live in the VCLs the labels point at, not in the active one.
    const routing = new Set([active, ...vcls.filter((v) => v.status !== 'discarded' && v.state === 'label').map((v) => v.label)]);
    const labelled = routing.size > 1;
    live = (await varnish.backendList(labelled ? '*.*' : '*')).filter((b) => !active || routing.has(b.vcl));
  } finally {
    varnish.close();
  }
  const ids = routeIds(table.apps);
  return table.apps.map((a, i) => ({
    app: a.name, ...(a.plan ? { plan: a.plan } : {}), hosts: a.hosts, paths: a.paths, director: a.director,
    backends: view.backends
      .filter((b) => b.app === ids[i])
      .map((b) => {
        const l = live.find((x) => x.name.toLowerCase() === b.name.toLowerCase());
        const rb = a.backends.find((x) => x.address === b.host && String(x.port) === b.port)!;
        return { name: b.name, node: rb.node, address: b.host, port: Number(b.port), healthy: l ? l.healthy : null, probe: l?.probe ? `${l.probe.good}/${l.probe.window}` : null };
      }),
  }));
}

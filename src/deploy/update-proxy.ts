import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { acquireLock } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { compileCheck, VclCompileError } from '../adapters/varnish.js';
import { routingTable, type NamedPlan } from '../model/routes.js';
import type { RoutingTable } from '../model/routing.js';
import { readCluster } from './cluster.js';
import { knownGoodOf } from './known-good.js';
import { checkedPlan } from './preflight.js';
import { VarnishRouter } from './proxy.js';

export interface UpdateProxyOptions {
  out?: string;
  check?: boolean;
  reload?: boolean;
  templates?: string;
  warn?: (line: string) => void;
}

export interface UpdateProxyResult {
  table: RoutingTable;
  vcl: string;
  changed: boolean;
  name?: string;
}

/** The plans to route: the deployed ones, with the given plan file in place of its own. */
export async function plansToRoute(config: Config, planFile?: string): Promise<NamedPlan[]> {
  const store = new PlanStore(config.stateDir);
  if (!planFile) return store.list();
  const checked = await checkedPlan(planFile, null);
  return store.with({ name: checked.name, plan: checked.plan });
}

/**
 * Renders the VCL from the plans and the known-good containers that run, compile-checks it and
 * (unless only checking) hot-reloads it, holding the deploy lock so that no deploy switches
 * Varnish meanwhile. A VCL that does not compile is reported as a VclCompileError (the
 * templates' fault, not the user's input) and never replaces the running one.
 */
export async function updateProxy(config: Config, planFile: string | undefined, opts: UpdateProxyOptions): Promise<UpdateProxyResult> {
  const plans = await plansToRoute(config, planFile);
  if (plans.length === 0) throw new UserError('no plan given and none deployed yet: cloudmatrix update-proxy PLAN');
  const checkOnly = opts.check || opts.reload === false;
  const lock = checkOnly ? null : acquireLock(join(config.stateDir, 'deploy.lock'), `update-proxy ${planFile ?? '(deployed plans)'}`);
  const engines = new NodeEngines(config);
  const router = new VarnishRouter(config, opts.templates);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    for (const u of cluster.unreachable) opts.warn?.(`${u.node} is unreachable: ${u.message}`);
    const table = routingTable(plans, cluster.containers, knownGoodOf(config.stateDir, cluster.containers, opts.warn).isGood);
    const vcl = router.render(table);
    if (opts.out) writeFileSync(opts.out, vcl);
    if (checkOnly) {
      const r = await compileCheck(vcl, { varnishd: config.varnish.varnishd });
      if (!r.ok) throw new VclCompileError(r.errors);
      return { table, vcl, changed: false };
    }
    const r = await router.apply(table);
    return { table, vcl, changed: r.changed, name: r.name };
  } catch (err) {
    if (err instanceof UserError || err instanceof EnvError || err instanceof VclCompileError) throw err;
    throw new EnvError(`update-proxy: ${(err as Error).message}`);
  } finally {
    engines.closeAll();
    router.close();
    lock?.release();
  }
}

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { PlanStore } from '../adapters/store/plans.js';
import { compileCheck, formatVclErrors, VclCompileError } from '../adapters/varnish.js';
import { readCluster } from '../deploy/cluster.js';
import { checkedPlan } from '../deploy/preflight.js';
import { Proxy } from '../deploy/proxy.js';
import { routingTable, type NamedPlan } from '../model/routes.js';
import type { RoutingTable } from '../model/routing.js';
import { EnvError, UserError } from '../errors.js';

export interface UpdateProxyOptions {
  out?: string;
  check?: boolean;
  reload?: boolean;
  templates?: string;
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

export async function updateProxy(config: Config, planFile: string | undefined, opts: UpdateProxyOptions): Promise<UpdateProxyResult> {
  const plans = await plansToRoute(config, planFile);
  if (plans.length === 0) throw new UserError('no plan given and none deployed yet: cloudmatrix update-proxy PLAN');
  const engines = new NodeEngines(config);
  const proxy = new Proxy(config, opts.templates);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    for (const u of cluster.unreachable) console.error(`cloudmatrix: warning: ${u.node} is unreachable: ${u.message}`);
    const table = routingTable(plans, cluster.containers);
    const vcl = proxy.render(table);
    if (opts.out) writeFileSync(opts.out, vcl);
    if (opts.check || opts.reload === false) {
      const r = await compileCheck(vcl);
      if (!r.ok) throw new VclCompileError(r.errors);
      return { table, vcl, changed: false };
    }
    const r = await proxy.apply(table);
    return { table, vcl, changed: r.changed, name: r.name };
  } catch (err) {
    if (err instanceof VclCompileError) throw new UserError(`the rendered VCL does not compile (the active VCL stays): ${formatVclErrors(err.errors)}`);
    if (err instanceof UserError || err instanceof EnvError) throw err;
    throw new EnvError(`update-proxy: ${(err as Error).message}`);
  } finally {
    engines.closeAll();
    proxy.close();
  }
}

export function registerUpdateProxy(program: Command): void {
  program
    .command('update-proxy')
    .description('render the Varnish VCL from the plan(s) and the live containers, compile-check it, hot-reload it')
    .argument('[plan]', 'plan file (default: the deployed plans)')
    .option('--out <file>', 'also write the VCL to this file')
    .option('--check', 'render and compile-check only; load nothing')
    .option('--no-reload', 'render (and compile-check) but do not load it into Varnish')
    .option('--templates <dir>', 'VCL templates dir (default: vcl-templates/)')
    .action(async (plan: string | undefined, opts: UpdateProxyOptions) => {
      const r = await updateProxy(loadConfig(), plan, opts);
      const backends = r.table.apps.reduce((n, a) => n + a.backends.length, 0);
      const what = `${r.table.apps.length} app(s), ${backends} backend(s)`;
      if (opts.check || opts.reload === false) console.log(`VCL ok: ${what}${opts.out ? `, written to ${opts.out}` : ''}`);
      else console.log(r.changed ? `varnish: loaded ${r.name}: ${what}` : `varnish: routing unchanged (${r.name}): ${what}`);
    });
}

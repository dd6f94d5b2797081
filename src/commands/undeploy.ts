import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { acquireLock } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { readCluster } from '../deploy/cluster.js';
import { stopContainer } from '../deploy/container-ops.js';
import { Proxy } from '../deploy/proxy.js';
import { planName } from '../model/names.js';
import { routingTable } from '../model/routes.js';

/** Takes a plan out of service: unroute its apps first, then stop and remove its containers. */
export async function undeploy(config: Config, planOrFile: string, log: (l: string) => void = () => undefined): Promise<number> {
  const name = planOrFile.includes('/') || planOrFile.includes('.') ? planName(planOrFile) : planOrFile;
  const store = new PlanStore(config.stateDir);
  const lock = acquireLock(join(config.stateDir, 'deploy.lock'), `undeploy ${name}`);
  const engines = new NodeEngines(config);
  const proxy = new Proxy(config);
  try {
    const refs = await listNodes(config);
    const cluster = await readCluster(refs, engines);
    const mine = cluster.containers.filter((c) => c.plan === name);
    if (!store.get(name) && mine.length === 0) throw new UserError(`plan "${name}" is not deployed`);
    const rest = store.list().filter((p) => p.name !== name);
    await proxy.apply(routingTable(rest, cluster.containers));
    store.remove(name);
    await Promise.all(
      mine.map(async (c) => {
        await stopContainer(engines.get(cluster.refs.get(c.node)!), c.id, { remove: true, graceSeconds: 5 });
        log(`[${c.app}] ${c.node}: removed ${c.name}`);
      }),
    );
    return mine.length;
  } finally {
    engines.closeAll();
    proxy.close();
    lock.release();
  }
}

export function registerUndeploy(program: Command): void {
  program
    .command('undeploy')
    .description('take a deployed plan out of service: unroute its apps, remove its containers')
    .argument('<plan>', 'plan name or plan file')
    .action(async (plan: string) => {
      const n = await undeploy(loadConfig(), plan, (l) => console.log(l));
      console.log(`undeployed ${plan}: ${n} container(s) removed`);
    });
}

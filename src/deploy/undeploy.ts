import { join } from 'node:path';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { acquireLock } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { ScaleStore } from '../adapters/store/scale-state.js';
import { planName } from '../model/names.js';
import { routingTable } from '../model/routes.js';
import { reachableRefs, readCluster } from './cluster.js';
import { stopContainer } from './container-ops.js';
import { removePlanJobs } from '../jobs/cleanup.js';
import { knownGoodOf } from './known-good.js';
import { VarnishRouter } from './proxy.js';
import { planVolumes } from './volumes.js';

export interface UndeployResult {
  removed: number;
  /** volumes removed (--delete-volumes), or kept */
  volumes: { removed: string[]; kept: string[] };
  /** containers that could not be removed now (a node not answering), one line each */
  failures: string[];
}

/** Takes a plan out of service: unroute its apps first, then stop and remove its containers. */
export async function undeploy(
  config: Config, planOrFile: string, log: (l: string) => void = () => undefined, opts: { deleteVolumes?: boolean } = {},
): Promise<UndeployResult> {
  const name = planOrFile.includes('/') || planOrFile.includes('.') ? planName(planOrFile) : planOrFile;
  const store = new PlanStore(config.stateDir);
  const lock = acquireLock(join(config.stateDir, 'deploy.lock'), `undeploy ${name}`);
  const engines = new NodeEngines(config);
  const router = new VarnishRouter(config);
  try {
    const cluster = await readCluster(await listNodes(config), engines);
    const mine = cluster.containers.filter((c) => c.plan === name);
    if (!store.get(name) && mine.length === 0) throw new UserError(`plan "${name}" is not deployed`);
    const good = knownGoodOf(config.stateDir, cluster.containers);
    const rest = store.list().filter((p) => p.name !== name);
    await router.apply(routingTable(rest, cluster.containers, good.isGood));
    store.remove(name);
    new ScaleStore(config.stateDir).replacePlan(name, {});
    const failures: string[] = [];
    const removed: string[] = [];
    await Promise.all(
      mine.map(async (c) => {
        try {
          await stopContainer(engines.get(cluster.refs.get(c.node)!), c.id, { remove: true, graceSeconds: 5 });
          removed.push(c.id);
          log(`[${c.app}] ${c.node}: removed ${c.name}`);
        } catch (err) {
          failures.push(`${c.node}: could not remove ${c.name}: ${(err as Error).message}`);
        }
      }),
    );
    good.store.remove(removed);
    await removePlanJobs(config.stateDir, name, reachableRefs(cluster), engines, log, failures);
    for (const u of cluster.unreachable) failures.push(`${u.node} unreachable (its containers of ${name} stay until it answers): ${u.message}`);
    const volumes = await planVolumes(config, name, cluster, engines, { delete: !!opts.deleteVolumes && failures.length === 0, log, failures });
    return { removed: removed.length, failures, volumes };
  } finally {
    engines.closeAll();
    router.close();
    lock.release();
  }
}

import type { NodeEngines } from '../adapters/docker.js';
import type { NodeRef } from '../adapters/nodes.js';
import { JobStore } from '../adapters/store/jobs.js';
import type { StoreWarn } from '../adapters/store/atomic.js';
import { JOB_LABELS } from '../model/job-spec.js';
import { stopContainer } from '../deploy/container-ops.js';

/**
 * An undeployed plan's jobs: the containers of their runs removed from the nodes that answer (a
 * run still going is stopped), their schedule forgotten (the runs' records stay).
 */
export async function removePlanJobs(
  stateDir: string, plan: string, nodes: readonly NodeRef[], engines: NodeEngines, log: (l: string) => void, failures: string[], warn?: StoreWarn,
): Promise<void> {
  new JobStore(stateDir, warn).unschedule(plan);
  await Promise.all(nodes.map(async (node) => {
    const engine = engines.get(node);
    try {
      const list = await engine.listContainers({ all: true, filters: { label: [JOB_LABELS.job] } });
      for (const c of list.filter((x) => (x.Labels[JOB_LABELS.job] ?? '').startsWith(`${plan}/`))) {
        await stopContainer(engine, c.Id, { remove: true, graceSeconds: 5 });
        log(`[${c.Labels[JOB_LABELS.job]}] ${node.name}: removed the run ${(c.Names[0] ?? c.Id).replace(/^\//, '')}`);
      }
    } catch (err) {
      failures.push(`${node.name}: job runs of ${plan} not removed: ${(err as Error).message}`);
    }
  }));
}

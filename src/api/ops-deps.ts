import type { Config } from '../config.js';
import { findJob, jobView, listJobs } from '../jobs/list.js';
import { runJob } from '../jobs/run-job.js';
import { drainNode, undrainNode } from '../nodes/drain.js';
import type { OpsDeps } from './deps.js';

/** The real node maintenance and jobs, for the API. */
export function opsDeps(config: Config): OpsDeps {
  return {
    drain: (node, { moveStateful, log, user }) => drainNode(config, node, { moveStateful, log, ...(user ? { actor: { user: user.name, via: 'api' as const } } : {}) }),
    undrain: (node) => undrainNode(config, node),
    jobs: () => listJobs(config.stateDir),
    job: (ref) => jobView(config.stateDir, ref),
    runJob: (ref, log, user) => {
      const job = findJob(config.stateDir, ref);
      return runJob(config, job.owner, job.app, { trigger: 'manual', log, ...(user ? { user: user.name } : {}) });
    },
  };
}

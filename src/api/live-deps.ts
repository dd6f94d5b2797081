import { join } from 'node:path';
import type { Config } from '../config.js';
import { History } from '../adapters/store/history.js';
import { liveLockHolder } from '../adapters/store/lock.js';
import { ScaleStore } from '../adapters/store/scale-state.js';
import { rollbackPlan } from '../deploy/rollback.js';
import { deployPlan } from '../deploy/deploy.js';
import { appStatus, liveRoutes, observe } from '../deploy/observe.js';
import { listRegistryImages } from '../images/list.js';
import { openAppLogs } from '../logs/app-logs.js';
import { readInventory } from '../inventory/read.js';
import { PlanStore } from '../adapters/store/plans.js';
import { UserStore } from '../adapters/store/users.js';
import type { Plan } from '../model/plan.js';
import { seesAll, type Principal } from '../model/users/permissions.js';
import { refuseForeignApps } from '../users/authorize.js';
import { cached } from './cache.js';
import type { ApiDeps } from './deps.js';
import { nodeViews } from './node-views.js';
import { CordonStore } from '../adapters/store/cordons.js';
import { opsDeps } from './ops-deps.js';
import { nodeCapacities } from '../inventory/capacity.js';
import { readEvents } from '../events/log.js';
import { followEvents } from '../events/follow.js';

// One look at the cluster serves every panel of a dashboard refresh and a metrics scrape.
const OBSERVE_TTL_MS = 2000;
const REGISTRY_TTL_MS = 5000;

/** The API's dependencies on the real cloud: the same functions the CLI commands call. */
export function liveDeps(config: Config, token: string | null, version: string, log: (l: string) => void): ApiDeps {
  const observed = cached(() => observe(config), OBSERVE_TTL_MS);
  const plans = new PlanStore(config.stateDir);
  // The same check as the API's before the job, again under the deploy lock: nothing between them can slip in.
  const guard = (user: Principal | undefined) => user && !seesAll(user)
    ? { actor: { user: user.name, via: 'api' as const }, authorize: (deployed: Plan | null, next: Plan, plan: string) => refuseForeignApps(user, deployed, next, plan) }
    : user ? { actor: { user: user.name, via: 'api' as const } } : {};
  return {
    token,
    users: new UserStore(config.stateDir, (m) => log(`warning: ${m}`)),
    deployedPlan: (name) => plans.get(name),
    uploadsDir: join(config.stateDir, 'uploads'),
    info: { varnish: `http://${config.varnish.listen}`, registry: config.registry, version },
    nodes: cached(async () => {
      const [inv, { cluster }] = await Promise.all([readInventory(config.leasesFile, new Date(), config.staticNodes), observed()]);
      const caps = await nodeCapacities(config, cluster.nodes.filter((n) => n.reachable));
      return nodeViews(inv.nodes, cluster.nodes, cluster.unreachable, caps, new CordonStore(config.stateDir).list().map((c) => c.node));
    }, OBSERVE_TTL_MS),
    images: cached(() => listRegistryImages(config), REGISTRY_TTL_MS),
    apps: cached(async () => {
      const { plans, cluster } = await observed();
      return { apps: await appStatus(plans, cluster.containers), unreachable: cluster.unreachable };
    }, OBSERVE_TTL_MS),
    routes: cached(async () => {
      const { plans, cluster } = await observed();
      return liveRoutes(config, plans, cluster.containers);
    }, OBSERVE_TTL_MS),
    history: async () => new History(config.stateDir).list(),
    autoscale: async () => {
      const store = new ScaleStore(config.stateDir, (m) => log(`warning: ${m}`));
      return { rates: store.rates(), decisions: store.decisions() };
    },
    ...(config.tls ? { certs: async () => (await import('../tls/list.js')).listCertificates(config) } : {}),
    logs: (req) => openAppLogs(config, req),
    events: { read: () => readEvents(config.stateDir), follow: (onEvent) => followEvents(config.stateDir, onEvent) },
    lockHolder: () => liveLockHolder(join(config.stateDir, 'deploy.lock')),
    deploy: ({ planFile, dryRun, log: progress, user }) => deployPlan(config, { planFile, dryRun, log: progress, ...guard(user) }),
    ops: opsDeps(config),
    prepareRollback(app, to, user) {
      const { checked, target } = rollbackPlan(config, app, to);
      return {
        id: { plan: checked.name, app: target.app },
        description: `${app} back to revision ${target.revision} (${target.image})`,
        run: (progress) => deployPlan(config, { planFile: checked.file, plan: checked, kind: 'rollback', log: progress, ...guard(user) }),
      };
    },
    log,
  };
}

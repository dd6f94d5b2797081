import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { listNodes } from '../adapters/nodes.js';
import { History } from '../adapters/store/history.js';
import { deployedApp } from '../plans/deployed-app.js';
import type { AppSpec } from '../model/plan.js';
import { scaleBounds } from '../model/scale-counts.js';
import type { NamedPlan } from '../model/routes.js';
import type { DeployOptions } from '../deploy/deploy.js';
import type { CheckedPlan } from '../deploy/preflight.js';

export interface ScaleTarget {
  owner: NamedPlan;
  app: AppSpec;
  /** the count it runs with now (the deployed plan keeps the last one deployed) */
  current: number;
}

/** The deployed app (`APP` or `PLAN/APP`); a UserError when no deployed plan runs it, or two do. */
export function scaleTarget(config: Config, ref: string): ScaleTarget {
  const { owner, spec } = deployedApp(config.stateDir, ref);
  return { owner, app: spec, current: spec.replicas };
}

/** How many replicas of the app its nodes can hold now (maxPerNode each, one with a fixed host port). */
async function capacity(config: Config, app: AppSpec): Promise<number> {
  const allowed = app.nodes ? new Set(app.nodes.map((n) => n.toLowerCase())) : null;
  const nodes = (await listNodes(config)).filter((n) => allowed === null || allowed.has(n.name.toLowerCase())).length;
  return nodes * (app.hostPort !== undefined ? 1 : app.maxPerNode);
}

/**
 * The deploy that sets APP to N replicas: the deployed plan with that app's count, every image
 * pinned to the digest it was last deployed with (scaling never rolls out a moved tag).
 * N outside the app's range (or, for a fixed count, beyond what its nodes hold) is a UserError.
 * N null: the counts as they are (placing again what a lost node took). `from`: the count an
 * autoscale decision started from; if it changed meanwhile, the deploy keeps the new one.
 */
export async function prepareScale(
  config: Config, ref: string, replicas: number | null, kind: 'scale' | 'autoscale', note?: string, from?: number,
): Promise<{ target: ScaleTarget; options: DeployOptions }> {
  const target = scaleTarget(config, ref);
  const { owner, app } = target;
  const appName = app.name;
  if (kind === 'scale' && replicas !== null) {
    const b = scaleBounds(app, await capacity(config, app));
    if (replicas < b.min || replicas > b.max) {
      const why = app.replicaRange ? `the range of replicas in ${owner.plan.file}` : `what its nodes hold (maxPerNode x nodes)`;
      throw new UserError(`N: ${replicas} is outside ${b.min}..${b.max} for ${appName} (${why})`);
    }
  }
  const history = new History(config.stateDir);
  const pins = new Map<string, string>();
  for (const a of owner.plan.apps) {
    const digest = history.revisions(owner.name, a.name)[0]?.digest;
    if (digest) pins.set(a.image, digest);
  }
  const lastHash = history.list().filter((r) => r.plan === owner.name).at(-1)?.planHash ?? 'scaled';
  const checked: CheckedPlan = {
    file: owner.plan.file, name: owner.name, plan: owner.plan, hash: lastHash, source: { file: owner.plan.file, locate: () => ({ line: 1, col: 1 }) },
  };
  const pinned = app.autoscale ? 'pinned until the next deploy-plan' : 'until the next deploy-plan';
  return {
    target,
    options: {
      planFile: owner.plan.file, plan: checked, kind, pins,
      ...(replicas === null ? {} : { scale: { app: appName, replicas, ...(from === undefined ? {} : { from }) } }),
      note: note ?? `scale ${appName} ${target.current} -> ${replicas} (${pinned} of ${owner.name})`,
    },
  };
}

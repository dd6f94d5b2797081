import { History } from '../adapters/store/history.js';
import type { DeployOptions } from '../deploy/deploy.js';
import type { CheckedPlan } from '../deploy/preflight.js';
import type { NamedPlan } from '../model/routes.js';

/**
 * A deploy of a deployed plan as it is (counts kept, each image pinned to the digest it was last
 * deployed with), so that placement alone decides what moves: what a drain runs per plan.
 */
export function redeployOptions(stateDir: string, owner: NamedPlan, note: string): DeployOptions {
  const history = new History(stateDir);
  const pins = new Map<string, string>();
  for (const a of owner.plan.apps) {
    const digest = history.revisions(owner.name, a.name)[0]?.digest;
    if (digest) pins.set(a.image, digest);
  }
  const hash = history.list().filter((r) => r.plan === owner.name).at(-1)?.planHash ?? 'redeployed';
  const checked: CheckedPlan = { file: owner.plan.file, name: owner.name, plan: owner.plan, hash, source: { file: owner.plan.file, locate: () => ({ line: 1, col: 1 }) } };
  // kind scale without a count: every count (autoscaled, scaled) stays as it is
  return { planFile: owner.plan.file, plan: checked, kind: 'scale', pins, note };
}

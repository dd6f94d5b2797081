import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { UserError } from '../errors.js';
import { History } from '../adapters/store/history.js';
import { PlanStore } from '../adapters/store/plans.js';
import type { AppSpec } from '../model/plan.js';
import type { PlanSource } from '../model/plan.js';
import { runDeploy, type DeployFlags } from './deploy-plan.js';

/** The deployed plan with the app put back to an earlier revision from the history. */
export function rollbackPlan(config: Config, app: string, to?: string) {
  const store = new PlanStore(config.stateDir);
  const owner = store.list().find((p) => p.plan.apps.some((a) => a.name === app));
  if (!owner) throw new UserError(`app "${app}" is not in any deployed plan`);
  const revisions = new History(config.stateDir).revisions(owner.name, app);
  if (revisions.length === 0) throw new UserError(`no successful deploy of "${app}" in the history`);
  const target = to
    ? revisions.find((r) => r.revision.startsWith(to))
    : revisions[1];
  if (!target) {
    const known = revisions.map((r) => r.revision).join(', ');
    throw new UserError(to ? `revision "${to}" of "${app}" is not in the history (known: ${known})` : `"${app}" has no earlier revision to roll back to (known: ${known})`);
  }
  const spec = target.spec as AppSpec;
  const plan = { ...owner.plan, apps: owner.plan.apps.map((a) => (a.name === app ? spec : a)) };
  const source: PlanSource = { file: owner.plan.file, locate: () => ({ line: 1, col: 1 }) };
  return { checked: { file: owner.plan.file, name: owner.name, plan, hash: `rollback-${target.revision}`, source }, target };
}

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('put the previous (or the given) revision of an app back, with the same zero-downtime procedure')
    .argument('<app>', 'app name')
    .option('--to <revision>', 'revision (or its prefix) from `cloudmatrix history APP`')
    .option('--json', 'print the report as JSON')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .action(async (app: string, opts: DeployFlags & { to?: string }) => {
      const config = loadConfig();
      const { checked, target } = rollbackPlan(config, app, opts.to);
      if (!opts.json) console.log(`rolling ${app} back to revision ${target.revision} (${target.image})`);
      await runDeploy(checked.file, opts, { plan: checked, kind: 'rollback' });
    });
}

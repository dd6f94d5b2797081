import type { Command } from 'commander';
import { runDeploy, type DeployFlags } from './deploy-plan.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback')
    .description('put the previous (or the given) revision of an app back, with the same zero-downtime procedure')
    .argument('<app>', 'app name')
    .option('--to <revision>', 'revision (or its prefix) from `cloudmatrix history APP`')
    .option('--json', 'print the report as JSON')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .action(async (app: string, opts: DeployFlags & { to?: string }) => {
      const [{ loadConfig }, { rollbackPlan }] = await Promise.all([import('../config.js'), import('../deploy/rollback.js')]);
      const { checked, target } = rollbackPlan(loadConfig(), app, opts.to);
      if (!opts.json) console.log(`rolling ${app} back to revision ${target.revision} (${target.image})`);
      await runDeploy(checked.file, opts, { plan: checked, kind: 'rollback' });
    });
}

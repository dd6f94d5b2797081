import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { runDeploy, type DeployFlags } from './deploy-plan.js';

export function parseCount(text: string): number {
  if (!/^[0-9]{1,6}$/.test(text)) throw new UserError(`N: expected a whole number of replicas, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function registerScale(program: Command): void {
  program
    .command('scale')
    .description('set the replicas of a deployed app by hand, with the zero-downtime procedure; an autoscaled app stays at N until the next deploy-plan')
    .argument('<app>', 'app name')
    .argument('<n>', 'replicas: within the app\'s range {min, max}, or up to what its nodes hold for a fixed count')
    .option('--json', 'print the report as JSON')
    .option('--health-timeout <duration>', 'how long a new container may take to turn healthy', '60s')
    .option('--drain <duration>', 'wait between the switch and stopping the replicas scaled away', '1s')
    .action(async (app: string, n: string, flags: DeployFlags) => {
      const replicas = parseCount(n);
      const [{ loadConfig }, { prepareScale }] = await Promise.all([import('../config.js'), import('../autoscale/scale.js')]);
      const { target, options } = await prepareScale(loadConfig(), app, replicas, 'scale');
      if (!flags.json) console.log(`scaling ${app} from ${target.current} to ${replicas} replicas`);
      await runDeploy(options.planFile, flags, options);
    });
}

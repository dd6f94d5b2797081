import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';

export function registerUndeploy(program: Command): void {
  program
    .command('undeploy')
    .description('take a deployed plan out of service: unroute its apps, remove its containers')
    .argument('<plan>', 'plan name or plan file')
    .action(async (plan: string) => {
      const [{ loadConfig }, { undeploy }] = await Promise.all([import('../config.js'), import('../deploy/undeploy.js')]);
      const r = await undeploy(loadConfig(), plan, (l) => console.log(l));
      console.log(`undeployed ${plan}: ${r.removed} container(s) removed`);
      for (const f of r.failures) console.error(`cloudmatrix: ${f}`);
      if (r.failures.length) throw new CommandFailed();
    });
}

import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';

export function registerUndeploy(program: Command): void {
  program
    .command('undeploy')
    .description('take a deployed plan out of service: unroute its apps, remove its containers')
    .argument('<plan>', 'plan name or plan file')
    .option('--delete-volumes', 'also remove the volumes of its apps with volumes (kept by default: a later deploy finds its data)')
    .action(async (plan: string, opts: { deleteVolumes?: boolean }) => {
      const [{ loadConfig }, { undeploy }] = await Promise.all([import('../config.js'), import('../deploy/undeploy.js')]);
      const r = await undeploy(loadConfig(), plan, (l) => console.log(l), { deleteVolumes: opts.deleteVolumes === true });
      const vols = r.volumes.removed.length ? `, ${r.volumes.removed.length} volume(s) removed` : r.volumes.kept.length ? `, ${r.volumes.kept.length} volume(s) kept` : '';
      console.log(`undeployed ${plan}: ${r.removed} container(s) removed${vols}`);
      for (const f of r.failures) console.error(`cloudmatrix: ${f}`);
      if (r.failures.length) throw new CommandFailed();
    });
}

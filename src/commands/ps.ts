import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('the cloudmatrix containers on all nodes')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ loadConfig }, { ps }, { formatContainers }] = await Promise.all([import('../config.js'), import('../deploy/cluster.js'), import('../model/cloud-container.js')]);
      const r = await ps(loadConfig());
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatContainers(r.containers));
      for (const e of r.errors) console.error(`cloudmatrix: ${e.node}: ${e.message}`);
      if (r.errors.length > 0) throw new CommandFailed();
    });
}

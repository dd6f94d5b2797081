import type { Command } from 'commander';
import { CommandFailed } from '../errors.js';
import type { LabUpOptions } from '../lab/up-down.js';

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('the local lab: manager + nodes in network namespaces');
  lab
    .command('up')
    .description('bring the lab up (cleans leftovers of an earlier run first)')
    .option('--nodes <n>', 'number of nodes, 1-100', '3')
    .option('--bridge <name>', 'bridge name', 'cmx0')
    .option('--subnet <cidr>', 'lab subnet, a /24 (manager is .1)', '10.77.0.0/24')
    .option('--varnish <varnishd>', 'run the router on this varnishd binary (e.g. a Varnish 4.1 or 6.0 build); default: varnishd on PATH')
    .option('--recreate', 'rebuild the lab even when it is up and healthy')
    .action(async (opts: LabUpOptions) => (await import('../lab/up-down.js')).labUp(opts));
  lab
    .command('down')
    .description('remove every process, namespace, veth and bridge the lab made')
    .option('--bridge <name>', 'bridge name (default: the running lab\'s)')
    .action(async (opts: { bridge?: string }) => (await import('../lab/up-down.js')).labDown(opts));
  lab
    .command('status')
    .description('health of the manager daemons and the nodes')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ stateDir }, { readManifest }, { formatStatus, labStatus }] = await Promise.all([
        import('../config.js'), import('../lab/manifest.js'), import('../lab/status.js'),
      ]);
      const status = await labStatus(readManifest(stateDir()));
      console.log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      if (!status.ok) throw new CommandFailed();
    });
}

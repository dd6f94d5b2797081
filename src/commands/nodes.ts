import type { Command } from 'commander';

interface NodesOptions {
  leases?: string;
  json?: boolean;
  all?: boolean;
}

async function leasesAndStatics(leases: string | undefined): Promise<{ path: string; staticNodes: { name: string; ip: string }[] }> {
  const { configPath, loadConfig } = await import('../config.js');
  const { existsSync } = await import('node:fs');
  if (leases !== undefined && !existsSync(configPath())) return { path: leases, staticNodes: [] };
  const config = loadConfig();
  return { path: leases ?? config.leasesFile, staticNodes: config.staticNodes };
}

export function registerNodes(program: Command): void {
  program
    .command('nodes')
    .description('list the nodes: DHCP leases from dnsmasq plus the static nodes of the config')
    .option('--leases <file>', 'leases file to read (default: leasesFile of the config)')
    .option('--json', 'print a JSON array')
    .option('--all', 'also show expired leases and leases without a hostname')
    .action(async (opts: NodesOptions) => {
      const [{ readInventory }, rows] = await Promise.all([import('../inventory/read.js'), import('../inventory/rows.js')]);
      const { path, staticNodes } = await leasesAndStatics(opts.leases);
      const inv = await readInventory(path, new Date(), staticNodes);
      for (const w of rows.inventoryWarnings(inv, path)) console.error(`cloudmatrix: ${w}`);
      const shown = rows.nodeRows(inv, opts.all === true);
      console.log(opts.json ? JSON.stringify(shown, null, 2) : rows.formatNodesTable(shown));
    });
}

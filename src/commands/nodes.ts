import type { Command } from 'commander';
import type { Config } from '../config.js';

interface NodesOptions {
  leases?: string;
  json?: boolean;
  all?: boolean;
}

async function leasesAndStatics(leases: string | undefined): Promise<{ path: string; staticNodes: { name: string; ip: string }[]; config?: Config }> {
  const { configPath, loadConfig } = await import('../config.js');
  const { existsSync } = await import('node:fs');
  if (leases !== undefined && !existsSync(configPath())) return { path: leases, staticNodes: [] };
  const config = loadConfig();
  return { path: leases ?? config.leasesFile, staticNodes: config.staticNodes, config };
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
      const { path, staticNodes, config } = await leasesAndStatics(opts.leases);
      const inv = await readInventory(path, new Date(), staticNodes);
      for (const w of rows.inventoryWarnings(inv, path)) console.error(`cloudmatrix: ${w}`);
      const listed = rows.nodeRows(inv, opts.all === true);
      const shown = config ? rows.withCordons(listed, new (await import('../adapters/store/cordons.js')).CordonStore(config.stateDir).list().map((c) => c.node)) : listed;
      // With a config, each live node's capacity and reservations (docker info, container labels).
      const live = inv.nodes.filter((n) => !n.expired).map((n) => ({ name: n.name, ip: n.ip }));
      const caps = config && live.length ? await (await import('../inventory/capacity.js')).nodeCapacities(config, live) : null;
      if (caps) for (const [node, c] of caps) if (c.error) console.error(`cloudmatrix: warning: ${node}: capacity unknown: ${c.error}`);
      const withCaps = caps ? shown.map((r) => (r.name && caps.has(r.name) && !r.expired ? { ...r, ...caps.get(r.name)! } : r)) : shown;
      console.log(opts.json ? JSON.stringify(withCaps, null, 2) : rows.formatNodesTable(withCaps, caps !== null));
    });
}

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { configPath, stateDir } from '../config.js';
import { UserError } from '../errors.js';
import { hostAddresses, isRoot } from '../lab/host.js';
import { readManifest } from '../lab/manifest.js';
import { parseBridge, parseNodeCount, parseSubnet } from '../lab/options.js';
import { runLabScript } from '../lab/run-script.js';
import { formatStatus, labStatus } from '../lab/status.js';

function requireRoot(): void {
  if (!isRoot()) throw new UserError('the lab needs root (network namespaces, bridges, daemons): run as root');
}

export async function labUp(opts: { nodes?: string; bridge?: string; subnet?: string; recreate?: boolean }): Promise<void> {
  const nodes = parseNodeCount(opts.nodes);
  const bridge = parseBridge(opts.bridge);
  const subnet = parseSubnet(opts.subnet, bridge, hostAddresses());
  requireRoot();
  const previous = readManifest(stateDir());
  const same = previous && previous.bridge === bridge && previous.subnet === subnet && previous.nodes.length === nodes;
  if (same && !opts.recreate && existsSync(configPath()) && (await labStatus(previous)).ok) {
    // Already up and healthy in this shape: leave the running nodes (and their containers) be.
    await runLabScript('install-packages.sh', {}, true);
    console.log(`lab: already up on ${bridge} ${subnet} with ${nodes} node(s) (--recreate to rebuild it)`);
    return;
  }
  if (previous && previous.bridge !== bridge) {
    await runLabScript('lab/down.sh', { CMX_STATE_DIR: stateDir(), CMX_BRIDGE: previous.bridge }, true);
  }
  await runLabScript('lab/up.sh', {
    CMX_STATE_DIR: stateDir(),
    CMX_NODES: String(nodes),
    CMX_BRIDGE: bridge,
    CMX_SUBNET: subnet,
  });
}

export async function labDown(opts: { bridge?: string }): Promise<void> {
  requireRoot();
  const bridge = opts.bridge ? parseBridge(opts.bridge) : (readManifest(stateDir())?.bridge ?? 'cmx0');
  await runLabScript('lab/down.sh', { CMX_STATE_DIR: stateDir(), CMX_BRIDGE: bridge });
  console.log(`lab: down (${bridge})`);
}

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('the local lab: manager + nodes in network namespaces');
  lab
    .command('up')
    .description('bring the lab up (cleans leftovers of an earlier run first)')
    .option('--nodes <n>', 'number of nodes, 1-100', '3')
    .option('--bridge <name>', 'bridge name', 'cmx0')
    .option('--subnet <cidr>', 'lab subnet, a /24 (manager is .1)', '10.77.0.0/24')
    .option('--recreate', 'rebuild the lab even when it is up and healthy')
    .action(labUp);
  lab
    .command('down')
    .description('remove every process, namespace, veth and bridge the lab made')
    .option('--bridge <name>', 'bridge name (default: the running lab\'s)')
    .action(labDown);
  lab
    .command('status')
    .description('health of the manager daemons and the nodes')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await labStatus(readManifest(stateDir()));
      console.log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      if (!status.ok) process.exitCode = 1;
    });
}

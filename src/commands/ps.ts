import type { Command } from 'commander';
import type { Config } from '../config.js';
import { loadConfig } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes, type NodeRef } from '../adapters/nodes.js';
import { formatContainers, fromContainerInfo, sortContainers, type CloudContainer } from '../model/cloud-container.js';
import { LABELS } from '../model/container-spec.js';
import { messageOf } from '../errors.js';

export interface PsResult {
  containers: CloudContainer[];
  /** nodes that could not be listed; the others still are */
  errors: { node: string; message: string }[];
}

/** The cloudmatrix containers of every node, all nodes asked at once. */
export async function listCloudContainers(nodes: readonly NodeRef[], engines: NodeEngines): Promise<PsResult> {
  const settled = await Promise.allSettled(
    nodes.map(async (node) => {
      const list = await engines.get(node).listContainers({ all: true, filters: { label: [LABELS.app] } });
      return list.map((c) => fromContainerInfo(node, c));
    }),
  );
  const result: PsResult = { containers: [], errors: [] };
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') result.containers.push(...s.value);
    else result.errors.push({ node: nodes[i]!.name, message: messageOf(s.reason) });
  });
  sortContainers(result.containers);
  return result;
}

export async function ps(config: Config = loadConfig(), engines?: NodeEngines): Promise<PsResult> {
  const pool = engines ?? new NodeEngines(config);
  try {
    return await listCloudContainers(await listNodes(config), pool);
  } finally {
    if (!engines) pool.closeAll();
  }
}

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('the cloudmatrix containers on all nodes')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const r = await ps();
      console.log(opts.json ? JSON.stringify(r, null, 2) : formatContainers(r.containers));
      for (const e of r.errors) console.error(`cloudmatrix: ${e.node}: ${e.message}`);
      if (r.errors.length > 0) process.exitCode = 1;
    });
}

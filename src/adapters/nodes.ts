import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { buildInventory } from '../model/inventory.js';

export interface NodeRef {
  name: string;
  ip: string;
}

/** Live leases (unexpired, named) plus the configured static nodes; a static node wins a name clash. */
export function nodesFrom(leasesText: string, staticNodes: readonly NodeRef[], now: Date): NodeRef[] {
  return buildInventory(leasesText, now, staticNodes)
    .nodes.filter((n) => !n.expired)
    .map((n) => ({ name: n.name, ip: n.ip }));
}

async function readLeases(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/**
 * The nodes of the cloud now. dnsmasq rewrites its leases file in place, so an empty read
 * may be a file caught mid-write: read again, a few times, before believing it.
 */
export async function listNodes(config: Config, opts: { retries?: number; delayMs?: number } = {}): Promise<NodeRef[]> {
  const retries = opts.retries ?? 3;
  let text = await readLeases(config.leasesFile);
  for (let i = 0; i < retries && text.trim() === ''; i++) {
    await sleep(opts.delayMs ?? 50);
    text = await readLeases(config.leasesFile);
  }
  return nodesFrom(text, config.staticNodes, new Date());
}

/** A node by name (case-insensitive); a UserError listing the known ones when there is none. */
export async function findNode(config: Config, name: string): Promise<NodeRef> {
  const nodes = await listNodes(config);
  const node = nodes.find((n) => n.name.toLowerCase() === name.toLowerCase());
  if (!node) {
    const known = nodes.map((n) => n.name).join(', ') || 'none';
    throw new UserError(`unknown node "${name}" (known: ${known})`);
  }
  return node;
}

/** The node's docker socket path: config.ssh.dockerSocket with `{node}` replaced. */
export function dockerSocketPath(config: Pick<Config, 'ssh'>, node: string): string {
  return config.ssh.dockerSocket.split('{node}').join(node);
}

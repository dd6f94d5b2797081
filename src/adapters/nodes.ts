import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { buildInventory } from '../model/inventory.js';
import { CordonStore } from './store/cordons.js';

export interface NodeRef {
  name: string;
  ip: string;
  /** drained (cloudmatrix node drain): placement gives it nothing new */
  cordoned?: boolean;
}

/** Live leases (unexpired, named) plus the configured static nodes; a static node wins a name clash. */
export function nodesFrom(leasesText: string, staticNodes: readonly NodeRef[], now: Date): NodeRef[] {
  return buildInventory(leasesText, now, staticNodes)
    .nodes.filter((n) => !n.expired)
    .map((n) => ({ name: n.name, ip: n.ip }));
}

export interface LeasesText {
  text: string;
  /** there is no leases file: no leases (dnsmasq has not written one yet, or does not run) */
  missing: boolean;
}

export const missingLeasesWarning = (file: string): string =>
  `${file}: no such leases file (is dnsmasq running?); counting no leased nodes`;

async function readOnce(file: string): Promise<LeasesText> {
  try {
    return { text: await readFile(file, 'utf8'), missing: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', missing: true };
    throw new EnvError(`${file}: cannot read the leases: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The one reader of dnsmasq's leases file. dnsmasq rewrites it in place, so an empty read may
 * be a file caught mid-write: read again, a few times, before believing it.
 */
export async function readLeasesText(file: string, opts: { retries?: number; delayMs?: number } = {}): Promise<LeasesText> {
  const retries = opts.retries ?? 3;
  let read = await readOnce(file);
  for (let i = 0; i < retries && !read.missing && read.text.trim() === ''; i++) {
    await sleep(opts.delayMs ?? 50);
    read = await readOnce(file);
  }
  return read;
}

const warned = new Set<string>();

/**
 * The nodes of the cloud now: live leases plus static nodes, each cordoned one marked (so that every
 * placement, a deploy's, a scale's, an autoscale's, a job's, sees the cordons). A missing leases file is said once per process.
 */
export async function listNodes(config: Config, opts: { retries?: number; delayMs?: number } = {}): Promise<NodeRef[]> {
  const { text, missing } = await readLeasesText(config.leasesFile, opts);
  if (missing && !warned.has(config.leasesFile)) {
    warned.add(config.leasesFile);
    process.stderr.write(`cloudmatrix: warning: ${missingLeasesWarning(config.leasesFile)}\n`);
  }
  const cordoned = new Set(new CordonStore(config.stateDir).list().map((c) => c.node.toLowerCase()));
  return nodesFrom(text, config.staticNodes, new Date()).map((n) => (cordoned.has(n.name.toLowerCase()) ? { ...n, cordoned: true } : n));
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

import { parseLeases, type LeaseEntry, type LeaseWarning } from './leases.js';

export interface StaticNode {
  name: string;
  ip: string;
}

/** A node the manager knows: from a DHCP lease or from the config's staticNodes. */
export interface InventoryNode {
  name: string;
  ip: string;
  ip6: readonly string[];
  mac: string | null;
  expiresAt: Date | null;
  clientId: string | null;
  expired: boolean;
  source: 'lease' | 'static';
}

export interface Inventory {
  /** every named node, expired ones included, sorted by name (case-insensitive) */
  nodes: InventoryNode[];
  /** leases that name no host, and DHCPv6-only hosts: shown by `nodes --all` */
  others: LeaseEntry[];
  /** line 0 = not about one line of the leases file */
  warnings: LeaseWarning[];
}

function byName(a: InventoryNode, b: InventoryNode): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The inventory from the leases file's text; static nodes win over leases of the same name. */
export function buildInventory(leasesText: string, now: Date, staticNodes: readonly StaticNode[] = []): Inventory {
  const parsed = parseLeases(leasesText, now);
  const warnings = [...parsed.warnings];
  const statics = new Map<string, StaticNode>();
  for (const s of staticNodes) statics.set(s.name.toLowerCase(), s);
  const nodes: InventoryNode[] = [];
  for (const n of parsed.nodes) {
    const s = statics.get(n.name.toLowerCase());
    if (s && s.ip !== n.ip) {
      warnings.push({ line: n.line, message: `${n.name} is a static node at ${s.ip}; ignoring its lease of ${n.ip}` });
    }
    if (s) continue;
    const { name, ip, ip6, mac, expiresAt, clientId, expired } = n;
    nodes.push({ name, ip, ip6, mac, expiresAt, clientId, expired, source: 'lease' });
  }
  for (const s of statics.values()) {
    nodes.push({
      name: s.name, ip: s.ip, ip6: [], mac: null, expiresAt: null, clientId: null, expired: false, source: 'static',
    });
  }
  nodes.sort(byName);
  return { nodes, others: parsed.others, warnings };
}

/** The nodes that may run containers: leases still valid, and static nodes. */
export function activeNodes(inventory: Inventory): InventoryNode[] {
  return inventory.nodes.filter((n) => !n.expired);
}

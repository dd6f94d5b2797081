import type { InventoryNode } from '../model/inventory.js';
import type { LiveNode } from '../model/types.js';
import type { NodeCapacity } from '../model/node-capacity.js';
import type { NodeView } from './deps.js';

/** The inventory with each node's reachability; a node that was not asked (expired) gets null. */
export function nodeViews(
  inventory: readonly InventoryNode[], live: readonly LiveNode[], unreachable: readonly { node: string; message: string }[],
  capacities: ReadonlyMap<string, NodeCapacity> = new Map(), cordoned: readonly string[] = [],
): NodeView[] {
  const cordons = new Set(cordoned.map((n) => n.toLowerCase()));
  return inventory.map((n) => {
    const l = live.find((x) => x.name === n.name);
    const why = unreachable.find((u) => u.node === n.name)?.message;
    return {
      name: n.name, ip: n.ip, mac: n.mac, source: n.source, expiresAt: n.expiresAt ? n.expiresAt.toISOString() : null,
      expired: n.expired, reachable: l ? l.reachable : null, cordoned: cordons.has(n.name.toLowerCase()), ...(why ? { error: why } : {}),
      ...(capacities.has(n.name) ? { capacity: capacities.get(n.name)!.capacity, reserved: capacities.get(n.name)!.reserved } : {}),
    };
  });
}

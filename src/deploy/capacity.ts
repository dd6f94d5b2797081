import type { NodeEngines } from '../adapters/docker.js';
import type { NodeRef } from '../adapters/nodes.js';
import { messageOf } from '../errors.js';
import type { LiveNode } from '../model/types.js';

/**
 * Each reachable node's memory and CPUs (docker info), asked all at once, each within the call
 * deadline. A node that does not say is left without capacity (no replica with resources goes
 * there) and reported through `warn`.
 */
export async function addCapacity(nodes: LiveNode[], refs: ReadonlyMap<string, NodeRef>, engines: NodeEngines, warn: (m: string) => void): Promise<void> {
  await Promise.all(
    nodes.filter((n) => n.reachable && refs.has(n.name)).map(async (n) => {
      try {
        n.capacity = await engines.get(refs.get(n.name)!).capacity();
      } catch (err) {
        warn(`${n.name}: its capacity is unknown (docker info: ${messageOf(err)}); no app with resources goes there`);
      }
    }),
  );
}

import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import type { NodeRef } from '../adapters/nodes.js';
import { messageOf } from '../errors.js';
import { NOTHING, type Resources } from '../model/capacity.js';
import { LABELS, reservedOnNode } from '../model/container-spec.js';
import type { NodeCapacity } from '../model/node-capacity.js';

const shown = (r: Resources) => ({ memory: r.memory, cpus: r.nanoCpus / 1e9 });

/** Each node asked at once (docker info and its labelled containers), each within the call deadline. */
export async function nodeCapacities(config: Config, nodes: readonly NodeRef[], engines = new NodeEngines(config)): Promise<Map<string, NodeCapacity>> {
  try {
    const answers = await Promise.all(
      nodes.map(async (n): Promise<[string, NodeCapacity]> => {
        const engine = engines.get(n);
        try {
          const [capacity, list] = await Promise.all([engine.capacity(), engine.listContainers({ all: true, filters: { label: [LABELS.app] } })]);
          return [n.name, { capacity: shown(capacity), reserved: shown(reservedOnNode(list)) }];
        } catch (err) {
          return [n.name, { capacity: null, reserved: shown(NOTHING), error: messageOf(err) }];
        }
      }),
    );
    return new Map(answers);
  } finally {
    engines.closeAll();
  }
}

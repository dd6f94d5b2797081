import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes, type NodeRef } from '../adapters/nodes.js';
import { fromContainerInfo, sortContainers, type CloudContainer } from '../model/cloud-container.js';
import { LABELS } from '../model/container-spec.js';
import type { ContainerState, LiveNode, RunningContainer } from '../model/types.js';
import { messageOf } from '../errors.js';

export interface Cluster {
  nodes: LiveNode[];
  refs: Map<string, NodeRef>;
  containers: CloudContainer[];
  unreachable: { node: string; message: string }[];
}

/** The nodes that answered the cluster's read, as NodeRefs (to ask them again). */
export function reachableRefs(cluster: Cluster): NodeRef[] {
  return cluster.nodes.filter((n) => n.reachable).map((n) => cluster.refs.get(n.name)!);
}

export interface ContainerListing {
  containers: CloudContainer[];
  /** nodes that could not be listed; the others still are */
  errors: { node: string; message: string }[];
}

/** The cloudmatrix containers of every node, all nodes asked at once, each within its deadline. */
export async function listCloudContainers(nodes: readonly NodeRef[], engines: NodeEngines): Promise<ContainerListing> {
  const settled = await Promise.allSettled(
    nodes.map(async (node) => {
      const list = await engines.get(node).listContainers({ all: true, filters: { label: [LABELS.app] } });
      return list.map((c) => fromContainerInfo(node, c));
    }),
  );
  const result: ContainerListing = { containers: [], errors: [] };
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') result.containers.push(...s.value);
    else result.errors.push({ node: nodes[i]!.name, message: messageOf(s.reason) });
  });
  sortContainers(result.containers);
  return result;
}

/** ps: the cloudmatrix containers of every node (each node within its deadline), and the nodes that did not answer. */
export async function ps(config: Config): Promise<ContainerListing> {
  const engines = new NodeEngines(config);
  try {
    return await listCloudContainers(await listNodes(config), engines);
  } finally {
    engines.closeAll();
  }
}

/**
 * Which nodes answer, and the cloudmatrix containers on those that do: one list call per node,
 * all at once (a node that lists its containers answers; no ping before it).
 */
export async function readCluster(refs: readonly NodeRef[], engines: NodeEngines): Promise<Cluster> {
  const listed = await listCloudContainers(refs, engines);
  const failed = new Set(listed.errors.map((e) => e.node));
  const nodes: LiveNode[] = refs.map((n) => ({ name: n.name, ip: n.ip, reachable: !failed.has(n.name), ...(n.cordoned ? { cordoned: true } : {}) }));
  return { nodes, refs: new Map(refs.map((r) => [r.name, r])), containers: listed.containers, unreachable: listed.errors };
}

/** The model's view of a listed container; `knownGood` says whether it ever passed its health check. */
export function toRunning(c: CloudContainer, knownGood: (id: string) => boolean = () => true): RunningContainer {
  return {
    id: c.id,
    name: c.name,
    node: c.node,
    app: c.app,
    plan: c.plan,
    revision: c.revision,
    image: c.image,
    port: c.containerPort ?? 0,
    hostPort: c.port,
    state: c.state as ContainerState,
    knownGood: knownGood(c.id),
    ...(c.reserved ? { reserved: c.reserved } : {}),
  };
}

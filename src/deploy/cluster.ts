import type { NodeEngines } from '../adapters/docker.js';
import type { NodeRef } from '../adapters/nodes.js';
import { listCloudContainers } from '../commands/ps.js';
import type { CloudContainer } from '../model/cloud-container.js';
import type { ContainerState, LiveNode, RunningContainer } from '../model/types.js';

export interface Cluster {
  nodes: LiveNode[];
  refs: Map<string, NodeRef>;
  containers: CloudContainer[];
  unreachable: { node: string; message: string }[];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Which nodes answer, and the cloudmatrix containers on those that do. */
export async function readCluster(refs: readonly NodeRef[], engines: NodeEngines, timeoutMs = 8000): Promise<Cluster> {
  const pings = await Promise.allSettled(refs.map((n) => withTimeout(engines.get(n).ping(), timeoutMs, n.name)));
  const unreachable: Cluster['unreachable'] = [];
  const nodes: LiveNode[] = refs.map((n, i) => {
    const p = pings[i]!;
    if (p.status === 'rejected') unreachable.push({ node: n.name, message: (p.reason as Error).message });
    return { name: n.name, ip: n.ip, reachable: p.status === 'fulfilled' };
  });
  const reachable = refs.filter((_, i) => nodes[i]!.reachable);
  const listed = await listCloudContainers(reachable, engines);
  for (const e of listed.errors) {
    unreachable.push(e);
    const n = nodes.find((x) => x.name === e.node);
    if (n) n.reachable = false;
  }
  return { nodes, refs: new Map(refs.map((r) => [r.name, r])), containers: listed.containers, unreachable };
}

/** The model's view of a listed container. */
export function toRunning(c: CloudContainer): RunningContainer {
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
  };
}

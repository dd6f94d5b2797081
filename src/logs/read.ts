import type { NodeEngines } from '../adapters/docker.js';
import type { NodeRef } from '../adapters/nodes.js';
import { messageOf } from '../errors.js';
import type { CloudContainer } from '../model/cloud-container.js';
import type { AppLogLine, TimedLine } from '../model/logs/lines.js';
import { mergeByTime } from '../model/logs/merge.js';

export interface ReadOptions {
  since?: number;
  tail?: number | 'all';
}

/** One replica's log as it is now, every line read before it returns; null when the container is gone. */
async function readOne(engines: NodeEngines, node: NodeRef, c: CloudContainer, opts: ReadOptions, signal: AbortSignal): Promise<AppLogLine[] | null> {
  const lines: TimedLine[] = [];
  let ended!: (err: Error | null) => void;
  const done = new Promise<void>((resolve, reject) => (ended = (err) => (err ? reject(err) : resolve())));
  const stream = await engines.get(node).streamLogs(c.id, { follow: false, since: opts.since, tail: opts.tail }, { line: (l) => lines.push(l), end: (err) => ended(err) });
  if (!stream) return null;
  const onAbort = () => {
    stream.close();
    ended(null);
  };
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort);
  try {
    await done;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return lines.map((l) => ({ ...l, node: c.node, container: c.name }));
}

/** Every replica's log read at once (each within its node's deadlines), merged in time order. */
export async function readReplicaLogs(
  engines: NodeEngines, nodes: readonly NodeRef[], containers: readonly CloudContainer[], opts: ReadOptions, signal: AbortSignal,
): Promise<{ lines: AppLogLine[]; errors: { node: string; message: string }[] }> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const settled = await Promise.allSettled(containers.map((c) => readOne(engines, byName.get(c.node)!, c, opts, signal)));
  const errors: { node: string; message: string }[] = [];
  const streams: AppLogLine[][] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') streams.push(s.value ?? []);
    else errors.push({ node: containers[i]!.node, message: `${containers[i]!.name}: ${messageOf(s.reason)}` });
  });
  return { lines: mergeByTime(streams), errors };
}

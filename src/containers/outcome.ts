import type { ContainerInspectInfo } from 'dockerode';
import { EnvError, UserError } from '../errors.js';
import type { NodeEngine } from '../adapters/docker.js';
import type { NodeRef } from '../adapters/nodes.js';
import { LABELS } from '../model/container-spec.js';
import { publishedPort } from '../model/published-port.js';

export interface RunContainerResult {
  node: string;
  name: string;
  id: string;
  address: string;
  port: number;
  revision: string;
  image: string;
  /** started now, or found running (or stopped and started again) with the same revision */
  outcome: 'started' | 'already-running' | 'restarted';
}

export async function inspected(engine: NodeEngine, node: NodeRef, id: string, outcome: RunContainerResult['outcome']): Promise<RunContainerResult> {
  const info = await engine.inspectContainer(id);
  if (!info) throw new EnvError(`${node.name}: container ${id.slice(0, 12)} vanished right after it started`);
  return result(node, info, outcome);
}

function result(node: NodeRef, info: ContainerInspectInfo, outcome: RunContainerResult['outcome']): RunContainerResult {
  const labels = info.Config.Labels ?? {};
  const binding = publishedPort(info, Number(labels[LABELS.port]));
  if (!binding) throw new EnvError(`${node.name}: ${info.Name.slice(1)} publishes no port`);
  return {
    node: node.name, name: info.Name.replace(/^\//, ''), id: info.Id, address: binding.ip || node.ip, port: binding.port,
    revision: labels[LABELS.revision] ?? '', image: info.Config.Image, outcome,
  };
}

/** The same name and revision is the same container: start it if stopped; anything else is refused. */
export async function reuse(engine: NodeEngine, node: NodeRef, info: ContainerInspectInfo, revision: string): Promise<RunContainerResult> {
  const name = info.Name.replace(/^\//, '');
  const theirs = info.Config.Labels?.[LABELS.revision];
  if (theirs !== revision) {
    const what = theirs === undefined ? 'is not a cloudmatrix container' : `runs revision ${theirs}, not ${revision}`;
    throw new UserError(`${node.name}: container ${name} already exists and ${what}; remove it first or choose another --name`);
  }
  if (info.State.Running) return result(node, info, 'already-running');
  await engine.startContainer(info.Id);
  return inspected(engine, node, info.Id, 'restarted');
}

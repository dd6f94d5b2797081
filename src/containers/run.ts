import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { NodeEngines, type NodeEngine } from '../adapters/docker.js';
import { statusOf } from '../adapters/docker/engine.js';
import { ensureImage } from '../adapters/docker/node-image.js';
import { findNode, type NodeRef } from '../adapters/nodes.js';
import { RegistryClient } from '../adapters/registry.js';
import { endpointFor, pullAuthFor } from '../adapters/registry-access.js';
import { findRegistryImage } from '../adapters/registry-image.js';
import {
  containerSpec, DEFAULT_CONTAINER_PORT, defaultContainerName, isContainerName, LABELS, MANUAL_PLAN, reservedOnNode, revisionOf,
} from '../model/container-spec.js';
import { appOf, formatRef, resolveImageArg, type ImageRef } from '../model/image-ref.js';
import { minus, needOf } from '../model/capacity.js';
import { formatBytes, formatCpus } from '../model/sizes.js';
import { inspected, reuse, type RunContainerResult } from './outcome.js';

export type { RunContainerResult } from './outcome.js';

export interface RunContainerOptions {
  node: string;
  image: string;
  hostPort?: number;
  /** default: the image's lowest EXPOSE'd port, else 8080 */
  containerPort?: number;
  name?: string;
  app?: string;
  env?: Record<string, string>;
  /** argv replacing the image's CMD */
  command?: string[];
  /** limits (bytes, CPUs), refused when the node has not that much free */
  resources?: { memory?: number; cpus?: number };
  config: Config;
  engines?: NodeEngines;
  progress?: (line: string) => void;
}

const errorText = (err: unknown): string => (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;

/** Creates and starts the container; a create that lost a race to the same name reuses the winner. */
async function create(engine: NodeEngine, node: NodeRef, spec: ReturnType<typeof containerSpec>, revision: string): Promise<RunContainerResult> {
  const name = spec.name!;
  let id: string;
  try {
    id = await engine.createContainer(spec);
  } catch (err) {
    const raced = statusOf(err) === 409 ? await engine.inspectContainer(name) : null;
    if (raced) return reuse(engine, node, raced, revision);
    if (err instanceof EnvError) throw err;
    throw new EnvError(`${node.name}: cannot create ${name}: ${errorText(err)}`);
  }
  try {
    await engine.startContainer(id);
  } catch (err) {
    await engine.removeContainer(id).catch(() => undefined);
    if (err instanceof EnvError) throw err;
    throw new EnvError(`${node.name}: cannot start ${name}: ${errorText(err)}`);
  }
  return inspected(engine, node, id, 'started');
}

/** Limits go on only where the node has them free (docker info less what its cloudmatrix containers reserve). */
async function checkRoom(engine: NodeEngine, node: string, resources: { memory?: number; cpus?: number }): Promise<void> {
  const [capacity, list] = await Promise.all([engine.capacity(), engine.listContainers({ all: true, filters: { label: [LABELS.app] } })]);
  const free = minus(capacity, reservedOnNode(list));
  const need = needOf({ resources });
  if (need.memory > free.memory) {
    throw new UserError(`--memory ${formatBytes(need.memory)}: ${node} has ${formatBytes(Math.max(0, free.memory))} free (of ${formatBytes(capacity.memory)})`);
  }
  if (need.nanoCpus > free.nanoCpus) {
    throw new UserError(`--cpus ${formatCpus(need.nanoCpus)}: ${node} has ${formatCpus(Math.max(0, free.nanoCpus))} CPUs free (of ${formatCpus(capacity.nanoCpus)})`);
  }
}

/** One container of a registry image on a node, labelled like deploy-plan's; idempotent by name and revision. */
export async function runContainer(opts: RunContainerOptions): Promise<RunContainerResult> {
  const { config } = opts;
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (opts.name !== undefined && !isContainerName(opts.name)) throw new UserError(`--name "${opts.name}": not a valid container name`);
  const ref = resolveImageArg(opts.image, config.registry);
  const node = await findNode(config, opts.node);
  const image = await findRegistryImage(new RegistryClient(ref.registry, endpointFor(config, ref.registry), config.timeouts?.registryMs), ref);
  const containerPort = opts.containerPort ?? image.exposedPorts[0] ?? DEFAULT_CONTAINER_PORT;
  const app = opts.app ?? appOf(ref);
  const env = opts.env ?? {};
  const revision = revisionOf({
    imageDigest: image.digest, app, containerPort, hostPort: opts.hostPort, env,
    ...(opts.command ? { cmd: opts.command } : {}), ...(opts.resources ? { resources: opts.resources } : {}),
  });
  const name = opts.name ?? defaultContainerName(app, node.name, opts.hostPort, revision);
  const engines = opts.engines ?? new NodeEngines(config);
  try {
    const engine = engines.get(node);
    const existing = await engine.inspectContainer(name);
    if (existing) return await reuse(engine, node, existing, revision);
    if (opts.resources) await checkRoom(engine, node.name, opts.resources);
    await ensureImage(engine, image.ref as ImageRef & { digest: string }, progress, pullAuthFor(config, ref.registry));
    const spec = containerSpec({
      name, app, plan: MANUAL_PLAN, revision, image: formatRef(image.ref), containerPort, hostPort: opts.hostPort, hostIp: node.ip, env,
      ...(opts.command ? { cmd: opts.command } : {}), ...(opts.resources ? { resources: opts.resources } : {}),
    });
    return await create(engine, node, spec, revision);
  } finally {
    if (!opts.engines) engines.closeAll();
  }
}

import type { Command } from 'commander';
import type Docker from 'dockerode';
import { loadConfig, type Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { NodeEngines } from '../adapters/docker.js';
import { ensureImage } from '../adapters/docker/node-image.js';
import { findNode, type NodeRef } from '../adapters/nodes.js';
import { RegistryClient } from '../adapters/registry.js';
import { findRegistryImage } from '../adapters/registry-image.js';
import {
  containerSpec, DEFAULT_CONTAINER_PORT, defaultContainerName, isContainerName, LABELS, MANUAL_PLAN, revisionOf,
} from '../model/container-spec.js';
import { appOf, formatRef, RefError, resolveImage, type ImageRef } from '../model/image-ref.js';
import { collect, parseEnvOption, parsePort, publishedPort } from './run-container-args.js';

export interface RunContainerOptions {
  node: string;
  image: string;
  hostPort?: number;
  /** default: the image's lowest EXPOSE'd port, else 8080 */
  containerPort?: number;
  name?: string;
  app?: string;
  env?: Record<string, string>;
  config?: Config;
  engines?: NodeEngines;
  progress?: (line: string) => void;
}

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

function parseImage(image: string, registry: string): ImageRef {
  try {
    return resolveImage(image, registry);
  } catch (err) {
    if (err instanceof RefError) throw new UserError(err.message);
    throw err;
  }
}

async function inspectOrNull(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}

function result(node: NodeRef, info: Docker.ContainerInspectInfo, outcome: RunContainerResult['outcome']): RunContainerResult {
  const labels = info.Config.Labels ?? {};
  const binding = publishedPort(info, Number(labels[LABELS.port]));
  if (!binding) throw new EnvError(`${node.name}: ${info.Name.slice(1)} publishes no port`);
  return {
    node: node.name, name: info.Name.replace(/^\//, ''), id: info.Id, address: binding.ip || node.ip, port: binding.port,
    revision: labels[LABELS.revision] ?? '', image: info.Config.Image, outcome,
  };
}

/** The same name and revision is the same container: start it if stopped; anything else is refused. */
async function reuse(docker: Docker, node: NodeRef, info: Docker.ContainerInspectInfo, revision: string): Promise<RunContainerResult> {
  const name = info.Name.replace(/^\//, '');
  const theirs = info.Config.Labels?.[LABELS.revision];
  if (theirs !== revision) {
    const what = theirs === undefined ? 'is not a cloudmatrix container' : `runs revision ${theirs}, not ${revision}`;
    throw new UserError(`${node.name}: container ${name} already exists and ${what}; remove it first or choose another --name`);
  }
  if (info.State.Running) return result(node, info, 'already-running');
  await docker.getContainer(info.Id).start();
  return result(node, await docker.getContainer(info.Id).inspect(), 'restarted');
}

export async function runContainer(opts: RunContainerOptions): Promise<RunContainerResult> {
  const config = opts.config ?? loadConfig();
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (opts.name !== undefined && !isContainerName(opts.name)) throw new UserError(`--name "${opts.name}": not a valid container name`);
  const ref = parseImage(opts.image, config.registry);
  const node = await findNode(config, opts.node);
  const image = await findRegistryImage(new RegistryClient(ref.registry), ref);
  const containerPort = opts.containerPort ?? image.exposedPorts[0] ?? DEFAULT_CONTAINER_PORT;
  const app = opts.app ?? appOf(ref);
  const env = opts.env ?? {};
  const revision = revisionOf({ imageDigest: image.digest, app, containerPort, hostPort: opts.hostPort, env });
  const name = opts.name ?? defaultContainerName(app, node.name, opts.hostPort, revision);
  const engines = opts.engines ?? new NodeEngines(config);
  try {
    const docker = engines.get(node);
    const existing = await inspectOrNull(docker, name);
    if (existing) return await reuse(docker, node, existing, revision);
    await ensureImage(docker, node.name, image.ref as ImageRef & { digest: string }, progress);
    const spec = containerSpec({
      name, app, plan: MANUAL_PLAN, revision, image: formatRef(image.ref), containerPort, hostPort: opts.hostPort, hostIp: node.ip, env,
    });
    let container: Docker.Container;
    try {
      container = await docker.createContainer(spec);
    } catch (err) {
      const raced = (err as { statusCode?: number }).statusCode === 409 ? await inspectOrNull(docker, name) : null;
      if (raced) return await reuse(docker, node, raced, revision);
      throw new EnvError(`${node.name}: cannot create ${name}: ${(err as Error).message}`);
    }
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new EnvError(`${node.name}: cannot start ${name}: ${(err as { json?: { message?: string } }).json?.message ?? (err as Error).message}`);
    }
    return result(node, await container.inspect(), 'started');
  } finally {
    if (!opts.engines) engines.closeAll();
  }
}

export function registerRunContainer(program: Command): void {
  program
    .command('run-container')
    .description('run an image of the private registry on a node, published on the node address')
    .argument('<node>', 'node name (see: cloudmatrix nodes)')
    .argument('<image>', 'NAME:TAG (resolved as <registry>/cloud/NAME:TAG) or a full reference')
    .argument('[host-port]', 'port on the node address (default: Docker picks one)')
    .option('--container-port <port>', "port the app listens on (default: the image's EXPOSE, else 8080)")
    .option('--name <name>', 'container name (default: <app>-<node>-<host port or revision>)')
    .option('--app <app>', "cloudmatrix.app label (default: the image name's last component)")
    .option('--env <K=V>', 'environment variable, repeatable', collect, [] as string[])
    .addHelpText('after', `
Idempotent: a container of the same name and the same revision (image digest + options) is
reported as already running (started again if stopped). The same name with another revision
is refused (exit 2): remove it first, or give another --name; deploy-plan does replacements.`)
    .action(async (nodeName: string, imageArg: string, hostPortArg: string | undefined, o: Record<string, unknown>) => {
      const env = parseEnvOption(o.env as string[]);
      const r = await runContainer({
        node: nodeName, image: imageArg, env, name: o.name as string | undefined, app: o.app as string | undefined,
        hostPort: hostPortArg === undefined ? undefined : parsePort(hostPortArg, 'HOST_PORT'),
        containerPort: o.containerPort === undefined ? undefined : parsePort(o.containerPort as string, '--container-port'),
      });
      if (r.outcome !== 'started') process.stderr.write(`${r.name} is already running (revision ${r.revision})\n`);
      console.log(`${r.node} ${r.address}:${r.port}`);
    });
}

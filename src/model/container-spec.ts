import { createHash } from 'node:crypto';
import type { ContainerCreateOptions } from 'dockerode';
import { NOTHING, plus, reservesNow, type Resources } from './capacity.js';
import { nanoCpus } from './sizes.js';

export const LABELS = {
  app: 'cloudmatrix.app',
  plan: 'cloudmatrix.plan',
  revision: 'cloudmatrix.revision',
  port: 'cloudmatrix.port',
  /** what the container reserves on its node, for placement: bytes, and CPUs as a decimal */
  memory: 'cloudmatrix.memory',
  cpus: 'cloudmatrix.cpus',
} as const;

/** The cloudmatrix.port label of a worker, which publishes nothing. */
export const NO_PORT = 'none';

/** The plan name of containers started by hand with `run-container`. */
export const MANUAL_PLAN = 'manual';

export const DEFAULT_CONTAINER_PORT = 8080;

export interface ContainerSpecInput {
  name: string;
  app: string;
  plan: string;
  revision: string;
  image: string;
  /** null: a worker, which publishes no port */
  containerPort: number | null;
  /** undefined: Docker picks a free port */
  hostPort?: number;
  hostIp: string;
  env: Record<string, string>;
  /** argv replacing the image's CMD / ENTRYPOINT */
  cmd?: string[];
  entrypoint?: string[];
  /** limits (bytes, CPUs), also labelled as the container's reservation */
  resources?: { memory?: number; cpus?: number };
  /** named volumes mounted into the container */
  mounts?: { source: string; target: string }[];
}

export function envList(env: Record<string, string>): string[] {
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`);
}

/**
 * Create options for a cloudmatrix container: labelled, restarted unless stopped, one published
 * port (none for a worker), the plan's command, entrypoint and limits.
 */
export function containerSpec(i: ContainerSpecInput): ContainerCreateOptions {
  const port = i.containerPort === null ? null : `${i.containerPort}/tcp`;
  const r = i.resources;
  return {
    name: i.name,
    Image: i.image,
    Env: envList(i.env),
    ...(i.cmd ? { Cmd: i.cmd } : {}),
    ...(i.entrypoint ? { Entrypoint: i.entrypoint } : {}),
    Labels: {
      [LABELS.app]: i.app,
      [LABELS.plan]: i.plan,
      [LABELS.revision]: i.revision,
      [LABELS.port]: i.containerPort === null ? NO_PORT : String(i.containerPort),
      ...(r?.memory !== undefined ? { [LABELS.memory]: String(r.memory) } : {}),
      ...(r?.cpus !== undefined ? { [LABELS.cpus]: String(r.cpus) } : {}),
    },
    ...(port ? { ExposedPorts: { [port]: {} } } : {}),
    HostConfig: {
      RestartPolicy: { Name: 'unless-stopped' },
      // An init as PID 1 passes SIGTERM on (a bare PID 1 ignores it, so every stop would wait
      // for the kill timeout) and reaps zombies.
      Init: true,
      ...(port ? { PortBindings: { [port]: [{ HostIp: i.hostIp, HostPort: i.hostPort === undefined ? '' : String(i.hostPort) }] } } : {}),
      ...(r?.memory !== undefined ? { Memory: r.memory } : {}),
      ...(r?.cpus !== undefined ? { NanoCpus: nanoCpus(r.cpus) } : {}),
      ...(i.mounts?.length ? { Mounts: i.mounts.map((m) => ({ Type: 'volume' as const, Source: m.source, Target: m.target })) } : {}),
    },
  };
}

/** What a container's labels say it reserves on its node; absent when they say nothing. */
export function reservedOf(labels: Record<string, string>): Resources | undefined {
  const memory = /^[0-9]{1,16}$/.test(labels[LABELS.memory] ?? '') ? Number(labels[LABELS.memory]) : 0;
  const cpus = Number(labels[LABELS.cpus] ?? '');
  const nano = labels[LABELS.cpus] !== undefined && Number.isFinite(cpus) && cpus > 0 ? nanoCpus(cpus) : 0;
  return memory || nano ? { memory, nanoCpus: nano } : undefined;
}

/** What the listed containers of one node reserve together (stopped ones hold nothing). */
export function reservedOnNode(list: readonly { State: string; Labels?: Record<string, string> }[]): Resources {
  return list.filter((c) => reservesNow(c.State)).reduce((sum, c) => plus(sum, reservedOf(c.Labels ?? {}) ?? NOTHING), NOTHING);
}

export interface RevisionInput {
  imageDigest: string;
  app: string;
  containerPort: number;
  hostPort?: number;
  env: Record<string, string>;
  cmd?: string[];
  resources?: { memory?: number; cpus?: number };
}

/** What makes two containers interchangeable: image content and the options it runs with (16 hex). */
export function revisionOf(r: RevisionInput): string {
  const parts: unknown[] = [r.imageDigest, r.app, r.containerPort, r.hostPort ?? null, envList(r.env)];
  // Appended only when given, so that the revisions of containers run without them stay what they were.
  if (r.cmd) parts.push({ cmd: r.cmd });
  if (r.resources) parts.push({ resources: [r.resources.memory ?? null, r.resources.cpus ?? null] });
  const canonical = JSON.stringify(parts);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** `<app>-<node>-<hostport or short revision>`, a valid Docker container name. */
export function defaultContainerName(app: string, node: string, hostPort: number | undefined, revision: string): string {
  const suffix = hostPort === undefined ? revision.slice(0, 8) : String(hostPort);
  return `${app}-${node}-${suffix}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function isContainerName(s: string): boolean {
  return NAME.test(s) && s.length <= 128;
}

/** `K=V` as given on the command line; the value may contain `=`. */
export function parseEnvAssignments(items: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new Error(`--env "${item}": expected NAME=VALUE with NAME of letters, digits and _`);
    }
    env[key] = item.slice(eq + 1);
  }
  return env;
}

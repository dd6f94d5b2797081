import { createHash } from 'node:crypto';
import type { ContainerCreateOptions } from 'dockerode';

export const LABELS = {
  app: 'cloudmatrix.app',
  plan: 'cloudmatrix.plan',
  revision: 'cloudmatrix.revision',
  port: 'cloudmatrix.port',
} as const;

/** The plan name of containers started by hand with `run-container`. */
export const MANUAL_PLAN = 'manual';

export const DEFAULT_CONTAINER_PORT = 8080;

export interface ContainerSpecInput {
  name: string;
  app: string;
  plan: string;
  revision: string;
  image: string;
  containerPort: number;
  /** undefined: Docker picks a free port */
  hostPort?: number;
  hostIp: string;
  env: Record<string, string>;
}

export function envList(env: Record<string, string>): string[] {
  return Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`);
}

/** Create options for a cloudmatrix container: labelled, restarted unless stopped, one published port. */
export function containerSpec(i: ContainerSpecInput): ContainerCreateOptions {
  const port = `${i.containerPort}/tcp`;
  return {
    name: i.name,
    Image: i.image,
    Env: envList(i.env),
    Labels: {
      [LABELS.app]: i.app,
      [LABELS.plan]: i.plan,
      [LABELS.revision]: i.revision,
      [LABELS.port]: String(i.containerPort),
    },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      RestartPolicy: { Name: 'unless-stopped' },
      // An init as PID 1 passes SIGTERM on (a bare PID 1 ignores it, so every stop would wait
      // for the kill timeout) and reaps zombies.
      Init: true,
      PortBindings: { [port]: [{ HostIp: i.hostIp, HostPort: i.hostPort === undefined ? '' : String(i.hostPort) }] },
    },
  };
}

export interface RevisionInput {
  imageDigest: string;
  app: string;
  containerPort: number;
  hostPort?: number;
  env: Record<string, string>;
}

/** What makes two containers interchangeable: image content and the options it runs with (16 hex). */
export function revisionOf(r: RevisionInput): string {
  const canonical = JSON.stringify([r.imageDigest, r.app, r.containerPort, r.hostPort ?? null, envList(r.env)]);
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

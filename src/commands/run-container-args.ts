import type Docker from 'dockerode';
import { UserError } from '../errors.js';
import { parseEnvAssignments } from '../model/container-spec.js';

/** commander's way to take a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parsePort(s: string, what: string): number {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UserError(`${what} "${s}": expected a port number 1-65535`);
  return n;
}

export function parseEnvOption(items: readonly string[]): Record<string, string> {
  try {
    return parseEnvAssignments(items);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/** Where a container's port is published: the first IPv4 binding of `<port>/tcp`. */
export function publishedPort(
  info: Pick<Docker.ContainerInspectInfo, 'NetworkSettings'>, containerPort: number,
): { ip: string; port: number } | null {
  const bindings = info.NetworkSettings.Ports?.[`${containerPort}/tcp`] ?? [];
  const b = bindings.find((x) => !x.HostIp.includes(':')) ?? bindings[0];
  if (!b || !b.HostPort) return null;
  return { ip: b.HostIp === '0.0.0.0' ? '' : b.HostIp, port: Number(b.HostPort) };
}

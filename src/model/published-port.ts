import type { ContainerInspectInfo } from 'dockerode';

/** Where a container's port is published, from Docker's inspect: the first IPv4 binding of `<port>/tcp`. */
export function publishedPort(
  info: Pick<ContainerInspectInfo, 'NetworkSettings'>, containerPort: number,
): { ip: string; port: number } | null {
  const bindings = info.NetworkSettings.Ports?.[`${containerPort}/tcp`] ?? [];
  const b = bindings.find((x) => !x.HostIp.includes(':')) ?? bindings[0];
  if (!b || !b.HostPort) return null;
  return { ip: b.HostIp === '0.0.0.0' ? '' : b.HostIp, port: Number(b.HostPort) };
}

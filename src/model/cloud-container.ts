import type { ContainerInfo } from 'dockerode';
import type { Resources } from './capacity.js';
import { LABELS, reservedOf } from './container-spec.js';
import { formatTable } from './table.js';

/** A container that carries the cloudmatrix labels, as listed on one node. */
export interface CloudContainer {
  node: string;
  id: string;
  name: string;
  app: string;
  plan: string;
  revision: string;
  image: string;
  /** Docker's state: running, exited, restarting, created, ... */
  state: string;
  status: string;
  containerPort: number | null;
  /** where it answers: the published address and port of its cloudmatrix.port */
  address: string | null;
  port: number | null;
  /** set where the manager's record was read: false for an orphan (never passed a health check under a deploy) */
  knownGood?: boolean;
  /** memory and CPUs it reserves on its node (its labels); absent: none */
  reserved?: Resources;
}

export function fromContainerInfo(node: { name: string; ip: string }, c: ContainerInfo): CloudContainer {
  const labels = c.Labels ?? {};
  // a worker's label is `none`: it publishes no port
  const containerPort = /^[0-9]{1,5}$/.test(labels[LABELS.port] ?? '') ? Number(labels[LABELS.port]) : null;
  const reserved = reservedOf(labels);
  const pub = c.Ports.find((p) => p.PrivatePort === containerPort && p.Type === 'tcp' && p.PublicPort && !(p.IP ?? '').includes(':'));
  return {
    node: node.name,
    id: c.Id,
    name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    app: labels[LABELS.app] ?? '',
    plan: labels[LABELS.plan] ?? '',
    revision: labels[LABELS.revision] ?? '',
    image: c.Image,
    state: c.State,
    status: c.Status,
    containerPort,
    address: pub ? (pub.IP && pub.IP !== '0.0.0.0' ? pub.IP : node.ip) : null,
    port: pub ? pub.PublicPort : null,
    ...(reserved ? { reserved } : {}),
  };
}

/** An image reference shortened for a table: no registry, digest cut to 12 hex. */
export function shortImage(image: string): string {
  const noRegistry = image.replace(/^[^/]*[.:][^/]*\//, '');
  return noRegistry.replace(/@sha256:([0-9a-f]{12})[0-9a-f]*$/, '@$1');
}

export function sortContainers(rows: CloudContainer[]): CloudContainer[] {
  const key = (c: CloudContainer) => `${c.node}\0${c.app}\0${c.name}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function formatContainers(rows: readonly CloudContainer[]): string {
  const table = [['NODE', 'NAME', 'APP', 'IMAGE', 'REVISION', 'STATE', 'ADDRESS']];
  for (const c of rows) {
    const address = c.address && c.port ? `${c.address}:${c.port}` : '-';
    table.push([c.node, c.name, c.app, shortImage(c.image), c.revision.slice(0, 12), c.state, address]);
  }
  return formatTable(table);
}

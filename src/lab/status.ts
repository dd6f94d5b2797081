import { join } from 'node:path';
import { readInventory } from '../inventory/read.js';
import { activeNodes } from '../model/inventory.js';
import type { LabManifest } from './manifest.js';
import { dockerPing, httpsOk, pidAlive, registryPing, tcpOpen } from './probe.js';

export interface ComponentStatus {
  name: string;
  ok: boolean;
  detail: string;
}

export interface NodeStatus {
  name: string;
  ip: string;
  lease: boolean;
  sshd: boolean;
  dockerd: boolean;
  ok: boolean;
}

export interface LabStatus {
  up: boolean;
  ok: boolean;
  bridge?: string;
  subnet?: string;
  manager: ComponentStatus[];
  nodes: NodeStatus[];
}

/** Unexpired lease per lowercased hostname, read as `cloudmatrix nodes` reads it (re-read if mid-write). */
async function leaseNames(leasesFile: string): Promise<Map<string, string>> {
  const inventory = await readInventory(leasesFile, new Date()).catch(() => null);
  return new Map((inventory ? activeNodes(inventory) : []).map((n) => [n.name.toLowerCase(), n.ip]));
}

export async function labStatus(m: LabManifest | null, varnishAdmin = '127.0.0.1:6082'): Promise<LabStatus> {
  if (!m) return { up: false, ok: false, manager: [], nodes: [] };
  const [adminHost, adminPort] = varnishAdmin.split(':');
  const managerChecks: Array<[string, Promise<boolean>, string]> = [
    ['dnsmasq', Promise.resolve(pidAlive(join(m.lab, 'dnsmasq.pid'))), `DHCP on ${m.bridge}`],
    ['registry', registryPing(m.registry, m.registryCa), `${m.registryCa ? 'https' : 'http'}://${m.registry}/v2/${m.registryPush ? ' (read-only)' : ''}`],
    ...(m.registryPush ? [['registry-rw', registryPing(m.registryPush), `http://${m.registryPush}/v2/ (push)`] as [string, Promise<boolean>, string]] : []),
    ['dockerd', dockerPing(join(m.lab, 'manager', 'docker.sock')), join(m.lab, 'manager', 'docker.sock')],
    ['varnish', tcpOpen(adminHost!, Number(adminPort)), `admin ${varnishAdmin}`],
    ...edgeChecks(m),
  ];
  const manager = await Promise.all(
    managerChecks.map(async ([name, p, detail]) => ({ name, ok: await p, detail })),
  );
  const leases = await leaseNames(join(m.lab, 'dnsmasq.leases'));
  const nodes = await Promise.all(
    m.nodes.map(async (n) => {
      const [sshd, dockerd] = await Promise.all([tcpOpen(n.ip, 22), dockerPing(join(n.dir, 'docker.sock'))]);
      const lease = leases.get(n.name.toLowerCase()) === n.ip;
      return { name: n.name, ip: n.ip, lease, sshd, dockerd, ok: lease && sshd && dockerd };
    }),
  );
  const ok = manager.every((c) => c.ok) && nodes.every((n) => n.ok);
  return { up: true, ok, bridge: m.bridge, subnet: m.subnet, manager, nodes };
}

/** hitch (its pid and its TLS port), pebble (its directory over TLS checked against the lab CA), the git sshd. */
function edgeChecks(m: LabManifest): Array<[string, Promise<boolean>, string]> {
  const checks: Array<[string, Promise<boolean>, string]> = [];
  if (m.tls) {
    const [host, port] = splitHostPort(m.tls.listen);
    checks.push(['hitch', pidAlive(m.tls.pidFile) ? tcpOpen(host, port) : Promise.resolve(false), `TLS on ${m.tls.listen} -> Varnish (PROXY)`]);
  }
  if (m.acme) {
    checks.push(['pebble', pidAlive(m.acme.pidFile) ? httpsOk(m.acme.directory, m.registryCa) : Promise.resolve(false), `ACME ${m.acme.directory}`]);
  }
  if (m.git) {
    const [host, port] = splitHostPort(m.git.listen);
    checks.push(['git-sshd', pidAlive(m.git.pidFile) ? tcpOpen(host, port) : Promise.resolve(false), `git push over SSH: ${m.git.user}@${m.git.listen}`]);
  }
  return checks;
}

function splitHostPort(hp: string): [string, number] {
  const i = hp.lastIndexOf(':');
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), Number(hp.slice(i + 1))];
}

export function formatStatus(s: LabStatus): string {
  if (!s.up) return 'lab: down (run "cloudmatrix lab up")';
  const mark = (ok: boolean) => (ok ? 'ok' : 'DOWN');
  const lines = [`lab: ${s.ok ? 'up' : 'DEGRADED'} on ${s.bridge} ${s.subnet}`];
  for (const c of s.manager) lines.push(`  manager ${c.name.padEnd(11)} ${mark(c.ok).padEnd(5)} ${c.detail}`);
  for (const n of s.nodes) {
    lines.push(
      `  ${n.name.padEnd(15)} ${n.ip.padEnd(15)} lease ${mark(n.lease).padEnd(5)} sshd ${mark(n.sshd).padEnd(5)} dockerd ${mark(n.dockerd)}`,
    );
  }
  return lines.join('\n');
}

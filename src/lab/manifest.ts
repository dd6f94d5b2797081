import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabNode {
  name: string;
  netns: string;
  veth: string;
  mac: string;
  ip: string;
  dir: string;
}

/** What `lab up` made, written by scripts/lab/write-config.sh. */
export interface LabManifest {
  bridge: string;
  subnet: string;
  managerIp: string;
  /** the registry's read-only face (TLS, pull credentials) */
  registry: string;
  /** its read-write face, on loopback */
  registryPush?: string;
  /** the CA the read-only face's certificate chains to */
  registryCa?: string;
  /** nft table (family inet) that filters what arrives from the bridge */
  nftTable?: string;
  /** the varnishd the router runs (`lab up --varnish`); absent or "varnishd": the one on PATH */
  varnishd?: string;
  /** hitch: where it terminates TLS, its pid file */
  tls?: { listen: string; pidFile: string };
  /** pebble: the lab's ACME directory, its pid file */
  acme?: { directory: string; pidFile: string };
  /** the sshd for git pushes: where it listens, its account, pid file, and the known_hosts line for clients */
  git?: { listen: string; user: string; pidFile: string; knownHosts: string };
  lab: string;
  nodes: LabNode[];
}

export function labDir(stateDir: string): string {
  return join(stateDir, 'lab');
}

export function readManifest(stateDir: string): LabManifest | null {
  const path = join(labDir(stateDir), 'lab.json');
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as LabManifest;
}

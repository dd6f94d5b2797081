import type { NameTable } from './lease-names.js';

/** One lease as read; nodes are the named IPv4 ones. */
export interface LeaseEntry {
  name: string | null;
  ip: string | null;
  ip6: readonly string[];
  mac: string | null;
  /** ARP hardware type (1 = Ethernet); null for DHCPv6 leases */
  hwType: number | null;
  expiresAt: Date | null;
  clientId: string | null;
  expired: boolean;
  line: number;
}

export interface LeaseNode extends LeaseEntry {
  name: string;
  ip: string;
}

export interface LeaseWarning {
  line: number;
  message: string;
}

export interface ParsedLeases {
  /** named IPv4 leases, one per hostname (case-insensitive), in order of first appearance */
  nodes: LeaseNode[];
  /** leases without a hostname, and DHCPv6 hosts that have no IPv4 lease, in file order */
  others: LeaseEntry[];
  warnings: LeaseWarning[];
  serverDuid: string | null;
}

/**
 * What the line scan keeps: per lease 10 numbers in recs (line, expiry, then start/end of
 * hwaddr-or-iaid, address, hostname, client id) and indexes into recs.
 */
export interface LeaseRecords {
  text: string;
  recs: Float64Array;
  used: number;
  names: NameTable;
  nameless: number[];
  v6: number[];
  warnings: LeaseWarning[];
  serverDuid: string | null;
}

const NONE: readonly string[] = Object.freeze([]);

function entryAt(r: LeaseRecords, at: number, v6: boolean, nowMs: number): LeaseEntry {
  const t = r.text;
  const recs = r.recs;
  const expiry = recs[at + 1];
  const name = t.slice(recs[at + 6], recs[at + 7]);
  const clid = t.slice(recs[at + 8], recs[at + 9]);
  let mac: string | null = null;
  let hwType: number | null = null;
  if (!v6) {
    const hw = t.slice(recs[at + 2], recs[at + 3]).toLowerCase();
    const dash = hw.indexOf('-');
    hwType = dash < 0 ? 1 : parseInt(hw.slice(0, dash), 16);
    mac = dash < 0 ? hw : dash === hw.length - 1 ? null : hw.slice(dash + 1);
  }
  const addr = t.slice(recs[at + 4], recs[at + 5]);
  return {
    name: name === '*' ? null : name,
    ip: v6 ? null : addr,
    ip6: v6 ? [addr.toLowerCase()] : NONE,
    mac,
    hwType,
    expiresAt: expiry === 0 ? null : new Date(expiry * 1000),
    clientId: clid === '*' ? null : clid.toLowerCase(),
    expired: expiry !== 0 && expiry * 1000 <= nowMs,
    line: recs[at],
  };
}

export function buildLeases(r: LeaseRecords, nowMs: number): ParsedLeases {
  const nodes: LeaseNode[] = [];
  for (const at of r.names.order) nodes.push(entryAt(r, at, false, nowMs) as LeaseNode);
  const others = r.nameless.map((at) => entryAt(r, at, false, nowMs));
  if (r.v6.length > 0) attachV6(r, nodes, others, nowMs);
  others.sort((a, b) => a.line - b.line);
  r.warnings.sort((a, b) => a.line - b.line);
  return { nodes, others, warnings: r.warnings, serverDuid: r.serverDuid };
}

/** DHCPv6 addresses go to the IPv4 node of the same hostname, if there is one. */
function attachV6(r: LeaseRecords, nodes: LeaseNode[], others: LeaseEntry[], nowMs: number): void {
  const hosts = new Map<string, LeaseEntry>();
  for (const n of nodes) hosts.set(n.name.toLowerCase(), n);
  for (const at of r.v6) {
    const e = entryAt(r, at, true, nowMs);
    const key = e.name?.toLowerCase();
    const host = key === undefined ? undefined : hosts.get(key);
    if (host) {
      host.ip6 = [...host.ip6, ...e.ip6];
      continue;
    }
    others.push(e);
    if (key !== undefined) hosts.set(key, e);
  }
}

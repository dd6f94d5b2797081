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
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A lease read lazily from the scan's records: the parse makes one small object per lease and
 * slices its strings only when a field is read (a result of 100,000 eager objects, each with
 * five strings, a Date and an array, spent more time in the garbage collector than in the scan).
 */
class Lease implements LeaseEntry {
  #ip6: readonly string[] | null = null;
  #expiresAt: Date | null | undefined;

  constructor(private readonly r: LeaseRecords, private readonly at: number, private readonly v6: boolean, private readonly nowMs: number) {}

  #field(k: number): string {
    return this.r.text.slice(this.r.recs[this.at + k], this.r.recs[this.at + k + 1]);
  }

  #hw(): string {
    return this.#field(2).toLowerCase();
  }

  get name(): string | null {
    const name = this.#field(6);
    return name === '*' ? null : name;
  }

  get ip(): string | null {
    return this.v6 ? null : this.#field(4);
  }

  get ip6(): readonly string[] {
    return this.#ip6 ?? (this.v6 ? (this.#ip6 = [this.#field(4).toLowerCase()]) : NONE);
  }

  set ip6(value: readonly string[]) {
    this.#ip6 = value;
  }

  get mac(): string | null {
    if (this.v6) return null;
    const hw = this.#hw();
    const dash = hw.indexOf('-');
    return dash < 0 ? hw : dash === hw.length - 1 ? null : hw.slice(dash + 1);
  }

  get hwType(): number | null {
    if (this.v6) return null;
    const hw = this.#hw();
    const dash = hw.indexOf('-');
    return dash < 0 ? 1 : parseInt(hw.slice(0, dash), 16);
  }

  get expiresAt(): Date | null {
    if (this.#expiresAt === undefined) {
      const expiry = this.r.recs[this.at + 1];
      this.#expiresAt = expiry === 0 ? null : new Date(expiry * 1000);
    }
    return this.#expiresAt;
  }

  get clientId(): string | null {
    const clid = this.#field(8);
    return clid === '*' ? null : clid.toLowerCase();
  }

  get expired(): boolean {
    const expiry = this.r.recs[this.at + 1];
    return expiry !== 0 && expiry * 1000 <= this.nowMs;
  }

  get line(): number {
    return this.r.recs[this.at];
  }

  toJSON(): LeaseEntry {
    const { name, ip, ip6, mac, hwType, expiresAt, clientId, expired, line } = this;
    return { name, ip, ip6, mac, hwType, expiresAt, clientId, expired, line };
  }

  [INSPECT](): LeaseEntry {
    return this.toJSON();
  }
}

function entryAt(r: LeaseRecords, at: number, v6: boolean, nowMs: number): LeaseEntry {
  return new Lease(r, at, v6, nowMs);
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

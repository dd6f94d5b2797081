import { UserError } from '../errors.js';

export const MAX_NODES = 100;

export interface LabOptions {
  nodes: number;
  bridge: string;
  subnet: string;
}

/** An IPv4 address assigned to some interface of this machine. */
export interface HostAddress {
  ifname: string;
  address: string;
  prefixlen: number;
}

export const DEFAULT_LAB: LabOptions = { nodes: 3, bridge: 'cmx0', subnet: '10.77.0.0/24' };

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
  }
  return ipToInt(text);
}

export function parseNodeCount(raw: string | number | undefined): number {
  if (raw === undefined) return DEFAULT_LAB.nodes;
  const text = String(raw).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_NODES) {
    throw new UserError(`--nodes: expected a whole number from 1 to ${MAX_NODES}, got ${JSON.stringify(text)}`);
  }
  return n;
}

export function parseBridge(raw: string | undefined): string {
  const name = raw ?? DEFAULT_LAB.bridge;
  // veth names are "<bridge>-v<k>" and must fit the kernel's 15 characters.
  if (!/^[a-z][a-z0-9_]{0,7}$/i.test(name)) {
    throw new UserError(`--bridge: expected 1-8 letters, digits or "_" starting with a letter, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** Validates a lab subnet: an IPv4 /24 on its network address, not overlapping any interface but our bridge. */
export function parseSubnet(raw: string | undefined, bridge: string, hostAddrs: HostAddress[]): string {
  const text = (raw ?? DEFAULT_LAB.subnet).trim();
  const [net, len] = text.split('/');
  const base = net === undefined ? null : parseIpv4(net);
  if (base === null || len === undefined) {
    throw new UserError(`--subnet: expected an IPv4 /24 such as 10.77.0.0/24, got ${JSON.stringify(text)}`);
  }
  if (len !== '24') throw new UserError(`--subnet: the lab needs a /24, got /${len} in ${text}`);
  if (base % 256 !== 0) throw new UserError(`--subnet: ${text} is not a network address (expected ${net!.replace(/\.\d+$/, '.0')}/24)`);
  for (const a of hostAddrs) {
    if (a.ifname === bridge) continue;
    const addr = parseIpv4(a.address);
    if (addr === null) continue;
    const size = 2 ** (32 - Math.min(32, Math.max(0, a.prefixlen)));
    const start = Math.floor(addr / size) * size;
    if (start < base + 256 && base < start + size) {
      throw new UserError(`--subnet: ${text} overlaps ${a.address}/${a.prefixlen} on interface ${a.ifname}`);
    }
  }
  return `${net}/24`;
}

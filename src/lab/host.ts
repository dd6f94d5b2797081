import { execFileSync } from 'node:child_process';
import type { HostAddress } from './options.js';

/** IPv4 addresses of this machine's interfaces (root network namespace), from `ip -j addr`. */
export function hostAddresses(): HostAddress[] {
  const out = execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' });
  const links = JSON.parse(out) as Array<{ ifname: string; addr_info?: Array<{ local: string; prefixlen: number }> }>;
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => ({ ifname: l.ifname, address: a.local, prefixlen: a.prefixlen })));
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

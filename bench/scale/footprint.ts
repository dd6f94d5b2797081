// The lab's own cost per node: the processes in each node's network namespace (udhcpc, sshd,
// dockerd, containerd and the container shims; not the containers, which have namespaces of
// their own), their memory (PSS: shared pages counted once) and CPU time, read from /proc.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { LabManifest } from '../../src/lab/manifest.js';

const TICKS_PER_SECOND = 100;

export interface Footprint {
  processes: number;
  pssKiB: number;
  /** user + system CPU seconds so far */
  cpuSeconds: number;
}

function netnsInodes(manifest: LabManifest): Set<number> {
  const out = new Set<number>();
  for (const n of manifest.nodes) {
    try {
      out.add(statSync(`/var/run/netns/${n.netns}`).ino);
    } catch {
      // a node whose namespace is gone counts nothing
    }
  }
  return out;
}

function pssKiB(pid: string): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function cpuSeconds(pid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every process whose network namespace is one of the lab's nodes'. */
export function labFootprint(manifest: LabManifest): Footprint {
  const inodes = netnsInodes(manifest);
  const total: Footprint = { processes: 0, pssKiB: 0, cpuSeconds: 0 };
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    const ino = Number(/\[(\d+)\]/.exec(link)?.[1]);
    if (!inodes.has(ino)) continue;
    total.processes++;
    total.pssKiB += pssKiB(pid);
    total.cpuSeconds += cpuSeconds(pid);
  }
  return total;
}

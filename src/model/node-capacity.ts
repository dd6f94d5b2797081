import { formatBytes, formatCpus } from './sizes.js';

/** A node's memory and CPUs, and what cloudmatrix containers there reserve (memory in bytes, CPUs as a number). */
export interface NodeCapacity {
  /** null: the node did not say (error tells why) */
  capacity: { memory: number; cpus: number } | null;
  reserved: { memory: number; cpus: number };
  error?: string;
}

/** `0.6/2` and `288M/7.7G` (reserved/capacity), `-` when unknown. */
export function capacityCells(c: NodeCapacity | undefined): [string, string] {
  if (!c?.capacity) return ['-', '-'];
  return [
    `${formatCpus(Math.round(c.reserved.cpus * 1e9))}/${formatCpus(Math.round(c.capacity.cpus * 1e9))}`,
    `${formatBytes(c.reserved.memory)}/${formatBytes(c.capacity.memory)}`,
  ];
}

import type { Inventory } from '../model/inventory.js';
import type { LeaseEntry } from '../model/leases.js';
import { tableOf } from '../model/table.js';
import { capacityCells, type NodeCapacity } from '../model/node-capacity.js';

/** A line of `cloudmatrix nodes`. */
export interface NodeRow {
  name: string | null;
  ip: string | null;
  mac: string | null;
  expiresAt: string | null;
  clientId: string | null;
  expired: boolean;
  /** drained (node drain): set where the state dir is known */
  cordoned?: boolean;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The live named nodes; with `all`, expired and nameless leases too. */
export function nodeRows(inv: Inventory, all: boolean): NodeRow[] {
  const rows: NodeRow[] = inv.nodes
    .filter((n) => all || !n.expired)
    .map((n) => ({ name: n.name, ip: n.ip, mac: n.mac, expiresAt: iso(n.expiresAt), clientId: n.clientId, expired: n.expired }));
  if (!all) return rows;
  const other = (e: LeaseEntry): NodeRow => ({
    name: e.name, ip: e.ip ?? e.ip6[0] ?? null, mac: e.mac, expiresAt: iso(e.expiresAt), clientId: e.clientId, expired: e.expired,
  });
  return [...rows, ...inv.others.map(other)];
}

/** With `capacity`: CPUS and MEMORY columns, reserved/total of each live node (`-` when unknown). */
export function formatNodesTable(rows: readonly (NodeRow & Partial<NodeCapacity>)[], capacity = false): string {
  const state = (r: NodeRow) => (r.expired ? 'expired' : !r.name ? 'nameless' : r.cordoned ? 'cordoned' : 'active');
  const head = ['NAME', 'IP', 'MAC', 'EXPIRES', 'STATE', ...(capacity ? ['CPUS', 'MEMORY'] : [])];
  return tableOf(head, rows, (r) => [
    r.name ?? '*', r.ip ?? '-', r.mac ?? '-', r.expiresAt ?? 'never', state(r),
    ...(capacity ? capacityCells(r.capacity !== undefined ? (r as NodeCapacity) : undefined) : []),
  ]);
}

/** Each named row marked cordoned or not (case-insensitive names, as placement's). */
export function withCordons<T extends NodeRow>(rows: readonly T[], cordoned: readonly string[]): T[] {
  const set = new Set(cordoned.map((n) => n.toLowerCase()));
  return rows.map((r) => (r.name ? { ...r, cordoned: set.has(r.name.toLowerCase()) } : r));
}

/** `path:line: message` for each warning of the inventory (line 0: about the whole file). */
export function inventoryWarnings(inv: Inventory, path: string): string[] {
  return inv.warnings.map((w) => (w.line ? `${path}:${w.line}: ${w.message}` : w.message));
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { configPath, loadConfig } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { buildInventory, type Inventory, type StaticNode } from '../model/inventory.js';
import type { LeaseEntry } from '../model/leases.js';

const REREAD_DELAY_MS = 200;

async function readLeasesText(path: string, userGiven: boolean): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > 0) return text;
    // dnsmasq truncates and rewrites the file in place: empty may mean "being written".
    await new Promise((resolve) => setTimeout(resolve, REREAD_DELAY_MS));
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such leases file' : (err as Error).message;
    if (userGiven) throw new UserError(`${path}: ${why}`);
    throw new EnvError(`${path}: ${why} (is dnsmasq running?)`, { cause: err });
  }
}

/** Reads the leases file (once more after a pause if it is empty) and builds the inventory. */
export async function readInventory(
  path: string, now: Date, staticNodes: readonly StaticNode[] = [], userGiven = false,
): Promise<Inventory> {
  return buildInventory(await readLeasesText(path, userGiven), now, staticNodes);
}

interface Row {
  name: string | null;
  ip: string | null;
  mac: string | null;
  expiresAt: string | null;
  clientId: string | null;
  expired: boolean;
}

function rowsOf(inv: Inventory, all: boolean): Row[] {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const rows: Row[] = inv.nodes
    .filter((n) => all || !n.expired)
    .map((n) => ({ name: n.name, ip: n.ip, mac: n.mac, expiresAt: iso(n.expiresAt), clientId: n.clientId, expired: n.expired }));
  if (!all) return rows;
  const other = (e: LeaseEntry): Row => ({
    name: e.name, ip: e.ip ?? e.ip6[0] ?? null, mac: e.mac, expiresAt: iso(e.expiresAt), clientId: e.clientId, expired: e.expired,
  });
  return [...rows, ...inv.others.map(other)];
}

export function formatNodesTable(rows: readonly Row[]): string {
  const header = ['NAME', 'IP', 'MAC', 'EXPIRES', 'STATE'];
  const cells = rows.map((r) => [
    r.name ?? '*', r.ip ?? '-', r.mac ?? '-', r.expiresAt ?? 'never', r.expired ? 'expired' : r.name ? 'active' : 'nameless',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [header, ...cells].map((c) => c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function staticNodesAndPath(leases: string | undefined): { path: string; staticNodes: StaticNode[] } {
  if (leases !== undefined && !existsSync(configPath())) return { path: leases, staticNodes: [] };
  const config = loadConfig();
  return { path: leases ?? config.leasesFile, staticNodes: config.staticNodes };
}

export function registerNodes(program: Command): void {
  program
    .command('nodes')
    .description('list the nodes: DHCP leases from dnsmasq plus the static nodes of the config')
    .option('--leases <file>', 'leases file to read (default: leasesFile of the config)')
    .option('--json', 'print a JSON array')
    .option('--all', 'also show expired leases and leases without a hostname')
    .action(async (opts: { leases?: string; json?: boolean; all?: boolean }) => {
      const { path, staticNodes } = staticNodesAndPath(opts.leases);
      const inv = await readInventory(path, new Date(), staticNodes, opts.leases !== undefined);
      for (const w of inv.warnings) console.error(`cloudmatrix: ${path}${w.line ? `:${w.line}` : ''}: ${w.message}`);
      const rows = rowsOf(inv, opts.all === true);
      console.log(opts.json ? JSON.stringify(rows, null, 2) : formatNodesTable(rows));
    });
}

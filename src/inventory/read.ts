import { readLeasesText, missingLeasesWarning } from '../adapters/nodes.js';
import { buildInventory, type Inventory, type StaticNode } from '../model/inventory.js';

/** The inventory of the leases file and the static nodes; a missing leases file is no leases and a warning. */
export async function readInventory(leasesFile: string, now: Date, staticNodes: readonly StaticNode[] = []): Promise<Inventory> {
  const { text, missing } = await readLeasesText(leasesFile);
  const inventory = buildInventory(text, now, staticNodes);
  if (missing) inventory.warnings.unshift({ line: 0, message: missingLeasesWarning(leasesFile) });
  return inventory;
}

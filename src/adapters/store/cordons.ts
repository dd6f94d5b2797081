import { join } from 'node:path';
import { readJsonRecord, writeJson, type StoreWarn } from './atomic.js';
import { withFileLock } from './lock.js';

/** A drained node: nothing new is placed there until `node undrain`. */
export interface Cordon {
  node: string;
  since: string;
  /** who drained it */
  by: string;
}

interface FileShape {
  version: 1;
  cordons: Record<string, Cordon>;
}

const keyOf = (node: string) => node.toLowerCase();

/**
 * `<stateDir>/cordons.json`: the cordoned nodes, kept across restarts. Node names match
 * case-insensitively (as placement's). A corrupt file is set aside and reads as no cordon.
 */
export class CordonStore {
  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return join(this.stateDir, 'cordons.json');
  }

  private load(): Record<string, Cordon> {
    return readJsonRecord<Cordon>(this.path, 'cordons', this.warn);
  }

  list(): Cordon[] {
    return Object.values(this.load()).sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  has(node: string): boolean {
    return Object.hasOwn(this.load(), keyOf(node));
  }

  /** Cordons the node; false when it was already. */
  add(node: string, by: string): boolean {
    return this.update((all) => {
      if (all[keyOf(node)]) return false;
      all[keyOf(node)] = { node, since: new Date().toISOString(), by };
      return true;
    });
  }

  /** Lifts the cordon; false when there was none. */
  remove(node: string): boolean {
    return this.update((all) => {
      if (!all[keyOf(node)]) return false;
      delete all[keyOf(node)];
      return true;
    });
  }

  private update(change: (all: Record<string, Cordon>) => boolean): boolean {
    return withFileLock(`${this.path}.lock`, 10, () => {
      const all = this.load();
      const changed = change(all);
      if (changed) writeJson(this.path, { version: 1, cordons: all } satisfies FileShape);
      return changed;
    });
  }
}

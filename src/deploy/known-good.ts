import { History } from '../adapters/store/history.js';
import { KnownGoodStore } from '../adapters/store/known-good.js';
import type { StoreWarn } from '../adapters/store/atomic.js';
import type { CloudContainer } from '../model/cloud-container.js';

export type KnownGood = (id: string) => boolean;

/**
 * Which containers are known-good: those the store names. A state dir from before the store
 * existed has none yet; there a container counts when its revision is its app's last
 * successful revision in the deploy history (what the last good deploy left serving), so an
 * upgrade neither unroutes nor replaces what runs.
 */
export function knownGoodOf(stateDir: string, containers: readonly CloudContainer[], warn?: StoreWarn): { isGood: KnownGood; store: KnownGoodStore; seeded: boolean } {
  const store = new KnownGoodStore(stateDir, warn);
  if (store.exists()) {
    const ids = new Set(store.ids());
    // A corrupt store was set aside while reading: fall through to the history.
    if (store.exists()) return { isGood: (id) => ids.has(id), store, seeded: false };
  }
  const history = new History(stateDir, warn);
  const last = new Map<string, string | undefined>();
  const good = new Set<string>();
  for (const c of containers) {
    const key = `${c.plan}\0${c.app}`;
    if (!last.has(key)) last.set(key, history.revisions(c.plan, c.app)[0]?.revision);
    if (last.get(key) === c.revision) good.add(c.id);
  }
  return { isGood: (id) => good.has(id), store, seeded: true };
}

/** Under the deploy lock: writes what knownGoodOf seeded from the history, so the store is the record from now on. */
export function persistSeed(store: KnownGoodStore, containers: readonly CloudContainer[], isGood: KnownGood): void {
  for (const c of containers) {
    if (isGood(c.id)) store.add(c.id, { plan: c.plan, app: c.app, node: c.node, name: c.name, revision: c.revision });
  }
  store.save();
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJson, type StoreWarn } from './atomic.js';

/** A container that passed its health check under a deploy, a rollback or watch. */
export interface KnownGoodEntry {
  plan: string;
  app: string;
  node: string;
  name: string;
  revision: string;
  /** when it first passed */
  since: string;
}

interface FileShape {
  version: 1;
  containers: Record<string, KnownGoodEntry>;
}

/**
 * The containers known to be good, by container id (a label cannot change after create, so the
 * manager keeps this). Written only under the deploy lock; read by anyone.
 */
export class KnownGoodStore {
  private entries: Map<string, KnownGoodEntry> | null = null;
  private unsaved = false;

  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return join(this.stateDir, 'known-good.json');
  }

  /** False before the first deploy that records it (an older state dir): then the history decides. */
  exists(): boolean {
    return existsSync(this.path);
  }

  private load(): Map<string, KnownGoodEntry> {
    if (!this.entries) {
      const file = readJson<FileShape | null>(this.path, null, this.warn);
      const ok = file && typeof file === 'object' && file.containers && typeof file.containers === 'object';
      this.entries = new Map(ok ? Object.entries(file.containers) : []);
    }
    return this.entries;
  }

  has(id: string): boolean {
    return this.load().has(id);
  }

  get(id: string): KnownGoodEntry | undefined {
    return this.load().get(id);
  }

  ids(): string[] {
    return [...this.load().keys()];
  }

  /** Records a container; `persist: false` leaves the write to a later save() (a deploy writes once per switch, not per container). */
  add(id: string, entry: Omit<KnownGoodEntry, 'since'>, persist = true): void {
    const all = this.load();
    if (all.has(id)) return;
    all.set(id, { ...entry, since: new Date().toISOString() });
    this.unsaved = true;
    if (persist) this.save();
  }

  /** Writes what add() recorded without persisting, if anything. */
  flush(): void {
    if (this.unsaved) this.save();
  }

  remove(ids: Iterable<string>): void {
    const all = this.load();
    let changed = false;
    for (const id of ids) changed = all.delete(id) || changed;
    if (changed) this.save();
  }

  /** Writes the current set (also when empty: the file's existence means "recorded from now on"). */
  save(): void {
    this.unsaved = false;
    writeJson(this.path, { version: 1, containers: Object.fromEntries(this.load()) } satisfies FileShape);
  }
}

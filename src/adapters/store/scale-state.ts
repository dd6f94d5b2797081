import { join } from 'node:path';
import type { ScaleEntries, ScaleEntry } from '../../model/scale-counts.js';
import { readJson, writeJson, type StoreWarn } from './atomic.js';

interface CountsFile {
  version: 1;
  /** by `<plan>/<app>` */
  apps: Record<string, ScaleEntry>;
  /** autoscale changes so far, by app and direction (the metrics' counter) */
  decisions: Record<string, { up: number; down: number }>;
}

/** The request rates the autoscaler last measured (written by watch / serve --watch, read by the API). */
export interface RatesFile {
  sampledAt: string;
  apps: Record<string, { requestsPerSecond: number; windowMs: number }>;
}

const empty = (): CountsFile => ({ version: 1, apps: {}, decisions: {} });

/**
 * The replica counts that differ from the plan file's numbers (autoscaled or set by `scale`), so that
 * a deploy keeps them. Written only under the deploy lock; read by anyone.
 */
export class ScaleStore {
  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return join(this.stateDir, 'autoscale.json');
  }

  get ratesPath(): string {
    return join(this.stateDir, 'autoscale-rates.json');
  }

  private read(): CountsFile {
    const f = readJson<Partial<CountsFile> | null>(this.path, null, this.warn);
    return f && typeof f.apps === 'object' && f.apps !== null ? { ...empty(), ...f } as CountsFile : empty();
  }

  entries(): ScaleEntries {
    return this.read().apps;
  }

  /** Replaces the plan's entries (keys `<plan>/...`) by `entries`, and counts an autoscale change. */
  replacePlan(plan: string, entries: Record<string, ScaleEntry>, decision?: { app: string; direction: 'up' | 'down' }): void {
    const f = this.read();
    const before = JSON.stringify(f);
    for (const k of Object.keys(f.apps)) if (k.startsWith(`${plan}/`)) delete f.apps[k];
    Object.assign(f.apps, entries);
    if (decision) {
      const d = f.decisions[decision.app] ?? { up: 0, down: 0 };
      d[decision.direction]++;
      f.decisions[decision.app] = d;
    }
    // Plans without ranges leave no file behind.
    if (JSON.stringify(f) !== before) writeJson(this.path, f);
  }

  decisions(): Record<string, { up: number; down: number }> {
    return this.read().decisions;
  }

  writeRates(rates: RatesFile): void {
    writeJson(this.ratesPath, rates);
  }

  rates(): RatesFile | null {
    return readJson<RatesFile | null>(this.ratesPath, null, this.warn);
  }
}

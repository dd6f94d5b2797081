import { join } from 'node:path';
import { readJsonRecord, writeJson, type StoreWarn } from './atomic.js';

/** Where an app with volumes lives: its node, and the Docker volumes it mounts there. */
export interface Pin {
  plan: string;
  app: string;
  node: string;
  /** volume name in the plan -> Docker volume name on the node */
  volumes: Record<string, string>;
  since: string;
}

interface FileShape {
  version: 1;
  pins: Record<string, Pin>;
}

const key = (plan: string, app: string) => `${plan}/${app}`;

/**
 * `<stateDir>/pins.json`: the node each stateful app is pinned to (its volumes are there). Written
 * only under the deploy lock; a corrupt file is set aside (then the next deploy places the app
 * anew, as on a first deploy, and says so).
 */
export class PinStore {
  constructor(private readonly stateDir: string, private readonly warn?: StoreWarn) {}

  get path(): string {
    return join(this.stateDir, 'pins.json');
  }

  private load(): Record<string, Pin> {
    return readJsonRecord<Pin>(this.path, 'pins', this.warn);
  }

  get(plan: string, app: string): Pin | undefined {
    return this.load()[key(plan, app)];
  }

  list(plan?: string): Pin[] {
    return Object.values(this.load()).filter((p) => plan === undefined || p.plan === plan);
  }

  set(pin: Omit<Pin, 'since'> & { since?: string }): void {
    const all = this.load();
    const old = all[key(pin.plan, pin.app)];
    const same = old && old.node === pin.node && JSON.stringify(old.volumes) === JSON.stringify(pin.volumes);
    if (same) return;
    all[key(pin.plan, pin.app)] = { ...pin, since: pin.since ?? new Date().toISOString() };
    writeJson(this.path, { version: 1, pins: all } satisfies FileShape);
  }

  remove(plan: string, app?: string): void {
    const all = this.load();
    const gone = Object.keys(all).filter((k) => all[k]!.plan === plan && (app === undefined || all[k]!.app === app));
    if (gone.length === 0) return;
    for (const k of gone) delete all[k];
    writeJson(this.path, { version: 1, pins: all } satisfies FileShape);
  }
}

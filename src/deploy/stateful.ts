import type { NodeEngine } from '../adapters/docker.js';
import { BackupStore, type BackupRecord } from '../adapters/store/backups.js';
import { PinStore } from '../adapters/store/pins.js';
import { backupApp, restoreInto } from '../backup/archive.js';
import type { CloudContainer } from '../model/cloud-container.js';
import { LABELS } from '../model/container-spec.js';
import type { AppSpec, Plan } from '../model/plan.js';
import { dependenciesOf, resolveEnv, UnresolvedReference, type ServiceAddress } from '../model/plan/references.js';
import { routable } from '../model/routes.js';
import { pinnedPlan, stopFirst, VOLUME_LABEL, volumeName } from '../model/stateful.js';
import type { Action, LiveNode, RunningContainer } from '../model/types.js';
import type { AppOutcome, StatefulHooks } from './app-deploy.js';
import { toRunning } from './cluster.js';

/** A restore or a move: the app gets fresh volumes (on `node`, or where it is pinned) filled from `from`. */
export interface StatefulChange {
  app: string;
  /** move: the node to go to */
  node?: string;
  /** a backup to restore; `stopped`: a backup of the old container once stopped (a move), else the newest backup */
  from: { backup: BackupRecord } | 'stopped';
}

/** Where the referenced apps of a plan answer: the node address and published port of their one healthy container. */
export function serviceAddresses(plan: Plan, planName: string, containers: readonly CloudContainer[], isGood: (id: string) => boolean): Map<string, ServiceAddress> {
  const wanted = new Set(plan.apps.flatMap((a) => dependenciesOf(a)));
  const out = new Map<string, ServiceAddress>();
  for (const app of wanted) {
    const up = containers.filter((c) => c.plan === planName && c.app === app && routable(c) && isGood(c.id));
    if (up.length === 1) out.set(app, { host: up[0]!.address!, port: up[0]!.port! });
  }
  return out;
}

export interface Prepared {
  /** references resolved, stateful apps narrowed to their pinned node */
  plan: Plan;
  containers: RunningContainer[];
  /** app -> why it is left alone this time (pinned to a lost node; a referenced app down) */
  blocked: Map<string, string>;
  notes: string[];
}

/** The diff's input for this moment of a deploy (each wave of references reads the cluster again). */
export function prepare(
  plan: Plan, planName: string, nodes: readonly LiveNode[], containers: readonly CloudContainer[], isGood: (id: string) => boolean,
  pins: ReadonlyMap<string, string>, replace?: string,
): Prepared {
  const addresses = serviceAddresses(plan, planName, containers, isGood);
  const blocked = new Map<string, string>();
  // A job (schedule) keeps no container running: the scheduler runs it (jobs/), never a deploy.
  const resolved = plan.apps.filter((a) => a.schedule === undefined).map((app): AppSpec => {
    try {
      return dependenciesOf(app).length ? { ...app, env: resolveEnv(app.env, addresses) } : app;
    } catch (err) {
      if (!(err instanceof UnresolvedReference)) throw err;
      blocked.set(app.name, `references app ${err.app}, which has no running healthy container: ${app.name} keeps what runs`);
      return app;
    }
  });
  const pinned = pinnedPlan({ ...plan, apps: resolved }, pins, nodes);
  for (const [app, why] of pinned.down) blocked.set(app, why);
  // A restore or a move replaces the app's container even though its revision is the same.
  const running = containers.map((c) => toRunning(c, (id) => isGood(id) && !(c.plan === planName && c.app === replace)));
  return { plan: pinned.plan, containers: running, blocked, notes: pinned.notes };
}

/** The actions a deploy runs: none for blocked apps; stop-first, and no stop on a node that does not answer, for apps with volumes. */
export function finishActions(actions: readonly Action[], prepared: Prepared, nodes: readonly LiveNode[], containers: readonly CloudContainer[]): Action[] {
  const reachable = new Set(nodes.filter((n) => n.reachable).map((n) => n.name));
  const byApp = new Map<string, Action[]>();
  for (const a of actions) byApp.set(a.app, [...(byApp.get(a.app) ?? []), a]);
  const out: Action[] = [];
  for (const [app, acts] of byApp) {
    if (prepared.blocked.has(app)) continue;
    const spec = prepared.plan.apps.find((a) => a.name === app);
    if (!spec?.volumes) {
      out.push(...acts);
      continue;
    }
    const doable = acts.filter((a) => a.kind !== 'stop' || reachable.has(a.node));
    out.push(...stopFirst(doable, (id) => containers.find((c) => c.id === id)?.port ?? null));
  }
  return out;
}

/** The volumes, backups and pins of one deploy of a plan (under the deploy lock). */
export class StatefulDeploy implements StatefulHooks {
  private readonly store: BackupStore;
  private readonly pinStore: PinStore;
  /** app -> the volumes this deploy mounted for it, and where */
  private readonly mounted = new Map<string, { node: string; volumes: Record<string, string> }>();
  private seedRecord: BackupRecord | undefined;
  private readonly generation = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(2, 14);

  constructor(
    stateDir: string, private readonly planName: string, private readonly engineOf: (node: string) => NodeEngine,
    private readonly log: (line: string) => void, private readonly change?: StatefulChange,
  ) {
    this.store = new BackupStore(stateDir);
    this.pinStore = new PinStore(stateDir, (m) => log(`warning: ${m}`));
    if (change && change.from !== 'stopped') this.seedRecord = change.from.backup;
  }

  /** app -> pinned node, a move's target in place of its pin. */
  pins(): Map<string, string> {
    const out = new Map(this.pinStore.list(this.planName).map((p) => [p.app, p.node]));
    if (this.change?.node) out.set(this.change.app, this.change.node);
    return out;
  }

  async mounts(app: AppSpec, node: string): Promise<{ source: string; target: string }[]> {
    const pin = this.pinStore.get(this.planName, app.name);
    const fresh = this.change?.app === app.name;
    const volumes: Record<string, string> = {};
    const engine = this.engineOf(node);
    for (const [vol, target] of Object.entries(app.volumes ?? {})) {
      const known = !fresh && pin && pin.node === node ? pin.volumes[vol] : undefined;
      const name = known ?? volumeName(this.planName, app.name, vol, fresh ? this.generation : undefined);
      await engine.createVolume(name, { [LABELS.plan]: this.planName, [LABELS.app]: app.name, [VOLUME_LABEL]: vol });
      volumes[vol] = name;
    }
    this.mounted.set(app.name, { node, volumes });
    return Object.entries(app.volumes ?? {}).map(([vol, target]) => ({ source: volumes[vol]!, target }));
  }

  async beforeReplace(app: AppSpec, old: { containerId: string; node: string; name: string }): Promise<void> {
    // A restore brings older data back on purpose, and a move backs up once the old one stopped.
    if (this.change?.app === app.name) return;
    const r = await backupApp(this.store, this.engineOf(old.node), { plan: this.planName, app, node: old.node, containerId: old.containerId, containerName: old.name, reason: 'deploy' });
    this.log(`[${app.name}] ${old.node}: backup ${r.id} (${r.volumes.reduce((n, v) => n + v.bytes, 0)} bytes, ${r.durationMs} ms) before the replacement`);
  }

  async afterStop(app: AppSpec, old: { containerId: string; node: string; name: string }): Promise<void> {
    if (this.change?.app !== app.name || this.change.from !== 'stopped') return;
    this.seedRecord = await backupApp(this.store, this.engineOf(old.node), { plan: this.planName, app, node: old.node, containerId: old.containerId, containerName: old.name, reason: 'move' });
    this.log(`[${app.name}] ${old.node}: backup ${this.seedRecord.id} of the stopped container (${this.seedRecord.durationMs} ms)`);
  }

  async seed(app: AppSpec, node: string, containerId: string): Promise<void> {
    if (this.change?.app !== app.name) return;
    const record = this.seedRecord ?? this.store.list(this.planName, app.name)[0];
    if (!record) throw new Error(`no backup of ${app.name} to fill its new volumes from`);
    const t0 = Date.now();
    await restoreInto(this.store, this.engineOf(node), containerId, app, record);
    this.log(`[${app.name}] ${node}: restored backup ${record.id} into the new volumes (${Date.now() - t0} ms)`);
  }

  /**
   * Pins what runs now: an app with volumes whose deploy went well is pinned where its one healthy
   * container is, with the volumes it mounts. A restore's or a move's old volumes are removed once
   * it went well, its fresh ones when it failed.
   */
  async afterDeploy(plan: Plan, outcomes: readonly AppOutcome[], containers: readonly CloudContainer[], isGood: (id: string) => boolean): Promise<string[]> {
    const problems: string[] = [];
    const outcome = new Map(outcomes.map((o) => [o.app, o.result]));
    for (const app of plan.apps.filter((a) => a.volumes)) {
      const result = outcome.get(app.name) ?? 'unchanged';
      const old = this.pinStore.get(this.planName, app.name);
      const mine = this.mounted.get(app.name);
      if (this.change?.app === app.name) {
        const drop = result === 'ok' ? old && { node: old.node, volumes: old.volumes } : mine;
        if (drop) await this.removeVolumes(drop.node, Object.values(drop.volumes), problems);
      }
      const up = containers.filter((c) => c.plan === this.planName && c.app === app.name && c.state === 'running' && isGood(c.id));
      if (up.length !== 1 || result === 'failed') continue;
      const node = up[0]!.node;
      const volumes = result === 'ok' && mine?.node === node ? mine.volumes
        : old?.node === node ? old.volumes
        : Object.fromEntries(Object.keys(app.volumes!).map((v) => [v, volumeName(this.planName, app.name, v)]));
      this.pinStore.set({ plan: this.planName, app: app.name, node, volumes });
    }
    return problems;
  }

  private async removeVolumes(node: string, names: string[], problems: string[]): Promise<void> {
    for (const name of names) {
      try {
        await this.engineOf(node).removeVolume(name);
        this.log(`${node}: removed volume ${name}`);
      } catch (err) {
        problems.push(`${node}: volume ${name} not removed: ${(err as Error).message}`);
      }
    }
  }
}

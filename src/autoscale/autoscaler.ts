import { join } from 'node:path';
import type { Config } from '../config.js';
import { NodeEngines } from '../adapters/docker.js';
import { listNodes } from '../adapters/nodes.js';
import { varnishstatCounters, type CounterSource } from '../adapters/request-counters.js';
import { acquireLockWaiting, liveLockHolder, type Lock } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { ScaleStore } from '../adapters/store/scale-state.js';
import { decide, type AutoscalePolicy } from '../model/autoscale.js';
import type { AppSpec } from '../model/plan.js';
import { routable, routingTable, type NamedPlan } from '../model/routes.js';
import { routeIds } from '../model/vcl.js';
import { autoscaleNote, scaleKey, type ScaleEntries } from '../model/scale-counts.js';
import { readCluster } from '../deploy/cluster.js';
import { knownGoodOf } from '../deploy/known-good.js';
import { RequestSensor } from './sensor.js';
import { abortableSleep } from '../adapters/abortable-sleep.js';

/** One app the autoscaler looks after. */
interface Scaled {
  plan: string;
  app: AppSpec;
  policy: AutoscalePolicy;
  /** how Varnish's counters name it: the app's name, or `plan/app` when two plans route an app of that name */
  id: string;
}

/** A scaling the autoscaler asks for; a repair keeps the count (read again under the deploy lock). */
export type ScaleAction =
  | { app: string; plan?: string; direction: 'up' | 'down'; from: number; replicas: number; note: string }
  | { app: string; plan?: string; direction: 'repair'; note: string };

/** What the autoscaler reads and does; the real ones by default, fakes in tests. */
export interface AutoscalerDeps {
  plans(): NamedPlan[];
  entries(): ScaleEntries;
  counters: CounterSource;
  /** who holds the deploy lock, or null */
  lockHolder(): string | null;
  /** runs the scaling deploy; resolves true when the app reached the count */
  scale(action: ScaleAction): Promise<boolean>;
  /** replicas that can serve now (running, known-good, on a node that answers) and how many the nodes that answer can hold */
  live(plan: string, app: AppSpec): Promise<{ serving: number; capacity: number; unreachable: string[] }>;
  writeRates(rates: Record<string, { requestsPerSecond: number; windowMs: number }>, at: number): void;
  /** takes the one-autoscaler lock (held until close); false when another process holds it */
  claim?(): Promise<boolean>;
  /** when the autoscaler stops */
  close?(): void;
}

export interface AutoscalerOptions {
  log: (line: string) => void;
  signal: AbortSignal;
  now?: () => number;
  /** how often replicas are counted on the nodes (a lost node's replicas placed again) */
  repairEveryMs?: number;
  /** after a failed scaling, wait this long before trying again */
  retryMs?: number;
}

/** Counters are read this often: a fifth of the shortest window, from 1 s to 5 s. */
export const sampleEvery = (windows: readonly number[]): number => Math.min(5000, Math.max(1000, Math.min(...windows, 25_000) / 5));

/**
 * Runs beside watch (and serve --watch): reads Varnish's request counters, decides per
 * autoscaled app (model/autoscale.ts) and scales through the deploy path, one change at a time.
 * Pinned apps (`cloudmatrix scale`) are measured but left alone. Replicas lost with a node are
 * placed again on the others.
 */
export class Autoscaler {
  private readonly sensor: RequestSensor;
  private readonly lowSince = new Map<string, number | null>();
  private readonly retryAt = new Map<string, number>();
  private acting: Promise<void> | null = null;
  private nextRepair = 0;
  private said = '';
  private claimed = false;
  private readonly now: () => number;

  constructor(private readonly deps: AutoscalerDeps, private readonly opts: AutoscalerOptions) {
    this.now = opts.now ?? Date.now;
    this.sensor = new RequestSensor(deps.counters, this.now);
  }

  async run(): Promise<void> {
    const { signal } = this.opts;
    while (!signal.aborted) {
      let every = 5000;
      try {
        every = await this.tick();
      } catch (err) {
        this.sayOnce(`autoscale: ${(err as Error).message}`);
      }
      await abortableSleep(every, signal);
    }
    await this.acting;
    this.deps.close?.();
  }

  /** Waits for a scaling in progress (tests). */
  settled(): Promise<void> {
    return this.acting ?? Promise.resolve();
  }

  /** One reading and, when no scaling runs, at most one decision; returns when to read next (ms). */
  async tick(): Promise<number> {
    const plans = this.deps.plans();
    const scaled = autoscaled(plans);
    if (scaled.length === 0) return 5000;
    if (!this.claimed) {
      this.claimed = (await this.deps.claim?.()) ?? true;
      if (!this.claimed) {
        this.sayOnce('autoscale: another watch (or serve --watch) runs the autoscaler; this one only routes');
        return 30_000;
      }
    }
    const windows = scaled.map((s) => s.app.autoscale!.windowMs);
    const at = await this.sensor.sample(routedIds(plans), Math.max(...windows));
    const rates = new Map(scaled.map((s) => [s.id, this.sensor.rate(s.id, s.app.autoscale!.windowMs, at)]));
    const shown: Record<string, { requestsPerSecond: number; windowMs: number }> = {};
    for (const s of scaled) {
      const r = rates.get(s.id);
      if (r !== null && r !== undefined) shown[s.id] = { requestsPerSecond: r, windowMs: s.app.autoscale!.windowMs };
    }
    try {
      this.deps.writeRates(shown, at);
    } catch (err) {
      this.sayOnce(`autoscale: cannot keep the rates: ${(err as Error).message}`);
    }
    if (!this.acting) await this.decide(scaled, rates, at);
    return sampleEvery(windows);
  }

  private async decide(scaled: Scaled[], rates: Map<string, number | null>, at: number): Promise<void> {
    const entries = this.deps.entries();
    for (const s of scaled) {
      const key = scaleKey(s.plan, s.app.name);
      const e = entries[key];
      const rate = rates.get(s.id);
      if (e?.pinned || rate === null || rate === undefined || (this.retryAt.get(key) ?? 0) > at) continue;
      const state = { replicas: e?.replicas ?? s.app.replicas, changedAt: e ? Date.parse(e.changedAt) : 0, lowSince: this.lowSince.get(key) ?? null };
      const d = decide(s.policy, state, rate, at);
      this.lowSince.set(key, d.state.lowSince);
      if (!d.change) continue;
      const a = s.app.autoscale!;
      const direction = d.change.to > d.change.from ? 'up' : 'down';
      const note = autoscaleNote(s.id, d.change.from, d.change.to, rate, a.window, a.requestsPerSecond);
      this.start(key, { app: s.app.name, plan: s.plan, direction, from: d.change.from, replicas: d.change.to, note });
      return;
    }
    if (at >= this.nextRepair) {
      this.nextRepair = at + (this.opts.repairEveryMs ?? 10_000);
      await this.repair(scaled);
    }
  }

  /** A replica lost with its node (or one that came back on top of the count) is set right with the same count. */
  private async repair(scaled: Scaled[]): Promise<void> {
    if (this.deps.lockHolder()) return;
    for (const s of scaled) {
      const key = scaleKey(s.plan, s.app.name);
      if ((this.retryAt.get(key) ?? 0) > this.now()) continue;
      const live = await this.deps.live(s.plan, s.app);
      // read after the nodes: a scaling that ended meanwhile must not look like a lost replica
      if (this.deps.lockHolder()) return;
      const want = this.deps.entries()[key]?.replicas ?? s.app.replicas;
      const reachable = Math.min(want, live.capacity);
      if (live.serving === reachable) continue;
      const gone = live.unreachable.length ? ` (${live.unreachable.join(', ')} not answering)` : '';
      const note = `autoscale ${s.id} ${want} -> ${want}: ${live.serving} of ${want} replicas serve${gone}; placing them again`;
      this.start(key, { app: s.app.name, plan: s.plan, direction: 'repair', note });
      return;
    }
  }

  private start(key: string, action: ScaleAction): void {
    this.opts.log(action.note);
    this.acting = this.deps
      .scale(action)
      .then((ok) => {
        if (ok) {
          this.lowSince.set(key, null);
        } else {
          this.retryAt.set(key, this.now() + (this.opts.retryMs ?? 30_000));
          this.opts.log(`autoscale ${action.app}: the change did not complete; trying again in ${(this.opts.retryMs ?? 30_000) / 1000} s`);
        }
      })
      .catch((err: Error) => {
        // Another deploy took the lock first: decide again on the next reading.
        if (/another deploy holds the lock|taking the lock/.test(err.message)) this.sayOnce(`autoscale ${action.app}: waits; ${err.message}`);
        else {
          this.retryAt.set(key, this.now() + (this.opts.retryMs ?? 30_000));
          this.opts.log(`autoscale ${action.app}: ${err.message}`);
        }
      })
      .finally(() => {
        this.acting = null;
      });
  }

  private sayOnce(line: string): void {
    if (line !== this.said) this.opts.log(line);
    this.said = line;
  }
}

/** Every routed app of the deployed plans as Varnish's backend names know it (vcl.ts routeIds). */
function routedIds(plans: readonly NamedPlan[]): string[] {
  return routeIds(routingTable(plans, [], () => false).apps);
}

/** The apps of the deployed plans that have autoscale. */
export function autoscaled(plans: readonly NamedPlan[]): Scaled[] {
  const table = routingTable(plans, [], () => false).apps;
  const ids = routeIds(table);
  const idOf = (plan: string, app: string) => ids[table.findIndex((a) => a.plan === plan && a.name === app)] ?? app;
  return plans.flatMap((p) =>
    p.plan.apps
      .filter((a) => a.autoscale && a.replicaRange)
      .map((app) => ({
        plan: p.name, app, id: idOf(p.name, app.name),
        policy: { min: app.replicaRange!.min, max: app.replicaRange!.max, target: app.autoscale!.requestsPerSecond, scaleDownDelayMs: app.autoscale!.scaleDownDelayMs },
      })),
  );
}

/** The real dependencies: the state dir, varnishstat, the deploy path. */
export function liveAutoscalerDeps(config: Config, log: (line: string) => void): AutoscalerDeps {
  const store = new ScaleStore(config.stateDir, (m) => log(`warning: ${m}`));
  const lock = join(config.stateDir, 'deploy.lock');
  // One pooled SSH connection per node for the replica counts, as watch keeps for its events.
  let engines: NodeEngines | null = null;
  let mine: Lock | null = null;
  return {
    plans: () => new PlanStore(config.stateDir).list(),
    entries: () => store.entries(),
    counters: varnishstatCounters({ name: config.varnish.name, timeoutMs: 5000 }),
    lockHolder: () => liveLockHolder(lock)?.command ?? null,
    async scale(action) {
      const [{ prepareScale }, { deployPlan }] = await Promise.all([import('./scale.js'), import('../deploy/deploy.js')]);
      const ref = action.plan === undefined ? action.app : `${action.plan}/${action.app}`;
      const { options } = action.direction === 'repair'
        ? await prepareScale(config, ref, null, 'autoscale', action.note)
        : await prepareScale(config, ref, action.replicas, 'autoscale', action.note, action.from);
      const report = await deployPlan(config, { ...options, lockWaitMs: 0, log: (l) => log(`  ${l}`) });
      const outcome = report.apps.find((a) => a.app === action.app);
      return !outcome || outcome.result !== 'failed';
    },
    async live(plan, app) {
      engines ??= new NodeEngines(config);
      const cluster = await readCluster(await listNodes(config), engines);
      const good = knownGoodOf(config.stateDir, cluster.containers).isGood;
      const answering = new Set(cluster.nodes.filter((n) => n.reachable).map((n) => n.name));
      const allowed = app.nodes ? new Set(app.nodes.map((n) => n.toLowerCase())) : null;
      const eligible = [...answering].filter((n) => allowed === null || allowed.has(n.toLowerCase())).length;
      const serving = cluster.containers.filter((c) => c.plan === plan && c.app === app.name && routable(c) && good(c.id) && answering.has(c.node)).length;
      return { serving, capacity: eligible * (app.hostPort !== undefined ? 1 : app.maxPerNode), unreachable: cluster.unreachable.map((u) => u.node) };
    },
    async claim() {
      try {
        mine = await acquireLockWaiting(join(config.stateDir, 'autoscale.lock'), `autoscaler (pid ${process.pid})`, 1000);
        return true;
      } catch {
        return false;
      }
    },
    close: () => {
      engines?.closeAll();
      mine?.release();
    },
    writeRates: (apps, at) => store.writeRates({ sampledAt: new Date(at).toISOString(), apps }),
  };
}

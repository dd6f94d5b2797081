import { join } from 'node:path';
import { emitEvent } from '../events/emit.js';
import type { Config } from '../config.js';
import { NodeEngines, type DockerEvent, type EventStream } from '../adapters/docker.js';
import { listNodes, type NodeRef } from '../adapters/nodes.js';
import { liveLockHolder } from '../adapters/store/lock.js';
import { PlanStore } from '../adapters/store/plans.js';
import { Autoscaler, liveAutoscalerDeps } from '../autoscale/autoscaler.js';
import { readCluster } from '../deploy/cluster.js';
import { knownGoodOf } from '../deploy/known-good.js';
import { VarnishRouter } from '../deploy/proxy.js';
import { LABELS } from '../model/container-spec.js';
import { routeChanges } from '../model/route-changes.js';
import { routingTable } from '../model/routes.js';
import { runCertificateRenewal } from '../tls/renewer.js';
import { liveScheduler } from '../jobs/scheduler.js';
import type { RoutingTable } from '../model/routing.js';

export type ResyncOutcome = 'reloaded' | 'unchanged' | 'skipped' | 'failed';

export interface WatchOptions {
  /** full resync every this many ms, events or not (nodes come and go with their leases) */
  intervalMs: number;
  /** events are gathered this long before one resync */
  debounceMs?: number;
  /** how long to wait before re-subscribing to a node whose event stream broke */
  retryMs?: number;
  templatesDir?: string;
  log: (line: string) => void;
  signal: AbortSignal;
  /** told how each resync of run() ended (for metrics) */
  onResync?: (outcome: ResyncOutcome) => void;
  /** run() also runs the autoscaler (default true) */
  autoscale?: boolean;
  /** run() also runs the job scheduler, one per manager under its lock (default true) */
  jobs?: boolean;
}

export interface SyncResult {
  /** why nothing was applied, when nothing was */
  skipped?: string;
  changed: boolean;
  lines: string[];
  vcl?: string;
}

/** Container events that can change where an app is routed. */
const EVENTS = ['start', 'restart', 'die', 'stop', 'kill', 'destroy', 'pause', 'unpause'];
/** A container going away is acted on at once: every moment it stays routed, requests fail. */
const GONE = new Set(['die', 'stop', 'kill', 'destroy', 'pause']);
const MAX_LINES = 20;
const NOTHING_DEPLOYED = 'no plan is deployed';

/**
 * Keeps Varnish routing what runs: a container restarted by Docker (restart policy, a node's
 * dockerd or the node itself rebooted) comes back on a new host port, a node disappears or its
 * containers die, and the deployed plans' routes must follow without a deploy. Listens to every
 * node's container events (cloudmatrix containers only) and resyncs on them and on a timer.
 * Leaves routing alone while a deploy holds the lock: the deploy switches Varnish itself, and its
 * new containers must not take traffic before they are healthy.
 */
export class Watcher {
  private readonly engines: NodeEngines;
  private readonly proxy: VarnishRouter;
  private readonly deployLock: string;
  private readonly streams = new Map<string, { ip: string; stream: EventStream }>();
  private readonly retryAt = new Map<string, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly failing = new Set<string>();
  private unreachable = new Set<string>();
  private lastSkip = '';
  private last: RoutingTable | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private wake: (() => void) | null = null;
  private due = true;
  private reason = 'start';

  constructor(private readonly config: Config, private readonly opts: WatchOptions) {
    this.engines = new NodeEngines(config);
    // No separate varnishd -C pass: the plans were checked when deployed, vcl.inline compiles too,
    // and a VCL that does not compile never replaces the active one. Half the time to unroute a dead container.
    this.proxy = new VarnishRouter(config, opts.templatesDir, false);
    this.deployLock = join(config.stateDir, 'deploy.lock');
  }

  /** Runs until the signal aborts: subscribe, resync when due, sleep until an event or the timer. */
  async run(): Promise<void> {
    const { signal } = this.opts;
    const onAbort = () => this.wake?.();
    signal.addEventListener('abort', onAbort);
    let nextFull = 0;
    const autoscaling = this.opts.autoscale === false ? null
      : new Autoscaler(liveAutoscalerDeps(this.config, this.opts.log), { log: this.opts.log, signal }).run().catch((err: Error) => this.opts.log(`autoscale stopped: ${err.message}`));
    const scheduling = this.opts.jobs === false ? null
      : liveScheduler(this.config, (l) => this.opts.log(`jobs: ${l}`), signal).run(signal).catch((err: Error) => this.opts.log(`job scheduler stopped: ${err.message}`));
    const renewing = runCertificateRenewal(this.config, { log: this.opts.log, signal }).catch((err: Error) => this.opts.log(`certificate renewal stopped: ${err.message}`));
    try {
      while (!signal.aborted) {
        if (Date.now() >= nextFull) {
          this.schedule('resync', 0);
          nextFull = Date.now() + this.opts.intervalMs;
        }
        if (this.due) {
          this.due = false;
          const reason = this.reason;
          // Subscribe first: an event that comes while the nodes are read then triggers another resync.
          let nodes: NodeRef[] | undefined;
          try {
            nodes = await listNodes(this.config);
            await this.subscribe(nodes);
          } catch (err) {
            this.opts.log(`listing nodes failed: ${(err as Error).message}`);
          }
          try {
            const r = await this.sync(reason, nodes);
            this.opts.onResync?.(r.skipped ? 'skipped' : r.changed ? 'reloaded' : 'unchanged');
            if (r.skipped && r.skipped !== this.lastSkip) this.opts.log(`routing left alone: ${r.skipped}`);
            if (r.skipped && r.skipped !== NOTHING_DEPLOYED) this.schedule('the deploy lock is free again', 1000);
            this.lastSkip = r.skipped ?? '';
          } catch (err) {
            this.opts.onResync?.('failed');
            this.opts.log(`resync failed (${reason}): ${(err as Error).message}`);
          }
        }
        await this.sleep(Math.max(0, nextFull - Date.now()));
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.close();
      await autoscaling;
      await scheduling;
      await renewing;
    }
  }

  /**
   * One resync: the deployed plans routed to the containers running now. Applied only when no
   * deploy holds the lock before the read and after it (a deploy's preflight takes far longer
   * than the read, so its new containers cannot be in a read that both checks passed) and the
   * deployed plans did not change meanwhile (a whole deploy fitting in a slow read).
   */
  async sync(reason: string, nodes?: readonly NodeRef[]): Promise<SyncResult> {
    const store = new PlanStore(this.config.stateDir);
    const busy = () => {
      const h = liveLockHolder(this.deployLock);
      return h ? `${h.command} (pid ${h.pid}) holds the deploy lock since ${h.startedAt}` : null;
    };
    const before = busy();
    if (before) return { changed: false, lines: [], skipped: before };
    const plans = store.list();
    if (plans.length === 0) return { changed: false, lines: [], skipped: NOTHING_DEPLOYED };
    const cluster = await readCluster(nodes ?? (await listNodes(this.config)), this.engines);
    this.noteUnreachable(cluster.unreachable);
    const after = busy();
    if (after) return { changed: false, lines: [], skipped: after };
    if (JSON.stringify(store.list()) !== JSON.stringify(plans)) return { changed: false, lines: [], skipped: 'the deployed plans changed while the nodes were read' };
    // Only known-good containers: an interrupted deploy's orphans never take traffic.
    const table = routingTable(plans, cluster.containers, knownGoodOf(this.config.stateDir, cluster.containers, (m) => this.opts.log(`warning: ${m}`)).isGood);
    const result = await this.proxy.apply(table);
    const lines = routeChanges(this.last, table);
    this.last = table;
    if (result.changed) {
      const backends = table.apps.reduce((n, a) => n + a.backends.length, 0);
      const unreachable = cluster.unreachable.map((u) => `${u.node} unreachable: ${u.message}`);
      this.opts.log(`varnish: loaded ${result.name} (${reason}): ${table.apps.length} app(s), ${backends} backend(s)`);
      for (const l of [...unreachable, ...lines].slice(0, MAX_LINES)) this.opts.log(`  ${l}`);
      if (unreachable.length + lines.length > MAX_LINES) this.opts.log(`  ... and ${unreachable.length + lines.length - MAX_LINES} more`);
    }
    return { changed: result.changed, lines, vcl: result.name };
  }

  /** A node.unreachable event when a node stops answering (once, until it answers again). */
  private noteUnreachable(unreachable: readonly { node: string; message: string }[]): void {
    const now = new Set(unreachable.map((u) => u.node));
    for (const u of unreachable) {
      if (this.unreachable.has(u.node)) continue;
      emitEvent(this.config, { type: 'node.unreachable', node: u.node, message: `${u.node} is unreachable: ${u.message}` }, (l) => this.opts.log(`warning: ${l}`));
    }
    this.unreachable = now;
  }

  /** An event stream per node that has none (or whose address changed), and no stream for gone nodes. */
  private async subscribe(nodes: readonly NodeRef[]): Promise<void> {
    const names = new Set(nodes.map((n) => n.name));
    for (const [name, s] of this.streams) {
      const node = nodes.find((n) => n.name === name);
      if (!names.has(name) || node?.ip !== s.ip) this.drop(name);
    }
    await Promise.all(nodes.filter((n) => !this.streams.has(n.name) && (this.retryAt.get(n.name) ?? 0) <= Date.now()).map((n) => this.listen(n)));
  }

  private async listen(node: NodeRef): Promise<void> {
    let stream: EventStream;
    try {
      stream = await this.engines.get(node).events({ type: ['container'], label: [LABELS.plan], event: EVENTS });
    } catch (err) {
      this.retryLater(node.name);
      if (!this.failing.has(node.name)) this.opts.log(`${node.name}: no event stream (${(err as Error).message}); retrying`);
      this.failing.add(node.name);
      return;
    }
    if (this.failing.delete(node.name)) this.opts.log(`${node.name}: event stream back`);
    if (this.opts.signal.aborted) {
      stream.close();
      return;
    }
    this.streams.set(node.name, { ip: node.ip, stream });
    stream.on('event', (e) => this.onEvent(node.name, e));
    stream.on('end', (why) => {
      if (this.streams.get(node.name)?.stream !== stream) return;
      this.streams.delete(node.name);
      if (!this.opts.signal.aborted) {
        this.retryLater(node.name);
        this.opts.log(`${node.name}: event stream ${why}; resyncing`);
        this.schedule(`${node.name} event stream ${why}`, 0);
      }
    });
  }

  private onEvent(node: string, e: DockerEvent): void {
    const name = e.Actor?.Attributes?.name ?? '?';
    const action = e.Action ?? 'event';
    this.schedule(`${node}: ${name} ${action}`, GONE.has(action) ? 0 : (this.opts.debounceMs ?? 300));
  }

  /** A resync within `delayMs`; events arriving meanwhile join it (the first reason is told). */
  private schedule(reason: string, delayMs: number): void {
    if (this.timer && this.timerAt <= Date.now() + delayMs) return;
    if (this.timer) clearTimeout(this.timer);
    else this.reason = reason;
    this.timerAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = true;
      this.wake?.();
    }, delayMs);
  }

  private sleep(ms: number): Promise<void> {
    if (this.due || this.opts.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** A resync once `retryMs` has passed, so a node whose stream broke is subscribed again soon. */
  private retryLater(node: string): void {
    const ms = this.opts.retryMs ?? 5000;
    this.retryAt.set(node, Date.now() + ms);
    const t = setTimeout(() => {
      this.retries.delete(t);
      this.schedule(`${node}: retrying its event stream`, 0);
    }, ms + 50);
    this.retries.add(t);
  }

  private drop(name: string): void {
    const s = this.streams.get(name);
    this.streams.delete(name);
    s?.stream.close();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    for (const name of [...this.streams.keys()]) this.drop(name);
    this.engines.closeAll();
    this.proxy.close();
  }
}

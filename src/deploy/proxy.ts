import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { createVarnish, type ReloadResult, type Varnish } from '../adapters/varnish.js';
import { readVclTemplates } from '../adapters/vcl-templates.js';
import { renderVcl } from '../model/vcl.js';
import { appKey, renderSplitVcl, type SplitVcl } from '../model/vcl-split.js';
import { edgeOf, validateRoutingTable, type RouteApp, type RouteEdge, type RoutingTable } from '../model/routing.js';

interface Batch {
  produce: () => RoutingTable;
  promise: Promise<ReloadResult>;
  settle: { resolve: (r: ReloadResult) => void; reject: (e: unknown) => void };
}

interface Prepare {
  app: Pick<RouteApp, 'name' | 'plan'>;
  produce: () => RoutingTable;
}

/**
 * Varnish as deploy and update-proxy use it: render, compile, hot-reload. Reloads run one at a
 * time; switches asked for while one runs are merged into the next reload, which renders the
 * table as it is when that reload starts (a VCL compile costs far more than a container start).
 *
 * With one VCL per app (labels, Varnish 5.0+), an app's VCL can also be compiled ahead of its
 * switch, while its new containers start (`prepare`): the switch then only labels it. Compiles
 * ahead run when no switch waits, and what they compiled is kept from the reloads' clean-up until
 * `release`.
 */
export class VarnishRouter {
  private readonly varnish: Varnish;
  private waiting: Batch | null = null;
  private readonly prepares: Prepare[] = [];
  /** app VCLs compiled ahead, for switches to come */
  private readonly held = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private active = false;
  /** bumped by release: a compile ahead that ends after it is not held */
  private generation = 0;
  /** hitch's port (redirects) and the HTTP-01 responder, from the config */
  private readonly edge: RouteEdge;
  reloads = 0;
  /** app VCLs compiled ahead of their switch */
  prepared = 0;

  /** false: always the single VCL; otherwise one VCL per app under labels where Varnish has them (5.0+). */
  private readonly labels: boolean;

  constructor(
    config: Pick<Config, 'varnish'> & Partial<Pick<Config, 'timeouts' | 'tls' | 'acme'>>,
    private readonly templatesDir?: string,
    precheck = true,
    opts: { labels?: boolean } = {},
  ) {
    this.labels = opts.labels !== false;
    this.edge = edgeOf(config);
    this.varnish = createVarnish({ admin: config.varnish.admin, secretFile: config.varnish.secretFile, varnishd: config.varnish.varnishd, precheck, timeoutMs: config.timeouts?.varnishCliMs });
  }

  private withEdge(table: RoutingTable): RoutingTable {
    const withEdge = table.edge ? table : { ...table, edge: this.edge };
    validateRoutingTable(withEdge);
    return withEdge;
  }

  render(table: RoutingTable): string {
    return renderVcl(this.withEdge(table), readVclTemplates(this.templatesDir));
  }

  /** The per-app VCLs and the dispatch VCL; null when the templates have none (a custom dir from before). */
  renderSplit(table: RoutingTable): SplitVcl | null {
    return renderSplitVcl(this.withEdge(table), readVclTemplates(this.templatesDir));
  }

  /** A routing table made from checked plans that does not render is the templates' fault or ours: never bad input. */
  private renderForReload<T>(render: () => T): T {
    try {
      return render();
    } catch (err) {
      if (err instanceof UserError) throw new EnvError(`cannot render the VCL: ${err.message}`);
      throw err;
    }
  }

  private async split(): Promise<boolean> {
    return this.labels && (await this.varnish.supportsLabels());
  }

  /** One VCL per app under labels on Varnish 5.0+, the single VCL on 4.1 (or with labels off). */
  private async reload(table: RoutingTable): Promise<ReloadResult> {
    if (await this.split()) {
      const split = this.renderForReload(() => this.renderSplit(table));
      if (split) return this.varnish.reloadSplit(split, this.held);
    }
    return this.varnish.reload(this.renderForReload(() => this.render(table)));
  }

  apply(table: RoutingTable): Promise<ReloadResult> {
    return this.applyLatest(() => table);
  }

  /** Reloads with the table `produce` gives when the reload starts; callers waiting share it. */
  applyLatest(produce: () => RoutingTable): Promise<ReloadResult> {
    if (this.waiting) {
      this.waiting.produce = produce;
      return this.waiting.promise;
    }
    const batch = { produce } as Batch;
    batch.promise = new Promise<ReloadResult>((resolve, reject) => (batch.settle = { resolve, reject }));
    this.waiting = batch;
    this.kick();
    return batch.promise;
  }

  /**
   * Compiles `app`'s VCL as the table `produce` gives (when the compile starts) routes it, ahead of
   * its switch; best effort (a VCL that does not compile fails its switch the same way later).
   * Only with one VCL per app; a switch asked for meanwhile goes first.
   */
  prepare(app: Pick<RouteApp, 'name' | 'plan'>, produce: () => RoutingTable): void {
    this.prepares.push({ app, produce });
    this.kick();
  }

  /** Forgets the compiles ahead that are still queued, and lets the next reload discard those unused. */
  release(): void {
    this.prepares.length = 0;
    this.held.clear();
    this.generation++;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.running;
  }

  /** Starts the worker unless it runs; a turn later, so that what is asked for in the same turn shares the first reload. */
  private kick(): void {
    if (this.active) return;
    this.active = true;
    this.running = this.drain();
  }

  private async drain(): Promise<void> {
    await null;
    try {
      for (;;) {
        const batch = this.waiting;
        if (batch) {
          this.waiting = null;
          try {
            const result = await this.reload(batch.produce());
            if (result.changed) this.reloads++;
            batch.settle.resolve(result);
          } catch (err) {
            batch.settle.reject(err);
          }
          continue;
        }
        const p = this.prepares.shift();
        if (!p) return;
        await this.prepareNow(p).catch(() => undefined);
      }
    } finally {
      // In the same turn as the last look at the queues: whatever comes after starts a new worker.
      this.active = false;
    }
  }

  private async prepareNow(p: Prepare): Promise<void> {
    const generation = this.generation;
    if (!(await this.split())) return;
    const split = this.renderSplit(p.produce());
    const key = appKey(p.app);
    const app = split?.apps.find((a) => a.key === key);
    if (!app) return;
    const r = await this.varnish.prepareApp(app);
    if (generation === this.generation) this.held.add(r.name);
    if (r.loaded) this.prepared++;
  }

  close(): void {
    this.prepares.length = 0;
    this.varnish.close();
  }
}

import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { createVarnish, type ReloadResult, type Varnish } from '../adapters/varnish.js';
import { readVclTemplates } from '../adapters/vcl-templates.js';
import { renderVcl } from '../model/vcl.js';
import { renderSplitVcl, type SplitVcl } from '../model/vcl-split.js';
import { edgeOf, validateRoutingTable, type RouteEdge, type RoutingTable } from '../model/routing.js';

interface Batch {
  produce: () => RoutingTable;
  promise: Promise<ReloadResult>;
}

/**
 * Varnish as deploy and update-proxy use it: render, compile, hot-reload. Reloads run one at a
 * time; switches asked for while one runs are merged into the next reload, which renders the
 * table as it is when that reload starts (a VCL compile costs far more than a container start).
 */
export class VarnishRouter {
  private readonly varnish: Varnish;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: Batch | null = null;
  /** hitch's port (redirects) and the HTTP-01 responder, from the config */
  private readonly edge: RouteEdge;
  reloads = 0;

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

  /** One VCL per app under labels on Varnish 5.0+, the single VCL on 4.1 (or with labels off). */
  private async reload(table: RoutingTable): Promise<ReloadResult> {
    if (this.labels && (await this.varnish.supportsLabels())) {
      const split = this.renderForReload(() => this.renderSplit(table));
      if (split) return this.varnish.reloadSplit(split);
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
    batch.promise = this.queue.then(async () => {
      this.waiting = null;
      const result = await this.reload(batch.produce());
      if (result.changed) this.reloads++;
      return result;
    });
    this.waiting = batch;
    this.queue = batch.promise.catch(() => undefined);
    return batch.promise;
  }

  close(): void {
    this.varnish.close();
  }
}

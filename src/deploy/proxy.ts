import type { Config } from '../config.js';
import { createVarnish, type ReloadResult, type Varnish } from '../adapters/varnish.js';
import { renderVcl } from '../model/vcl.js';
import { validateRoutingTable, type RoutingTable } from '../model/routing.js';

/**
 * Varnish as deploy and update-proxy use it: render, compile-check, hot-reload. Reloads are
 * serialised, so apps deployed in parallel switch one after another, each with the whole table.
 */
export class Proxy {
  private readonly varnish: Varnish;
  private queue: Promise<unknown> = Promise.resolve();
  reloads = 0;

  constructor(config: Pick<Config, 'varnish'>, private readonly templatesDir?: string) {
    this.varnish = createVarnish({ admin: config.varnish.admin, secretFile: config.varnish.secretFile });
  }

  render(table: RoutingTable): string {
    validateRoutingTable(table);
    return renderVcl(table, this.templatesDir ? { templatesDir: this.templatesDir } : {});
  }

  apply(table: RoutingTable): Promise<ReloadResult> {
    const run = this.queue.then(async () => {
      const result = await this.varnish.reload(this.render(table));
      if (result.changed) this.reloads++;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  get admin(): Varnish {
    return this.varnish;
  }

  close(): void {
    this.varnish.close();
  }
}

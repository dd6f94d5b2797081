import { Counter, Gauge, type Registry } from 'prom-client';
import type { AppStatus } from '../deploy/observe.js';
import type { AutoscaleView } from './deps.js';

/** Rates older than this are not shown: the autoscaler (watch) is not running. */
const STALE_RATE_MS = 60_000;

/**
 * Replicas per app by state, request rates as the autoscaler measured them (watch or serve --watch
 * writes them under the state dir) and its decisions so far.
 */
export function autoscaleMetrics(
  registry: Registry, apps: () => Promise<{ apps: AppStatus[] }>, autoscale: (() => Promise<AutoscaleView>) | undefined,
  guarded: (source: string, fn: () => Promise<void>) => Promise<void>, now: () => number = Date.now,
): void {
  new Gauge({
    name: 'cloudmatrix_app_replicas', help: 'Replicas per app: desired (plan, autoscale or scale), running, healthy (known-good and answering)',
    labelNames: ['app', 'state'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('apps', async () => {
        for (const a of (await apps()).apps) {
          for (const state of ['desired', 'running', 'healthy'] as const) this.set({ app: a.app, state }, a[state]);
        }
      });
    },
  });
  if (!autoscale) return;
  new Gauge({
    name: 'cloudmatrix_app_requests_per_second', help: "Requests per second to the app's replicas through Varnish, over its autoscale window (apps with autoscale)",
    labelNames: ['app'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('autoscale', async () => {
        const v = await autoscale();
        if (!v.rates || now() - Date.parse(v.rates.sampledAt) > STALE_RATE_MS) return;
        for (const [app, r] of Object.entries(v.rates.apps)) this.set({ app }, r.requestsPerSecond);
      });
    },
  });
  new Counter({
    name: 'cloudmatrix_autoscale_decisions_total', help: 'Replica count changes made by the autoscaler, by app and direction',
    labelNames: ['app', 'direction'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('autoscale', async () => {
        for (const [app, d] of Object.entries((await autoscale()).decisions)) {
          if (d.up) this.inc({ app, direction: 'up' }, d.up);
          if (d.down) this.inc({ app, direction: 'down' }, d.down);
        }
      });
    },
  });
}

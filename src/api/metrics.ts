import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeployReport } from '../deploy/deploy.js';
import type { ResyncOutcome } from '../watch/watcher.js';
import { cached } from './cache.js';
import type { ApiDeps } from './deps.js';
import { autoscaleMetrics } from './metrics-autoscale.js';
import { tlsMetrics } from './metrics-tls.js';

const SCRAPE_CACHE_MS = 5000;

export interface ApiMetrics {
  registry: Registry;
  deployEnded(kind: string, outcome: { report?: DeployReport; error?: unknown }, seconds: number): void;
  /** one resync of the routing watcher (serve --watch) ended so */
  watchResynced(result: ResyncOutcome): void;
}

/**
 * The API's Prometheus metrics. Node, app and history figures are read when scraped, through
 * a short cache; a source that fails leaves its series out and counts the failure.
 */
export function createMetrics(deps: Pick<ApiDeps, 'nodes' | 'apps' | 'history' | 'autoscale' | 'certs'>, opts: { defaults?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry, prefix: 'cloudmatrix_api_' });
  const nodes = cached(deps.nodes, SCRAPE_CACHE_MS);
  const apps = cached(deps.apps, SCRAPE_CACHE_MS);
  const errors = new Counter({ name: 'cloudmatrix_metrics_source_errors_total', help: 'Scrape-time reads that failed, by source', labelNames: ['source'], registers: [registry] });
  const guarded = async (source: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch {
      errors.inc({ source });
    }
  };
  const deploys = new Counter({ name: 'cloudmatrix_api_deploys_total', help: 'Deploys and rollbacks run through the API, by kind and result', labelNames: ['kind', 'result'], registers: [registry] });
  const duration = new Histogram({
    name: 'cloudmatrix_api_deploy_duration_seconds', help: 'Duration of deploys run through the API', labelNames: ['kind'],
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300], registers: [registry],
  });
  new Gauge({
    name: 'cloudmatrix_history_deploys', help: 'Deploys in the history file, by result', labelNames: ['result'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('history', async () => {
        for (const r of await deps.history()) this.inc({ result: r.result });
      });
    },
  });
  new Gauge({
    name: 'cloudmatrix_node_reachable', help: '1 when the node\'s dockerd answers, 0 when not', labelNames: ['node'], registers: [registry],
    async collect() {
      this.reset();
      await guarded('nodes', async () => {
        for (const n of await nodes()) if (n.reachable !== null) this.set({ node: n.name }, n.reachable ? 1 : 0);
      });
    },
  });
  const resyncs = new Counter({
    name: 'cloudmatrix_watch_resyncs_total', help: 'Resyncs of the routing watcher (serve --watch), by result: reloaded, unchanged, skipped (a deploy held the lock), failed',
    labelNames: ['result'], registers: [registry],
  });
  const lastResync = new Gauge({ name: 'cloudmatrix_watch_last_resync_timestamp_seconds', help: 'When the routing watcher last resynced (reloaded or unchanged)', registers: [registry] });
  const perApp = (name: string, help: string, value: (a: { healthy: number; desired: number }) => number) =>
    new Gauge({
      name, help, labelNames: ['plan', 'app'], registers: [registry],
      async collect() {
        this.reset();
        await guarded('apps', async () => {
          for (const a of (await apps()).apps) this.set({ plan: a.plan, app: a.app }, value(a));
        });
      },
    });
  perApp('cloudmatrix_app_healthy_replicas', 'Replicas that answer their health check from the manager', (a) => a.healthy);
  perApp('cloudmatrix_app_desired_replicas', 'Replicas the plan asks for', (a) => a.desired);
  autoscaleMetrics(registry, apps, deps.autoscale && cached(deps.autoscale, SCRAPE_CACHE_MS), guarded);
  if (deps.certs) tlsMetrics(registry, cached(deps.certs, SCRAPE_CACHE_MS), guarded);
  return {
    registry,
    deployEnded(kind, outcome, seconds) {
      deploys.inc({ kind, result: outcome.report ? outcome.report.result : 'error' });
      duration.observe({ kind }, seconds);
    },
    watchResynced(result) {
      resyncs.inc({ result });
      if (result === 'reloaded' || result === 'unchanged') lastResync.setToCurrentTime();
    },
  };
}

import type { Config } from '../config.js';
import { varnishstatCounters } from '../adapters/request-counters.js';
import { varnishncsaLines } from '../adapters/status-stream.js';
import type { ApiDeps } from './deps.js';
import { SeriesSampler, type SeriesSamplerOptions } from './series-sampler.js';

/** Varnish sets this response header to the app that answered (delivery.vcl, errors.vcl); `-` when none. */
const STATUS_FORMAT = '%{X-Cloudmatrix-App}o %s';

/** The sampler on the real cloud: varnishstat for the requests, varnishncsa for the 5xx, the API's app status for replicas. */
export function liveSeriesSampler(config: Config, deps: ApiDeps, opts: SeriesSamplerOptions = {}): SeriesSampler {
  return new SeriesSampler({
    counters: varnishstatCounters({ name: config.varnish.name, timeoutMs: 4000 }),
    // Workers and jobs take no traffic through Varnish: no chart for them.
    apps: async () => (await deps.apps()).apps.filter((a) => !a.worker).map((a) => ({ plan: a.plan, app: a.app, healthy: a.healthy })),
    history: () => deps.history(),
    statuses: (onLine, onDown) => varnishncsaLines({ name: config.varnish.name, format: STATUS_FORMAT, onLine, onDown }),
  }, opts);
}

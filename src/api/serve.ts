import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { UserStore } from '../adapters/store/users.js';
import { Watcher } from '../watch/watcher.js';
import { createApp } from './app.js';
import type { Jobs } from './jobs.js';
import { parseListen, readTokenIfSet } from './listen.js';
import { liveDeps } from './live-deps.js';
import { deliverOutbox } from '../events/emit.js';
import { liveSeriesSampler } from './series-live.js';
import type { ApiMetrics } from './metrics.js';

const SHUTDOWN_WAIT_MS = 90_000;
const OUTBOX_EVERY_MS = 10_000;

export interface ServeOptions {
  /** HOST:PORT (default: the config's api.listen) */
  listen?: string;
  /** run the routing watcher too, with a full resync this often */
  watchMs: number | null;
  version: string;
}

function listening(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err) => reject(new EnvError(`cannot listen on ${host}:${port}: ${(err as Error).message}`)));
  });
}

/**
 * Runs the API until SIGINT/SIGTERM; deploys in flight are waited for (they stop cleanly on the
 * same signal). With `watchMs`, the routing watcher (cloudmatrix watch) runs in the same process.
 */
export async function serve(config: Config, opts: ServeOptions): Promise<void> {
  const { host, port } = parseListen(opts.listen ?? config.api.listen);
  const log = (l: string) => console.error(`${new Date().toISOString()} ${l}`);
  const token = readTokenIfSet(config);
  if (token === null && !new UserStore(config.stateDir).list().some((u) => u.role === 'admin')) {
    throw new UserError('config api.tokenFile is not set and there is no admin user: nobody could sign in (cloudmatrix user add NAME --role admin)');
  }
  const deps = liveDeps(config, token, opts.version, log);
  const sampler = liveSeriesSampler(config, deps, { log });
  deps.series = (visible) => sampler.view(visible);
  const app = createApp(deps, { defaultMetrics: true, accessLog: true });
  const server = app.listen(port, host);
  await listening(server, host, port);
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const tokens = token === null ? 'users\' tokens (cloudmatrix user add)' : `users' tokens, or the admin token in ${config.api.tokenFile}`;
  console.log(`cloudmatrix API and dashboard on http://${shown}:${addr.port}/ (bearer token: ${tokens})`);
  const stopWatching = new AbortController();
  // Webhook deliveries that CLI commands could not finish in their grace (events/emit.ts).
  const outbox = () => {
    try {
      const n = deliverOutbox(config, log);
      if (n) log(`notify: ${n} delivery(ies) taken over from the outbox`);
    } catch (err) {
      log(`notify: outbox: ${(err as Error).message}`);
    }
  };
  outbox();
  const outboxTimer = setInterval(outbox, OUTBOX_EVERY_MS);
  outboxTimer.unref();
  let watching: Promise<void> = Promise.resolve();
  const sampling = sampler.run(stopWatching.signal).catch((err: Error) => log(`series: stopped: ${err.message}`));
  if (opts.watchMs !== null) {
    const metrics = app.locals.metrics as ApiMetrics;
    const watcher = new Watcher(config, {
      intervalMs: opts.watchMs, log: (l) => log(`watch: ${l}`), signal: stopWatching.signal, onResync: (r) => metrics.watchResynced(r),
    });
    log(`watch: watching the nodes' cloudmatrix containers; full resync every ${opts.watchMs / 1000} s`);
    watching = watcher.run().catch((err: Error) => log(`watch: stopped: ${err.message}`));
  }
  await new Promise<void>((resolve) => {
    const stop = async (sig: string) => {
      log(`${sig}: closing`);
      stopWatching.abort();
      clearInterval(outboxTimer);
      server.close();
      server.closeIdleConnections();
      const jobs = app.locals.jobs as Jobs;
      const until = Date.now() + SHUTDOWN_WAIT_MS;
      while (jobs.running().length && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      server.closeAllConnections();
      await Promise.all([watching, sampling]);
      resolve();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}

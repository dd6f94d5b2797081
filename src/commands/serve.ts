import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { EnvError, UserError } from '../errors.js';
import { createApp } from '../api/app.js';
import type { Jobs } from '../api/jobs.js';
import type { ApiMetrics } from '../api/metrics.js';
import { liveDeps } from '../api/live-deps.js';
import { Watcher } from '../watch/watcher.js';
import { parseInterval } from './watch.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const SHUTDOWN_WAIT_MS = 90_000;

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UserError(`--listen: expected HOST:PORT (e.g. 127.0.0.1:8700), got ${JSON.stringify(text)}`);
  return { host: m[1] ?? m[2]!, port };
}

export function readToken(config: Config): string {
  const file = config.api.tokenFile;
  if (!file) throw new UserError('config api.tokenFile is not set: the API needs a token file (lab up writes one)');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new EnvError(`${file}: cannot read the API token: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (token.length < 16 || /\s/.test(token)) throw new UserError(`${file}: the API token must be one word of at least 16 characters`);
  return token;
}

/**
 * Runs the API until SIGINT/SIGTERM; deploys in flight are waited for (they stop cleanly on the
 * same signal). With `watch`, the routing watcher (cloudmatrix watch) runs in the same process.
 */
export async function serve(listen: string | undefined, watch?: string | boolean): Promise<void> {
  const watchMs = watch === undefined || watch === false ? null : parseInterval(watch === true ? undefined : watch, '--watch');
  const config = loadConfig();
  const { host, port } = parseListen(listen ?? config.api.listen);
  const log = (l: string) => console.error(`${new Date().toISOString()} ${l}`);
  const app = createApp(liveDeps(config, readToken(config), pkg.version, log), { defaultMetrics: true, accessLog: true });
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (err) => reject(new EnvError(`cannot listen on ${host}:${port}: ${(err as Error).message}`)));
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  console.log(`cloudmatrix API and dashboard on http://${shown}:${addr.port}/ (bearer token in ${config.api.tokenFile})`);
  const stopWatching = new AbortController();
  let watching: Promise<void> = Promise.resolve();
  if (watchMs !== null) {
    const metrics = app.locals.metrics as ApiMetrics;
    const watcher = new Watcher(config, {
      intervalMs: watchMs, log: (l) => log(`watch: ${l}`), signal: stopWatching.signal, onResync: (r) => metrics.watchResynced(r),
    });
    log(`watch: watching the nodes' cloudmatrix containers; full resync every ${watchMs / 1000} s`);
    watching = watcher.run().catch((err: Error) => log(`watch: stopped: ${err.message}`));
  }
  await new Promise<void>((resolve) => {
    const stop = async (sig: string) => {
      log(`${sig}: closing`);
      stopWatching.abort();
      server.close();
      server.closeIdleConnections();
      const jobs = app.locals.jobs as Jobs;
      const until = Date.now() + SHUTDOWN_WAIT_MS;
      while (jobs.running().length && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      server.closeAllConnections();
      await watching;
      resolve();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the manager HTTP API, dashboard and metrics (bearer token from config api.tokenFile)')
    .option('--listen <host:port>', 'address to listen on (default: config api.listen, 127.0.0.1:8700)')
    .option('--watch [interval]', 'also keep Varnish routing what runs, as `cloudmatrix watch` does (full resync every interval, default 30s)')
    .action(async (opts: { listen?: string; watch?: string | boolean }) => {
      await serve(opts.listen, opts.watch);
    });
}

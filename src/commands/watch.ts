import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseDuration } from './flags.js';

export interface WatchFlags {
  interval?: string;
  once?: boolean;
  templates?: string;
}

const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 3_600_000;

export function parseInterval(text: string | undefined, flag = '--interval'): number {
  const ms = parseDuration(flag, text, 30_000);
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) throw new UserError(`${flag}: expected 1s to 60m, got ${JSON.stringify(text)}`);
  return ms;
}

const stamp = (line: string) => `${new Date().toISOString()} ${line}`;

/** Runs the watcher until SIGINT/SIGTERM (or one resync with --once). */
export async function watch(flags: WatchFlags): Promise<void> {
  const intervalMs = parseInterval(flags.interval);
  const config = (await import('../config.js')).loadConfig();
  const stop = new AbortController();
  const log = (line: string) => console.log(stamp(line));
  const { Watcher } = await import('../watch/watcher.js');
  const watcher = new Watcher(config, { intervalMs, templatesDir: flags.templates, log, signal: stop.signal });
  if (flags.once) {
    try {
      const r = await watcher.sync('once');
      if (r.skipped) log(`routing left alone: ${r.skipped}`);
      else if (!r.changed) log(`varnish: routing unchanged (${r.vcl})`);
    } finally {
      watcher.close();
    }
    return;
  }
  const onSignal = (sig: string) => {
    log(`${sig}: stopping`);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log(`watching the nodes' cloudmatrix containers; full resync every ${intervalMs / 1000} s`);
  try {
    await watcher.run();
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description("keep Varnish routing what runs: follow the nodes' container events (restarts, new host ports, dead nodes) and re-route the deployed plans")
    .option('--interval <duration>', 'full resync this often, events or not (1s to 60m)', '30s')
    .option('--once', 'one resync, then exit (for cron or a systemd timer)')
    .option('--templates <dir>', 'VCL templates dir (default: vcl-templates/)')
    .action(async (flags: WatchFlags) => {
      await watch(flags);
    });
}

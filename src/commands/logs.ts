import type { Command } from 'commander';
import { CommandFailed, UserError } from '../errors.js';
import type { AppLogLine } from '../model/logs/lines.js';
import { parseSince, parseTail, type Parsed } from '../model/logs/flags.js';

export interface LogsFlags {
  follow?: boolean;
  since?: string;
  tail?: string;
  node?: string;
  timestamps?: boolean;
}

function flag<T>(name: string, p: Parsed<T>): T {
  if (!p.ok) throw new UserError(`${name}: ${p.error}`);
  return p.value;
}

/** Prints an app's logs; following, until Ctrl-C, SIGTERM, or a reader that went away (SIGPIPE). */
export async function logs(appArg: string, flags: LogsFlags): Promise<void> {
  const since = flags.since === undefined ? undefined : flag('--since', parseSince(flags.since, Date.now()));
  const tail = flags.tail === undefined ? undefined : flag('--tail', parseTail(flags.tail));
  const [{ loadConfig }, { openAppLogs }, { parseTarget }, { formatLogLine, sourceOf }] = await Promise.all([
    import('../config.js'), import('../logs/app-logs.js'), import('../logs/replicas.js'), import('../model/logs/format.js'),
  ]);
  const target = parseTarget(appArg);
  const session = await openAppLogs(loadConfig(), { target, node: flags.node, follow: flags.follow === true, since, tail });
  const stop = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    stop.abort();
  };
  // A reader that went away (| head): stop quietly, as cat does. The error comes after the write
  // that failed, maybe after the last one: the listener stays for the rest of the process.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stop.abort();
  });
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let width = Math.max(0, ...session.replicas.containers.map((c) => sourceOf({ node: c.node, container: c.name }).length));
  if (session.replicas.containers.length === 0 && !flags.follow) console.error(`cloudmatrix: ${appArg} has no containers${flags.node ? ` on ${flags.node}` : ''}`);
  try {
    const r = await session.run(
      {
        line: (l: AppLogLine) => {
          if (stop.signal.aborted || process.stdout.destroyed) return;
          width = Math.max(width, sourceOf(l).length);
          process.stdout.write(`${formatLogLine(l, width, flags.timestamps)}\n`);
        },
        note: (m) => console.error(`cloudmatrix: ${m}`),
      },
      stop.signal,
    );
    for (const e of r.errors) console.error(`cloudmatrix: ${e.node}: ${e.message}`);
    if (r.errors.length > 0) throw new CommandFailed();
    if (interrupted && !flags.follow) throw new CommandFailed('interrupted');
  } finally {
    session.close();
    process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  }
}

export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description("an app's output: every replica's stdout and stderr, merged in time order, each line prefixed node/container")
    .argument('<app>', 'APP (or PLAN/APP when two deployed plans have an app of that name)')
    .option('-f, --follow', 'keep following: new lines, and the replicas a deploy starts, until Ctrl-C')
    .option('--since <when>', 'only lines since then: 30s, 10m, 2h, 1d back, or a time like 2026-12-02T10:00:00Z')
    .option('--tail <n>', "only each replica's last N lines (a number, or all)")
    .option('--node <node>', 'only the replicas on this node')
    .option('-t, --timestamps', "each line with the time Docker took it")
    .addHelpText('after', `
Secret values (cloudmatrix secret) are shown as [secret]. Lines on stdout; notes (a node that
stops answering while following, a replica that starts) on stderr.`)
    .action(async (app: string, flags: LogsFlags) => {
      await logs(app, flags);
    });
}

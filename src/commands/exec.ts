import type { Command } from 'commander';

export interface ExecFlags {
  node?: string;
  interactive?: boolean;
  tty?: boolean;
}

/** Runs CMD in a replica of the app and returns its exit status. */
export async function exec(appArg: string, cmd: string[], flags: ExecFlags): Promise<number> {
  const [{ loadConfig }, { startExec }, { passThrough, SIGNAL_EXIT }, { parseTarget }] = await Promise.all([
    import('../config.js'), import('../exec/exec.js'), import('../exec/terminal.js'), import('../logs/replicas.js'),
  ]);
  const target = parseTarget(appArg);
  const tty = flags.tty === true;
  // Without -i, stdin goes to the command only when it is not a terminal (a pipe or a file).
  const stdin = flags.interactive === true || !process.stdin.isTTY;
  const size = tty && process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined;
  const session = await startExec(loadConfig(), { target, node: flags.node, cmd, tty, stdin, size });
  const stop = new AbortController();
  const handlers = Object.keys(SIGNAL_EXIT).filter((sig) => sig !== 'SIGPIPE').map((sig) => [sig, () => stop.abort(sig)] as const);
  for (const [sig, h] of handlers) process.once(sig, h);
  // The error comes after the write that failed, maybe after the command ended: the listener stays.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stop.abort('SIGPIPE');
  });
  try {
    return await passThrough(session, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, { tty, stdin }, stop.signal);
  } finally {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  }
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run a command in one replica of an app (the first known-good running one, or one on --node); its exit status is cloudmatrix\'s')
    .argument('<app>', 'APP (or PLAN/APP)')
    .argument('<cmd...>', 'the command and its arguments, after --')
    .option('--node <node>', 'a replica on this node')
    .option('-i, --interactive', 'pass stdin to the command even when it is a terminal')
    .option('-t, --tty', 'a pseudo-terminal for the command (raw mode here, window size passed and followed)')
    .addHelpText('after', `
  cloudmatrix exec web -- sh -c 'echo hi; exit 3'      # prints hi, exits 3
  cloudmatrix exec -it web -- sh                        # a shell in the first replica
  echo data | cloudmatrix exec web --node node2 -- wc -c
Without -i, stdin is passed when it is not a terminal. Output is not redacted: it is the
container's own (whose environment holds its secrets).`)
    .action(async (app: string, cmd: string[], flags: ExecFlags) => {
      process.exitCode = await exec(app, cmd, flags);
    });
}

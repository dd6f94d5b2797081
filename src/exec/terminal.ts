import type { ExecSession } from './exec.js';

/** The CLI process's side: its streams (process.stdin/stdout/stderr, or others in tests). */
export interface LocalIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; destroy?: () => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; rows?: number; columns?: number; on(event: 'resize', cb: () => void): unknown };
  stderr: NodeJS.WritableStream;
}

/** The signals that end `exec` here (a closed stdout counts as SIGPIPE), and the exit status each gives (128+N, as a shell reports). */
export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 };

/**
 * Passes the local streams through to the attached command until it ends, and returns its exit
 * status. With a TTY on both ends the local terminal is in raw mode (Ctrl-C goes to the
 * command) and its size follows SIGWINCH; `signals` (Ctrl-C without a TTY, SIGTERM, SIGHUP) end
 * it here with 128+N, leaving the command to the container.
 */
export async function passThrough(session: ExecSession, io: LocalIo, opts: { tty: boolean; stdin: boolean }, signals: AbortSignal): Promise<number> {
  const { attach } = session;
  attach.output(io.stdout, io.stderr);
  const raw = opts.tty && opts.stdin && io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  const onData = (chunk: Buffer | string) => attach.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const onEnd = () => attach.endInput();
  const onResize = () => {
    if (io.stdout.rows && io.stdout.columns) session.resize({ rows: io.stdout.rows, cols: io.stdout.columns }).catch(() => undefined);
  };
  let interrupted: number | null = null;
  const interruptedBy = new Promise<number>((resolve) => {
    const on = () => resolve((interrupted = SIGNAL_EXIT[String(signals.reason)] ?? 130));
    if (signals.aborted) on();
    signals.addEventListener('abort', on, { once: true });
  });
  if (raw) io.stdin.setRawMode!(true);
  if (opts.stdin) {
    io.stdin.on('data', onData);
    io.stdin.once('end', onEnd);
    io.stdin.resume();
  }
  if (opts.tty && io.stdout.isTTY) io.stdout.on('resize', onResize);
  try {
    return await Promise.race([session.exitCode(), interruptedBy]);
  } finally {
    if (interrupted !== null) session.close();
    if (opts.stdin) {
      io.stdin.removeListener('data', onData);
      io.stdin.removeListener('end', onEnd);
      io.stdin.pause();
      if (!io.stdin.isTTY) io.stdin.destroy?.();
    }
    if (raw) io.stdin.setRawMode!(false);
    if (opts.tty && io.stdout.isTTY) (io.stdout as NodeJS.EventEmitter).removeListener('resize', onResize);
    session.close();
  }
}

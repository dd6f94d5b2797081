import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Lines of one long-running reader, restarted after it ends; `onLine` sees each line. */
export interface LineStream {
  /** whether the reader runs now (lines seen since it started are complete) */
  readonly running: boolean;
  /** when the reader (re)started, ms; null while it is down */
  readonly since: number | null;
  stop(): void;
}

const MAX_LINE = 4096;
/** A reader that ran this long before it ended was a recovery: its next failure is said again. */
const RECOVERED_MS = 60_000;

/**
 * Varnish's client-side log through `varnishncsa -c -F FORMAT` (shared memory of the instance
 * `-n name`; no admin secret). It prints one line per answer and flushes each. When it exits
 * (varnishd restarted, not installed) it is started again after `retryMs`; `onDown` says why,
 * not again for the same reason until a reader has run for a minute.
 */
export function varnishncsaLines(opts: {
  name?: string;
  format: string;
  onLine: (line: string) => void;
  onDown?: (why: string) => void;
  varnishncsa?: string;
  retryMs?: number;
  now?: () => number;
}): LineStream {
  const cmd = opts.varnishncsa ?? 'varnishncsa';
  const args = ['-c', '-F', opts.format, ...(opts.name ? ['-n', opts.name] : [])];
  const retryMs = opts.retryMs ?? 10_000;
  const now = opts.now ?? Date.now;
  let child: ChildProcess | null = null;
  let since: number | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  let said = '';

  const start = () => {
    retry = null;
    if (stopped) return;
    let err = '';
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.once('spawn', () => {
      since = now();
    });
    c.stderr!.on('data', (d: Buffer) => {
      if (err.length < 1024) err += d.toString('utf8');
    });
    const lines = createInterface({ input: c.stdout!, crlfDelay: Infinity });
    lines.on('line', (l) => {
      if (l.length <= MAX_LINE) opts.onLine(l);
    });
    const down = (why: string) => {
      if (child !== c) return;
      if (since !== null && now() - since >= RECOVERED_MS) said = '';
      child = null;
      since = null;
      lines.close();
      if (stopped) return;
      if (why !== said) opts.onDown?.(why);
      said = why;
      retry = setTimeout(start, retryMs);
    };
    c.on('error', (e: NodeJS.ErrnoException) => down(e.code === 'ENOENT' ? `${cmd}: not installed` : `${cmd}: ${e.message}`));
    c.on('close', (code, signal) => down(`${cmd} ended (${signal ?? `exit ${code}`})${err.trim() ? `: ${err.trim().split('\n')[0]}` : ''}`));
  };
  start();
  return {
    get running() {
      return child !== null && since !== null;
    },
    get since() {
      return since;
    },
    stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      child?.kill('SIGTERM');
    },
  };
}

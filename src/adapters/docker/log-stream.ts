import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { LineAssembler, type TimedLine } from '../../model/logs/lines.js';

export interface LogOptions {
  /** keep the stream open for what the container writes next, until it stops */
  follow: boolean;
  /** Unix seconds (with fraction): only lines from then on */
  since?: number;
  /** only the last lines (per container) */
  tail?: number | 'all';
}

/** What a container's log stream calls, from its first line on (given before any byte is read, so none is missed). */
export interface LogHandlers {
  line(line: TimedLine): void;
  /** once: null when the container's log ended (all read, or it stopped), else why it was cut */
  end(err: Error | null): void;
}

/** A container's log being read: stdout and stderr apart, Docker's timestamps split off. */
export interface LogStream {
  close(): void;
}

/** GET /containers/{id}/logs as a stream (dockerode buffers the whole answer unless it follows). */
export function openLogs(docker: Docker, id: string, opts: LogOptions, abortSignal: AbortSignal): Promise<IncomingMessage> {
  const query: Record<string, unknown> = { stdout: true, stderr: true, timestamps: true, follow: opts.follow };
  if (opts.since !== undefined) query.since = opts.since.toFixed(6);
  if (opts.tail !== undefined) query.tail = String(opts.tail);
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
      },
      (err, res) => (err ? reject(err) : resolve(res as IncomingMessage)),
    );
  });
}

/** What keeps a log stream from waiting forever on a node that stopped answering. */
export type LogWatchdog =
  /** following: the node is pinged this often; a failed ping cuts the stream */
  | { kind: 'heartbeat'; everyMs: number; ping: () => Promise<void> }
  /** reading what is there: no bytes for this long cuts the stream */
  | { kind: 'idle'; ms: number; onIdle: () => Error };

/**
 * A log answer demultiplexed by docker-modem's demuxStream (which passes a TTY container's
 * unframed log through as stdout), cut into lines per output stream.
 */
export class DockerLogStream implements LogStream {
  private readonly out = new LineAssembler('stdout');
  private readonly err = new LineAssembler('stderr');
  private ended = false;
  private readonly timer: NodeJS.Timeout;
  private lastData = Date.now();

  constructor(docker: Docker, private readonly res: IncomingMessage, watchdog: LogWatchdog, private readonly handlers: LogHandlers) {
    // demuxStream only calls write(): each frame's payload, synchronously.
    const sink = (a: LineAssembler) => ({ write: (chunk: Buffer) => this.emit(a.push(chunk)) }) as unknown as NodeJS.WritableStream;
    res.on('data', () => (this.lastData = Date.now()));
    docker.modem.demuxStream(res, sink(this.out), sink(this.err));
    res.once('end', () => this.end(null));
    res.once('error', (e: Error) => this.end(e));
    res.once('close', () => this.end(res.complete ? null : new Error('the connection closed before the log ended')));
    if (watchdog.kind === 'heartbeat') {
      let inFlight = false;
      this.timer = setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        watchdog.ping().then(
          () => (inFlight = false),
          (e: Error) => {
            inFlight = false;
            this.end(e);
          },
        );
      }, watchdog.everyMs);
    } else {
      this.timer = setInterval(() => {
        if (Date.now() - this.lastData >= watchdog.ms) this.end(watchdog.onIdle());
      }, Math.min(1000, watchdog.ms));
    }
    this.timer.unref();
  }

  private emit(lines: TimedLine[]): void {
    if (this.ended) return;
    for (const l of lines) this.handlers.line(l);
  }

  private end(err: Error | null): void {
    if (this.ended) return;
    // What came before the end still counts: a last line without its line end included.
    if (err === null) this.emit([...this.out.end(), ...this.err.end()]);
    this.ended = true;
    clearInterval(this.timer);
    this.res.destroy();
    this.handlers.end(err);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.res.destroy();
  }
}
